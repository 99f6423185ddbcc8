"""Execute the course notebooks headless and keep the executed copies: `make notebooks`.

    .venv/bin/python notebooks/execute.py                 # every notebook -> build/notebooks/NAME.ipynb
    .venv/bin/python notebooks/execute.py 02 --out DIR    # those whose name starts with 02

Each notebook runs in a fresh kernel with build/notebooks/ (or --out) as its working directory, in name order, so a
later notebook finds the runs an earlier one trained (and trains its own when they are missing). The figures of each
executed notebook are also written as PNG files to OUT/figures/NAME-N.png.
"""
from __future__ import annotations

import argparse
import base64
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def notebooks(prefixes: list[str] | None = None) -> list[Path]:
    found = sorted(HERE.glob("[0-9][0-9]-*.ipynb"))
    return [p for p in found if not prefixes or any(p.name.startswith(s) for s in prefixes)]


def execute(path: Path, workdir: Path, timeout: int = 900) -> nbformat.NotebookNode:
    """Run every cell of the notebook at `path` in a fresh kernel whose working directory is `workdir`; an error in
    any cell raises nbclient's CellExecutionError."""
    nb = nbformat.read(path, as_version=4)
    workdir.mkdir(parents=True, exist_ok=True)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def figures(nb: nbformat.NotebookNode) -> list[bytes]:
    """The PNG images the executed cells displayed, in order."""
    return [base64.b64decode(output["data"]["image/png"]) for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only the notebooks whose name starts with one of these")
    parser.add_argument("--out", default="build/notebooks", help="where the executed copies go (default %(default)s)")
    args = parser.parse_args()
    out = Path(args.out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for path in notebooks(args.prefixes):
        start = time.perf_counter()
        nb = execute(path, out)
        nbformat.write(nb, out / path.name)
        for i, png in enumerate(figures(nb), 1):
            (out / "figures" / f"{path.stem}-{i}.png").write_bytes(png)
        print(f"{path.name}: {time.perf_counter() - start:.1f} s, {len(figures(nb))} figures -> {out / path.name}",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
