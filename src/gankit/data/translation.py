"""Image-to-image translation data: two domains (paired or not) or many, built in or read from a folder.

Built in, offline, from the 5000 embedded MNIST digits and scikit-image's photographs (gankit.data.photos):

  edges2digits   paired     A: the digit's Sobel edges (1 channel)     B: the digit (1 channel)          pix2pix
  digits2colour  unpaired   A: digits (1 channel)                      B: colour digits (3 channels)     CycleGAN
  colourise      paired     A: a colour digit in grey (1 channel)      B: that colour digit (3 channels) pix2pix
  digit-styles   5 domains  plain, inverse, colour, outline, photo (3 channels each, see DIGIT_STYLES)   StarGAN

Colour digits are MNIST-M (Ganin et al. 2016, section 5.1): out = |patch - digit| per channel, over a random
28x28 patch of a real photograph. In digits2colour, A and B are drawn from two disjoint halves of the digits, so
no pair exists; digit-styles gives each digit one style only, for the same reason.
Splits: test = the 1000 digits the shipped digits classifier never saw (weights/digits-classifier-holdout.safetensors),
train = the other 4000; the photographs are split too (see gankit.data.photos). Each built-in is a deterministic
function of (split, seed), and its images come in a seeded random order (the digits file is sorted by class).

Folders, in the layouts of the authors' repositories:

  unpaired      ROOT/trainA/ ROOT/trainB/ (+ testA/ testB/)                        CycleGAN
  paired        ROOT/train/ (+ test/) of side-by-side AB images, A left            pix2pix
                ROOT/A/ and ROOT/B/ with matching file names, or A/train/, B/train/ (+ test/) inside them
  many domains  ROOT/<domain>/... or ROOT/train/<domain>/ (+ ROOT/test/<domain>/)  StarGAN

Images are scaled so their shorter side is `image_size` and centre-cropped (the first image's shorter side when it is
None); `channels` None keeps each domain's own (1 for gray files, 3 for colour; a domain that mixes them is an error).
"""
from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from safetensors.torch import load_file
from scipy import ndimage

from gankit.data.digits import load_digits
from gankit.data.folder import MODES, image_files
from gankit.data.load import _chunked, _resize, _to_gray
from gankit.data.photos import photo_patches
from gankit.errors import GankitError

BUILTIN_TRANSLATION = ("edges2digits", "digits2colour", "colourise", "digit-styles")
DIGIT_STYLES = ("plain", "inverse", "colour", "outline", "photo")
SPLITS = ("train", "test")
EDGE_THRESHOLD = 0.5  # an edge: Sobel gradient magnitude above this share of the image's largest
# The stroke colours of style "colour": the six saturated hues (and white is style "plain").
PALETTE = np.array([[255, 0, 0], [0, 255, 0], [0, 96, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]], np.float32)
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")  # Pillow modes of one-channel files


@dataclass
class TranslationData:
    a: torch.Tensor                  # uint8 (N, C, H, W): domain A (multi-domain: every image)
    b: torch.Tensor | None           # uint8 (M, C2, H, W): domain B; None for multi-domain data
    paired: bool                     # a[i] and b[i] are one pair (then N == M)
    a_labels: torch.Tensor | None    # int64 (N,): the digit/garment class of each a, for measurement only
    b_labels: torch.Tensor | None    # int64 (M,)
    domains: list[str] | None        # multi-domain: the domain names
    a_domain: torch.Tensor | None    # int64 (N,): each a's domain index (multi-domain)
    name: str

    def describe(self) -> str:
        """One line saying what was found (`gankit make-data` prints it)."""
        def shape(x):
            return f"{x.shape[-1]}x{x.shape[-2]} {'gray' if x.shape[1] == 1 else 'RGB'}"
        if self.domains is not None:
            return f"{len(self.a)} images in {len(self.domains)} domains ({', '.join(self.domains)}), {shape(self.a)}"
        kind = "pairs" if self.paired else "unpaired images"
        return f"{len(self.a)} A / {len(self.b)} B {kind}, A {shape(self.a)}, B {shape(self.b)}"


