"""The inpaint page with a learned prior: a run that has one fills from it, at once for iters=0."""
import shutil

import pytest

from gankit.inpainting.prior import train_prior


@pytest.fixture(scope="module")
def prior_client(served_runs, tmp_path_factory, data_dir):
    pytest.importorskip("fastapi", reason="gankit serve's tests need the serve extra: pip install gankit[serve]")
    from fastapi.testclient import TestClient

    import gankit
    from gankit.serve.app import create_app

    path = tmp_path_factory.mktemp("serve-prior") / "digits-prior"
    shutil.copytree(served_runs["digits"], path)
    train_prior(gankit.load(path), steps=10, batch=8, progress=False)
    with TestClient(create_app([path], data_dir)) as c:
        yield c


def test_a_run_with_a_prior_fills_from_it_and_one_without_searches_fast(prior_client, client):
    mask = "".join("0" if 8 <= k // 28 < 20 and 8 <= k % 28 < 20 else "1" for k in range(784))
    assert prior_client.get("/api/inpaint/images", params={"run": "digits-prior"}).json()["prior"] is True
    assert client.get("/api/inpaint/images", params={"run": "digits"}).json()["prior"] is False
    guess = prior_client.post("/api/inpaint", json={"run": "digits-prior", "mask": mask, "iters": 0}).json()
    assert guess["method"] == "prior" and guess["iters"] == 0 and guess["milliseconds"] > 0
    refined = prior_client.post("/api/inpaint", json={"run": "digits-prior", "mask": mask, "iters": 5}).json()
    assert refined["method"] == "prior" and refined["generated"] != guess["generated"]
    plain = client.post("/api/inpaint", json={"run": "digits", "mask": mask, "iters": 5}).json()
    assert plain["method"] == "fast"
