import json

import pytest

from gankit.errors import GankitError
from gankit.runlog import append_log, read_log, repair_log

RECORDS = [{"step": s, "loss_d": 1.0 / s} for s in range(1, 6)]
WHOLE = "".join(json.dumps(r) + "\n" for r in RECORDS)


def write_log(run, text):
    run.mkdir(exist_ok=True)
    (run / "metrics.jsonl").write_bytes(text.encode() if isinstance(text, str) else text)


def test_a_run_without_a_log_has_no_records(tmp_path):
    assert read_log(tmp_path) == [] and repair_log(tmp_path) == []


def test_records_come_back_as_they_were_appended(tmp_path):
    append_log(tmp_path, RECORDS[:2])
    append_log(tmp_path, RECORDS[2:])
    assert read_log(tmp_path) == RECORDS
    assert (tmp_path / "metrics.jsonl").read_text() == WHOLE


# A crash mid-append leaves part of a line (no newline), or, after power loss on some file systems, zeros.
TORN = {"half a line": b'{"step": 6, "loss_d": 0.1', "half a number": b'{"step": 6', "zeros": bytes(12),
        "half a character": '{"step": 6, "note": "\u00e9'.encode()[:-1]}


@pytest.mark.parametrize("tail", TORN)
def test_a_torn_last_line_is_skipped_by_read_log_and_removed_by_repair_log(tmp_path, tail):
    write_log(tmp_path, WHOLE.encode() + TORN[tail])
    assert read_log(tmp_path) == RECORDS
    assert repair_log(tmp_path) == RECORDS
    assert (tmp_path / "metrics.jsonl").read_text() == WHOLE


def test_a_complete_last_record_without_its_newline_is_kept(tmp_path):
    write_log(tmp_path, WHOLE.rstrip("\n"))
    assert read_log(tmp_path) == RECORDS
    assert repair_log(tmp_path) == RECORDS and (tmp_path / "metrics.jsonl").read_text() == WHOLE


def test_a_damaged_line_in_the_middle_is_a_one_line_error_naming_it(tmp_path):
    lines = WHOLE.splitlines(keepends=True)
    write_log(tmp_path, "".join(lines[:2]) + '{"step": 3, "los\n' + "".join(lines[3:]))
    for read in (read_log, repair_log):
        with pytest.raises(GankitError, match=r"metrics.jsonl line 3 is not a JSON record") as e:
            read(tmp_path)
        assert "\n" not in str(e.value)


def test_appending_after_a_torn_tail_never_glues_onto_it(tmp_path):
    write_log(tmp_path, WHOLE[:-1] + '\n{"step": 6, "lo')
    append_log(tmp_path, [{"step": 6, "loss_d": 0.5}])
    assert read_log(tmp_path) == RECORDS + [{"step": 6, "loss_d": 0.5}]
    assert (tmp_path / "metrics.jsonl").read_text().endswith('\n{"step": 6, "loss_d": 0.5}\n')


def test_repair_log_keeps_the_records_up_to_a_step(tmp_path):
    write_log(tmp_path, WHOLE + '{"step": 6, "lo')
    assert repair_log(tmp_path, up_to_step=3) == RECORDS[:3]
    assert read_log(tmp_path) == RECORDS[:3]
    assert (tmp_path / "metrics.jsonl").read_text() == "".join(WHOLE.splitlines(keepends=True)[:3])


def test_repair_log_leaves_an_intact_log_untouched(tmp_path):
    write_log(tmp_path, WHOLE)
    before = (tmp_path / "metrics.jsonl").stat().st_ino  # an atomic rewrite would make a new file
    assert repair_log(tmp_path, up_to_step=5) == RECORDS
    assert (tmp_path / "metrics.jsonl").stat().st_ino == before
