"""'Which is real?': a real image the run never trained on beside a generated one, in random order.

The server alone knows which side is real. A round is sent to the browser as two opaque image URLs (random tokens,
unrelated to the side), both images PNG-encoded the same way at the same size (gankit.serve.pictures: same byte
length), served with the same headers, and rendered before the round is announced, so neither the time to fetch an
image nor anything else the browser sees before answering depends on which is real. The answer is checked here and
stored in SQLite, one row per answer, so a teacher can read the class's accuracy per run afterwards
(`gankit serve --results`).

The baseline to set beside the score: people told StyleGAN2 faces from real ones 48.2 % of the time without training
and 59.0 % after training with feedback (Nightingale & Farid 2022, PNAS 119(8)); 50 % is chance.
"""
from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gankit.errors import GankitError
from gankit.serve.errors import Conflict, NotFound
from gankit.serve.pictures import png_bytes

RESULTS_FILE = "results.sqlite3"
MAX_ROUNDS = 50           # rounds in one game
MAX_OPEN_GAMES = 1000     # games kept in memory (about 2 kB each); the oldest are forgotten first
CHANCE = 0.5
HUMAN_BASELINE = {"untrained": 0.482, "trained with feedback": 0.59}  # Nightingale & Farid 2022, StyleGAN2 faces


