"""What the JSON API takes and gives: request bodies with a bound on every field (FastAPI answers 422 naming the
field and the limit) and the response models /docs shows. The lab's settings are gankit.serve.lab.LabSettings."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from gankit.serve.game import MAX_ROUNDS

MAX_SEED = 2**32 - 1          # seeds travel in URLs and JavaScript numbers
MAX_GRID = 64
MAX_SCALE = 16
MAX_INDEX = 10_000            # held-out image indices and class labels
MAX_NAME = 200                # characters of a run's name
MAX_ID = 64                   # characters of a game's or a lab session's id (they are 16-22)
MAX_INPAINT_ITERS = 500


# -- requests -------------------------------------------------------------------------------------------------------
class GameStart(BaseModel):
    run: str = Field(max_length=MAX_NAME)
    rounds: int = Field(10, ge=1, le=MAX_ROUNDS)


class Answer(BaseModel):
    round: int = Field(ge=1, le=MAX_ROUNDS)
    choice: int = Field(ge=0, le=1, description="0: the left image is real; 1: the right one")


class InpaintRequest(BaseModel):
    run: str = Field(max_length=MAX_NAME)
    index: int = Field(0, ge=0, le=MAX_INDEX, description="which held-out image (see /api/inpaint/images)")
    mask: str = Field(max_length=256 * 256, description="H*W characters, 1 known / 0 hole, row by row")
    iters: int = Field(200, ge=0, le=MAX_INPAINT_ITERS,
                       description="Adam steps on z; 0 with a learned prior: its prediction alone")
    seed: int = Field(0, ge=0, le=MAX_SEED)


class LabControl(BaseModel):
    action: Literal["run", "pause", "step"]
    steps: int = Field(1, ge=1, le=100, description="for step: how many D steps")


# -- responses ------------------------------------------------------------------------------------------------------
class ErrorMessage(BaseModel):
    detail: str = Field(description="one line saying what to fix")


class RunInfo(BaseModel):
    name: str = Field(description="the run folder's name: what every request calls it")
    kind: Literal["image", "points"]
    shape: list[int]
    step: int
    z_dim: int
    recipe: str
    arch: str
    data: str
    num_classes: int
    classes: list[str]
    held_out: bool = Field(description="whether the game's real images are ones the run never trained on")
    real_source: str


class RunList(BaseModel):
    runs: list[RunInfo]


class Score(BaseModel):
    answered: int
    correct: int
    accuracy: float | None
    ci95: tuple[float, float] = Field(description="Wilson's 95 % interval of the accuracy")
    chance: float


class GameStarted(BaseModel):
    game: str
    rounds: int
    run: str
    held_out: bool
    real_source: str
    chance: float
    human_baseline: dict[str, float]


class Dealt(BaseModel):
    round: int
    of: int
    images: tuple[str, str] = Field(description="the two pictures' URLs, left and right: opaque tokens")


class Verdict(BaseModel):
    correct: bool
    real: int = Field(description="which side was real: 0 left, 1 right")
    score: Score
    done: bool


class RunResult(Score):
    run: str
    games: int
    first: str
    last: str
    held_out: bool


class Results(BaseModel):
    runs: list[RunResult]
    chance: float
    human_baseline: dict[str, float]


class InpaintImages(BaseModel):
    count: int
    size: int
    held_out: bool
    real_source: str
    prior: bool = Field(description="whether the run has a learned prior (`gankit prior RUN`): fills start from it")


class Inpainted(BaseModel):
    masked: str = Field(description="data: URLs of PNGs")
    filled: str
    generated: str
    psnr: float
    ssim: float
    iters: int
    method: Literal["fast", "prior"] = Field(description="prior when the run has a learned prior, else fast")
    milliseconds: float = Field(description="the server's time for this fill, PNGs included")


class LabOpened(BaseModel):
    session: str


class LabState(BaseModel):
    running: bool
    step: int


NO_STORE = {"Cache-Control": "no-store"}  # never cached: a round's pictures, streams, a training run's grid
PNG = {200: {"content": {"image/png": {}}, "description": "a PNG"}}
EVENTS = {200: {"content": {"text/event-stream": {}}, "description": "server-sent events, one JSON object each"}}
ERRORS = {status: {"model": ErrorMessage, "description": meaning} for status, meaning in (
    (400, "a value the types cannot catch"), (404, "no run, game or session of that name"),
    (409, "not now: the game or session is in another state"),
    (503, "busy: try again after Retry-After seconds"))}
