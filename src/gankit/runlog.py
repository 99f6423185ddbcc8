"""RUN/metrics.jsonl, the training log: one JSON record per logged step, each with its "step", appended as training
goes. The one place that reads and writes it.

A crash mid-append (full disk, power loss) can leave a torn last line: readers skip it, writers repair it first.
A damaged line anywhere else is a one-line error naming the line.
"""
from __future__ import annotations

import json
from pathlib import Path

from gankit.errors import GankitError
from gankit.files import write_text

LOG_FILE = "metrics.jsonl"


def _record(line: bytes) -> dict | None:
    try:
        record = json.loads(line.decode("utf-8"))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both
        return None
    return record if isinstance(record, dict) and "step" in record else None


def _parse(path: Path) -> tuple[list[tuple[dict, bytes]], bytes]:
    """Each record with its line, and the file's bytes."""
    data = path.read_bytes()
    lines = [(n, line) for n, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    parsed = []
    for i, (n, line) in enumerate(lines):
        record = _record(line)
        if record is None and i < len(lines) - 1:
            raise GankitError(f"{path} line {n} is not a JSON record with a step; fix or delete that line")
        if record is not None:  # else the last line, torn by a crash mid-append
            parsed.append((record, line))
    return parsed, data


def read_log(run_dir: str | Path) -> list[dict]:
    """The records of RUN/metrics.jsonl, oldest first; [] if there is none."""
    path = Path(run_dir) / LOG_FILE
    return [record for record, _ in _parse(path)[0]] if path.is_file() else []


def repair_log(run_dir: str | Path, up_to_step: int | None = None) -> list[dict]:
    """Drop a torn last line and the records after `up_to_step` (a resumed run trains those steps again); the file is
    rewritten atomically if that changes it. Returns the records kept."""
    path = Path(run_dir) / LOG_FILE
    if not path.is_file():
        return []
    parsed, data = _parse(path)
    kept = [(record, line) for record, line in parsed if up_to_step is None or record["step"] <= up_to_step]
    repaired = b"".join(line + b"\n" for _, line in kept)
    if repaired != data:
        write_text(path, repaired.decode("utf-8"))
    return [record for record, _ in kept]


def append_log(run_dir: str | Path, records: list[dict]) -> None:
    """Append `records`, one line each. A torn last line is repaired first, so no new line is glued onto it."""
    path = Path(run_dir) / LOG_FILE
    if path.is_file() and path.stat().st_size:
        with open(path, "rb") as f:
            f.seek(-1, 2)
            if f.read(1) != b"\n":
                repair_log(run_dir)
    with open(path, "a", encoding="utf-8") as f:
        f.writelines(json.dumps(record) + "\n" for record in records)
