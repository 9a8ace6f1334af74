"""tools/grade.py: verdicts no submission can forge (issue 19), graded into Gradescope's results.json.

Most cases grade a tiny assignment (notebook Q: double and triple in cs231n/mod.py; notebook Q2: half
in cs231n/other.py) in ONE batch: every attack of issue 19, each followed in the same batch by honest
submissions that must keep their full marks (nothing leaks into the next one). Then the real
assignment: the instructor's solutions score full marks, the blank edition zero, a set of realistic
mistakes (tools/mutants_catalogue.py) partial marks, and the local `make test` verdicts agree with the
grader's on them; and the Gradescope bundle grades in a simulated /autograder. Instructor-only.
Needs bubblewrap (tools/run_tests.sh and .ci/run install it where missing; no skipping in CI).
"""

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
import grade  # noqa: E402  (tools/ is on sys.path: tests/conftest.py)
from markers import END_MARKER as END  # noqa: E402
from markers import START_MARKER as START  # noqa: E402

HIDDEN_VALUE = 123.456  # a hidden case's input; its expected output, 246.912, must never be shown


def _module(functions):
    return "".join(f"def {name}(x):\n    {START}\n    {body}\n    {END}\n\n\n" for name, body in functions.items())


BLANK = 'raise NotImplementedError("{f} in cs231n/{m}.py: fill in the code between the START/END markers")'
SOLUTION = {"cs231n/mod.py": _module({"double": "return 2 * x", "triple": "return 3 * x"}),
            "cs231n/other.py": _module({"half": "return x / 2"})}
EMPTY = {"cs231n/mod.py": _module({"double": BLANK.format(f="double", m="mod"),
                                   "triple": BLANK.format(f="triple", m="mod")}),
         "cs231n/other.py": _module({"half": BLANK.format(f="half", m="other")})}
POINTS = """[Q]
run = 1
answer = 1
[Q.functions]
double = 4
triple = 3

[Q2]
run = 1
answer = 1
[Q2.functions]
half = 2
"""
DRIVERS = '''import importlib


def double(i):
    return {"y": importlib.import_module("cs231n.mod").double(i["x"])}


def triple(i):
    return {"y": importlib.import_module("cs231n.mod").triple(i["x"])}


def half(i):
    return {"y": importlib.import_module("cs231n.other").half(i["x"])}
'''
CASES = '''import numpy as np

DRIVERS = "Tiny"
PRELOAD = []
BUDGET_S = 4


def cases(rng):
    exact = {{"rtol": 1e-12, "atol": 0}}
    return [{rows}]
'''
Q_ROWS = ('("double", "a vector", {"x": rng.standard_normal(5)}, exact), '
          f'("double", "hidden matrix", {{"x": np.full((2, 2), {HIDDEN_VALUE})}}, exact), '
          '("triple", "a vector", {"x": rng.standard_normal(4)}, exact)')
Q2_ROWS = '("half", "a vector", {"x": rng.standard_normal(3)}, exact)'


