"""`gankit invert RUN IMAGE...`: latent codes for images, by the encoder (VAE) or by optimisation (GAN)."""
from __future__ import annotations

import json
from pathlib import Path

from gankit.commands import options



def add_parser(subparsers) -> None:
    v = subparsers.add_parser("invert", help="find latent codes for images: encoder (VAE) or optimisation (GAN)")
    options.add_run(v)
    v.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...) to find codes for")
    options.add_inversion(v)
    options.add_label(v)
    options.add_out(v, "PNG of each image beside its reconstruction (default RUN/latent/invert.png)")
    v.add_argument("--codes", help="also save the codes here (.safetensors, tensor 'z')")
    options.add_json(v)
    options.add_force(v)
    options.add_device(v)
    v.set_defaults(func=run)


def run(args) -> None:
    import torch

    import gankit
    import gankit.latent as latent
    from gankit import images
    from gankit.files import atomic_path

    run = gankit.load(args.run, device=args.device)
    args.label = options.label(run, args.label)
    out = Path(args.out or Path(args.run) / "latent" / "invert.png")
    options.refuse_existing([out] + ([Path(args.codes)] if args.codes else []), args.force)
    x = latent.read_images(args.images, run)
    inv = latent.invert(run, x, label=args.label, **options.inversion_settings(args))
    pairs = torch.stack([x, inv.reconstructions], dim=1).flatten(0, 1)
    images.save_grid(images.enlarge(pairs, 2), out, nrow=2 * min(len(x), 8))
    if args.codes:
        from safetensors.torch import save_file

        with atomic_path(args.codes) as tmp:
            save_file({"z": inv.z.contiguous()}, str(tmp))
    report = {"method": inv.method, "images": [
        {"image": p, "mse": round(m, 6), "psnr_db": round(s, 2)} for p, m, s in
        zip(args.images, inv.mse.tolist(), inv.psnr.tolist())],
        "mean_mse": inv.mse.mean().item(), "mean_psnr_db": inv.psnr.mean().item(), "picture": str(out)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for item in report["images"]:
        print(f"{item['image']}: mse {item['mse']:.5f}  psnr {item['psnr_db']:.1f} dB")
    print(f"{inv.method}: mean mse {report['mean_mse']:.5f} (pixels in [0, 1]), "
          f"mean psnr {report['mean_psnr_db']:.1f} dB\n{out}")


