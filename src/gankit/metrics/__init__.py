"""Metrics: measure a trained generator offline. They read samples and runs; they know nothing of training.

    from gankit.metrics import evaluate, evaluate_run
    evaluate(fake_images, "digits")                  # {"fid": ..., "kid": ..., "is": ..., ...}
    evaluate_run(gankit.load("runs/demo1"), n=10000)
"""
from gankit.metrics.evaluate import DEFAULT_METRICS, METRICS, evaluate, evaluate_run
from gankit.metrics.features import Extractor, load_extractor
from gankit.metrics.modes import mode_stats

__all__ = ["evaluate", "evaluate_run", "mode_stats", "load_extractor", "Extractor", "DEFAULT_METRICS", "METRICS"]
