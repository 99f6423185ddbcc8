"""`gankit inpaint RUN IMAGE_OR_FOLDER... --mask center`: fill holes in images with a trained generator
(Yeh et al. 2017; docs/inpainting.md). The mask hides part of each input image, so the input is the original and
PSNR/SSIM against it are reported."""
from __future__ import annotations

import json
from pathlib import Path

from gankit.commands import options


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("inpaint", help="fill holes in images with a trained GAN (semantic inpainting)")
    options.add_run(p)
    p.add_argument("images", nargs="*", metavar="IMAGE_OR_FOLDER", help="image files, or folders of them")
    p.add_argument("--mask", default="center", metavar="center|random|half|pattern|MASK.png",
                   help="the hole: a square in the middle (1/2 of the side), 80%% random pixels, the left half, "
                        "4 random blocks, or a mask image of the run's size (white = known, black = hole); "
                        "default center")
    p.add_argument("--method", choices=("yeh", "fast", "prior"), default="yeh",
                   help="yeh: the paper's loss; fast: + structural loss and best-of-N starts; prior: from the run's "
                        "learned prior (`gankit prior RUN`), --iters 0 for its prediction alone (default yeh)")
    p.add_argument("--iters", type=options.bounded_int(0, 100_000), default=None,
                   help="Adam steps on z (default 500; with --video --method prior, steps per frame after the "
                        "prediction, default 5)")
    p.add_argument("--restarts", type=options.bounded_int(1, 1000), default=4,
                   help="random starts per image, optimised together (default 4)")
    p.add_argument("--video", metavar="builtin[:SEED]|FOLDER",
                   help="inpaint a video instead: 'builtin' (a digit of the embedded set in smooth motion, "
                        "16 frames; SEED picks digit and motion, default 0) or a folder of frames in name order; "
                        "--method yeh fills each frame alone, fast reuses codes, prior starts every frame from the "
                        "run's video prior (`gankit prior RUN --video`) and refines it --iters steps; writes "
                        "video.gif and video.json")
    options.add_label(p)
    p.add_argument("--resize", action="store_true",
                   help="scale and crop images to the run's size and convert their channels, instead of refusing")
    options.add_out(p, "the folder to write into (default RUN/inpainting)")
    options.add_seed(p, "of the starts and of random/pattern masks")
    options.add_json(p)
    options.add_force(p, "files of the same names in --out are replaced")
    options.add_device(p)
    p.set_defaults(func=run)


def check_sizes(files: list[Path], run, resize: bool) -> None:
    """Refuse, unless --resize, an image whose size or channels differ from the run's."""
    from PIL import Image, UnidentifiedImageError

    from gankit.errors import GankitError

    channels, height, width = run.data_shape
    for f in files:
        try:
            with Image.open(f) as image:
                size, bands = image.size, len(image.getbands()) - ("A" in image.getbands())
        except (UnidentifiedImageError, OSError):
            raise GankitError(f"{f} is not an image file that can be read") from None
        if not resize and (size != (width, height) or bands != channels):
            raise GankitError(f"{f} is {size[0]}x{size[1]} with {bands} channel(s); run {run.path} makes "
                              f"{width}x{height} with {channels}: pass --resize to scale and convert it")


