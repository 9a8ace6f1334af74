"""tools/grade.py: grading submissions into Gradescope's results.json, bad submissions included.

Most cases grade a tiny assignment (two questions, one function each) so that each costs a second or
two; two cases grade one real notebook's functions: the blank edition (zero), and the instructor's
solutions (full marks) through the Gradescope bundle on simulated /autograder folders. Instructor-only: students never get the grader."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
import grade  # noqa: E402  (tools/ is on sys.path: tests/conftest.py)
from markers import BLANK_MESSAGE  # noqa: E402
from markers import END_MARKER as END  # noqa: E402
from markers import START_MARKER as START  # noqa: E402

BLANK = 'raise NotImplementedError("' + BLANK_MESSAGE.format(function='{f}', path='cs231n/{m}.py') + '")'


def _module(name, function, body):
    return f"def {function}(x):\n    # TODO\n    {START}\n    {body}\n    {END}\n"


GOOD = {"cs231n/mod.py": _module("mod", "double", "return 2 * x"),
        "cs231n/other.py": _module("other", "half", "return x / 2")}

CONFTEST = '''import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import progress


def pytest_addoption(parser):
    progress.addoption(parser)


def pytest_configure(config):
    progress.register(config, Path(__file__).resolve().parent.parent)
'''

POINTS = '''[Q]
run = 1
answer = 1
tests = ["tests/test_mod.py", "tests_hidden/test_hidden_mod.py"]
timeout = 20
test_timeout = 2
memory_mb = 1024
[Q.functions]
double = 4

[Q2]
run = 1
answer = 1
tests = ["tests/test_other.py"]
timeout = 20
test_timeout = 2
memory_mb = 1024
[Q2.functions]
half = 2
'''


def _notebook(ran, answer):
    code = {"cell_type": "code", "metadata": {}, "source": ["print(1)"], "execution_count": 1 if ran else None,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}] if ran else []}
    md = {"cell_type": "markdown", "metadata": {}, "source": [answer]}
    return json.dumps({"cells": [code, md], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


NOTEBOOKS = {f"assignment3/{q}.ipynb": _notebook(True, "**Your Answer:** because the gradient vanishes")
             for q in ("Q", "Q2")}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A grading base shaped like the real one: blank modules, tests, hidden tests, points, plugin."""
    b = tmp_path_factory.mktemp("base")
    (b / "cs231n").mkdir()
    (b / "cs231n" / "__init__.py").write_text("")
    (b / "cs231n" / "mod.py").write_text(_module("mod", "double", BLANK.format(f="double", m="mod")))
    (b / "cs231n" / "other.py").write_text(_module("other", "half", BLANK.format(f="half", m="other")))
    for d in ("tests", "tests_hidden", "grading", "tools", "assignment3"):
        (b / d).mkdir()
    (b / "tests" / "conftest.py").write_text(CONFTEST)
    (b / "tests" / "test_mod.py").write_text(
        "from cs231n.mod import double\n\n\ndef test_double():\n    assert double(3) == 6, 'double: wrong'\n")
    (b / "tests" / "test_other.py").write_text(
        "from cs231n.other import half\n\n\ndef test_half():\n    assert half(3) == 1.5, 'half: wrong'\n")
    (b / "tests_hidden" / "test_hidden_mod.py").write_text(
        "from cs231n.mod import double\n\n\ndef test_double_negative():\n    assert double(-2) == -4, 'secret'\n")
    (b / "grading" / "points.toml").write_text(POINTS)
    for tool in ("progress.py", "markers.py"):  # the plugin, and the markers it looks for
        shutil.copy(REPO / "tools" / tool, b / "tools" / tool)
    shutil.copy(REPO / "pyproject.toml", b / "pyproject.toml")
    for q in ("Q", "Q2"):
        (b / "assignment3" / f"{q}.ipynb").write_text(_notebook(False, "**Your Answer:** *Write your answer here.*"))
    return b


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _grade(base, tmp_path, files, **kw):
    sub = files if isinstance(files, Path) else _zip(tmp_path / "sub.zip", files)
    return grade.grade(sub, base, tmp_path, **kw)


