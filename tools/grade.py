#!/usr/bin/env python3
"""Grade assignment-3 submissions (the zip `make submit` writes) into Gradescope's results.json.

    python tools/grade.py SUBMISSION... --out DIR          (make grade SUBMISSION=path.zip)
    python tools/grade.py --bundle build/gradescope_autograder.zip   (make gradescope)

SUBMISSION is the student's zip or a folder holding its files (Gradescope unpacks an uploaded zip
into /autograder/submission). For each submission the grader

1. reads the zip without trusting it: only the files the assignment asks for are taken (the
   cs231n modules with START/END markers and the six notebooks); a path that climbs out of its
   folder, a link, an oversized member, any other file (tests, results.json, ...) is ignored and
   reported; a missing module counts as not started;
2. for each notebook in grading/points.toml, places the student's modules into a fresh copy of the
   grading base (the student edition, whose tests are the instructor's, plus tests_hidden/) and runs that
   notebook's test files in a separate process, in its own process group, with a time limit,
   a memory limit (RLIMIT_DATA), a limit on the size of every file it writes (RLIMIT_FSIZE, which
   also bounds its output) and every test under pytest-timeout; tools/progress.py, the same plugin
   that prints the students' progress report, says which tests reached which function;
3. scores each function: its points when every test that reached it passed (hidden tests count
   too), else zero with the first line of the first failing check; a run that changed the tests,
   ended without a report or ran out of time scores zero for its notebook's functions, saying why;
4. checks the notebooks: each must have been run (code cells with outputs) and each inline answer
   written (not the prompt); points for both come from grading/points.toml;
5. writes DIR/<submission>/results.json in Gradescope's format (score; tests with name, score,
   max_score, output, visibility) and, for a batch, one line per submission in DIR/grades.csv.

The grading base is built once per call from this checkout (tools/build_student.py) unless
--base names one (the Gradescope bundle carries its own).
"""

import argparse
import csv
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

from markers import START_MARKER

REPO_ROOT = Path(__file__).resolve().parent.parent
POINTS_FILE = "grading/points.toml"
HIDDEN_TESTS = "tests_hidden"
ANSWER_PREFIX = "**Your Answer:**"
ANSWER_PROMPT = "*Write your answer here.*"
MAX_MEMBER_BYTES = 50 << 20  # one file of the submission
MAX_TOTAL_BYTES = 200 << 20  # all of it, unpacked
MAX_WRITE_BYTES = 64 << 20  # any file a test run writes, its output included
OUTPUT_CHARS = 4000  # of a test run's output kept in results.json
# What the grading base holds besides the student edition (which has the tests students get), from the
# instructor's checkout. Not the other instructor-only tests: some spell out solutions, and submitted
# code runs beside the base.
BASE_EXTRA = [HIDDEN_TESTS, POINTS_FILE, "tools/progress.py", "tools/grade.py"]


class SubmissionProblem(Exception):
    """The whole submission cannot be graded (not a zip, nothing usable in it)."""


# ----------------------------------------------------------------------------------------------
# The grading base


def build_base(dest, repo=REPO_ROOT):
    """The student edition of `repo` in dest (its tests are the instructor's, less the instructor-only
    ones), with the hidden tests, the points and the grader."""
    import build_student  # here, not at the top: the Gradescope bundle's grade.py has no builder and never builds

    build_student.build(repo, dest, quiet=True)
    for rel in BASE_EXTRA:
        src = repo / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def load_points(base):
    with open(base / POINTS_FILE, "rb") as f:
        return tomllib.load(f)


def student_files(base):
    """The paths a submission may hold: the marked modules and the notebooks, as in the base."""
    modules = sorted(p.relative_to(base).as_posix() for p in (base / "cs231n").rglob("*.py")
                     if START_MARKER in p.read_text(encoding="utf-8"))
    notebooks = sorted(p.relative_to(base).as_posix() for p in (base / "assignment3").glob("*.ipynb"))
    return modules, notebooks


# ----------------------------------------------------------------------------------------------
# Reading a submission