def load_translation(source: str, split: str = "train", image_size: int | None = None, channels: int | None = None,
                     n: int | None = None, seed: int = 0, min_size: int | None = None) -> TranslationData:
    """A built-in (BUILTIN_TRANSLATION) or a folder in one of the layouts above, as uint8 tensors.

    image_size / channels: resize to image_size x image_size; convert every domain to 1 (gray) or 3 (RGB) channels.
    n: a seeded random n images of each domain (paired data: n pairs). seed: also what varies a built-in's rendering.
    min_size: the smallest side the nets take; smaller images are an error (set image_size to upscale them).
    """
    source = str(source)
    if split not in SPLITS:
        raise GankitError(f"unknown split '{split}'; choose train or test")
    if channels not in (None, 1, 3):
        raise GankitError(f"data.channels must be 1 (grayscale) or 3 (RGB), not {channels}")
    if image_size is not None and image_size < 1:
        raise GankitError(f"data.image_size must be a positive number of pixels, not {image_size}")
    if n is not None and n < 1:
        raise GankitError(f"data.n must be at least 1, not {n}")
    if source in BUILTIN_TRANSLATION:
        data = BUILDERS[source](split, seed)
        data = _convert(data, image_size, channels)
    elif Path(source).is_dir():
        data = _load_layout(Path(source), split, image_size, channels)
    else:
        raise GankitError(f"translation data '{source}' is neither a built-in ({', '.join(BUILTIN_TRANSLATION)}) "
                          f"nor an existing folder")
    if min_size is not None and data.a.shape[-1] < min_size:
        side = data.a.shape[-1]
        raise GankitError(f"images of {source} are {side}x{side} but the nets need at least {min_size}x{min_size}; "
                          f"set data.image_size to {min_size} or more")
    return data if n is None else _subset(data, n, seed)


# ----------------------------------------------------------------------------------------------- built-in data --

