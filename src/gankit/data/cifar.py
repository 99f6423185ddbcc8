"""CIFAR-10 (Krizhevsky 2009) from its "python version": `cifar-10-batches-py/data_batch_1..5` and `test_batch`.

Each batch is a pickle, and unpickling runs whatever callables the file names. So a batch is read by an unpickler
that can build only what a real batch holds (dicts, lists, bytes, ints, and numpy arrays), and refuses anything else.
The archive is checked member by member before it is extracted, so it cannot write outside the cache.
"""
from __future__ import annotations

import os
import pickle
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import numpy as np
import torch

from gankit.data.dataset import Dataset
from gankit.data.download import fetch
from gankit.errors import GankitError

try:  # numpy 2 moved numpy.core to numpy._core
    from numpy._core.multiarray import _reconstruct
except ImportError:  # numpy 1.x
    from numpy.core.multiarray import _reconstruct

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"


def load_cifar10(*, root: str | Path | None, split: str, download: bool, cache_dir: Path) -> Dataset:
    cache = cache_dir / "cifar10"
    folders = ([Path(root), Path(root) / FOLDER] if root is not None else []) + [cache / FOLDER]
    folder = next((f for f in folders if all((f / batch).is_file() for batch in BATCHES[split])), None)
    if folder is None and download:
        folder = extract(fetch("cifar10", ARCHIVE, cache), cache)
    if folder is None:
        looked = ", ".join(str(f) for f in folders)
        raise GankitError(f"cifar10 batches ({FOLDER}/) not found in {looked}; "
                          f"set data.root to the folder holding them or --set data.download=true")
    images, labels = zip(*(read_batch(folder / batch) for batch in BATCHES[split]))
    x = torch.from_numpy(np.concatenate(images)).reshape(-1, 3, 32, 32)  # rows are 1024 R, then G, then B values
    return Dataset(x, torch.from_numpy(np.concatenate(labels)), CLASSES, "cifar10")


class BatchUnpickler(pickle.Unpickler):
    """Unpickles a CIFAR batch, or refuses: the only globals it resolves are the ones numpy arrays pickle with."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,  # as numpy 1.x wrote it: the published batches
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,  # as numpy 2 writes it
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}")
        return self.ALLOWED[module, name]


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3072), labels int64 (N,)) from one batch file."""
    try:
        with open(path, "rb") as f:
            # encoding="bytes": the batches were pickled by Python 2, whose str is bytes (the pixel data among them).
            entry = BatchUnpickler(f, encoding="bytes").load()
    except OSError as e:
        raise GankitError(f"cannot read {path}: {e.strerror or e}") from None
    except Exception as e:  # a damaged or hostile pickle can fail in any way; the user needs only which file
        raise GankitError(f"{path} is not a CIFAR-10 batch ({type(e).__name__}: {e})") from None
    data, labels = _field(entry, "data"), _field(entry, "labels")
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2 and data.shape[1] == 3072
            and isinstance(labels, list) and len(labels) == len(data) and all(0 <= y < 10 for y in labels)):
        raise GankitError(f"{path} is not a CIFAR-10 batch (expected 'data' uint8 (N, 3072) and N 'labels' 0..9)")
    return data, np.asarray(labels, dtype=np.int64)


def _field(entry: object, key: str) -> object:
    """A batch's field: keys are bytes in the published (Python 2) files, str in ones written by Python 3."""
    if not isinstance(entry, dict):
        return None
    return entry.get(key.encode(), entry.get(key))


def extract(archive: Path, into: Path) -> Path:
    """Extract the batches folder of the CIFAR-10 archive into `into`, after checking every member is inside it."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                name = PurePosixPath(member.name)
                if not (member.isfile() or member.isdir()) or name.is_absolute() or ".." in name.parts \
                        or name.parts[:1] != (FOLDER,):
                    raise GankitError(f"{archive} holds an unexpected entry {member.name!r}; "
                                      "delete it and download again")
            staging = Path(tempfile.mkdtemp(dir=into, prefix=".extract-"))
            try:
                # The "data" filter (Python >= 3.11.4, 3.10.12) re-checks what we checked above.
                tar.extractall(staging, members, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
                shutil.rmtree(into / FOLDER, ignore_errors=True)  # an incomplete earlier extraction
                os.replace(staging / FOLDER, into / FOLDER)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (tarfile.TarError, EOFError, OSError) as e:
        raise GankitError(f"cannot extract {archive} ({e}); delete it and download again") from None
    return into / FOLDER
