"""Semantic inpainting with a trained generator: fill the holes of images by a search over z (Yeh et al. 2017),
or faster with Lahiri et al.'s structural loss and best-of-N starts, or from a learned prior E(masked image) -> z
(gankit.inpainting.prior, trained by `gankit prior RUN`; method="prior").

    import gankit
    from gankit.inpainting import inpaint, masks
    run = gankit.load("runs/digits-dcgan-...")
    result = inpaint(run, images, masks.center(28), method="fast", blend=True, originals=images)
    result.filled, result.blended, result.psnr, result.ssim, result.loss

The same on the command line: `gankit inpaint RUN IMAGE... --mask center`. See docs/inpainting.md.
"""
from gankit.inpainting import masks
from gankit.inpainting.blending import poisson_blend
from gankit.inpainting.search import LAMBDA, METHODS, Inpainting, inpaint, quality

__all__ = ["LAMBDA", "METHODS", "Inpainting", "inpaint", "masks", "poisson_blend", "quality"]
