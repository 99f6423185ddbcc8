"""`gankit compare`: GAN runs against VAE runs; earlier results are never overwritten unasked."""
import pytest

from gankit.cli import build_parser
from gankit.errors import GankitError


def test_compare_command_refuses_to_overwrite_earlier_results(tmp_path):
    parser = build_parser()
    (tmp_path / "compare.md").write_text("earlier\n")
    args = parser.parse_args(["compare", "--gan", "a", "--vae", "b", "--out", str(tmp_path)])
    with pytest.raises(GankitError, match="exists"):
        args.func(args)
    assert (tmp_path / "compare.md").read_text() == "earlier\n"