def _scores(results):
    return {e["name"]: e["score"] for e in results["tests"]}


def _out(results, name):
    return next(e["output"] for e in results["tests"] if e["name"] == name)


def test_correct_submission_gets_full_marks_in_gradescope_format(base, tmp_path):
    results = _grade(base, tmp_path, {**GOOD, **NOTEBOOKS})
    assert results["score"] == 4 + 1 + 1 + 2 + 1 + 1
    for entry in results["tests"]:
        assert set(entry) >= {"name", "score", "max_score", "output", "visibility"}
        assert entry["score"] == entry["max_score"], entry
    json.dumps(results)


def test_blank_submission_scores_zero_for_its_functions(base, tmp_path):
    blank = {rel: (base / rel).read_text() for rel in GOOD}
    s = _scores(_grade(base, tmp_path, blank))
    assert s["Q: double"] == 0 and s["Q2: half"] == 0


def test_hidden_tests_count_without_showing_their_message(base, tmp_path):
    only_positive = {**GOOD, "cs231n/mod.py": _module("mod", "double", "return 2 * abs(x)")}
    results = _grade(base, tmp_path, only_positive)
    assert _scores(results)["Q: double"] == 0
    assert "hidden test" in _out(results, "Q: double") and "secret" not in json.dumps(results)


def test_notebooks_not_run_or_answers_left_as_prompt_are_reported(base, tmp_path):
    nbs = {"assignment3/Q.ipynb": _notebook(False, "**Your Answer:** *Write your answer here.*")}
    results = _grade(base, tmp_path, {**GOOD, **nbs})
    s = _scores(results)
    assert s["Q: notebook run"] == 0 and "was not run" in _out(results, "Q: notebook run")
    assert s["Q: inline answers"] == 0 and "still the prompt" in _out(results, "Q: inline answers")
    assert s["Q2: notebook run"] == 0 and "missing" in _out(results, "Q2: notebook run")
    assert s["Q: double"] == 4


def test_not_a_zip_scores_zero_with_a_clear_message(base, tmp_path):
    bad = tmp_path / "sub.zip"
    bad.write_text("this is not a zip")
    results = _grade(base, tmp_path, bad)
    assert results["score"] == 0 and "not a zip file" in results["output"]
    assert len(results["tests"]) == 6


def test_paths_that_climb_out_links_and_extra_files_are_ignored(base, tmp_path):
    files = {**GOOD, "../../escaped.py": "x = 1", "/abs.py": "x = 1", "tests/test_mod.py": "def test_x(): pass",
             "results.json": '{"score": 100}', "notes.txt": "hi"}
    results = _grade(base, tmp_path, files)
    assert not (tmp_path.parent / "escaped.py").exists() and not Path("/abs.py").exists()
    for name in ("../../escaped.py", "tests/test_mod.py", "results.json", "notes.txt"):
        assert f"ignored {name}" in results["output"]
    assert _scores(results)["Q: double"] == 4 and "def test_x" not in (base / "tests" / "test_mod.py").read_text()


def test_files_uploaded_without_their_folders_are_placed_by_name(base, tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "mod.py").write_text(GOOD["cs231n/mod.py"])
    (sub / "Q.ipynb").write_text(NOTEBOOKS["assignment3/Q.ipynb"])
    results = _grade(base, tmp_path, sub, questions={"Q"})
    assert "took mod.py as cs231n/mod.py" in results["output"]
    assert _scores(results) == {"Q: double": 4, "Q: notebook run": 1, "Q: inline answers": 1}


def test_missing_module_counts_as_not_started(base, tmp_path):
    results = _grade(base, tmp_path, {"cs231n/other.py": GOOD["cs231n/other.py"]})
    assert "missing cs231n/mod.py" in results["output"]
    s = _scores(results)
    assert s["Q: double"] == 0 and s["Q2: half"] == 2


