"""'Which is real?': start a game, deal its rounds, serve a round's two pictures, check and store the answers, and
the accuracy per run over every game stored. What the browser may see before answering: gankit.serve.game."""
from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

import torch

from fastapi import APIRouter, Path, Response

from gankit.serve import game as gamelib
from gankit.serve.catalog import ServedRun
from gankit.serve.deps import Runs, TheGame, TheGames, ThePool
from gankit.serve.errors import Busy
from gankit.serve.pool import Pool
from gankit.serve.schemas import (ERRORS, MAX_ID, MAX_SEED, NO_STORE, PNG, Answer, Dealt, GameStart, GameStarted,
                                  Results, Verdict)

router = APIRouter(prefix="/api/game", tags=["game"], responses=ERRORS)
AHEAD = 10  # fakes drawn per call of the net: one batch costs about as much as two single samples


async def draw_fakes(game: gamelib.Game, served: ServedRun, pool: Pool, n: int) -> None:
    # From the OS's randomness, not torch's global generator, which lab sessions seed and which is predictable.
    seed = secrets.randbelow(MAX_SEED + 1)
    # A conditional run draws a class at random for each: without a label it would always draw its first classes.
    k = served.run.num_classes
    labels = torch.tensor([secrets.randbelow(k) for _ in range(n)]) if k else None
    try:
        game.fakes.extend(await pool.run(lambda: served.run.sample(n, seed=seed, label=labels)))
    finally:
        game.drawing = None


def draw_ahead(game: gamelib.Game, served: ServedRun, pool: Pool) -> None:
    """Start drawing the next batch in the background unless one is drawn, being drawn, or not needed."""
    left = game.rounds - len(game.played) - len(game.fakes)
    if game.drawing is None and left > 0 and len(game.fakes) < 2:
        game.drawing = asyncio.ensure_future(draw_fakes(game, served, pool, min(AHEAD, left)))
        game.drawing.add_done_callback(lambda task: task.cancelled() or task.exception())  # Busy: retried at deal


async def next_fake(game: gamelib.Game, served: ServedRun, pool: Pool) -> torch.Tensor:
    while not game.fakes:
        draw_ahead(game, served, pool)
        if game.drawing is None:
            raise Busy()
        await asyncio.shield(game.drawing)  # a player who leaves does not cancel the batch the next round needs
    return game.fakes.pop(0)


@router.post("", summary="Start a game of 'which is real?' on a run", response_model=GameStarted)
async def start(body: GameStart, catalog: Runs, games: TheGames, pool: ThePool) -> GameStarted:
    served = catalog.get(body.run, "image")
    real_pool = served.game_images()  # a run without real images (data passed from Python) cannot be played
    game = games.start(served.name, body.rounds, served.held_out, len(real_pool))
    draw_ahead(game, served, pool)
    return GameStarted(game=game.id, rounds=game.rounds, run=served.name, held_out=served.held_out,
                       real_source=served.real_source, chance=gamelib.CHANCE, human_baseline=gamelib.HUMAN_BASELINE)


@router.post("/{game_id}/round", summary="Deal the next round: two image URLs in random order",
             response_model=Dealt)
async def deal(game: TheGame, catalog: Runs, games: TheGames, pool: ThePool, response: Response) -> Dealt:
    served = catalog.get(game.run)
    games.check_dealable(game)
    fake = await next_fake(game, served, pool)
    index = game.real_order[len(game.played) % len(game.real_order)]
    r = games.new_round(game, served.game_images()[index], index, fake)
    draw_ahead(game, served, pool)  # the next batch is drawn while the player looks at this round
    response.headers.update(NO_STORE)
    return Dealt(round=r.number, of=game.rounds, images=[f"/api/game/image/{token}" for token in r.images])


@router.get("/image/{token}", summary="One picture of a round", response_class=Response, responses=PNG)
def image(token: Annotated[str, Path(max_length=MAX_ID)], games: TheGames) -> Response:
    return Response(games.image(token), media_type="image/png", headers=NO_STORE)


@router.post("/{game_id}/answer", summary="Answer a round: checked here, stored in the results",
             response_model=Verdict)
def answer(body: Answer, game: TheGame, games: TheGames) -> Verdict:
    r, correct = games.answer(game, body.round, body.choice)
    return Verdict(correct=correct, real=r.real_side, score=gamelib.score(game.correct, game.answered),
                   done=game.answered >= game.rounds)


@router.get("/results", summary="Accuracy per run over every game stored", response_model=Results)
def results(games: TheGames) -> Results:
    return Results(runs=games.results.per_run(), chance=gamelib.CHANCE, human_baseline=gamelib.HUMAN_BASELINE)
