"""Data for gankit: every loader returns one in-memory `Dataset` (uint8 images or float32 toy points)."""
from gankit.data.dataset import Dataset
from gankit.data.load import DATASETS, IMAGE_DATASETS, load_dataset, load_training_data
from gankit.data.toy import TOY_DATASETS, sample_toy, toy_modes

__all__ = ["Dataset", "load_dataset", "load_training_data", "DATASETS", "IMAGE_DATASETS", "TOY_DATASETS", "sample_toy", "toy_modes"]