@pytest.mark.parametrize("body, words", [
    ("return 2 * x +", "SyntaxError"),
    ("return 2 * x\nraise RuntimeError('boom at import')", "does not import: RuntimeError: boom at import"),
    ("return 2 * x\nimport sys; sys.exit(3)", "without a report (exit status 3): did the code call sys.exit()"),
    ("return 2 * x\nimport os; os._exit(0)", "without a report"),
])
def test_module_that_does_not_load_scores_zero_for_its_questions_only(base, tmp_path, body, words):
    text = _module("mod", "double", "return 2 * x")
    if "\n" in body:  # a statement at module level after the function
        text += "\n" + body.split("\n", 1)[1] + "\n"
    else:
        text = _module("mod", "double", body)
    results = _grade(base, tmp_path, {**GOOD, "cs231n/mod.py": text})
    s = _scores(results)
    assert s["Q: double"] == 0 and words in _out(results, "Q: double")
    assert s["Q2: half"] == 2


def test_memory_limit_stops_a_submission_that_allocates_too_much(base, tmp_path):
    greedy = _module("mod", "double", "return 2 * x") + "\n_hog = bytearray(3 << 30)\n"  # 3 GB > memory_mb
    results = _grade(base, tmp_path, {**GOOD, "cs231n/mod.py": greedy})
    assert _scores(results)["Q: double"] == 0 and "MemoryError" in _out(results, "Q: double")
    assert _scores(results)["Q2: half"] == 2


def test_endless_loop_fails_its_test_saying_so_and_the_grading_ends(base, tmp_path):
    loop = _module("mod", "double", "while True:\n        pass")
    results = _grade(base, tmp_path, {**GOOD, "cs231n/mod.py": loop})
    assert _scores(results)["Q: double"] == 0
    # 2 s of CPU time, or the wall-clock backstop (5 x 2 s) when a loaded machine gives the loop less
    assert re.search(r"timed out after (2|10) s: does your loop end\?", _out(results, "Q: double"))
    assert _scores(results)["Q2: half"] == 2


def test_endless_loop_at_import_is_stopped_at_the_question_time_limit(base, tmp_path, monkeypatch):
    text = _module("mod", "double", "return 2 * x") + "\nwhile True:\n    pass\n"
    points = grade.load_points(base)
    points["Q"]["timeout"] = 4
    monkeypatch.setattr(grade, "load_points", lambda b: points)
    results = _grade(base, tmp_path, {**GOOD, "cs231n/mod.py": text})
    assert _scores(results)["Q: double"] == 0 and "ran past 4 s" in _out(results, "Q: double")


def test_huge_output_is_stopped_and_scores_zero(base, tmp_path, monkeypatch):
    monkeypatch.setattr(grade, "MAX_WRITE_BYTES", 2 << 20)
    noisy = _module("mod", "double", "print('x' * (8 << 20))\n    return 2 * x")
    results = _grade(base, tmp_path, {**GOOD, "cs231n/mod.py": noisy})
    assert _scores(results)["Q: double"] == 0 and "huge output" in _out(results, "Q: double")
    assert len(json.dumps(results)) < 100_000
    assert _scores(results)["Q2: half"] == 2


def test_overwriting_the_tests_during_the_run_scores_zero(base, tmp_path):
    cheat = _module("mod", "double", "return 0") + (
        "\nimport pathlib\nfor _p in pathlib.Path.cwd().glob('tests*/test_*.py'):\n"
        "    _p.write_text('def test_ok():\\n    pass\\n')\n")
    results = _grade(base, tmp_path, {**GOOD, "cs231n/mod.py": cheat})
    assert _scores(results)["Q: double"] == 0 and "changed during the run" in _out(results, "Q: double")
    assert "def test_double" in (base / "tests" / "test_mod.py").read_text()


