"""'Which is real?': start a game, deal its rounds, serve a round's two pictures, check and store the answers, and
the accuracy per run over every game stored. What the browser may see before answering: gankit.serve.game."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Path, Response

from gankit.serve import game as gamelib
from gankit.serve.deps import Runs, TheGame, TheGames, ThePool
from gankit.serve.schemas import (ERRORS, MAX_ID, MAX_SEED, NO_STORE, PNG, Answer, Dealt, GameStart, GameStarted,
                                  Results, Verdict)

router = APIRouter(prefix="/api/game", tags=["game"], responses=ERRORS)


@router.post("", summary="Start a game of 'which is real?' on a run", response_model=GameStarted)
def start(body: GameStart, catalog: Runs, games: TheGames) -> GameStarted:
    served = catalog.get(body.run, "image")
    real_pool = served.game_images()  # a run without real images (data passed from Python) cannot be played
    game = games.start(served.name, body.rounds, served.held_out, len(real_pool))
    return GameStarted(game=game.id, rounds=game.rounds, run=served.name, held_out=served.held_out,
                       real_source=served.real_source, chance=gamelib.CHANCE, human_baseline=gamelib.HUMAN_BASELINE)


@router.post("/{game_id}/round", summary="Deal the next round: two image URLs in random order",
             response_model=Dealt)
async def deal(game: TheGame, catalog: Runs, games: TheGames, pool: ThePool, response: Response) -> Dealt:
    served = catalog.get(game.run)
    real_pool = served.game_images()
    index = game.real_order[len(game.played) % len(game.real_order)]
    # From the OS's randomness, not torch's global generator, which lab sessions seed and which is predictable.
    seed = secrets.randbelow(MAX_SEED + 1)
    # A conditional run draws a class at random: without a label it would always draw its first class.
    label = secrets.randbelow(served.run.num_classes) if served.run.num_classes else None
    fake = (await pool.run(lambda: served.run.sample(1, seed=seed, label=label)))[0]
    r = games.new_round(game, real_pool[index], index, fake, seed)
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
