"""Runs to serve, trained once for all serve tests (a few seconds in all): a 28-px digits DCGAN, a conditional one,
and a toy (points) run. Quality does not matter here; every run trains on a subset, so the game has held-out digits.
"""
import contextlib
import socket
import threading
import time

import pytest
import torch

from gankit.config import load_config
from gankit.training import Trainer

torch.set_num_threads(1)

# ema=0: the presets' EMA of G (decay 0.999) would still be G's initial weights after so few steps, grey everywhere.
TINY = ["data.n=320", "model.width=8", "model.z_dim=8", "train.batch_size=32", "train.steps=20", "train.grid_size=16",
        "train.log_every=5", "train.lr_g=3e-3", "train.lr_d=3e-3", "train.ema=0"]


def train(path, preset, overrides):
    Trainer(load_config(preset, overrides=overrides), path, progress=False).fit()
    return path


@pytest.fixture(scope="session")
def served_runs(tmp_path_factory):
    """{name: path} of the three runs; the folder names are what the API calls them."""
    root = tmp_path_factory.mktemp("serve")
    return {"digits": train(root / "digits", "digits-dcgan", TINY),
            "cdigits": train(root / "cdigits", "digits-cdcgan", TINY),
            "ring": train(root / "ring", "toy-ring", ["data.n=512", "model.width=16", "train.steps=4",
                                                      "train.grid_size=64"])}


@pytest.fixture(scope="session")
def app_factory(served_runs):
    pytest.importorskip("fastapi", reason="gankit serve's tests need the serve extra: pip install gankit[serve]")
    from gankit.serve.app import create_app

    def make(data_dir, **settings):
        return create_app(list(served_runs.values()), data_dir, **settings)
    return make


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("serve-data")


@pytest.fixture(scope="session")
def client(app_factory, data_dir):
    """One app for the whole session: loading the runs and finding their held-out digits takes a second."""
    from fastapi.testclient import TestClient

    with TestClient(app_factory(data_dir)) as c:
        yield c


@contextlib.contextmanager
def uvicorn_thread(app):
    """`app` on uvicorn with gankit serve's limits (gankit.serve.server), on a free loopback port, in a thread."""
    import uvicorn

    from gankit.serve import server as serving

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(serving.config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(10)
