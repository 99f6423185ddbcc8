"""The lookups routes share, as FastAPI dependencies: the app's services, "an image run" named in the query, "a run"
named in the path, "a game" by its id. A name or id the server does not know is a 404 (gankit.serve.errors)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from gankit.serve.catalog import Catalog, ServedRun
from gankit.serve.game import Game, Games
from gankit.serve.lab import Lab
from gankit.serve.pool import Pool
from gankit.serve.schemas import MAX_ID, MAX_NAME


def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


def get_games(request: Request) -> Games:
    return request.app.state.games


def get_lab(request: Request) -> Lab:
    return request.app.state.lab


def get_pool(request: Request) -> Pool:
    return request.app.state.pool


def get_lab_pool(request: Request) -> Pool:
    return request.app.state.lab_pool


Runs = Annotated[Catalog, Depends(get_catalog)]
TheGames = Annotated[Games, Depends(get_games)]
TheLab = Annotated[Lab, Depends(get_lab)]
ThePool = Annotated[Pool, Depends(get_pool)]
TheLabPool = Annotated[Pool, Depends(get_lab_pool)]


def image_run(catalog: Runs, run: Annotated[str, Query(max_length=MAX_NAME, description="a run's folder name")]
              ) -> ServedRun:
    return catalog.get(run, "image")


def named_run(catalog: Runs, name: Annotated[str, Path(max_length=MAX_NAME)]) -> ServedRun:
    return catalog.get(name)


def game(games: TheGames, game_id: Annotated[str, Path(max_length=MAX_ID)]) -> Game:
    return games.get(game_id)


ImageRun = Annotated[ServedRun, Depends(image_run)]
NamedRun = Annotated[ServedRun, Depends(named_run)]
TheGame = Annotated[Game, Depends(game)]
SessionId = Annotated[str, Path(max_length=MAX_ID)]