def _safe_name(name):
    """The member's path relative to the submission, or None when it would leave the folder."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", "") for p in parts):
        return None
    return PurePosixPath(*[p for p in parts if p != "."]).as_posix()


def read_submission(path, allowed):
    """({relative path: bytes} of the allowed files, [notes]) from a zip or a folder."""
    path = Path(path)
    files, notes = {}, []
    if path.is_dir():
        members = []
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path).as_posix()
            if p.is_symlink():
                notes.append(f"ignored {rel}: a link")
            elif p.is_file():
                members.append((rel, p.stat().st_size, p.read_bytes))
        zips = [m for m in members if m[0].endswith(".zip")]
        if zips and not any(m[0] in allowed for m in members):  # Gradescope kept the zip as uploaded
            return read_submission(path / zips[0][0], allowed)
    else:
        if not zipfile.is_zipfile(path):
            raise SubmissionProblem(f"{path.name} is not a zip file: submit the zip that `make submit` writes")
        try:
            zf = zipfile.ZipFile(path)
            members = []
            for info in zf.infolist():
                if info.is_dir():
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    notes.append(f"ignored {info.filename}: a link")
                    continue
                members.append((info.filename, info.file_size, lambda i=info: zf.read(i)))
        except (zipfile.BadZipFile, OSError) as e:
            raise SubmissionProblem(f"{path.name} is not a readable zip ({e}): run `make submit` again") from None
    names = {_safe_name(m[0]) for m in members} - {None}
    prefix = ""
    if not names & set(allowed):  # the student zipped the folder: accept one top-level folder
        tops = {n.split("/", 1)[0] for n in names if "/" in n}
        if len(tops) == 1:
            prefix = tops.pop() + "/"
    # Gradescope keeps files uploaded one by one without their folders: rnn_layers.py, not cs231n/rnn_layers.py
    by_basename = {}
    for path in allowed:
        by_basename.setdefault(PurePosixPath(path).name, []).append(path)
    total = 0
    for name, size, read in members:
        rel = _safe_name(name)
        if rel is None:
            notes.append(f"ignored {name}: its path leaves the submission folder")
            continue
        rel = rel[len(prefix):] if prefix and rel.startswith(prefix) else rel
        if "/" not in rel and rel not in allowed and len(by_basename.get(rel, [])) == 1:
            notes.append(f"took {rel} as {by_basename[rel][0]}")
            rel = by_basename[rel][0]
        if rel not in allowed:
            if not rel.startswith(("__MACOSX/", ".")) and "/." not in rel and "__pycache__" not in rel:
                notes.append(f"ignored {rel}: not a file the assignment asks for")
            continue
        if size > MAX_MEMBER_BYTES or total + size > MAX_TOTAL_BYTES:
            notes.append(f"ignored {rel}: {size} bytes, more than the grader reads")
            continue
        try:
            data = read()
        except Exception as e:  # a corrupt member
            notes.append(f"ignored {rel}: unreadable ({type(e).__name__}: {e})")
            continue
        if len(data) > MAX_MEMBER_BYTES:
            notes.append(f"ignored {rel}: more than the grader reads")
            continue
        total += len(data)
        files[rel] = data
    if not files:
        raise SubmissionProblem("the submission holds none of the assignment's files "
                                "(cs231n modules, assignment3 notebooks): submit the zip that `make submit` writes")
    return files, notes


def syntax_problem(rel, data):
    """One line when a module does not compile, else None."""
    try:
        compile(data.decode("utf-8"), rel, "exec", dont_inherit=True)
    except SyntaxError as e:
        return f"{rel} line {e.lineno}: SyntaxError: {e.msg}"
    except (UnicodeDecodeError, ValueError) as e:
        return f"{rel}: not Python source ({e})"
    return None


# ----------------------------------------------------------------------------------------------
# Running one notebook's tests


def _digest(folder, rels):
    h = hashlib.sha256()
    for rel in rels:
        for p in sorted((folder / rel).rglob("*")) if (folder / rel).is_dir() else [folder / rel]:
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _limits(memory_mb):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_DATA, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_WRITE_BYTES, MAX_WRITE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_question(base, work, modules, name, table, datasets):
    """Run one notebook's tests on the student's modules; returns (record or None, problem, output)."""
    qdir = work / name
    shutil.copytree(base, qdir, symlinks=True, ignore=shutil.ignore_patterns("datasets", "__pycache__", ".venv"))
    for rel, data in modules.items():
        (qdir / rel).write_bytes(data)
    guarded = ["tests", HIDDEN_TESTS, POINTS_FILE, "tools", "pyproject.toml"]
    before = _digest(qdir, guarded)
    record = work / f"{name}.progress.json"
    log = work / f"{name}.log"
    targets = [t for t in table.get("tests", []) if (qdir / t).exists()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS231N_", "PYTEST_"))}
    env.update(PYTHONPATH=str(qdir), CS231N_DATASETS=str(datasets), CS231N_OFFLINE="1", CS231N_COCO="sample",
               MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", CS231N_PROGRESS_JSON=str(record),
               OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "2"))
    cmd = [sys.executable, "-m", "pytest", *targets, "-q", "--tb=short", "-p", "no:cacheprovider",
           "-p", "no:nbval", "-m", "not notebook", "-o", f"timeout={table.get('test_timeout', 60)}",
           "--rootdir", str(qdir), "-c", str(qdir / "pyproject.toml")]
    timeout = table.get("timeout", 300)
    start = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=qdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_limits(table.get("memory_mb", 4096)))
        try:
            rc = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out, rc = True, None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the run and anything it started
            except ProcessLookupError:
                pass
            proc.wait()
    elapsed = time.monotonic() - start
    output = _tail(log)
    problem = None
    if timed_out:
        problem = f"the tests of {name} ran past {timeout} s and were stopped (a loop that never ends?)"
    elif rc == -signal.SIGXFSZ or "File too large" in output or log.stat().st_size >= MAX_WRITE_BYTES:
        problem = f"the tests of {name} wrote more than {MAX_WRITE_BYTES >> 20} MB (huge output?) and were stopped"
    elif not record.exists():
        problem = (f"the tests of {name} ended after {elapsed:.0f} s without a report (exit status {rc}): did the "
                   "code call sys.exit() or os._exit(), or run out of memory?")
    elif _digest(qdir, guarded) != before:
        problem = f"the tests of {name} were changed during the run (the submission wrote to the grader's files)"
    result = None
    if problem is None:
        try:
            result = json.loads(record.read_text())
        except (json.JSONDecodeError, OSError):
            problem = f"the tests of {name} left an unreadable report"
    shutil.rmtree(qdir, ignore_errors=True)
    return result, problem, output


def _tail(log):
    try:
        size = log.stat().st_size
        with open(log, "rb") as f:
            f.seek(max(0, size - OUTPUT_CHARS))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return ("...\n" if size > OUTPUT_CHARS else "") + text


# ----------------------------------------------------------------------------------------------
# Notebooks


def notebook_entries(name, table, data, expected_answers):
    """Gradescope test entries for the notebook being run and its inline answers."""
    rel = f"assignment3/{name}.ipynb"
    run_pts, answer_pts = table.get("run", 0), table.get("answer", 0)
    entries = []
    nb, why = None, None
    if data is None:
        why = f"{rel} is missing from the submission"
    else:
        try:
            nb = json.loads(data.decode("utf-8"))
            cells = nb["cells"]
            if not isinstance(cells, list):
                raise TypeError("cells is not a list")
        except Exception as e:
            why, nb = f"{rel} is not a readable notebook ({type(e).__name__})", None
    if nb is not None:
        code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
        ran = [c for c in code if c.get("outputs") and c.get("execution_count") is not None]
        ok = bool(code) and len(ran) > 0
        detail = f"{len(ran)} of {len(code)} code cells have outputs"
        entries.append(_entry(f"{name}: notebook run", run_pts if ok else 0, run_pts,
                              detail if ok else f"{rel} was not run ({detail}): run all cells and save before "
                              "`make submit`"))
        answers = [_text(c) for c in cells if isinstance(c, dict) and c.get("cell_type") == "markdown"
                   and _text(c).lstrip().startswith(ANSWER_PREFIX)]
        filled = [a for a in answers if a.replace(ANSWER_PREFIX, "").replace(ANSWER_PROMPT, "").strip()]
        missing = max(0, expected_answers - len(filled))
        detail = f"{min(len(filled), expected_answers)} of {expected_answers} inline answers written"
        if missing:
            detail += f"; {missing} still the prompt or missing"
        entries.append(_entry(f"{name}: inline answers", answer_pts * min(len(filled), expected_answers),
                              answer_pts * expected_answers, detail))
    else:
        entries.append(_entry(f"{name}: notebook run", 0, run_pts, why))
        entries.append(_entry(f"{name}: inline answers", 0, answer_pts * expected_answers, why))
    return entries


def _text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def expected_answers(base, name):
    path = base / "assignment3" / f"{name}.ipynb"
    if not path.exists():
        return 0
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return sum(1 for c in cells if c.get("cell_type") == "markdown" and _text(c).lstrip().startswith(ANSWER_PREFIX))


def _entry(name, score, max_score, output, visibility="visible"):
    return {"name": name, "score": round(score, 4), "max_score": max_score, "output": output[:OUTPUT_CHARS],
            "visibility": visibility}


# ----------------------------------------------------------------------------------------------
# One submission


def grade(submission, base, datasets, questions=None, work=None):
    """The results.json dict for one submission (never raises for a bad submission)."""
    points = load_points(base)
    names = [q for q in points if questions is None or q in questions]
    modules_allowed, notebooks_allowed = student_files(base)
    notes, entries = [], []
    try:
        files, notes = read_submission(submission, set(modules_allowed) | set(notebooks_allowed))
    except SubmissionProblem as e:
        files, notes = None, [str(e)]
    if files is None:
        for name in names:
            for function, pts in points[name].get("functions", {}).items():
                entries.append(_entry(f"{name}: {function}", 0, pts, notes[0]))
            entries += notebook_entries(name, points[name], None, expected_answers(base, name))
        return _results(entries, notes)

    modules = {rel: data for rel, data in files.items() if rel in modules_allowed}
    broken = {}
    for rel in modules_allowed:
        if rel not in modules:
            notes.append(f"missing {rel}: its functions count as not started")
        elif (problem := syntax_problem(rel, modules[rel])) is not None:
            broken[rel] = problem
            notes.append(problem)

    own_work = work is None
    work = Path(tempfile.mkdtemp(prefix="grade-")) if own_work else Path(work)
    try:
        for name in names:
            table = points[name]
            result, problem, output = run_question(base, work, modules, name, table, datasets)
            rows = {r["function"]: r for r in (result or {}).get("functions", [])}
            for function, pts in table.get("functions", {}).items():
                row = rows.get(function)
                path = row["path"] if row else next((p for p in broken if _defines(base, p, function)), "")
                if problem:
                    score, text = 0, problem + ("\n" + output[-1500:] if output else "")
                elif path in broken:
                    score, text = 0, f"{broken[path]}: the module does not load"
                elif row is None:
                    score, text = 0, "not found in the submitted package"
                elif row["status"] == "passing":
                    score, text = pts, f"passing ({len(row['tests'])} test(s) reached it)"
                else:
                    score, text = 0, _failure_text(row)
                entries.append(_entry(f"{name}: {function}", score, pts, text))
            entries += notebook_entries(name, table, files.get(f"assignment3/{name}.ipynb"),
                                        expected_answers(base, name))
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    return _results(entries, notes)


def _defines(base, rel, function):
    return f"def {function.split('.')[-1]}(" in (base / rel).read_text(encoding="utf-8")


def _failure_text(row):
    failed = row.get("failed", [])
    if failed and failed[0].startswith(HIDDEN_TESTS + "/"):
        return "failing: fails a hidden test (hidden tests do not show their message)"
    return f"{row['status']}: {row['detail']}" + (f" ({failed[0]})" if failed else "")


def _results(entries, notes):
    score = round(sum(e["score"] for e in entries), 4)
    total = sum(e["max_score"] for e in entries)
    summary = [f"score {score:g} of {total:g}"] + notes
    return {"score": score, "output": "\n".join(summary), "visibility": "visible",
            "stdout_visibility": "hidden", "tests": entries}


# ----------------------------------------------------------------------------------------------
# Command line


def write_bundle(zip_path, repo=REPO_ROOT):
    """The Gradescope autograder zip: setup.sh, run_autograder and the grading base."""
    here = Path(__file__).resolve().parent / "gradescope"
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        base = build_base(Path(tmp) / "base", repo)
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        part = zip_path.with_name(zip_path.name + ".tmp")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for script in ("setup.sh", "run_autograder"):
                info = zipfile.ZipInfo(script)
                info.external_attr = (0o755 | stat.S_IFREG) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, (here / script).read_bytes())
            for file in sorted(base.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts:
                    zf.write(file, f"base/{file.relative_to(base).as_posix()}")
        part.replace(zip_path)
    return zip_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", nargs="*", type=Path, help="zips (or folders) to grade")
    parser.add_argument("--out", type=Path, default=Path("build/grades"),
                        help="where results go: OUT/<submission>/results.json and OUT/grades.csv")
    parser.add_argument("--results", type=Path, help="one submission: write its results.json exactly here")
    parser.add_argument("--base", type=Path, help="a grading base already built (default: build one now)")
    parser.add_argument("--datasets", type=Path, default=None,
                        help="the datasets folder the tests read (default: BASE/datasets, else this checkout's)")
    parser.add_argument("--questions", help="comma-separated notebooks to grade (default: all in points.toml)")
    parser.add_argument("--bundle", type=Path, help="write the Gradescope autograder zip here and stop")
    args = parser.parse_args(argv)

    if args.bundle:
        print(f"gradescope bundle: {write_bundle(args.bundle)}")
        return 0
    if not args.submissions:
        parser.error("name at least one submission (a zip from `make submit`)")
    if args.results and len(args.submissions) != 1:
        parser.error("--results takes exactly one submission")
    questions = set(args.questions.split(",")) if args.questions else None

    with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
        if args.base:
            base = args.base.resolve()
        else:
            print("grade: building the grading base (student edition + instructor and hidden tests)")
            base = build_base(Path(tmp) / "base")
        datasets = (args.datasets or (base / "datasets" if (base / "datasets" / "coco_sample").exists()
                                      else REPO_ROOT / "datasets")).resolve()
        rows = []
        for sub in args.submissions:
            results = grade(sub, base, datasets, questions)
            if args.results:
                target = args.results
            else:
                target = args.out / _slug(sub) / "results.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(results, indent=1))
            total = sum(e["max_score"] for e in results["tests"])
            print(f"{sub}: {results['score']:g} of {total:g} -> {target}")
            for line in results["output"].splitlines()[1:]:
                print(f"  {line}")
            rows.append((sub, results, total))
        if not args.results:
            write_csv(args.out / "grades.csv", rows)
            print(f"grades: {args.out / 'grades.csv'}")
    return 0


def _slug(path):
    name = Path(path).name
    for suffix in (".zip",):
        name = name[: -len(suffix)] if name.endswith(suffix) else name
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "submission"


def write_csv(path, rows):
    """One line per submission: its name, score, maximum, the score of each notebook, notes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    notebooks = []
    for _, results, _ in rows:
        for e in results["tests"]:
            nb = e["name"].split(":", 1)[0]
            if nb not in notebooks:
                notebooks.append(nb)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "score", "max_score", *notebooks, "notes"])
        for sub, results, total in rows:
            per = {nb: sum(e["score"] for e in results["tests"] if e["name"].split(":", 1)[0] == nb)
                   for nb in notebooks}
            w.writerow([Path(sub).name, f"{results['score']:g}", f"{total:g}", *(f"{per[nb]:g}" for nb in notebooks),
                        " | ".join(results["output"].splitlines()[1:])])


if __name__ == "__main__":
    sys.exit(main())
