from gankit.training.trainer import RESUMABLE_KEYS, Interrupted, Trainer, TrainingDiverged, resumed_config, train

__all__ = ["Trainer", "TrainingDiverged", "Interrupted", "train", "RESUMABLE_KEYS", "resumed_config"]
