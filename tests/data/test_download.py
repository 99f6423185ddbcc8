"""Downloads: from a local web server standing in for the official sites (GANKIT_DATA_MIRROR), all or nothing."""
import hashlib

import pytest

from datafiles import md5_of, write_mnist
from gankit.data import load_dataset
from gankit.data.download import SOURCES, Source, download, source_url
from gankit.errors import GankitError


@pytest.fixture
def mnist_mirror(web_server, monkeypatch):
    """A mirror serving fake MNIST files, with the checksum table pointing at them."""
    www, url = web_server
    write_mnist(www / "mnist")
    md5 = {path.name: md5_of(path) for path in (www / "mnist").iterdir()}
    monkeypatch.setitem(SOURCES, "mnist", Source("https://example.invalid/", md5))
    monkeypatch.setenv("GANKIT_DATA_MIRROR", url)
    return www / "mnist", url


def test_mnist_downloads_end_to_end_into_the_cache(tmp_path, mnist_mirror):
    cache = tmp_path / "cache"
    train = load_dataset("mnist", download=True, cache_dir=cache)
    test = load_dataset("mnist", download=True, split="test", cache_dir=cache)
    assert train.x.shape == (30, 1, 28, 28) and len(test) == 10
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(SOURCES["mnist"].md5)
    # Once cached, no download is needed.
    assert len(load_dataset("mnist", cache_dir=cache)) == 30


def test_the_default_cache_is_gankit_cache(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "env-cache"))
    load_dataset("mnist", download=True)
    assert (tmp_path / "env-cache" / "mnist" / "train-images-idx3-ubyte.gz").is_file()


def test_checksum_mismatch_raises_and_leaves_nothing(tmp_path, mnist_mirror, monkeypatch):
    wrong = dict(SOURCES["mnist"].md5, **{"train-images-idx3-ubyte.gz": "0" * 32})
    monkeypatch.setitem(SOURCES, "mnist", Source("unused", wrong))
    cache = tmp_path / "cache"
    with pytest.raises(GankitError, match=r"train-images-idx3-ubyte.gz failed: md5 is [0-9a-f]{32}, expected 0{32}"):
        load_dataset("mnist", download=True, cache_dir=cache)
    assert list((cache / "mnist").iterdir()) == []


def test_a_404_raises_with_the_url_and_leaves_nothing(tmp_path, mnist_mirror):
    folder, url = mnist_mirror
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    cache = tmp_path / "cache"
    with pytest.raises(GankitError, match=f"download of {url}/mnist/train-labels-idx1-ubyte.gz failed: HTTP 404"):
        load_dataset("mnist", download=True, cache_dir=cache)
    assert [p.name for p in (cache / "mnist").iterdir()] == ["train-images-idx3-ubyte.gz"]


def test_an_unreachable_server_is_a_gankit_error(tmp_path, web_server):
    _, url = web_server
    closed = url.rsplit(":", 1)[0] + ":1"  # nothing listens on port 1
    with pytest.raises(GankitError, match="download of .*:1/file failed"):
        download(f"{closed}/file", tmp_path / "file")
    assert list(tmp_path.glob("*file*")) == []


def test_download_checks_sha256(tmp_path, web_server):
    www, url = web_server
    (www / "blob").write_bytes(b"gankit")
    digest = hashlib.sha256(b"gankit").hexdigest()
    assert download(f"{url}/blob", tmp_path / "got" / "blob", sha256=digest).read_bytes() == b"gankit"
    with pytest.raises(GankitError, match="sha256"):
        download(f"{url}/blob", tmp_path / "bad", sha256="f" * 64)
    assert not (tmp_path / "bad").exists()


def test_official_sources_are_used_without_a_mirror():
    assert source_url("mnist", "t10k-labels-idx1-ubyte.gz") == \
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz"
    assert source_url("cifar10", "cifar-10-python.tar.gz") == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert SOURCES["cifar10"].md5["cifar-10-python.tar.gz"] == "c58f30108f718f92721af3b95e74349a"
