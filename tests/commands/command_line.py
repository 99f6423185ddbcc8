"""How the command tests run `gankit` as a user would, and read what it said."""
import numpy as np
import torch
from PIL import Image

from gankit.cli import build_parser
from gankit.images import to_uint8


def gankit(*argv):
    """A subcommand as `gankit` parses it; errors are raised, not printed (cli.main prints them: test_cli.py)."""
    args = build_parser().parse_args([str(a) for a in argv])
    args.func(args)


def error_line(capsys) -> str:
    """The one line a failed command printed on stderr (never a traceback)."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def write_pngs(folder, x, name):
    """Images in [-1, 1] as 8-bit gray PNG files; returns their paths."""
    paths = []
    for i, image in enumerate(to_uint8(x)):
        paths.append(folder / f"{name}{i}.png")
        Image.fromarray(image[0]).save(paths[-1])
    return paths


def tiles(path, columns: int, size: int = 28, scale: int = 2) -> np.ndarray:
    """The cells of a grid picture as (rows, columns, size, size) at 1:1, whatever border gankit.images.grid draws."""
    with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("L")).astype(int)
    pad = (pixels.shape[1] - columns * size * scale) // (columns + 1)
    cell = size * scale + pad
    rows = (pixels.shape[0] - pad) // cell
    return np.stack([np.stack([pixels[pad + r * cell: (r + 1) * cell: scale, pad + c * cell: (c + 1) * cell: scale]
                               for c in range(columns)]) for r in range(rows)])


def pictures(x: torch.Tensor) -> np.ndarray:
    """Images in [-1, 1] (N, 1, H, W) as the uint8 pixels (N, H, W) a PNG of them holds."""
    return to_uint8(x)[:, 0].astype(int)
