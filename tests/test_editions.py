"""Editions (grading/editions.toml, tools/editions.py): what `make student EDITION=...` ships."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_student  # noqa: E402
import editions  # noqa: E402
from _variants import pytest_main  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:
    import tomli as tomllib

DATA = editions.load(ROOT)
NAMES = list(DATA["editions"])


def _tables(points_text):
    return {name for name in tomllib.loads(points_text)}


@pytest.mark.parametrize("name", NAMES)
def test_every_edition_names_notebooks_the_repository_has_with_their_points(name):
    plan = editions.Plan(name, ROOT)
    points = _tables((ROOT / "grading/points.toml").read_text(encoding="utf-8"))
    for notebook in plan.notebooks + plan.extra_credit:
        assert (ROOT / "assignment3" / f"{notebook}.ipynb").exists(), f"{name}: {notebook}.ipynb missing"
        assert notebook in points, f"{name}: grading/points.toml has no table for {notebook}"


def test_the_all_edition_ships_every_notebook():
    plan = editions.Plan("all", ROOT)
    described = set(DATA["notebooks"])
    assert set(plan.notebooks) == described
    on_disk = {p.stem for p in (ROOT / "assignment3").glob("*.ipynb")} - {"collect_submission"}
    assert on_disk <= described, f"notebooks no edition describes: {sorted(on_disk - described)}"


def test_the_2019_edition_leaves_out_the_later_notebooks_and_their_modules():
    plan = editions.Plan("2019", ROOT)
    assert plan.keeps("assignment3/RNN_Captioning.ipynb")
    assert plan.keeps("assignment3/Generative_Adversarial_Networks.ipynb")
    assert not plan.keeps("assignment3/Transformer_Captioning.ipynb")
    assert not plan.keeps("assignment3/DDPM.ipynb")
    assert plan.keeps("cs231n/rnn_layers.py")
    assert not plan.keeps("cs231n/transformer_layers.py")
    assert not plan.keeps("cs231n/simclr/contrastive_loss.py")
    assert plan.keeps("cs231n/checks/__init__.py")  # the given machinery ships whole
    assert plan.keeps("tests/test_x.py", "from cs231n.rnn_layers import rnn_forward\n")
    assert not plan.keeps("tests/test_x.py", "from cs231n import transformer_layers as tl\n")
    assert not plan.keeps("tests/test_x.py", "from cs231n.simclr.contrastive_loss import sim\n")


def test_a_module_two_notebooks_share_stays_while_one_of_them_ships():
    plan = editions.Plan("2025", ROOT)  # the ViT and the Transformer share transformer_layers.py
    assert plan.keeps("cs231n/transformer_layers.py")
    assert not plan.keeps("cs231n/rnn_layers.py")
    assert not plan.keeps("cs231n/gan_pytorch.py")


def test_points_keep_only_the_editions_tables_and_mark_extra_credit():
    plan = editions.Plan("2024", ROOT)
    text = plan.points_text((ROOT / "grading/points.toml").read_text(encoding="utf-8"))
    data = tomllib.loads(text)
    assert set(data) == set(plan.notebooks + plan.extra_credit)
    assert data["LSTM_Captioning"].get("extra_credit") is True
    assert "extra_credit" not in data["RNN_Captioning"]


def test_markdown_drops_the_rows_and_blocks_of_notebooks_left_out():
    plan = editions.Plan("2019", ROOT)
    text = ("| RNN | rnn_layers.py | <!-- notebooks: RNN_Captioning -->\n"
            "| DDPM | unet.py | <!-- notebooks: DDPM -->\n"
            "<!-- notebooks: DDPM Self_Supervised_Learning -->\nDiffusion text\n<!-- /notebooks -->\n"
            "<!-- notebooks: Style_Transfer DDPM -->\nStyle text\n<!-- /notebooks -->\nend\n")
    assert plan.markdown(text) == "| RNN | rnn_layers.py |\nStyle text\nend\n"
    with pytest.raises(editions.EditionError, match="unknown notebook"):
        plan.markdown("x <!-- notebooks: Nope -->\n")
    with pytest.raises(editions.EditionError, match="never closed"):
        plan.markdown("<!-- notebooks: DDPM -->\nx\n")


def test_an_unknown_edition_names_the_ones_there_are():
    with pytest.raises(editions.EditionError, match="2019"):
        editions.Plan("1999", ROOT)


@pytest.mark.parametrize("name", NAMES)
def test_each_editions_readme_names_only_its_notebooks(name):
    plan = editions.Plan(name, ROOT)
    readme = plan.markdown(build_student.strip_instructor_blocks(
        (ROOT / "README.md").read_text(encoding="utf-8"), "README.md"))
    for notebook in DATA["notebooks"]:
        shipped = notebook in plan.notebooks + plan.extra_credit
        assert (f"{notebook}.ipynb" in readme) == shipped, \
            f"edition {name}: README {'lacks' if shipped else 'names'} {notebook}.ipynb"


@pytest.mark.slow
def test_the_2019_edition_builds_and_its_tests_collect(tmp_path):
    out = tmp_path / "student-2019"
    build_student.build(ROOT, out, quiet=True, edition="2019")
    shipped = sorted(p.stem for p in (out / "assignment3").glob("*.ipynb"))
    plan = editions.Plan("2019", ROOT)
    assert set(shipped) - {"collect_submission"} == set(plan.notebooks)
    assert not (out / "cs231n/transformer_layers.py").exists()
    assert set(_tables((out / "grading/points.toml").read_text(encoding="utf-8"))) == set(plan.notebooks)
    # (in a process forked from tests/_variants.py's server, which has imported torch already)
    code, output = pytest_main(out, ["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:progress", "tests"],
                               timeout=300)
    assert code == 0, f"the 2019 edition's tests do not collect:\n{output[-5000:]}"


class _Lines:
    """A stand-in for pytest's terminal writer: keeps the report's lines."""

    def __init__(self):
        self.lines = []

    def write_sep(self, sep, title):
        self.lines.append(title)

    def write_line(self, line, **markup):
        self.lines.append(line)


def test_progress_and_grader_count_extra_credit_beyond_the_total():
    import grade
    import progress

    rows = [{"path": "cs231n/rnn_layers.py", "function": "rnn_forward", "notebook": "RNN_Captioning",
             "points": 3, "status": "passing", "detail": "", "tests": [], "extra_credit": False},
            {"path": "cs231n/rnn_layers.py", "function": "lstm_forward", "notebook": "LSTM_Captioning",
             "points": 5, "status": "passing", "detail": "", "tests": [], "extra_credit": True}]
    tr = _Lines()
    progress.write_report(tr, rows)
    assert "LSTM_Captioning  (5 of 5 points from tests, extra credit)" in tr.lines
    assert any(line.startswith("2 of 2 functions done (3 of 3 points from tests, plus 5 extra credit")
               for line in tr.lines), tr.lines

    points = {"RNN_Captioning": {"functions": {"rnn_forward": 3}},
              "LSTM_Captioning": {"extra_credit": True, "functions": {"lstm_forward": 5}}}
    entries = [grade._entry("RNN_Captioning: rnn_forward", 3, 3, "ok"),
               grade._entry("LSTM_Captioning: lstm_forward", 5, 5, "ok")]
    results = grade._results(entries, [], points)
    assert results["score"] == 8 and grade.max_total(results["tests"]) == 3
    assert results["output"].startswith("score 8 of 3 (extra credit: up to 5 more)")
    assert results["tests"][1]["tags"] == ["extra credit"] and "tags" not in results["tests"][0]
