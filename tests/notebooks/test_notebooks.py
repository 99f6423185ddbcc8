"""The course notebooks (notebooks/): stored without outputs, and each one runs top to bottom at its default budget
and prints the numbers that learning must produce. Their own claims are asserts in their cells, so a notebook that
stops teaching the truth fails here with nbclient's CellExecutionError."""
import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
spec = importlib.util.spec_from_file_location("execute_notebooks", NOTEBOOKS / "execute.py")
execute_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute_notebooks)

THEMES = ("01-minimax-game", "02-train-a-dcgan", "03-measure-it", "04-vae-gan-latent", "05-semantic-inpainting",
          "06-translation-few-labels")


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def tagged(nb: nbformat.NotebookNode, tag: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if tag in cell.metadata.get("tags", [])]


def test_there_is_one_notebook_per_theme_of_the_lectures():
    assert [p.stem for p in execute_notebooks.notebooks()] == list(THEMES)


@pytest.mark.parametrize("name", THEMES)
def test_stored_notebook_is_valid_and_carries_no_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: cell {cell.id} has outputs"
        assert "execution" not in cell.metadata, f"{name}: cell {cell.id} keeps execution timings"


@pytest.mark.parametrize("name", THEMES)
def test_notebook_starts_with_install_then_parameters_and_ends_with_its_numbers(name):
    code = [cell for cell in read(name).cells if cell.cell_type == "code"]
    assert "setup" in code[0].metadata["tags"] and "constraints.txt" in code[0].source
    assert "parameters" in code[1].metadata["tags"]
    assert "summary" in code[-1].metadata["tags"]
    assert "Full size" in read(name).cells[0].source  # says how to run the full-size version


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One working directory for all notebooks, as `make notebooks` has: later ones reuse notebook 2's run."""
    return tmp_path_factory.mktemp("notebooks")


def executed(name: str, workdir: Path) -> tuple[dict, int]:
    """Execute a notebook; return the JSON its summary cell printed and the number of figures it drew."""
    nb = execute_notebooks.execute(NOTEBOOKS / f"{name}.ipynb", workdir)
    (summary_cell,) = tagged(nb, "summary")
    text = "".join(output["text"] for output in summary_cell.outputs if output["output_type"] == "stream")
    return json.loads(text), len(execute_notebooks.figures(nb))


# In name order, in one module: notebooks 3-5 find the DCGAN of notebook 2 in the shared working directory.
@pytest.mark.slow
def test_minimax_notebook_checks_the_theory(workdir):
    summary, figures = executed("01-minimax-game", workdir)
    assert summary["mean |D - D*|"] <= 0.005
    assert summary["largest |V - (-log 4 + 2 JSD)|"] < 1e-3
    assert summary["smallest gradient ratio when saturated"] >= 10
    assert abs(summary["p_g at end: mean"]) <= 0.35  # p_g moved from N(-2.5, 0.5^2) onto N(0, 1)
    assert figures >= 6


@pytest.mark.slow
def test_dcgan_notebook_trains_a_generator_that_gets_closer_to_the_data(workdir):
    summary, figures = executed("02-train-a-dcgan", workdir)
    assert summary["fid last"] < 0.8 * summary["fid first"]
    assert summary["D(G(z))"] < summary["D(x)"]
    assert figures >= 5
    assert (workdir / "runs" / "dcgan" / "samples" / "final.png").is_file()


@pytest.mark.slow
def test_measure_notebook_places_the_run_between_the_data_and_noise(workdir):
    summary, figures = executed("03-measure-it", workdir)
    assert summary["fid real/real"] < 5 and summary["fid noise"] > 500
    assert summary["fid real/real"] < summary["fid"] < summary["fid noise"]
    assert summary["toy-ring-r1: modes"] >= 7
    assert figures >= 2


@pytest.mark.slow
def test_vae_gan_notebook_finds_the_gan_sharper_and_slerp_keeping_the_norm(workdir):
    summary, figures = executed("04-vae-gan-latent", workdir)
    assert summary["sharpness GAN"] > 2 * summary["sharpness VAE"]
    assert summary["slerp midpoint norm / end norm"] > 0.95 > summary["lerp midpoint norm / end norm"]
    assert summary["ink moved"] >= 0.9
    assert figures >= 4


@pytest.mark.slow
def test_inpainting_notebook_search_lowers_its_objective_and_improves_the_hole(workdir):
    summary, figures = executed("05-semantic-inpainting", workdir)
    assert summary["objective end"] < 0.7 * summary["objective start"]
    assert summary["hole PSNR end"] > summary["hole PSNR start"]
    assert figures >= 3


@pytest.mark.slow
def test_translation_notebook_keeps_labels_above_chance(workdir):
    summary, figures = executed("06-translation-few-labels", workdir)
    assert summary["pix2pix labels kept"] > 0.3
    assert min(summary["ssl accuracy"], summary["supervised accuracy"]) > 0.5
    assert figures >= 2
