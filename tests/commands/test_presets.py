"""`gankit presets`: every named configuration, what it trains and for how long."""
import json

from gankit.cli import main
from gankit.config import preset_names


def test_presets_lists_every_preset_with_its_length_and_description_as_json(capsys):
    assert main(["presets", "--json"]) == 0
    presets = {p["preset"]: p for p in json.loads(capsys.readouterr().out)}
    assert sorted(presets) == preset_names()
    assert presets["digits-dcgan"]["length"] == "30 epochs"
    assert presets["digits-dcgan"]["description"].startswith("The classic DCGAN (Radford et al. 2016)")
    assert presets["digits-dcgan-r1"]["length"] == "41 epochs"
    assert presets["digits-dcgan-r1"]["description"].startswith("The default: the DCGAN of digits-dcgan")


def test_presets_prints_one_line_per_preset(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == preset_names()
