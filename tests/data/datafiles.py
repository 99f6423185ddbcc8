"""Tiny data files in the real formats, written by the tests (tests never download real data)."""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
from pathlib import Path

import numpy as np

IDX_TYPE_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
                  np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def write_idx(path: Path, array: np.ndarray) -> Path:
    """An IDX file (gzip-compressed when the name ends in .gz), the inverse of gankit.data.idx.read_idx."""
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def write_mnist(folder: Path, train: int = 30, test: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """The four MNIST .gz files with random digits (label i % 10); returns the arrays by file name."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for prefix, count in (("train", train), ("t10k", test)):
        arrays[f"{prefix}-images-idx3-ubyte.gz"] = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        arrays[f"{prefix}-labels-idx1-ubyte.gz"] = (np.arange(count) % 10).astype(np.uint8)
    for name, array in arrays.items():
        write_idx(folder / name, array)
    return arrays


class Python2Pickler(pickle._Pickler):
    """Pickles like Python 2's cPickle did when the CIFAR batches were made: str and bytes as (SHORT_)BINSTRING,
    numpy's reconstructor under its 1.x name. Python 3 would route bytes through `_codecs.encode` instead."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_binstring(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_binstring
    dispatch[str] = save_binstring

    def save_global(self, obj, name=None):
        if getattr(obj, "__name__", None) == "_reconstruct":
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def write_cifar_batch(path: Path, data: np.ndarray, labels: list[int]) -> Path:
    buffer = io.BytesIO()
    batch = {"batch_label": "testing batch 1 of 1", "labels": labels, "data": data,
             "filenames": [f"image_{i}.png" for i in range(len(labels))]}
    Python2Pickler(buffer, protocol=2).dump(batch)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()