def wilson_interval(correct: int, answered: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (scipy's binomtest), which stays inside [0, 1] for small n."""
    if answered == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    ci = binomtest(correct, answered).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def score(correct: int, answered: int) -> dict:
    low, high = wilson_interval(correct, answered)
    return {"answered": answered, "correct": correct, "accuracy": correct / answered if answered else None,
            "ci95": [low, high], "chance": CHANCE}


@dataclass
class Round:
    number: int
    real_side: int                       # 0 or 1: the secret
    images: dict[str, bytes]             # token -> PNG; tokens in display order
    real_index: int                      # which real image was shown (recorded with the answer)
    answered: bool = False


@dataclass
class Game:
    id: str
    run: str
    rounds: int
    held_out: bool
    # The real images of this game, dealt without replacement: an image seen twice would be the real one.
    real_order: list[int] = field(default_factory=list)
    played: list[Round] = field(default_factory=list)
    correct: int = 0
    created: float = field(default_factory=time.time)
    # Fakes drawn ahead, in batches, while the player looks at the last round (gankit.serve.routers.game).
    fakes: list[torch.Tensor] = field(default_factory=list)
    drawing: object = None                  # the asyncio task drawing the next batch, if one is
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one answer at a time

    @property
    def answered(self) -> int:
        return sum(r.answered for r in self.played)


class Results:
    """The answers, in one SQLite file in the data folder, one row per answer.

    An answer is acknowledged only after its row is committed: WAL journal with synchronous=FULL, so a row the
    browser was told about survives the server being killed (and the machine losing power). A unique index on
    (game, round) makes a second row for the same round impossible, whatever the requests race to do."""

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / RESULTS_FILE
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file: readers never block the writer
            db.execute("""CREATE TABLE IF NOT EXISTS answers (
                            id INTEGER PRIMARY KEY, answered_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                            run TEXT NOT NULL, game TEXT NOT NULL, round INTEGER NOT NULL,
                            choice INTEGER NOT NULL, real_side INTEGER NOT NULL, correct INTEGER NOT NULL,
                            real_index INTEGER NOT NULL, held_out INTEGER NOT NULL)""")
            db.execute("CREATE UNIQUE INDEX IF NOT EXISTS one_answer_per_round ON answers (game, round)")

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA synchronous=FULL")
        return db

    def record(self, game: Game, r: Round, choice: int, correct: bool) -> None:
        """Commit the row (or raise Conflict if the round has one): `with db` commits, or rolls back on error."""
        db = self._connect()
        try:
            with db:
                db.execute("INSERT INTO answers (run, game, round, choice, real_side, correct, real_index, "
                           "held_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (game.run, game.id, r.number, choice, r.real_side, int(correct), r.real_index,
                            int(game.held_out)))
        except sqlite3.IntegrityError:
            raise Conflict(f"round {r.number} was answered already") from None
        finally:
            db.close()

    def per_run(self) -> list[dict]:
        db = self._connect()
        try:
            rows = db.execute("SELECT run, COUNT(DISTINCT game), COUNT(*), SUM(correct), MIN(answered_at), "
                              "MAX(answered_at), MIN(held_out) FROM answers GROUP BY run ORDER BY run").fetchall()
        finally:
            db.close()
        return [{"run": run, "games": games, **score(int(correct), answered), "first": first, "last": last,
                 "held_out": bool(held_out)}
                for run, games, answered, correct, first, last, held_out in rows]


def read_results(data_dir: str | Path) -> list[dict]:
    """The per-run accuracy stored in a data folder (for `gankit serve --results`); an error if there is none."""
    path = Path(data_dir) / RESULTS_FILE
    if not path.is_file():
        raise GankitError(f"no game results in {data_dir} (no {RESULTS_FILE}); play at `gankit serve RUN "
                          f"--data {data_dir}`")
    try:
        return Results(data_dir).per_run()
    except sqlite3.DatabaseError as e:
        raise GankitError(f"{path} is not a gankit results database ({e})") from None


class Games:
    """Open games and their rounds, in memory; answers go to `results`."""

    def __init__(self, results: Results):
        self.results = results
        self.games: OrderedDict[str, Game] = OrderedDict()
        self.images: dict[str, bytes] = {}      # token -> PNG, for the rounds of open games
        self._lock = threading.Lock()

    def start(self, run: str, rounds: int, held_out: bool, pool_size: int) -> Game:
        order = secrets.SystemRandom().sample(range(pool_size), min(rounds, pool_size))
        game = Game(secrets.token_urlsafe(16), run, rounds, held_out, order)
        with self._lock:
            self.games[game.id] = game
            while len(self.games) > MAX_OPEN_GAMES:
                self._forget(self.games.popitem(last=False)[1])
        return game

    def get(self, game_id: str) -> Game:
        game = self.games.get(game_id)
        if game is None:
            raise NotFound("no such game (it ended, or the server restarted): start a new one")
        return game

    @staticmethod
    def check_dealable(game: Game) -> None:
        if game.played and not game.played[-1].answered:
            raise Conflict("answer the current round first")
        if len(game.played) >= game.rounds:
            raise Conflict(f"the game is over: it had {game.rounds} rounds")

    def new_round(self, game: Game, real: torch.Tensor, real_index: int, fake: torch.Tensor) -> Round:
        """`real` uint8 (C, H, W) and `fake` in [-1, 1], placed in an order drawn from the OS's randomness."""
        self.check_dealable(game)
        real_side = secrets.randbelow(2)
        pictures = [png_bytes(fake, compress=False), png_bytes(real, compress=False)]
        if real_side == 0:
            pictures.reverse()
        tokens = {secrets.token_urlsafe(16): picture for picture in pictures}
        r = Round(len(game.played) + 1, real_side, tokens, real_index)
        with self._lock:
            if game.played:  # the browser has shown the last round's pictures: they are no longer fetched
                self._forget_round(game.played[-1])
            game.played.append(r)
            self.images.update(tokens)
        return r

    def image(self, token: str) -> bytes:
        picture = self.images.get(token)
        if picture is None:
            raise NotFound("no such image (its round is over, or it never was)")
        return picture

    def answer(self, game: Game, number: int, choice: int) -> tuple[Round, bool]:
        """Check, store, then count: an answer whose row could not be committed is not counted (and can be sent
        again); two answers to one round racing each other are stopped by the lock, and by the unique index."""
        with game.lock:
            if not 1 <= number <= len(game.played):
                raise Conflict(f"round {number} has not been dealt in this game")
            r = game.played[number - 1]
            if r.answered:
                raise Conflict(f"round {number} was answered already")
            correct = choice == r.real_side
            self.results.record(game, r, choice, correct)
            r.answered = True
            game.correct += correct
        return r, correct

    def _forget(self, game: Game) -> None:
        for r in game.played:
            self._forget_round(r)

    def _forget_round(self, r: Round) -> None:
        for token in r.images:
            self.images.pop(token, None)
