"""Write each fixture's expected-step-4-signs.npz: the sign (-1, 0, +1) of every weight's change from its step-2
checkpoint to step 4, as the code of a given checkout resumes it on this machine. The resume test compares against
these signs, not bit for bit: the same code gives last-bit-different weights on other CPUs (AVX2 against AVX-512),
while a change in a recipe's numerics flips the direction of many updates.

    PYTHONPATH=OLD_CHECKOUT/src .venv/bin/python tests/recipes/contract_fixtures.py    # recorded with 1cf2136
"""
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pre_contract"


def update_signs(folder: Path) -> dict[str, np.ndarray]:
    """{"FILE/KEY": int8 signs of (step-4 weight - step-2 weight)} of a resumed fixture folder."""
    import torch
    from safetensors.torch import load_file

    out = {}
    for file in sorted((folder / "checkpoints" / "step-000004").glob("*.safetensors")):
        before = load_file(str(folder / "checkpoints" / "step-000002" / file.name))
        for key, value in sorted(load_file(str(file)).items()):
            if value.is_floating_point():
                out[f"{file.stem}/{key}"] = (value.double() - before[key].double()).sign().to(torch.int8).numpy()
    return out


def resume(fixture: Path, into: Path) -> Path:
    import gankit
    from gankit.training import Trainer

    folder = into / fixture.name
    shutil.copytree(fixture, folder)
    Trainer(gankit.runs.read_config(folder), folder, resume=True, progress=False).fit()
    return folder


if __name__ == "__main__":
    import torch
    torch.set_num_threads(1)
    for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        with tempfile.TemporaryDirectory() as tmp:
            signs = update_signs(resume(fixture, Path(tmp)))
        np.savez_compressed(fixture / "expected-step-4-signs.npz", **signs)
        print(fixture.name, sum(v.size for v in signs.values()), "weights", file=sys.stderr)
