"""The student-edition builder, its autograder check and collect_submission, on small fixtures.

Instructor-only: the builder leaves this file out of the student edition."""

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"

import build_student as bs  # noqa: E402  (tools/ is on sys.path: tests/conftest.py)
import collect_submission as cs  # noqa: E402
import markers  # noqa: E402

MODULE = f'''import numpy as np


def affine_forward(x, w, b):
    """Affine layer."""
    out = None
    # TODO: compute out = x w + b.
    {START}
    N = x.shape[0]
    out = x.reshape(N, -1) @ w + b
    {END}
    return out


class Net:
    def loss(self, x):
        if x is not None:
            # TODO: the loss of the net.
            {START}
            scores = affine_forward(x, self.w, self.b)  # (N, C)
            return float(np.sum(scores ** 2))
            {END}
        return 0.0
'''

TEST_FILE = '''import numpy as np
from cs231n.mod import Net, affine_forward


def test_affine_forward_shape():
    out = affine_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    assert out.shape == (2, 4), "affine_forward: out shape"
'''


def _notebook(cells):
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def _code(source, count=None, outputs=()):
    return {"cell_type": "code", "execution_count": count, "id": "c", "metadata": {},
            "outputs": list(outputs), "source": source}


def _md(source):
    return {"cell_type": "markdown", "id": "m", "metadata": {}, "source": source}


ANSWER = "**Your Answer:** Gradients shrink geometrically through many tanh steps.\n"


