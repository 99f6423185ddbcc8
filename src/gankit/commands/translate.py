"""`gankit translate`: translate your own images with a pix2pix, CycleGAN or StarGAN run, one PNG out per image in.

  gankit translate RUN photo.png --out DIR                    pix2pix: A to B
  gankit translate RUN FOLDER --direction BtoA --out DIR      CycleGAN: either way
  gankit translate RUN FOLDER --to photo --out DIR            StarGAN: into one domain (its name or number)
  gankit translate RUN FOLDER --seed 3 --out DIR              a CycleGAN G with a noise input: other codes

Images are read as the run's nets were trained: converted to its channels (gray or RGB), the shorter side scaled to
its image size and centre-cropped. DIR/<name>.png keeps each input's path relative to FOLDER. Every image is read
and translated before the first file is written, so a bad input leaves nothing behind.
"""
from __future__ import annotations

from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError


def add_parser(subparsers) -> None:
    s = subparsers.add_parser("translate", help="translate images with a pix2pix, CycleGAN or StarGAN run")
    options.add_run(s)
    s.add_argument("images", metavar="IMAGE_OR_FOLDER", help="an image file, or a folder searched for PNG/JPEG")
    s.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB",
                   help="AtoB (default) or BtoA; a pix2pix run goes AtoB only")
    s.add_argument("--to", metavar="DOMAIN", help="a StarGAN run's target domain, by name or number")
    options.add_out(s, "the folder to write one PNG per input into (required; created if missing)")
    options.add_force(s, "write into a folder that is not empty, replacing files of the same names")
    options.add_seed(s, "of the codes a CycleGAN generator with a noise input (cyclegan.noise_dim) draws")
    options.add_device(s)
    s.set_defaults(func=run)


def input_shape(run, direction: str) -> tuple[int, int]:
    """(channels, size) of the images the run's nets take in `direction`."""
    shape = run.data_shape
    if len(shape) == 2:  # two domains: ((C_A, H, W), (C_B, H, W))
        shape = shape[0] if direction == "AtoB" else shape[1]
    return int(shape[0]), int(shape[-1])


def run(args) -> None:
    import torch

    import gankit
    from gankit import images
    from gankit.data.dataset import to_unit_range
    from gankit.data.folder import image_inputs, read_files
    from gankit.recipes.base import Translator

    if not args.out:
        raise GankitError("--out DIR is required: the folder the translated images go to")
    run = gankit.load(args.run, device=args.device)
    run.require(Translator)
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.force:
        raise GankitError(f"{out} exists and is not an empty folder; choose another --out or pass --force")
    files, root = image_inputs(Path(args.images))
    names = [f.relative_to(root).with_suffix(".png") for f in files]
    twins = sorted({str(n) for n in names if names.count(n) > 1})
    if twins:  # x.jpg and x.png would both write x.png, the second over the first
        raise GankitError(f"several inputs would be written as {twins[0]}: rename one (outputs are PNG files named "
                          f"as their inputs)")
    channels, size = input_shape(run, args.direction)
    torch.manual_seed(args.seed)  # a noisy G draws its codes from torch's RNG; other nets draw nothing
    translated = run.translate(to_unit_range(read_files(files, size, channels)), direction=args.direction, to=args.to)
    for name, image in zip(names, translated):
        images.save_png(images.to_uint8(image).transpose(1, 2, 0), out / name)
    print(f"{len(files)} image(s) translated into {out}")
