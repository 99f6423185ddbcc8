"""The live lab: GAN Lab's idea (Kahng et al. 2019), driven by gankit's own training step.

Each browser session trains a fresh GANRecipe (the same Algorithm 1 step `gankit train` runs) on 2-D toy data: the
ring of 8 or the grid of 25 Gaussians of the mode-collapse presets, or a mixture around points the user drew. A frame
is what the page draws: G's samples over the data, D's decision surface on a lattice, G's image of a lattice of z,
the gradient of G's loss on each fake (where G's step pushes it), and the losses since the last frame.

A session lives as long as its event stream: the server closes it when the browser goes away, and at most
`max_sessions` train at once.
"""
from __future__ import annotations

import secrets
import threading
import time
from typing import Literal

import torch
from pydantic import BaseModel, Field, field_validator

from gankit.config import TrainConfig
from gankit.data import sample_toy
from gankit.losses import LOSSES, g_loss
from gankit.models import ToyDiscriminator, ToyGenerator
from gankit.recipes import GANRecipe, GANSettings
from gankit.recipes.gan import PROBABILITY_LOSSES
from gankit.serve.errors import BadValue, Conflict, LabFull, NotFound

DATASETS = {"ring": ("ring8", 3.0), "grid": ("grid25", 5.5), "drawn": (None, 3.0)}  # name -> (toy set, view extent)
DRAWN_STD = 0.08          # each drawn point becomes a small Gaussian mode
POOL = 8192               # data points drawn once per session; minibatches are sampled from them
BATCH = 256
SHOWN = 300               # fakes and reals per frame
ARROWS = 80               # fakes with a gradient arrow
HEAT = 40                 # D's surface on a HEAT x HEAT lattice
Z_LATTICE = 11            # G's image of an 11 x 11 lattice of z in [-2.5, 2.5]^2
UNCONNECTED_S = 20.0      # a session whose stream never opens is closed after this long
MAX_SESSION_S = 30 * 60   # a session's stream ends after this long, even if its page never went away
MAX_POINTS = 500          # points a user may draw
EXTENT = 3.0              # drawn points are clamped to [-EXTENT, EXTENT]^2, the drawn set's view


class LabSettings(BaseModel):
    """A session's settings, as the page posts them; each bounded (FastAPI answers 422 naming the field)."""
    dataset: Literal["ring", "grid", "drawn"] = "ring"
    loss: Literal[LOSSES] = "nonsaturating"  # type: ignore[valid-type]
    k: int = Field(1, ge=1, le=10, description="D steps per G step")
    lr: float = Field(1e-3, ge=1e-5, le=0.1)
    r1: float = Field(0.0, ge=0.0, le=10.0, description="gamma of R1 on real data; 0 = off")
    points: list[tuple[float, float]] | None = Field(None, max_length=MAX_POINTS,
                                                      description="the drawn data set: points in [-3, 3]^2")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    steps_per_frame: int = Field(10, ge=1, le=100)

    @field_validator("points")
    @classmethod
    def _clamp(cls, points):
        """Points outside the view are moved to its edge, not refused: a click a pixel outside is still meant."""
        if points is None:
            return None
        return [(max(-EXTENT, min(EXTENT, x)), max(-EXTENT, min(EXTENT, y))) for x, y in points]