def _notebook(ran, answer):
    code = {"cell_type": "code", "metadata": {}, "source": ["print(1)"], "execution_count": 1 if ran else None,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}] if ran else []}
    md = {"cell_type": "markdown", "metadata": {}, "source": [answer]}
    return json.dumps({"cells": [code, md], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


NOTEBOOKS = {f"assignment3/{q}.ipynb": _notebook(True, "**Your Answer:** because the gradient vanishes")
             for q in ("Q", "Q2")}


def _write_package(root, files):
    (root / "cs231n").mkdir(parents=True, exist_ok=True)
    (root / "cs231n" / "__init__.py").write_text("")
    for rel, text in files.items():
        (root / rel).write_text(text)
    return root / "cs231n"


@pytest.fixture(scope="module")
def sandbox():
    return grade.Sandbox.find()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, sandbox):
    """A grading kit of the tiny assignment, its expected outputs from SOLUTION."""
    root = tmp_path_factory.mktemp("tiny")
    kit = root / "kit"
    _write_package(kit / "base", EMPTY)
    shutil.copy2(REPO / "grading" / "runner.py", kit / "base" / "runner.py")
    (kit / "base" / "drivers").mkdir()
    (kit / "base" / "drivers" / "Tiny.py").write_text(DRIVERS)
    (kit / "cases").mkdir()
    (kit / "cases" / "Q.py").write_text(CASES.format(rows=Q_ROWS))
    (kit / "cases" / "Q2.py").write_text(CASES.format(rows=Q2_ROWS))
    (kit / "points.toml").write_text(POINTS)
    (kit / "answers.json").write_text(json.dumps({"Q": 1, "Q2": 1}))
    solutions = _write_package(root / "solutions", SOLUTION)
    grade.finish_kit(kit, solutions, sandbox, log=lambda *a: None)
    return kit


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for rel, text in files.items():
            zf.writestr(rel, text)
    return path


def _scores(results):
    return {e["name"]: e["score"] for e in results["tests"]}


# ----------------------------------------------------------------------------------------------
# The attacks of issue 19, each as the student's cs231n/mod.py (half, in other.py, is honest)


def _attacks(tmp, kit):
    """{name: (mod.py text, {function: deserved score})}; the paths the attacks aim at are real
    files and folders of this machine (the kit, the solutions, the other zips, the datasets)."""
    honest_triple = "def triple(x):\n    return 3 * x\n"
    targets = [str(kit / "expected" / "Q.npz"), str(kit / "cases" / "Q.py"), str(kit.parent / "solutions" / "cs231n" / "mod.py"),
               str(tmp / "solutions.zip"), str(REPO / "cs231n" / "rnn_layers.py"), str(kit / "points.toml")]
    writable = [str(kit / "points.toml"), str(kit / "base" / "cs231n" / "mod.py"), str(REPO / "tests" / "conftest_pwned.py"),
                str(REPO / "datasets" / "pwned"), "/usr/share/cs231n_pwned", "/etc/cs231n_pwned", str(tmp / "pwned"),
                "/autograder/results/results.json"]
    attacks = {
        "skip": "import pytest\n\n\ndef double(x):\n    pytest.skip('not today')\n",
        "xfail": "import pytest\n\n\ndef double(x):\n    pytest.xfail('known bug')\n",
        "atexit_forgery": (
            "import atexit, os\nimport numpy as np\n\n\ndef _forge():\n"
            "    for d in ('/sandbox/out', os.environ.get('CS231N_PROGRESS_JSON', '/tmp'), '/autograder/results'):\n"
            "        try:\n            os.makedirs(d, exist_ok=True)\n"
            "            for k in range(3):\n"
            "                np.savez(f'{d}/{k}.npz', **{f'c{j}/y': np.zeros(5) for j in range(4)})\n"
            "            open(f'{d}/results.json', 'w').write('{\"score\": 100}')\n"
            "        except OSError:\n            pass\n\n\natexit.register(_forge)\n\n\n"
            "def double(x):\n    raise NotImplementedError\n"),
        "patched_comparisons": (
            "import gc, sys\nimport numpy as np\n"
            "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n"
            "if 'torch' in sys.modules:\n    sys.modules['torch'].allclose = lambda *a, **k: True\n"
            "for o in gc.get_objects():\n    if isinstance(o, dict) and ('verdict' in o or 'pytest_runtest_makereport' in o):\n"
            "        o['verdict'] = o['pytest_runtest_makereport'] = lambda *a, **k: (True, 'forged')\n"
            "for name in list(sys.modules):\n    if 'progress' in name or 'grade' in name:\n"
            "        sys.modules[name].__dict__.clear()\n\n\ndef double(x):\n    return x\n"),
        "thief": (
            "import glob, os\n\n\ndef double(x):\n    found = []\n"
            f"    for path in {targets!r} + glob.glob('/proc/*/cmdline'):\n"
            "        try:\n            data = open(path, 'rb').read()\n        except OSError:\n            continue\n"
            "        if path.endswith('cmdline') and b'.zip' not in data and b'grade' not in data:\n            continue\n"
            "        found.append(path)\n"
            "    if found:\n        raise RuntimeError('LEAK ' + ' '.join(found))\n    return -x\n"),
        "writer": (
            "import os\n\n\ndef double(x):\n    wrote = []\n"
            f"    for path in {writable!r}:\n"
            "        try:\n            os.makedirs(os.path.dirname(path), exist_ok=True)\n"
            "            with open(path, 'a') as f:\n                f.write('pwned')\n            wrote.append(path)\n"
            "        except OSError:\n            pass\n"
            "    return 2 * x\n"),
        "double_fork": (
            "import os\n\n\ndef double(x):\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
            "            os.execv('/bin/sleep', ['sleep', '31.4159'])\n        os._exit(0)\n    return 2 * x\n"),
        "kill_parent": (
            "import os, signal\n\n\ndef double(x):\n    for pid in (os.getppid(), 1, -1):\n        try:\n"
            "            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n    return 2 * x\n"),
        "shared_memory": (
            "import mmap, os\n\n\ndef double(x):\n    try:\n        with open('/dev/shm/fill', 'wb') as f:\n"
            "            for _ in range(1024):\n                f.write(b'\\0' * (1 << 20))\n    except OSError:\n        pass\n"
            "    try:\n        fd = os.memfd_create('fill')\n        for _ in range(1024):\n"
            "            os.write(fd, b'\\0' * (1 << 20))\n    except OSError:\n        pass\n"
            "    try:\n        keep = bytearray(16 << 30)\n    except MemoryError:\n        pass\n    return 2 * x\n"),
        "print_hidden": (
            "import glob, sys\n\n\ndef double(x):\n    text = ''\n"
            "    roots = ('/sandbox', '/tmp', '/work', '/autograder', '/root')\n"
            "    for path in [p for r in roots for p in glob.glob(r + '/**/*.np[yz]', recursive=True)\n"
            "                 + glob.glob(r + '/**/cases/*.py', recursive=True)]:\n"
            "        if 'site-packages' in path or path.startswith(('/usr', '/proc')):\n            continue\n"
            "        try:\n            text += path + repr(open(path, 'rb').read()[:3000])\n        except OSError:\n            pass\n"
            "    print(text)\n    raise RuntimeError(text[:250] or 'nothing found')\n"),
        "fifo_and_link": ("import os\n\n\ndef double(x):\n    if not os.path.lexists('/sandbox/out/1.npz'):\n"
                          "        os.mkfifo('/sandbox/out/1.npz')\n"
                          "        os.symlink('/etc/passwd', '/sandbox/out/2.npz')\n    return 2 * x\n"),
        "endless_loop": "def double(x):\n    while True:\n        pass\n",
        "exits": "import os\n\n\ndef double(x):\n    os._exit(0)\n",
        "output_flood": "import sys\n\n\ndef double(x):\n    sys.stdout.write('x' * (50 << 20))\n    return 2 * x\n",
    }
    deserved = {"writer": 4, "double_fork": 4, "kill_parent": 4, "shared_memory": 4, "output_flood": 4,
                "fifo_and_link": 4}
    return {name: (text + "\n\n" + honest_triple, {"double": deserved.get(name, 0), "triple": 3})
            for name, text in attacks.items()}


def _alive(marker):
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker in cmdline.read_bytes():
                return True
        except OSError:
            pass
    return False


@pytest.mark.timeout(900)
def test_every_attack_scores_what_its_code_deserves_and_nothing_leaks_into_the_next(tiny, sandbox, tmp_path):
    out = tmp_path / "grades"
    _zip(tmp_path / "solutions.zip", {**SOLUTION, **NOTEBOOKS})
    attacks = _attacks(tmp_path, tiny)
    subs = []
    for name, (text, _) in attacks.items():
        subs.append(_zip(tmp_path / f"{name}.zip", {"cs231n/mod.py": text, "cs231n/other.py": SOLUTION["cs231n/other.py"],
                                                    **NOTEBOOKS}))
        subs.append(tmp_path / "solutions.zip")  # honest work right after each attack keeps its marks
    subs.append(_zip(tmp_path / "blank.zip", {**EMPTY, **NOTEBOOKS}))
    rows = grade.grade_batch(subs, tiny, sandbox, out)
    assert len(rows) == len(subs) and (out / "grades.csv").exists()
    csv_lines = (out / "grades.csv").read_text().splitlines()
    assert len(csv_lines) == len(subs) + 1
    everything = json.dumps([r for _, r, _ in rows])
    for (sub, results, total) in rows:
        scores = _scores(results)
        name = Path(sub).stem
        if name == "solutions":
            assert results["score"] == total == 9, (name, results)
            continue
        if name == "blank":
            assert results["score"] == 0, results
            continue
        deserved = attacks[name][1]
        got = {"double": scores["Q: double"], "triple": scores["Q: triple"]}
        assert got == deserved, (name, got, [e["output"] for e in results["tests"]])
        assert scores["Q2: half"] == 2, (name, results)
    # nothing the attacks read or wrote reached the grader's side
    assert "LEAK" not in everything, everything[:3000]
    assert "246.912" not in everything and "def cases" not in everything
    assert not (tmp_path / "pwned").exists() and not Path("/usr/share/cs231n_pwned").exists()
    assert not Path("/etc/cs231n_pwned").exists() and not (REPO / "tests" / "conftest_pwned.py").exists()
    assert "pwned" not in (tiny / "points.toml").read_text()
    by_name = {Path(s).stem: r for s, r, _ in rows}
    assert "timed out" in _scores_text(by_name["endless_loop"], "Q: double")
    assert "ended before" in _scores_text(by_name["exits"], "Q: double")
    assert "raised Skipped" in _scores_text(by_name["skip"], "Q: double")
    time.sleep(1)
    assert not _alive(b"31.4159"), "a process the submission started outlived its sandbox"


def _scores_text(results, name):
    return next(e["output"] for e in results["tests"] if e["name"] == name)


def test_bad_submissions_are_reported_not_crashed_on(tiny, sandbox, tmp_path):
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    syntax = _zip(tmp_path / "syntax.zip", {"cs231n/mod.py": "def double(x):\n    return 2 *\n",
                                            "cs231n/other.py": SOLUTION["cs231n/other.py"]})
    sneaky = _zip(tmp_path / "sneaky.zip", {"../../evil.py": "x", "cs231n/other.py": SOLUTION["cs231n/other.py"],
                                            "tests/conftest.py": "raise SystemExit"})
    rows = grade.grade_batch([not_zip, syntax, sneaky], tiny, sandbox, tmp_path / "out")
    (_, r0, _), (_, r1, _), (_, r2, _) = rows
    assert r0["score"] == 0 and "not a zip file" in r0["output"]
    assert _scores(r1)["Q: double"] == 0 and "SyntaxError" in _scores_text(r1, "Q: double")
    assert _scores(r1)["Q2: half"] == 2
    assert "leaves the submission folder" in r2["output"] and "ignored tests/conftest.py" in r2["output"]
    assert _scores(r2)["Q2: half"] == 2


def test_notebook_points_are_graded_by_hand_unless_configured(tiny, sandbox, tmp_path):
    sub = _zip(tmp_path / "s.zip", {**SOLUTION, "assignment3/Q.ipynb": _notebook(False, "**Your Answer:** x")})
    manual = grade.grade(sub, tiny, sandbox, questions={"Q"})
    entry = next(e for e in manual["tests"] if "by hand" in e["name"])
    assert entry["max_score"] == 0 and "PDF" in entry["output"]
    assert manual["score"] == 7
    auto = grade.grade(sub, tiny, sandbox, questions={"Q"}, automatic=True)
    labelled = [e for e in auto["tests"] if "automatic" in e["name"]]
    assert len(labelled) == 2 and auto["score"] == 8  # not run: 0 of 1; one answer written: 1 of 1


def test_a_notebook_without_cases_scores_nothing_and_says_why(tiny, sandbox, tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(tiny, kit)
    for f in (kit / "inputs").glob("Q2.*"):
        f.unlink()
    results = grade.grade(_zip(tmp_path / "s.zip", SOLUTION), kit, sandbox)
    assert _scores(results)["Q2: half"] == 0
    assert "not graded automatically" in _scores_text(results, "Q2: half")


def test_one_run_grades_every_notebook_and_each_case_starts_from_the_same_random_state(tiny, sandbox, tmp_path):
    """Q and Q2 share one sandbox run; what Q's functions draw from the random generators does not
    change the draws of Q2's half, and a crash in Q leaves Q2 to a fresh run with the same outputs."""
    draws = "import numpy as np\n\n\ndef half(x):\n    return x / 2 + np.random.rand(*np.shape(x))\n"
    runs = {}
    for label, double in [("quiet", "return 2 * x"), ("greedy", "np.random.rand(1000)\n    return 2 * x"),
                          ("crash", "import os\n    os._exit(3)")]:
        package = _write_package(tmp_path / label, {"cs231n/mod.py": "import numpy as np\n\n\n" + _module(
            {"double": double, "triple": "return 3 * x"}), "cs231n/other.py": draws})
        log = []
        runs[label] = (grade.run_notebooks(sandbox, tiny, ["Q", "Q2"], package, tmp_path / f"work-{label}", log=log), log)
    (quiet, quiet_log), (greedy, _), (crash, crash_log) = runs["quiet"], runs["greedy"], runs["crash"]
    assert len(quiet_log) == 1 and quiet_log[0].startswith("--- Q, Q2 run 1: exit 0"), quiet_log
    half = quiet["Q2"][0]["half"][0]
    assert half and all(not k.endswith("__error__") for k in half), half
    for other in (greedy, crash):
        assert other["Q2"][0]["half"][0].keys() == half.keys()
        for key, value in half.items():
            np.testing.assert_array_equal(other["Q2"][0]["half"][0][key], value)
    assert "ended before" in crash["Q"][1]["double"] and crash["Q"][0]["triple"][1] is None
    assert len(crash_log) == 2 and crash_log[1].startswith("--- Q, Q2 run 2"), crash_log


def test_seccomp_filter_refuses_memfd_in_the_sandbox(sandbox, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    fds = sandbox._fds()
    cmd = sandbox.command(tmp_path, [sandbox.python, "-I", "-c",
                                     "import os\ntry:\n    os.memfd_create('x'); print('made')\n"
                                     "except OSError as e:\n    print('refused', e.errno)\n"
                                     "print(os.getpid(), len([p for p in os.listdir('/proc') if p.isdigit()]) < 10)"])
    r = subprocess.run(cmd, capture_output=True, text=True, pass_fds=fds, timeout=60)
    sandbox._close()
    assert "refused 1" in r.stdout, r.stdout + r.stderr
    assert r.stdout.split()[-1] == "True"  # its own PID namespace: a handful of processes, not the machine's


# ----------------------------------------------------------------------------------------------
# The real assignment


def _marked(root):
    return sorted(p.relative_to(root).as_posix() for p in (root / "cs231n").rglob("*.py")
                  if START in p.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def real_kit(tmp_path_factory, sandbox):
    return grade.build_kit(tmp_path_factory.mktemp("real") / "kit", REPO, sandbox, log=lambda *a: None)


def _mutant_set(k, every=1):
    """One realistic mistake (the k-th of the catalogue's) in every `every`-th function that has one:
    ({rel: text}, [function])."""
    import mutants

    regions = mutants.regions(REPO)
    texts, chosen = {}, []
    for n, ((path, function), entries) in enumerate(mutants.catalogue.CATALOGUE.items()):
        live = [e for e in entries if len(e) == 3]
        if n % every or len(live) <= k or (path, function) not in regions:
            continue
        text = texts.get(path, regions[(path, function)][0])
        mine = [r for r in mutants.builder.named_regions(text, path) if r.function == function]
        try:
            texts[path] = mutants.apply(text, mine, *live[k][1:3])
            chosen.append(function)
        except ValueError:
            continue
    return texts, chosen


@pytest.fixture(scope="module")
def real_grades(real_kit, sandbox, tmp_path_factory):
    """The grader's results on the solutions, the blank edition and a set of catalogued mistakes
    (the first of each function's, in every other function), every notebook with cases."""
    tmp = tmp_path_factory.mktemp("real-grades")
    modules = _marked(real_kit / "base")
    variants = {"solutions": {rel: (REPO / rel).read_text() for rel in modules},
                "blank": {rel: (real_kit / "base" / rel).read_text() for rel in modules}}
    texts, mutated = _mutant_set(0, every=2)
    variants["mistakes"] = {**variants["solutions"], **texts}
    subs = [_zip(tmp / f"{label}.zip", files) for label, files in variants.items()]
    rows = grade.grade_batch(subs, real_kit, sandbox, tmp / "out")
    return {label: results for label, (_, results, _) in zip(variants, rows)}, variants, mutated


@pytest.mark.timeout(1800)
def test_solutions_full_marks_blank_zero_mistakes_partial_on_the_real_assignment(real_kit, real_grades):
    grades, _, mutated = real_grades
    sol, empty, wrong = grades["solutions"], grades["blank"], grades["mistakes"]
    points = grade.load_toml(real_kit / "points.toml")
    graded = {f"{nb}: {fn}" for nb in points if (real_kit / "inputs" / f"{nb}.json").exists()
              for fn in points[nb].get("functions", {})}
    assert len(graded) >= 39, "the six notebooks' functions all have graded cases"
    assert all(_scores(sol)[name] > 0 for name in graded), [e for e in sol["tests"] if e["score"] == 0]
    assert all(_scores(empty)[name] == 0 for name in graded)
    caught = [name for name in graded if name.split(": ", 1)[1] in mutated and _scores(wrong)[name] > 0]
    assert not caught, f"the grader gives marks to these mistakes: {caught}"
    assert 0 < wrong["score"] < sol["score"]


# Local verdicts (the progress report of `make test`) against the grader's, on the same three
# submissions, for the notebooks whose tests are quick enough to run three times here.
AGREEMENT = ["RNN_Captioning", "LSTM_Captioning", "Style_Transfer"]
AGREEMENT_TESTS = ["tests/test_rnn_layers.py", "tests/test_captioning_rnn.py", "tests/test_style_transfer.py"]


def _local_verdicts(root, tmp_path, label):
    """The progress report's verdicts of `make test`'s tests run against the package in root, in a
    process forked from tests/_variants.py's warm server (torch already imported)."""
    from _variants import run_pytest

    record = tmp_path / f"{label}.json"
    _, output = run_pytest(root, AGREEMENT_TESTS, timeout=900,
                           env={"CS231N_PROGRESS_JSON": str(record), "OMP_NUM_THREADS": "1"})
    assert record.exists(), f"{label}: the tests kept no progress record:\n{output}"
    rows = json.loads(record.read_text())["functions"]
    return {r["function"]: r["status"] == "passing" for r in rows if r["notebook"] in AGREEMENT}


@pytest.mark.timeout(1800)
def test_local_make_test_and_the_grader_agree_on_solutions_blank_and_mistakes(real_kit, real_grades, tmp_path):
    grades, variants, mutated = real_grades
    points = grade.load_toml(real_kit / "points.toml")
    functions = [fn for nb in AGREEMENT for fn in points[nb]["functions"]]
    for label, files in variants.items():
        root = tmp_path / label
        shutil.copytree(REPO / "cs231n", root / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
        for rel, text in files.items():
            (root / rel).write_text(text)
        local = _local_verdicts(root, tmp_path, label)
        graded = {e["name"].split(": ", 1)[1]: e["score"] > 0 for e in grades[label]["tests"]
                  if e["max_score"] > 0 and e["name"].split(": ", 1)[0] in AGREEMENT}
        considered = functions if label != "mistakes" else [f for f in functions if f in mutated]
        disagree = {f: (local.get(f), graded.get(f)) for f in considered if local.get(f) != graded.get(f)}
        assert not disagree, f"{label}: local (make test) and grader verdicts differ: {disagree}"


# ----------------------------------------------------------------------------------------------
# The Gradescope bundle, in a simulated /autograder


@pytest.mark.timeout(900)
def test_gradescope_bundle_grades_in_a_simulated_autograder_and_cannot_be_forged(real_kit, tmp_path):
    bundle = grade.write_bundle(tmp_path / "autograder.zip", REPO, kit=real_kit)
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        zf.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "grader/grade.py", "grader/kit/points.toml"} <= set(names)
    base_rnn = (root / "source" / "grader" / "kit" / "base" / "cs231n" / "rnn_layers.py").read_text()
    assert "x @ Wx + prev_h @ Wh + b" not in base_rnn and "rnn_step_forward in cs231n/rnn_layers.py: fill" in base_rnn
    # a submission that writes the results path and kills its parent, as one on Gradescope did
    rnn = (REPO / "cs231n" / "rnn_layers.py").read_text()
    forged = rnn.replace("import numpy as np", "import numpy as np\nimport os as _os\n"
                         f"for _p in ({str(root / 'results' / 'results.json')!r}, '/autograder/results/results.json'):\n"
                         "    try:\n        open(_p, 'w').write('{\"score\": 100.0}')\n    except OSError:\n        pass\n"
                         "try:\n    _os.kill(_os.getppid(), 9)\nexcept OSError:\n    pass\n", 1)
    (root / "submission" / "cs231n").mkdir(parents=True)
    (root / "submission" / "cs231n" / "rnn_layers.py").write_text(forged)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder"), "--questions", "LSTM_Captioning"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert "tests" in results and results["score"] == 20, results  # the LSTM functions are right: 20 of 20
