from gankit.training.trainer import Interrupted, Trainer, TrainingDiverged

__all__ = ["Trainer", "TrainingDiverged", "Interrupted"]
