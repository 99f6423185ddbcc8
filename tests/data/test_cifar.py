"""CIFAR-10: batches read by a restricted unpickler, and an archive extracted only after its members are checked."""
import io
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch

from datafiles import md5_of, write_cifar_batch
from gankit.data import load_dataset
from gankit.data.cifar import BATCHES, read_batch
from gankit.data.download import SOURCES, Source
from gankit.errors import GankitError


def write_batches(folder, per_batch=4):
    """All six batches; image i of a batch has R = i, G = 100 + i, B = 200 + i everywhere, label i % 10."""
    for name in BATCHES["train"] + BATCHES["test"]:
        planes = [np.full((per_batch, 1024), base, np.uint8) + np.arange(per_batch, dtype=np.uint8)[:, None]
                  for base in (0, 100, 200)]
        write_cifar_batch(folder / name, np.concatenate(planes, axis=1), [i % 10 for i in range(per_batch)])


def test_cifar10_loads_python_batches(tmp_path):
    write_batches(tmp_path / "cifar-10-batches-py")
    train = load_dataset("cifar10", root=tmp_path)
    test = load_dataset("cifar10", root=tmp_path / "cifar-10-batches-py", split="test")
    assert train.x.shape == (20, 3, 32, 32) and train.x.dtype == torch.uint8 and len(test) == 4
    # Each row of a batch is the R plane, then G, then B.
    assert train.x[1, 0].unique().tolist() == [1] and train.x[1, 1].unique().tolist() == [101]
    assert train.x[1, 2].unique().tolist() == [201]
    assert train.y.tolist() == [0, 1, 2, 3] * 5 and train.classes[0] == "airplane" and train.classes[9] == "truck"


class RunsACommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class CallsEval:
    def __reduce__(self):
        return eval, ("1 + 1",)


class LoadsANumpyFile:
    def __reduce__(self):
        return np.load, ("/etc/passwd",)


@pytest.mark.parametrize("make_payload", [lambda marker: RunsACommand(f"touch {marker}"),
                                          lambda marker: CallsEval(), lambda marker: LoadsANumpyFile()])
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_unpickler_refuses_anything_but_numpy_arrays(tmp_path, make_payload, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": make_payload(marker), b"labels": []}, protocol=protocol))
    with pytest.raises(GankitError, match="is not a CIFAR-10 batch.*refused to load"):
        read_batch(path)
    assert not marker.exists()


def test_a_pickle_of_the_wrong_shape_is_an_error(tmp_path):
    write_cifar_batch(tmp_path / "test_batch", np.zeros((2, 100), np.uint8), [0, 1])
    with pytest.raises(GankitError, match="expected 'data' uint8"):
        read_batch(tmp_path / "test_batch")


def test_a_damaged_batch_is_an_error(tmp_path):
    path = write_cifar_batch(tmp_path / "test_batch", np.zeros((2, 3072), np.uint8), [0, 1])
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(GankitError, match="test_batch is not a CIFAR-10 batch"):
        read_batch(path)


def make_archive(path, members):
    """A tar.gz of (name, bytes) members."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def test_cifar10_downloads_and_extracts_the_archive(tmp_path, web_server, monkeypatch):
    www, url = web_server
    batches = tmp_path / "made" / "cifar-10-batches-py"
    write_batches(batches)
    (www / "cifar10").mkdir()
    archive = make_archive(www / "cifar10" / "cifar-10-python.tar.gz",
                           [(f"cifar-10-batches-py/{p.name}", p.read_bytes()) for p in sorted(batches.iterdir())])
    monkeypatch.setitem(SOURCES, "cifar10", Source("unused", {"cifar-10-python.tar.gz": md5_of(archive)}))
    monkeypatch.setenv("GANKIT_DATA_MIRROR", url)
    data = load_dataset("cifar10", download=True, cache_dir=tmp_path / "cache")
    assert len(data) == 20
    assert sorted(p.name for p in (tmp_path / "cache" / "cifar10").iterdir()) == [
        "cifar-10-batches-py", "cifar-10-python.tar.gz"]


@pytest.mark.parametrize("evil_name", ["../escaped", "/tmp/absolute", "cifar-10-batches-py/../../escaped",
                                       "somewhere-else/data_batch_1"])
def test_an_archive_that_writes_outside_its_folder_is_refused(tmp_path, web_server, monkeypatch, evil_name):
    www, url = web_server
    (www / "cifar10").mkdir()
    archive = make_archive(www / "cifar10" / "cifar-10-python.tar.gz",
                           [("cifar-10-batches-py/test_batch", b"x"), (evil_name, b"evil")])
    monkeypatch.setitem(SOURCES, "cifar10", Source("unused", {"cifar-10-python.tar.gz": md5_of(archive)}))
    monkeypatch.setenv("GANKIT_DATA_MIRROR", url)
    with pytest.raises(GankitError, match="unexpected entry"):
        load_dataset("cifar10", download=True, cache_dir=tmp_path / "cache" / "deep")
    assert not (tmp_path / "cache" / "escaped").exists() and not (tmp_path / "escaped").exists()
    assert not (tmp_path / "cache" / "deep" / "cifar10" / "cifar-10-batches-py").exists()


def test_missing_cifar10_says_how_to_get_it(tmp_path):
    with pytest.raises(GankitError, match="data.download=true"):
        load_dataset("cifar10", root=tmp_path)
