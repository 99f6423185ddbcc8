"""`gankit serve` on the command line: lazy imports, one-line errors, loopback by default."""
import subprocess
import sys

import pytest

from gankit.cli import build_parser, main


def test_the_cli_does_not_import_the_web_stack():
    code = ("import sys, gankit.cli; gankit.cli.build_parser(); "
            "print('fastapi' in sys.modules, 'uvicorn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["False", "False"]


def test_it_listens_on_loopback_unless_told_otherwise():
    args = build_parser().parse_args(["serve", "runs/x"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)


def test_without_the_extra_it_says_what_to_install_in_one_line(served_runs, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now raises ImportError
    assert main(["serve", str(served_runs["digits"])]) == 2
    err = capsys.readouterr().err.strip()
    assert "pip install gankit[serve]" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv, message", [(["serve"], "name at least one run"),
                                           (["serve", "/no/such/run"], "does not exist")])
def test_bad_runs_are_one_line_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_two_runs_of_the_same_name_are_refused(served_runs, tmp_path, capsys):
    import shutil

    pytest.importorskip("fastapi", reason="needs the serve extra: pip install gankit[serve]")

    twin = tmp_path / "elsewhere" / "digits"
    shutil.copytree(served_runs["digits"], twin)
    assert main(["serve", str(served_runs["digits"]), str(twin), "--port", "1"]) == 2
    assert "two runs are named 'digits'" in capsys.readouterr().err
