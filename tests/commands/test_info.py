"""`gankit info`: what a run is and how far it got, as lines or JSON; a folder that is no run is one line."""
import json

from commands.command_line import error_line

from gankit.cli import main


def test_info_says_what_the_run_is_and_where_it_stopped(gan_run, capsys):
    assert main(["info", str(gan_run), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["step"] == 100 and info["recipe"] == "gan" and info["data_shape"] == [1, 28, 28]
    assert set(info["parameters"]) >= {"G", "D"} and info["last_log"]["step"] == 100
    assert main(["info", str(gan_run)]) == 0
    assert "step: 100" in capsys.readouterr().out


def test_info_on_a_folder_that_is_no_run_is_one_line(tmp_path, capsys):
    assert main(["info", str(tmp_path)]) == 2
    assert "is not a gankit run" in error_line(capsys)