def _git_repo(root, files):
    """A git checkout at root whose index holds `files` ({path: text}); returns root."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", *files], check=True)
    return root


def _small_repo(root, extra=None):
    files = {
        "cs231n/__init__.py": "",
        "cs231n/mod.py": MODULE,
        "tests/test_mod.py": TEST_FILE,
        "tools/build_student.py": "# the builder\n",
        "tools/collect_submission.py": "# shipped\n",
        "tests/test_student_edition.py": "# instructor-only\n",
        ".ci/run": "#!/bin/sh\n",
        "assignment3/RNN_Captioning.ipynb": _notebook([
            _code("from cs231n.mod import affine_forward\n", 3, [{"output_type": "stream", "name": "stdout",
                                                                  "text": "secret output\n"}]),
            _md("**Inline Question 1:** Why do RNN gradients vanish?\n"),
            _md(ANSWER),
        ]),
    }
    files.update(extra or {})
    return _git_repo(root, files)


# ---- .py files ------------------------------------------------------------------------------


def test_the_tools_share_the_classic_markers_byte_for_byte():
    assert (markers.START_MARKER, markers.END_MARKER) == (START, END), "tools/markers.py: the markers must be the classic lines"
    for tool in (bs, cs):
        text = Path(tool.__file__).read_text()
        assert "DO NOT DELETE/MODIFY THIS LINE" not in text, f"{tool.__name__} spells out a marker: import it from tools/markers.py"


def test_region_becomes_one_raise_at_start_indentation_keeping_todo_and_markers():
    student, regions = bs.blank_python(MODULE, "cs231n/mod.py")
    lines = student.splitlines()
    start = lines.index("    " + START)
    assert lines[start - 1] == "    # TODO: compute out = x w + b.", "the TODO comment above START must stay"
    assert lines[start + 1].startswith("    raise NotImplementedError("), f"raise at START's indentation: {lines[start + 1]!r}"
    assert lines[start + 2] == "    " + END, "the END marker must follow the raise"
    method_start = lines.index("            " + START)
    assert lines[method_start + 1].startswith("            raise NotImplementedError("), "method blank indentation"
    assert "x.reshape(N, -1) @ w + b" not in student and "scores ** 2" not in student, "solution lines left"
    ast.parse(student)
    assert [r.function for r in regions] == ["affine_forward", "Net.loss"]


def test_raise_names_function_and_file():
    student, _ = bs.blank_python(MODULE, "cs231n/mod.py")
    namespace = {}
    exec(compile(student, "cs231n/mod.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"^affine_forward in cs231n/mod\.py: fill in"):
        namespace["affine_forward"](None, None, None)
    net = namespace["Net"]()
    with pytest.raises(NotImplementedError, match=r"^Net\.loss in cs231n/mod\.py: fill in"):
        net.loss(1)


def test_nested_function_blank_is_named_after_outer_function():
    src = f"def build():\n    def inner(x):\n        {START}\n        return x * 2 + 1\n        {END}\n    return inner\n"
    _, regions = bs.blank_python(src, "cs231n/m.py")
    assert regions[0].function == "build"


@pytest.mark.parametrize("source, line, words", [
    (f"def f():\n    {START}\n    {START}\n    x = 1\n    {END}\n", 3, "nested START"),
    (f"def f():\n    x = 1\n    {END}\n", 3, "END marker without a START"),
    (f"def f():\n    {START}\n    x = 1\n", 2, "has no END"),
    ("def f():\n    # *****START OF YOUR CODE (DO NOT DELETE THIS LINE)*****\n", 2, "malformed marker"),
    ("def f():\n    x = 1\n    # *****END OF YOUR CODE (DO NOT DELETE THIS LINE)*****\n", 3, "malformed marker"),
], ids=["nested", "end-without-start", "start-without-end", "malformed-start", "malformed-end"])
def test_bad_markers_fail_naming_file_and_line(source, line, words):
    with pytest.raises(bs.BuildError, match=rf"^cs231n/bad\.py:{line}: .*{words}"):
        bs.blank_python(source, "cs231n/bad.py")


def test_region_outside_any_function_fails():
    with pytest.raises(bs.BuildError, match=r"^cs231n/bad\.py:2: solution region outside any function"):
        bs.blank_python(f"X = 1\n{START}\nY = X + 2\n{END}\n", "cs231n/bad.py")


def test_region_that_is_not_whole_statements_fails():
    src = f"def f(x):\n    return (x +\n    {START}\n        1)\n    {END}\n"
    with pytest.raises(bs.BuildError, match=r"^cs231n/bad\.py:\d+: the student version does not parse"):
        bs.blank_python(src, "cs231n/bad.py")


# ---- notebooks ------------------------------------------------------------------------------


def test_notebook_answers_replaced_and_outputs_cleared():
    text = _notebook([
        _code("print(1)\n", 7, [{"output_type": "stream", "name": "stdout", "text": "1\n"}]),
        _md("**Inline Question 1:** Why?\n"),
        _md(ANSWER),
    ])
    student, answers = bs.blank_notebook(text, "assignment3/X.ipynb")
    cells = json.loads(student)["cells"]
    assert cells[0]["outputs"] == [] and cells[0]["execution_count"] is None, "outputs must be cleared"
    assert cells[0]["source"] == "print(1)\n", "code cells stay as they are"
    assert cells[1]["source"] == "**Inline Question 1:** Why?\n", "the question stays"
    assert "".join(cells[2]["source"]) == "**Your Answer:** *Write your answer here.*"
    assert answers == [("assignment3/X.ipynb", 2, ANSWER)]


def test_notebook_with_code_between_markers_fails():
    text = _notebook([_code(f"{START}\nx = 1\n{END}\n")])
    with pytest.raises(bs.BuildError, match=r"assignment3/X\.ipynb \(cell 0\):1: code between the markers"):
        bs.blank_notebook(text, "assignment3/X.ipynb")


# ---- leak check -----------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "    ", "# a comment", ")", "    ]),", "pass", "return", "else:",
                                  "dx = dout", "loss /= N  # average",
                                  "return loss", "return dx, dw, db", "return (out, cache)",
                                  "for t in range(T):", "for t in reversed(range(T)):"])
def test_trivial_lines_are_not_leak_checked(line):
    assert bs.is_trivial(line)


@pytest.mark.parametrize("line", ["out = x @ w + b", "next_h = np.tanh(x @ Wx + prev_h @ Wh + b)",
                                  "return float(np.sum(scores ** 2))",
                                  "return relu(x)", "return x.T", "for t in range(T - 1, -1, -1):",
                                  "dprev_h = np.zeros_like(h0)"])
def test_code_lines_are_leak_checked(line):
    assert not bs.is_trivial(line)


def test_leak_check_ignores_comments_and_spacing_differences():
    assert bs.leak_key("out = x@w + b  # (N, M)") == bs.leak_key("out=x @ w+b")
    assert bs.leak_key("s = '#' + t") == "s='#'+t", "a '#' inside a string is not a comment"


# ---- whole builds on a fixture repository ---------------------------------------------------


def test_build_copies_tracked_files_except_instructor_only(tmp_path):
    repo = _small_repo(tmp_path / "repo")
    (repo / "notes.txt").write_text("untracked: never shipped\n")
    edition = bs.build(repo, tmp_path / "out" / "student", quiet=True)
    out = edition.out
    shipped = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert shipped == ["assignment3/RNN_Captioning.ipynb", "cs231n/__init__.py", "cs231n/mod.py",
                       "tests/test_mod.py", "tools/collect_submission.py"]
    assert (out / "tests/test_mod.py").read_text() == TEST_FILE, "files without blanks are copied unchanged"
    nb = (out / "assignment3/RNN_Captioning.ipynb").read_text()
    assert "secret output" not in nb and "geometrically" not in nb, "outputs and answers must not ship"


def test_instructor_only_patterns_cover_folders_globs_and_files():
    patterns = ["solutions/", "docs/*_key.md", "tools/build_student.py"]
    assert bs.is_instructor_only("solutions/a/b.py", patterns)
    assert bs.is_instructor_only("docs/rnn_key.md", patterns)
    assert bs.is_instructor_only("tools/build_student.py", patterns)
    assert not bs.is_instructor_only("tools/collect_submission.py", patterns)
    assert not bs.is_instructor_only("solutionsX.py", patterns)


def test_build_fails_on_solution_line_copied_elsewhere_and_keeps_old_edition(tmp_path):
    leaky_test = TEST_FILE + "\n\ndef _reference(x, w, b, N):\n    out = x.reshape(N, -1) @ w + b\n    return out\n"
    repo = _small_repo(tmp_path / "repo", {"tests/test_mod.py": leaky_test})
    out = tmp_path / "out" / "student"
    (out / "cs231n").mkdir(parents=True)
    (out / "cs231n" / "old.py").write_text("# previous edition\n")
    with pytest.raises(bs.BuildError, match=r"tests/test_mod\.py:\d+: solution line cs231n/mod\.py:10 \(affine_forward\)"):
        bs.build(repo, out, quiet=True)
    assert (out / "cs231n" / "old.py").exists(), "a failed build must leave the previous edition alone"
    assert sorted(p.name for p in out.parent.iterdir()) == ["student"], "no staging folder left behind"


def test_build_fails_on_answer_copied_elsewhere(tmp_path):
    repo = _small_repo(tmp_path / "repo", {"ANSWERS.md": "Gradients shrink geometrically through many tanh steps.\n"})
    with pytest.raises(bs.BuildError, match=r"ANSWERS\.md:1: answer line in assignment3/RNN_Captioning\.ipynb"):
        bs.build(repo, tmp_path / "student", quiet=True)


def test_solution_line_also_shown_outside_the_blank_is_not_a_leak(tmp_path):
    module = MODULE.replace('    """Affine layer."""\n', '    """Affine layer."""\n    N = x.shape[0]\n')
    repo = _small_repo(tmp_path / "repo", {"cs231n/mod.py": module})
    edition = bs.build(repo, tmp_path / "student", quiet=True)
    assert "N = x.shape[0]" in (edition.out / "cs231n/mod.py").read_text()


def test_build_refuses_to_overwrite_a_folder_that_is_not_an_edition(tmp_path):
    repo = _small_repo(tmp_path / "repo")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("keep me\n")
    with pytest.raises(bs.BuildError, match="does not look like a student edition"):
        bs.build(repo, precious, quiet=True)
    assert (precious / "thesis.tex").exists()


def test_zip_holds_the_edition_under_one_folder(tmp_path):
    repo = _small_repo(tmp_path / "repo")
    edition = bs.build(repo, tmp_path / "build" / "student", make_zip=True, quiet=True)
    assert edition.zip_path == tmp_path / "build" / f"{bs.EDITION_NAME}.zip"
    names = zipfile.ZipFile(edition.zip_path).namelist()
    assert f"{bs.EDITION_NAME}/cs231n/mod.py" in names
    assert not any("build_student" in n or ".ci/" in n for n in names)


# ---- the real repository --------------------------------------------------------------------


def test_real_repository_edition_has_balanced_blanks_and_no_leaks(tmp_path):
    edition = bs.build(REPO, tmp_path / "student", quiet=True)
    out = edition.out
    for path in bs.INSTRUCTOR_ONLY:
        assert not (out / path.rstrip("/")).exists(), f"instructor-only {path} shipped"
    for file in out.rglob("*.py"):
        rel = file.relative_to(out).as_posix()
        for r in bs.find_regions(file.read_text(encoding="utf-8"), rel):
            assert len(r.lines) == 1 and r.lines[0].strip().startswith("raise NotImplementedError("), \
                f"{rel}:{r.start}: the region must hold only the raise, found {r.lines}"
    for file in out.rglob("*.ipynb"):
        for cell in json.loads(file.read_text(encoding="utf-8"))["cells"]:
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"{file.name}: outputs left"
            if bs.is_answer_cell(cell):
                assert "".join(cell["source"]) == bs.ANSWER_PROMPT, f"{file.name}: an answer left"
    assert bs.find_leaks(out, edition.regions, edition.answers, edition.visible) == []
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "### Students" in readme and "make submit" in readme and "your progress" in readme
    for instructor_only in ("### Instructors", "### Grading", "make grade", "make gradescope", "make mutants",
                            "tests_hidden", bs.INSTRUCTOR_BLOCK[0]):
        assert instructor_only not in readme, f"the student README mentions {instructor_only!r}"
    assert (out / "grading" / "points.toml").exists() and (out / "tools" / "progress.py").exists()


def test_instructor_blocks_are_left_out_of_markdown_and_must_be_balanced():
    opening, closing = bs.INSTRUCTOR_BLOCK
    text = f"# Title\nfor all\n{opening}\n## Grading\nsecret\n{closing}\nmore for all\n"
    assert bs.strip_instructor_blocks(text, "README.md") == "# Title\nfor all\nmore for all\n"
    for broken, line in ((f"a\n{opening}\nb\n", 2), (f"a\n{closing}\n", 2), (f"{opening}\n{opening}\n", 2)):
        with pytest.raises(bs.BuildError, match=f"README.md:{line}:"):
            bs.strip_instructor_blocks(broken, "README.md")


# ---- the autograder check and collect_submission ---------------------------------------------


def test_autograder_check_reports_each_blank_caught_or_not(tmp_path):
    composite = (f"from cs231n.mod import affine_forward\n\n\ndef two_layer(x, w, b):\n"
                 f"    h = affine_forward(x, w, b)\n    {START}\n    out = h * 2.0 + 1.0\n    {END}\n    return out\n\n\n"
                 f"def untested(x):\n    {START}\n    return x * 3 + 7 - 1\n    {END}\n")
    comp_test = ("import numpy as np\nfrom cs231n.comp import two_layer\n\n\ndef test_two_layer():\n"
                 "    out = two_layer(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))\n"
                 "    assert np.allclose(out, 7.0), 'two_layer: out'\n")
    repo = _small_repo(tmp_path / "repo", {"cs231n/comp.py": composite, "tests/test_comp.py": comp_test,
                                           "Makefile": "test:\n\tpytest tests\nlab:\n\tjupyter lab\n"})
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "check_student_edition.py"), "--repo", str(repo)],
                          capture_output=True, text=True, timeout=300)
    rows = {line.split()[1]: line for line in proc.stdout.splitlines() if line.startswith("cs231n/")}
    assert proc.returncode == 1, f"an uncaught blank must fail the check:\n{proc.stdout}\n{proc.stderr}"
    assert "tests/test_mod.py::test_affine_forward_shape" in rows["affine_forward"], proc.stdout
    assert "tests/test_comp.py::test_two_layer (once the blanks it stops at first are done)" in rows["two_layer"], \
        f"a blank behind another blank is caught on its own:\n{proc.stdout}"
    assert rows["untested"].endswith("NOT CAUGHT"), proc.stdout
    assert rows["Net.loss"].endswith("NOT CAUGHT"), proc.stdout


def _submission_root(root, run=True):
    (root / "cs231n").mkdir(parents=True)
    (root / "cs231n" / "mod.py").write_text(bs.blank_python(MODULE, "cs231n/mod.py")[0])
    (root / "cs231n" / "plain.py").write_text("X = 1\n")
    (root / "assignment3").mkdir()
    for name in cs.NOTEBOOKS:
        outputs = [{"output_type": "stream", "name": "stdout", "text": "ok\n"}] if run else []
        (root / "assignment3" / name).write_text(_notebook([_code("print('ok')\n", 1 if run else None, outputs)]))
    return root


def test_collect_submission_packs_modules_with_blanks_and_all_notebooks(tmp_path):
    root = _submission_root(tmp_path / "a3")
    packed, warnings = cs.collect(root, tmp_path / "sub.zip")
    names = sorted(zipfile.ZipFile(tmp_path / "sub.zip").namelist())
    assert names == sorted(["cs231n/mod.py"] + [f"assignment3/{n}" for n in cs.NOTEBOOKS])
    assert any("affine_forward, Net.loss" in w for w in warnings), f"unfinished blanks must be named: {warnings}"


def test_collect_submission_refuses_a_notebook_that_was_not_run(tmp_path):
    root = _submission_root(tmp_path / "a3")
    (root / "assignment3" / "Style_Transfer.ipynb").write_text(_notebook([_code("print('ok')\n")]))
    with pytest.raises(cs.SubmissionError, match=r"assignment3/Style_Transfer\.ipynb has not been run"):
        cs.collect(root, tmp_path / "sub.zip")
    assert not (tmp_path / "sub.zip").exists()


def test_edition_makefile_must_not_call_instructor_only_tools(tmp_path):
    import check_student_edition as ce
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "__init__.py").write_text("")
    (tmp_path / "Makefile").write_text("test:\n\tpython -m pytest tests\n\tpython tools/check_student_edition.py\n"
                                       "lab:\n\tjupyter lab\n")
    problems = ce.check_as_student_meets_it(tmp_path, tmp_path)
    assert problems == ["`make test` in the edition calls tools/check_student_edition.py, which students do not have"]
    (tmp_path / "Makefile").write_text("test:\n\tpython -m pytest tests\n"
                                       "\tif [ -f tools/build_student.py ]; then echo instructor; fi\nlab:\n\tjupyter lab\n")
    assert ce.check_as_student_meets_it(tmp_path, tmp_path) == [], "a guarded instructor step is fine"
