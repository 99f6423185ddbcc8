"""The pages: Jinja2 templates (gankit/serve/pages/) on one base layout, base.html: the shared head and header with
this page's link marked, the page's own body, its own script (static/<page>.js)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

# page -> its title in the header; each page's body is pages/<page>.html, its script static/<page>.js.
PAGES = {"sample": "This digit does not exist", "walk": "Latent walk", "game": "Which is real?", "lab": "Live lab",
         "inpaint": "Inpaint"}


def package_dir(name: str) -> Path:
    return Path(str(resources.files("gankit.serve").joinpath(name)))


templates = Jinja2Templates(directory=package_dir("pages"))
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def render(request: Request, page: str) -> HTMLResponse:
    return templates.TemplateResponse(request, f"{page}.html",
                                      {"page": page, "title": PAGES.get(page, "gankit"), "pages": PAGES})


@router.get("/")
def index(request: Request) -> HTMLResponse:
    return render(request, "index")


def page_route(page: str):
    def show(request: Request) -> HTMLResponse:
        return render(request, page)
    return show


for _page in PAGES:
    router.add_api_route(f"/{_page}", page_route(_page), name=_page)
