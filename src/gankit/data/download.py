"""Where the public data sets live, and a download that is all or nothing.

A download streams into a temporary file beside its destination, checks the checksum, and only then renames it into
place (`os.replace` is atomic on one file system). So the cache never holds a half-written or wrong file, and a file
found there was verified when it arrived.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gankit.errors import GankitError

# Set to a base URL to fetch every file from `$GANKIT_DATA_MIRROR/<data set>/<file>` instead (a local copy, or the
# tests' local server). The checksums still apply.
MIRROR_ENV = "GANKIT_DATA_MIRROR"
CACHE_ENV = "GANKIT_CACHE"


@dataclass(frozen=True)
class Source:
    base_url: str
    md5: dict[str, str]  # file name -> md5 of the file as served


SOURCES: dict[str, Source] = {
    # The mirror torchvision downloads from since yann.lecun.com went unreliable. The md5s are torchvision's
    # (torchvision/datasets/mnist.py, MNIST.resources).
    "mnist": Source("https://ossci-datasets.s3.amazonaws.com/mnist/", {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }),
    # The md5s are the table in the upstream README (zalandoresearch/fashion-mnist, also shipped by Debian's
    # dataset-fashion-mnist) and agree with torchvision's FashionMNIST.resources. Debian recompressed its .gz files,
    # so theirs have other md5s; the decompressed IDX content is what matters there.
    "fashion-mnist": Source("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }),
    # The md5 published on https://www.cs.toronto.edu/~kriz/cifar.html (and in torchvision's cifar.py).
    "cifar10": Source("https://www.cs.toronto.edu/~kriz/", {
        "cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a",
    }),
}

_CHUNK = 1 << 20
MAX_BYTES = 256 << 20  # the largest file here is CIFAR-10's 163 MiB; a server that sends more is not the source


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "gankit")


def source_url(dataset: str, filename: str) -> str:
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        if not mirror.startswith(("http://", "https://")):
            raise GankitError(f"{MIRROR_ENV} must be an http:// or https:// address, got {mirror!r}")
        return f"{mirror.rstrip('/')}/{dataset}/{filename}"
    return SOURCES[dataset].base_url + filename


def fetch(dataset: str, filename: str, folder: Path) -> Path:
    """`folder/filename`, downloaded from the data set's source (or the mirror) and verified if it is not there yet."""
    dest = folder / filename
    if not dest.exists():
        try:
            download(source_url(dataset, filename), dest, md5=SOURCES[dataset].md5[filename])
        except GankitError as e:
            raise GankitError(f"{e}; or put {filename} in {folder} by hand (it is checked only when downloaded)") \
                from None
    return dest


def download(url: str, dest: str | Path, md5: str | None = None, sha256: str | None = None) -> Path:
    """Fetch `url` to `dest`, checking the given checksums; on any failure, a GankitError and no file."""
    dest = Path(dest)
    expected = {name: want.lower() for name, want in (("md5", md5), ("sha256", sha256)) if want}
    hashes = {name: hashlib.new(name, usedforsecurity=False) for name in expected}
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, part = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as e:
        raise GankitError(f"cannot write to {dest.parent}: {e.strerror or e}") from None
    print(f"gankit: downloading {url}", file=sys.stderr)
    try:
        if not url.startswith(("http://", "https://")):
            raise GankitError(f"download of {url} refused: only http:// and https:// addresses are fetched")
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            received = 0
            while chunk := response.read(_CHUNK):
                received += len(chunk)
                if received > MAX_BYTES:
                    raise GankitError(f"download of {url} failed: more than {MAX_BYTES >> 20} MiB, larger than any "
                                      f"file of the data sets")
                out.write(chunk)
                for h in hashes.values():
                    h.update(chunk)
        for name, want in expected.items():
            if hashes[name].hexdigest() != want:
                raise GankitError(f"download of {url} failed: {name} is {hashes[name].hexdigest()}, expected {want}")
        os.replace(part, dest)
    except urllib.error.HTTPError as e:
        raise GankitError(f"download of {url} failed: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:  # no network, refused, unknown host, unknown URL scheme
        raise GankitError(f"download of {url} failed: {e.reason}") from None
    except (OSError, http.client.HTTPException, ValueError) as e:  # disk full, reply cut short, malformed URL
        raise GankitError(f"download of {url} failed: {type(e).__name__}: {e}") from None
    finally:
        if os.path.exists(part):
            os.unlink(part)
    return dest
