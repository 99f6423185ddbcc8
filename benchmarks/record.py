"""A benchmark's figures as JSON: the date, the machine, torch, the arguments and one row per run. Written atomically
(gankit.files.write_text), so a run stopped half-way never leaves half a file; read back by `--merge`."""
from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from pathlib import Path

import torch

from gankit.files import write_text


def save(path: str | Path, args, rows: list[dict]) -> None:
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.machine(),
              "torch": torch.__version__, "args": dict(vars(args)), "rows": rows}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text(Path(path), json.dumps(record, indent=2, default=str) + "\n")


def load(paths: list[str]) -> tuple[dict, list[dict]]:
    """The first file's arguments and every file's rows."""
    records = [json.loads(Path(p).read_text()) for p in paths]
    return records[0]["args"], [row for r in records for row in r["rows"]]