def run(args) -> None:
    import torch

    import gankit
    from gankit.data.folder import image_inputs
    from gankit.errors import GankitError
    from gankit.images import enlarge, grid, save_png, to_uint8
    from gankit.inpainting import inpaint, masks
    from gankit.latent.codes import read_images

    loaded = gankit.load(args.run, device=args.device)
    args.label = options.label(loaded, args.label)
    loaded.require_image_generator("inpaint")
    if args.iters is None:
        args.iters = 5 if args.video is not None and args.method == "prior" else 500
    if args.method == "prior":
        from gankit.inpainting.prior import require_prior
        require_prior(loaded, video=args.video is not None)
    if args.video is not None:
        return run_video(args, loaded)
    if not args.images:
        raise GankitError("name the images to inpaint (files or folders), or a video with --video")
    files = [f for item in args.images for f in image_inputs(Path(item))[0]]
    if len({f.stem for f in files}) != len(files):
        raise GankitError("two input images share a name; their outputs would collide")
    out = Path(args.out or Path(args.run) / "inpainting")
    if out.exists() and not out.is_dir():
        raise GankitError(f"{out} is a file; --out names a folder here")
    outputs = [out / f"{f.stem}-{kind}.png" for f in files for kind in ("filled", "compare")] + \
        [out / "inpainting.json"]
    options.refuse_existing(outputs, args.force)
    check_sizes(files, loaded, args.resize)
    size = loaded.data_shape[-1]
    mask = masks.make_or_read(args.mask, size, seed=args.seed)
    x = read_images(files, loaded)
    result = inpaint(loaded, x, mask, method=args.method, iters=args.iters, restarts=args.restarts, seed=args.seed,
                     blend=True, label=args.label, originals=x)

    out.mkdir(parents=True, exist_ok=True)
    shown = mask.expand_as(x[0])
    for i, f in enumerate(files):
        masked = x[i] * shown  # the hole shown mid-gray (0 on the [-1, 1] scale)
        row = torch.stack([masked, result.filled[i], result.blended[i], x[i]])
        save_png(to_uint8(result.filled[i]).transpose(1, 2, 0), out / f"{f.stem}-filled.png")
        save_png(grid(enlarge(row, 4 if size <= 32 else 1), nrow=4), out / f"{f.stem}-compare.png")
    report = {"run": str(args.run), "method": args.method, "mask": args.mask, "iters": args.iters,
              "restarts": args.restarts, "seed": args.seed, "notes": result.notes, "images": [
                  {"image": str(f), "psnr_db": round(p, 3), "psnr_hole_db": round(h, 3), "ssim": round(s, 4),
                   "filled": str(out / f"{f.stem}-filled.png"), "compare": str(out / f"{f.stem}-compare.png")}
                  for f, p, h, s in zip(files, result.psnr.tolist(), result.hole_psnr.tolist(), result.ssim.tolist())],
              "mean_psnr_db": result.psnr.mean().item(), "mean_psnr_hole_db": result.hole_psnr.mean().item(),
              "mean_ssim": result.ssim.mean().item()}
    (out / "inpainting.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for note in result.notes:
        print(f"note: {note}")
    for item in report["images"]:
        print(f"{item['image']}: psnr {item['psnr_db']:.1f} dB (hole {item['psnr_hole_db']:.1f} dB)  "
              f"ssim {item['ssim']:.3f}")
    print(f"{args.method}, mask {args.mask}: mean psnr {report['mean_psnr_db']:.1f} dB, hole "
          f"{report['mean_psnr_hole_db']:.1f} dB, ssim {report['mean_ssim']:.3f} (whole image unless 'hole')\n"
          f"{out}/")


def video_frames(args, run):
    """(frames, masks): the builtin moving digit, or the frames of a folder with --mask's hole in each."""
    import torch

    from gankit.data import load_dataset
    from gankit.data.dataset import to_unit_range
    from gankit.data.folder import image_files
    from gankit.data.sequences import moving_image
    from gankit.errors import GankitError
    from gankit.inpainting import masks
    from gankit.latent.codes import read_images

    size = run.data_shape[-1]
    mask = masks.make_or_read(args.mask, size, seed=args.seed)
    name, _, seed = args.video.partition(":")
    if name == "builtin":
        if not seed.isdigit() and seed:
            raise GankitError(f"--video builtin takes a seed, a whole number: builtin:3, not {args.video!r}")
        seed = int(seed or 0)
        if tuple(run.data_shape) != (1, 28, 28):
            raise GankitError(f"--video builtin makes 28x28 gray digits; run {args.run} makes {run.data_shape}: "
                              f"give a folder of frames")
        digits = load_dataset("digits")
        image = to_unit_range(digits.x[(seed * 499) % len(digits.x)])  # 499: the class changes with the seed
        return moving_image(image, 16, seed=seed).frames, mask
    folder = Path(args.video)
    if not folder.is_dir():
        raise GankitError(f"--video names a folder of frames or builtin[:SEED]; {folder} is neither")
    files = image_files(folder, "folder")
    if len(files) < 2:
        raise GankitError(f"folder {folder} has {len(files)} frame; a video needs at least 2")
    check_sizes(files, run, args.resize)
    return read_images(files, run), torch.as_tensor(mask)


def run_video(args, loaded) -> None:
    """--video: fill every frame, write masked | filled | original per frame as a GIF, and the hole PSNRs."""
    import torch

    from gankit.inpainting.video import inpaint_video, temporal_change
    from gankit.latent.interpolation import save_gif

    out = Path(args.out or Path(args.run) / "inpainting")
    if out.exists() and not out.is_dir():
        from gankit.errors import GankitError
        raise GankitError(f"{out} is a file; --out names a folder here")
    options.refuse_existing([out / "video.gif", out / "video.json"], args.force)
    frames, mask = video_frames(args, loaded)
    method = {"yeh": "per-frame", "fast": "fast", "prior": "prior"}[args.method]
    steps = {"iters_next": args.iters} if method == "prior" else {}  # the prior: --iters refines every frame
    result = inpaint_video(loaded, frames, mask, method=method, iters=args.iters, restarts=args.restarts,
                           seed=args.seed, label=args.label, originals=frames, progress=True, **steps)
    out.mkdir(parents=True, exist_ok=True)
    masks = mask.expand(len(frames), 1, *frames.shape[-2:])
    save_gif(torch.cat([frames * masks, result.filled, frames], dim=-1), out / "video.gif", duration_ms=120,
             bounce=False)
    report = {"run": str(args.run), "video": args.video, "method": method, "mask": args.mask, "iters": args.iters,
              "restarts": args.restarts, "seed": args.seed, "frames": len(frames),
              "psnr_hole_db": [round(p, 3) for p in result.hole_psnr.tolist()],
              "mean_psnr_hole_db": result.hole_psnr.mean().item(), "iterations": result.total_iterations,
              "seconds": result.seconds, "temporal_change": temporal_change(result.filled, masks),
              "temporal_change_original": temporal_change(frames, masks), "gif": str(out / "video.gif")}
    (out / "video.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{method}, mask {args.mask}, {len(frames)} frames: mean hole psnr {report['mean_psnr_hole_db']:.1f} dB, "
          f"{report['iterations']} iterations, {report['seconds']:.1f} s\n{out / 'video.gif'}")
