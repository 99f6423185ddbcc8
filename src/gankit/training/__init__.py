from gankit.training.trainer import RESUMABLE_KEYS, Interrupted, Trainer, TrainingDiverged, train

__all__ = ["Trainer", "TrainingDiverged", "Interrupted", "train", "RESUMABLE_KEYS"]
