"""gankit.cli: one parser for every command, and what main does with what a command raises (one-line errors,
exit statuses, a closed pipe). Each command's own behaviour: tests/commands/."""
import argparse
import json
import subprocess
import sys

import pytest

from commands.command_line import error_line

from gankit.cli import main

TINY = ["--set", "data.n=320", "--set", "model.width=8", "--set", "train.grid_size=16"]


@pytest.mark.slow
def test_a_user_error_in_a_real_process_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gankit.cli", "train", "--set", "train.k=0", "--out",
                           str(tmp_path / "r")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "gankit: error: train.k must be at least 1 (D steps per G step), got 0"
    assert not (tmp_path / "r").exists()


def test_importing_the_cli_does_not_import_torch():
    """`gankit --help` answers in a blink: subcommands import torch inside run() (measured: 2.4 s -> 0.07 s)."""
    code = "import sys, gankit.cli; gankit.cli.build_parser(); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.parametrize("argv, message", [
    (["sample", "RUN", "--n", "0"], "argument --n: must lie in 1..1,000,000, got 0"),
    (["sample", "RUN", "--n", "1e9"], "argument --n: expected a whole number, got '1e9'"),
    (["sample", "RUN", "--seed", str(2**70)], "argument --seed: must lie in 0..9,223,372,036,854,775,807"),
    (["sample", "RUN", "--scale", "100000"], "argument --scale: must lie in 1..16"),
    (["sample", "RUN", "--scale", "0"], "argument --scale: must lie in 1..16"),
    (["eval", "RUN", "--n", "2000000"], "argument --n: must lie in 1..1,000,000"),
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
])
def test_usage_mistakes_are_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in error_line(capsys)


def test_every_command_shares_the_same_options():
    """--n, --seed, --out, --force, --json and --device mean the same wherever they appear: one help text each."""
    from gankit.cli import build_parser

    helps: dict[str, set[str]] = {}
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        for action in parser._actions:
            for flag in action.option_strings:
                helps.setdefault(flag, set()).add((action.help or "").split(" (default")[0].split(":")[0])
    for flag in ("--force", "--json", "--device", "--n"):
        assert len(helps[flag]) == 1, (flag, helps[flag])
    assert {"sample", "eval", "compare", "arithmetic"} <= {n for n, p in sub.choices.items()
                                                           if any("--n" in a.option_strings for a in p._actions)}
    for name in ("train", "info", "eval", "compare", "invert", "arithmetic", "lab", "presets"):
        assert any("--json" in a.option_strings for a in sub.choices[name]._actions), name


@pytest.mark.slow
def test_info_into_a_closed_pipe_ends_quietly(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY]) == 0
    proc = subprocess.run(f"{sys.executable} -m gankit.cli info {run} | head -1", shell=True, capture_output=True,
                          text=True)
    assert proc.stdout.startswith("        run:") and "Traceback" not in proc.stderr and "Broken" not in proc.stderr


def test_an_output_path_through_a_file_is_one_line_exit_1(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert main(["train", "--quiet", "--out", str(tmp_path / "afile" / "sub"), *TINY]) == 1
    assert error_line(capsys) == f"gankit: error: Not a directory ({tmp_path / 'afile' / 'sub'})"


def test_a_permission_error_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    """Tried as a non-root user: a read-only folder. (The tests may run as root, so the refusal is simulated.)"""
    from pathlib import Path

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["train", "--quiet", "--out", str(tmp_path / "ro" / "run"), *TINY]) == 1
    assert error_line(capsys) == f"gankit: error: Permission denied ({tmp_path / 'ro' / 'run'})"