def digit_split(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The embedded digits of a split: test = the 1000 held out from the shipped digits classifier, train = the rest
    (so the classifier's verdict on test images, real or translated, is on digits it never saw)."""
    x, y, in_test = _digits_and_split()
    keep = in_test if split == "test" else ~in_test
    return x[keep], y[keep]


@functools.cache
def _digits_and_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The digits, their labels, and which are held out; parsed once per process (indexing copies, so no caller
    can change them)."""
    data = load_digits()
    weights = resources.files("gankit").joinpath("weights", "digits-classifier-holdout.safetensors")
    with resources.as_file(weights) as path:
        held = load_file(str(path))["index"]
    in_test = torch.zeros(len(data), dtype=torch.bool)
    in_test[held] = True
    return data.x, data.y, in_test


def sobel_edges(x: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 1, H, W) -> white edges on black: where the Sobel gradient magnitude exceeds EDGE_THRESHOLD of the
    image's largest. A stroke gives its two outlines, as an edge map of a photograph does (pix2pix's edges2shoes)."""
    out = np.zeros(x.shape, dtype=np.uint8)
    for i, image in enumerate(x[:, 0].numpy().astype(np.float32)):
        magnitude = np.hypot(ndimage.sobel(image, 0), ndimage.sobel(image, 1))
        out[i, 0] = (magnitude > EDGE_THRESHOLD * magnitude.max()) * 255 if magnitude.max() > 0 else 0
    return torch.from_numpy(out)


def mnist_m(x: torch.Tensor, patches: np.ndarray) -> torch.Tensor:
    """uint8 digits (N, 1, H, W) blended over uint8 patches (N, H, W, 3): |patch - digit| per channel, Ganin et al.
    2016's formula for MNIST-M."""
    digit = x.permute(0, 2, 3, 1).numpy().astype(np.int16)
    return torch.from_numpy(np.abs(patches.astype(np.int16) - digit).astype(np.uint8)).permute(0, 3, 1, 2).contiguous()


def colour_digits(x: torch.Tensor, split: str, rng: np.random.Generator) -> torch.Tensor:
    """MNIST-M versions of digits x, over patches of the split's part of the photographs."""
    return mnist_m(x, photo_patches(len(x), x.shape[-1], split, rng))


def styled_digits(x: torch.Tensor, style: str, split: str, rng: np.random.Generator) -> torch.Tensor:
    """uint8 digits (N, 1, H, W) drawn in one of DIGIT_STYLES, as uint8 (N, 3, H, W)."""
    if style == "plain":      # white on black, as MNIST
        out = x
    elif style == "inverse":  # black on white
        out = 255 - x
    elif style == "colour":   # a saturated stroke colour per image, on black
        colour = torch.from_numpy(PALETTE[rng.integers(len(PALETTE), size=len(x))]).view(-1, 3, 1, 1)
        return (x.float() / 255 * colour).round().to(torch.uint8)
    elif style == "outline":
        out = sobel_edges(x)
    elif style == "photo":
        return colour_digits(x, split, rng)
    else:
        raise GankitError(f"unknown digit style '{style}'; choose from {', '.join(DIGIT_STYLES)}")
    return out.expand(-1, 3, -1, -1).contiguous()


def _rng(seed: int, split: str, purpose: int) -> np.random.Generator:
    # One stream per (seed, split, purpose): the test split does not shift when the train split's recipe changes.
    return np.random.default_rng([seed, SPLITS.index(split), purpose])


def _shuffled_digits(split: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = digit_split(split)
    order = torch.from_numpy(_rng(seed, split, 0).permutation(len(x)))
    return x[order], y[order]


def _edges2digits(split: str, seed: int) -> TranslationData:
    x, y = _shuffled_digits(split, seed)
    return TranslationData(sobel_edges(x), x, True, y, y, None, None, "edges2digits")


def _digits2colour(split: str, seed: int) -> TranslationData:
    x, y = _shuffled_digits(split, seed)
    half = len(x) // 2  # A and B hold different digits: CycleGAN must learn without pairs
    b = colour_digits(x[half:], split, _rng(seed, split, 1))
    return TranslationData(x[:half], b, False, y[:half], y[half:], None, None, "digits2colour")


def _colourise(split: str, seed: int) -> TranslationData:
    x, y = _shuffled_digits(split, seed)
    b = colour_digits(x, split, _rng(seed, split, 1))
    return TranslationData(_to_gray(b), b, True, y, y, None, None, "colourise")


def _digit_styles(split: str, seed: int) -> TranslationData:
    x, y = _shuffled_digits(split, seed)
    domain = torch.arange(len(x)) % len(DIGIT_STYLES)  # the order is random, so this is a random balanced choice
    a = torch.empty(len(x), 3, *x.shape[-2:], dtype=torch.uint8)
    rng = _rng(seed, split, 1)
    for d, style in enumerate(DIGIT_STYLES):
        a[domain == d] = styled_digits(x[domain == d], style, split, rng)
    return TranslationData(a, None, False, y, None, list(DIGIT_STYLES), domain, "digit-styles")


BUILDERS = {"edges2digits": _edges2digits, "digits2colour": _digits2colour, "colourise": _colourise,
            "digit-styles": _digit_styles}


# ------------------------------------------------------------------------------------------------ folder layouts --

def _load_layout(root: Path, split: str, image_size: int | None, channels: int | None) -> TranslationData:
    subfolders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if {"trainA", "trainB", "testA", "testB"} & set(subfolders):
        return _unpaired(root, split, image_size, channels)
    if {"A", "B"} & set(subfolders):
        return _paired_folders(root, split, image_size, channels)
    if split in subfolders or "train" in subfolders:
        if split not in subfolders:
            raise GankitError(f"folder '{root}' has no {split}/ sub-folder for the {split} split")
        inside = root / split
        if any(p.is_dir() and not p.name.startswith(".") for p in inside.iterdir()):
            return _domains(inside, root / ("test" if split == "train" else "train"), image_size, channels)
        return _side_by_side(inside, image_size, channels)
    if len(subfolders) >= 2:
        if split != "train":
            raise GankitError(f"folder '{root}' holds one sub-folder per domain and no test split; put the domains "
                              f"in {root}/train/ and {root}/test/ for one")
        return _domains(root, None, image_size, channels)
    raise GankitError(f"folder '{root}' is in no translation layout: expected trainA/ and trainB/ (unpaired), "
                      f"train/ of side-by-side AB images or A/ and B/ (paired), or one sub-folder per domain")


def _unpaired(root: Path, split: str, image_size, channels) -> TranslationData:
    a, b = root / f"{split}A", root / f"{split}B"
    for have, lack in ((a, b), (b, a)):
        if not lack.is_dir():
            got = f"has {have.name}/ but no {lack.name}/" if have.is_dir() else f"has no {a.name}/ or {b.name}/"
            raise GankitError(f"folder '{root}' {got}: unpaired data needs both (CycleGAN's layout trainA/ trainB/ "
                              f"testA/ testB/)")
    a_files, b_files = image_files(a, "folder"), image_files(b, "folder")
    size = image_size or _shorter_side(a_files[0])
    return TranslationData(_read(a_files, a, size, channels), _read(b_files, b, size, channels), False,
                           None, None, None, None, "folder")


def _paired_folders(root: Path, split: str, image_size, channels) -> TranslationData:
    a, b = root / "A", root / "B"
    if not (a.is_dir() and b.is_dir()):
        raise GankitError(f"folder '{root}' has {'A' if a.is_dir() else 'B'}/ but no {'B' if a.is_dir() else 'A'}/: "
                          f"paired data needs both, with matching file names")
    if (a / "train").is_dir() or (a / "test").is_dir():  # pix2pix's A/train, B/train, A/test, B/test
        a, b = a / split, b / split
        if not (a.is_dir() and b.is_dir()):
            raise GankitError(f"folder '{root}' has no A/{split}/ and B/{split}/ for the {split} split")
    elif split != "train":
        raise GankitError(f"folder '{root}' has no test split; put the pairs in A/train/, A/test/, B/train/, B/test/")
    a_files, b_files = image_files(a, "folder"), image_files(b, "folder")
    a_names = {f.relative_to(a).with_suffix(""): f for f in a_files}
    b_names = {f.relative_to(b).with_suffix(""): f for f in b_files}
    for one, other, in_one, in_other in ((a, b, a_names, b_names), (b, a, b_names, a_names)):
        alone = sorted(set(in_one) - set(in_other))
        if alone:
            raise GankitError(f"'{one}' and '{other}' do not pair up: {len(alone)} of the {len(in_one)} files in "
                              f"{one.name}/ have no file of the same name in {other.name}/ (e.g. "
                              f"'{in_one[alone[0]].relative_to(one)}')")
    names = sorted(a_names)
    size = image_size or _shorter_side(a_files[0])
    return TranslationData(_read([a_names[k] for k in names], a, size, channels),
                           _read([b_names[k] for k in names], b, size, channels), True, None, None, None, None,
                           "folder")


def _side_by_side(folder: Path, image_size, channels) -> TranslationData:
    files = image_files(folder, "folder")
    with Image.open(files[0]) as first:
        size = image_size or min(first.width // 2, first.height)
    a = _read(files, folder, size, channels, half=0)
    b = _read(files, folder, size, channels, half=1)
    return TranslationData(a, b, True, None, None, None, None, "folder")


def _domains(folder: Path, other_split: Path | None, image_size, channels) -> TranslationData:
    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(names) < 2:
        raise GankitError(f"folder '{folder}' has {len(names)} domain sub-folder(s); many-domain data needs two or "
                          f"more")
    if other_split is not None and other_split.is_dir():
        others = sorted(p.name for p in other_split.iterdir() if p.is_dir() and not p.name.startswith("."))
        if others != names:
            raise GankitError(f"the domains of '{folder}' ({', '.join(names)}) differ from those of '{other_split}' "
                              f"({', '.join(others)}); both splits need the same domain sub-folders")
    files = {name: image_files(folder / name, "folder") for name in names}
    size = image_size or _shorter_side(files[names[0]][0])
    if channels is None:  # one tensor holds every domain, so they must agree
        found = {name: _channels(f, folder / name) for name, f in files.items()}
        if len(set(found.values())) > 1:
            listing = ", ".join(f"{name} {'gray' if c == 1 else 'RGB'}" for name, c in found.items())
            raise GankitError(f"the domains of '{folder}' mix gray and colour images ({listing}); convert them or "
                              f"set data.channels")
        channels = found[names[0]]
    parts = [_read(files[name], folder / name, size, channels) for name in names]
    domain = torch.cat([torch.full((len(p),), d, dtype=torch.int64) for d, p in enumerate(parts)])
    return TranslationData(torch.cat(parts), None, False, None, None, names, domain, "folder")


def _shorter_side(path: Path) -> int:
    with Image.open(path) as image:
        return min(image.size)


def _channels(files: list[Path], folder: Path) -> int:
    """1 if every file is gray, 3 if every file is colour; a folder that mixes them is an error."""
    gray = 0
    for f in files:
        try:
            with Image.open(f) as image:  # reads the header only
                gray += image.mode in GRAY_MODES
        except (OSError, ValueError, Image.DecompressionBombError):
            raise GankitError(f"image {f} cannot be read") from None
    if 0 < gray < len(files):
        raise GankitError(f"folder '{folder}' mixes gray and colour images ({gray} gray, {len(files) - gray} "
                          f"colour); convert them or set data.channels")
    return 1 if gray else 3


def _read(files: list[Path], folder: Path, size: int, channels: int | None, half: int | None = None) -> torch.Tensor:
    """Files decoded into uint8 (N, C, size, size): shorter side scaled to size, centre-cropped. half 0 / 1: the
    left / right half of each file (side-by-side AB pairs)."""
    channels = channels or _channels(files, folder)
    pixels = np.empty((len(files), size, size, channels), dtype=np.uint8)

    def decode_into(i: int) -> None:
        try:
            with Image.open(files[i]) as image:
                image = ImageOps.exif_transpose(image).convert(MODES[channels])
                if half is not None:
                    width = image.width // 2
                    image = image.crop((half * width, 0, (half + 1) * width, image.height))
                fitted = ImageOps.fit(image, (size, size), Image.Resampling.BICUBIC)
                pixels[i] = np.asarray(fitted).reshape(size, size, channels)
        except (OSError, ValueError, Image.DecompressionBombError):  # a corrupt file fails anywhere in a decoder
            raise GankitError(f"image {files[i]} cannot be read; remove or fix it") from None

    # Pillow releases the GIL for much of decoding and resizing, as in gankit.data.folder. Unlike there, a bad file
    # is an error, not skipped: paired data would lose its pairing, and the domains their balance.
    with ThreadPoolExecutor() as pool:
        list(pool.map(decode_into, range(len(files))))
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()


# ------------------------------------------------------------------------------------------ conversion, subsets --

def _convert(data: TranslationData, image_size: int | None, channels: int | None) -> TranslationData:
    def convert(x: torch.Tensor | None) -> torch.Tensor | None:
        if x is None:
            return None
        if channels is not None and channels < x.shape[1]:
            x = _chunked(_to_gray, x)
        if image_size is not None and x.shape[-2:] != (image_size, image_size):
            x = _chunked(lambda chunk: _resize(chunk, image_size), x)
        if channels is not None and channels > x.shape[1]:
            x = x.expand(-1, channels, -1, -1).contiguous()
        return x
    return replace(data, a=convert(data.a), b=convert(data.b))


def _subset(data: TranslationData, n: int, seed: int) -> TranslationData:
    """A seeded n of each domain (n pairs of paired data), kept in order."""
    generator = torch.Generator().manual_seed(seed)

    def choose(count: int, what: str) -> torch.Tensor:
        if n > count:
            raise GankitError(f"data.n is {n} but {data.name} has only {count} {what}")
        return torch.randperm(count, generator=generator)[:n].sort().values

    def take(x, index):
        return None if x is None else x[index]

    if data.domains is not None:
        keep = torch.cat([(data.a_domain == d).nonzero().flatten()[choose(int((data.a_domain == d).sum()),
                                                                            f"images in domain {name}")]
                          for d, name in enumerate(data.domains)]).sort().values
        return replace(data, a=data.a[keep], a_labels=take(data.a_labels, keep), a_domain=data.a_domain[keep])
    a_keep = choose(len(data.a), "pairs" if data.paired else "A images")
    b_keep = a_keep if data.paired else choose(len(data.b), "B images")
    return replace(data, a=data.a[a_keep], b=data.b[b_keep], a_labels=take(data.a_labels, a_keep),
                   b_labels=take(data.b_labels, b_keep))