def test_batch_writes_one_csv_line_each_and_a_bad_submission_does_not_leak(base, tmp_path):
    evil = _module("mod", "double", "return 2 * x") + (
        "\nimport pathlib\n(pathlib.Path.cwd() / 'cs231n' / 'other.py').write_text('def half(x):\\n    return 0\\n')\n")
    a = _zip(tmp_path / "a.zip", {**GOOD, "cs231n/mod.py": evil})
    b = _zip(tmp_path / "b.zip", GOOD)
    out = tmp_path / "out"
    results_file = out / "b" / "results.json"
    assert grade.main([str(a), str(b), "--base", str(base), "--out", str(out), "--datasets", str(tmp_path)]) == 0
    lines = (out / "grades.csv").read_text().splitlines()
    assert lines[0].startswith("submission,score,max_score,Q,Q2") and len(lines) == 3
    assert lines[2].startswith("b.zip,6,10,")
    assert json.loads(results_file.read_text())["score"] == 6
    assert (base / "cs231n" / "other.py").read_text().count("NotImplementedError") == 1


def test_submission_cannot_replace_the_results_file(base, tmp_path):
    target = tmp_path / "results" / "results.json"
    cheat = _module("mod", "double", "return 2 * x") + (
        f"\nimport pathlib\npathlib.Path({str(target)!r}).parent.mkdir(exist_ok=True)\n"
        f"pathlib.Path({str(target)!r}).write_text('{{\"score\": 1000}}')\n")
    sub = _zip(tmp_path / "sub.zip", {**GOOD, "cs231n/mod.py": cheat})
    grade.main([str(sub), "--base", str(base), "--results", str(target), "--datasets", str(tmp_path)])
    assert json.loads(target.read_text())["score"] == 4 + 2


# ----------------------------------------------------------------------------------------------
# The real assignment: one notebook's functions


@pytest.fixture(scope="module")
def real_base(tmp_path_factory):
    return grade.build_base(tmp_path_factory.mktemp("real") / "base")


def _real_zip(tmp_path, root):
    modules, _ = grade.student_files(REPO)
    return _zip(tmp_path / "real.zip", {rel: (root / rel).read_text() for rel in modules})


def test_blank_student_edition_scores_zero(real_base, tmp_path):
    # the instructor's solutions get full marks in test_gradescope_bundle_grades_a_simulated_autograder_folder
    blank = grade.grade(_real_zip(tmp_path, real_base), real_base, REPO / "datasets", questions={"Style_Transfer"})
    assert blank["score"] == 0 and "not started" in json.dumps(blank)
    assert len(blank["tests"]) == 4 + 2


def test_points_file_names_every_blanked_function_once():
    from progress import student_functions

    points = grade.load_points(REPO)
    listed = [f for table in points.values() for f in table["functions"]]
    assert sorted(listed) == sorted(f for _, f, _ in student_functions(REPO)), "grading/points.toml is out of date"
    for table in points.values():
        assert all((REPO / t).exists() for t in table["tests"]), table["tests"]


def test_gradescope_bundle_grades_a_simulated_autograder_folder(tmp_path):
    bundle = grade.write_bundle(tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert "setup.sh" in names and "run_autograder" in names and "base/tools/grade.py" in names
        assert "base/tests_hidden/test_hidden_rnn.py" in names and "base/tests/test_style_transfer.py" in names
        assert not [n for n in names if n.startswith(("base/tests/test_classic_variants", "base/tests/_variants",
                                                      "base/tests/test_grade", "base/bench/"))], "solutions shipped"
        zf.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):  # setup.sh needs the network: check that it parses
        assert subprocess.run(["bash", "-n", str(root / "source" / script)]).returncode == 0, script
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    _zip(root / "submission" / "cs231n_assignment3_submission.zip",
         {rel: (REPO / rel).read_text() for rel in grade.student_files(REPO)[0]})
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    proc = subprocess.run([str(root / "run_autograder"), "--questions", "Style_Transfer",
                           "--datasets", str(REPO / "datasets")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    functions = grade.load_points(REPO)["Style_Transfer"]["functions"]
    for entry in results["tests"]:
        if entry["name"].split(": ")[1] in functions:  # the instructor's solutions: full marks
            assert entry["score"] == entry["max_score"] == functions[entry["name"].split(": ")[1]], entry
    assert results["score"] == sum(functions.values()), results["output"]  # no notebook was submitted