class LabSession:
    def __init__(self, s: LabSettings):
        name, self.extent = DATASETS[s.dataset]
        if name is not None:
            self.data = sample_toy(name, POOL, s.seed).x
        else:
            if not s.points:
                raise BadValue("draw some points first: the drawn data set needs at least one")
            centres = torch.tensor(s.points, dtype=torch.float32)
            gen = torch.Generator().manual_seed(s.seed)
            pick = torch.randint(len(centres), (POOL,), generator=gen)
            self.data = centres[pick] + DRAWN_STD * torch.randn(POOL, 2, generator=gen)
        # The toy presets' nets (2-D MLPs), a little narrower so a step costs a few milliseconds.
        train = TrainConfig(loss=s.loss, k=s.k, lr_g=s.lr, lr_d=s.lr, beta1=0.5, beta2=0.999,
                            batch_size=BATCH, channels_last=False, seed=s.seed)
        with torch.random.fork_rng():  # the nets' initial weights follow the seed; the server's RNG is left alone
            torch.manual_seed(s.seed)
            self.recipe = GANRecipe(ToyGenerator(2, 2, 64, 3), ToyDiscriminator(2, 64, 3), train, "cpu",
                                    settings=GANSettings(r1=s.r1))
        self.settings, self.loss = s, s.loss
        self.step = 0
        self.opened = time.monotonic()
        self.running = False
        self.pending = 0          # single steps asked for while paused
        self.curves: list[list[float | None]] = []   # [step, loss_d, loss_g] since the last frame
        self.fixed_z = torch.randn(SHOWN, 2, generator=torch.Generator().manual_seed(s.seed + 1))
        self.gen = torch.Generator().manual_seed(s.seed + 2)
        self._lock = threading.Lock()

    def train(self, steps: int) -> None:
        """`steps` calls of the recipe's train_step: each is one D step, and every k-th is followed by a G step."""
        with self._lock:
            for _ in range(steps):
                x = self.data[torch.randint(len(self.data), (BATCH,), generator=self.gen)]
                out = self.recipe.train_step(x, None, self.step)
                self.step += 1
                loss_g = out.get("loss_g")
                self.curves.append([self.step, round(out["loss_d"].item(), 4),
                                    None if loss_g is None else round(loss_g.item(), 4)])

    def advance(self) -> dict:
        """Train one frame's worth (or the single steps asked for), then draw the frame."""
        steps = self.settings.steps_per_frame if self.running else min(self.pending, 100)
        self.pending -= 0 if self.running else steps
        self.train(steps)
        return self.frame()

    def frame(self) -> dict:
        with self._lock:
            G, D = self.recipe.G, self.recipe.D
            with torch.no_grad():
                fakes = G(self.fixed_z)
                e = self.extent
                axis = torch.linspace(-e, e, HEAT)
                lattice = torch.cartesian_prod(axis, axis).flip(1)  # row-major: y outer, x inner
                surface = D(lattice)
                if self.loss in PROBABILITY_LOSSES:
                    surface = torch.sigmoid(surface)
                zs = torch.linspace(-2.5, 2.5, Z_LATTICE)
                z_image = G(torch.cartesian_prod(zs, zs))
            # Where G's step pushes each fake: minus the gradient of G's loss with respect to the fake point.
            x = fakes[:ARROWS].clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(g_loss(self.loss, D(x)) * ARROWS, x)
            curves, self.curves = self.curves, []
        def r(t: torch.Tensor) -> list:  # three decimals are enough to draw, and keep a frame near 30 kB
            return t.mul(1000).round().div(1000).tolist()
        return {"step": self.step, "running": self.running, "extent": self.extent, "loss": self.loss,
                "probability": self.loss in PROBABILITY_LOSSES, "fakes": r(fakes), "reals": r(self.data[:SHOWN]),
                "heat": r(surface), "heat_size": HEAT, "z_lattice": r(z_image), "z_size": Z_LATTICE,
                "arrows": r(-grad), "curves": curves}


class Lab:
    """The sessions that are training, at most `max_sessions`."""

    def __init__(self, max_sessions: int):
        self.max_sessions = max_sessions
        self.sessions: dict[str, LabSession] = {}
        self.created: dict[str, float] = {}
        self.connected: set[str] = set()
        self._lock = threading.Lock()

    def open(self, settings: LabSettings) -> str:
        with self._lock:
            now = time.monotonic()
            for sid in [s for s in self.sessions if s not in self.connected and now - self.created[s] > UNCONNECTED_S]:
                self._drop(sid)
            if len(self.sessions) >= self.max_sessions:
                raise LabFull(f"{self.max_sessions} lab sessions are running, the most this server allows; "
                              f"try again when one closes")
        session = LabSession(settings)  # outside the lock: building the nets takes a moment
        sid = secrets.token_urlsafe(12)
        with self._lock:
            if len(self.sessions) >= self.max_sessions:
                raise LabFull(f"{self.max_sessions} lab sessions are running, the most this server allows")
            self.sessions[sid], self.created[sid] = session, time.monotonic()
        return sid

    def get(self, sid: str) -> LabSession:
        session = self.sessions.get(sid)
        if session is None:
            raise NotFound("no such lab session (it closed when its page went away): start a new one")
        return session

    def connect(self, sid: str) -> LabSession:
        with self._lock:
            if sid in self.connected:
                raise Conflict("this lab session is already streaming to a page")
            session = self.get(sid)
            self.connected.add(sid)
        return session

    def close(self, sid: str) -> None:
        with self._lock:
            self._drop(sid)

    def _drop(self, sid: str) -> None:
        self.sessions.pop(sid, None)
        self.created.pop(sid, None)
        self.connected.discard(sid)

