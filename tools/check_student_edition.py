#!/usr/bin/env python3
"""Check the student edition and its local autograder: every blank must be caught by a test.

    python tools/check_student_edition.py [--keep DIR] [--timeout SECONDS] [--verbose]

1. Builds the student edition into a temporary folder (tools/build_student.py: blanks, answers,
   outputs, leak check).
2. Checks it as a student meets it: every cs231n module imports from the edition, every notebook
   is a valid notebook, and its Makefile has `test` and `lab` targets that need no instructor-only
   file.
3. Runs its unit tests (pytest tests, offline, with CS231N_DATASETS pointing at this checkout's
   datasets/ so nothing is rebuilt; no notebook runs: nbval is off and tests marked `notebook`
   are deselected).
4. Maps failures to blanks. A blank is caught by a failing test whose output carries the blank's
   NotImplementedError text, or whose assertion message names the function.
5. Most blanks hide behind others when all are blank at once: a backward test stops at the
   forward blank it calls first. For those, the check models the student who has finished
   everything else. It runs the failing tests once on the solutions, instrumented to record which
   tests reach which solution region; then reruns a test that reaches each hidden blank with that
   one blank raising exactly as the edition does, and everything else solved.

Prints one row per blanked function: the test that catches it, or NOT CAUGHT. Exits 1 when a
blank is not caught, a failure names no blank, a test file does not even load, or the edition
does not work as students meet it.

This file is also the pytest plugin of those runs (`-p check_student_edition`, the hooks at the
bottom): it records failures, and in the instrumented runs the regions each test reaches.
"""

import argparse
import concurrent.futures
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from markers import BLANK_MESSAGE, BLANK_TEXT

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(__file__).resolve().parent

_spec = importlib.util.spec_from_file_location("build_student", TOOLS / "build_student.py")
builder = importlib.util.module_from_spec(_spec)
sys.modules["build_student"] = builder
_spec.loader.exec_module(builder)

_BLANK_MESSAGE = re.compile(r"NotImplementedError: (\S+) in (\S+): " + re.escape(BLANK_TEXT))


def _env(edition, repo, **probe):
    env = dict(os.environ)
    paths = [str(edition), str(TOOLS)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["CS231N_DATASETS"] = str(repo / "datasets")
    env["CS231N_OFFLINE"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key, value in probe.items():
        env[f"CS231N_PROBE_{key.upper()}"] = str(value)
    return env


def run_tests(edition, repo, targets, tmp, name, timeout, verbose=False, blanks=None):
    """Run pytest on `targets` in `edition` with this file as plugin.

    blanks: {test id: [path, function]}, the one blank each test runs with (instrumented runs).
    Returns (summary line, probe record: failures, collection_errors, reached)."""
    record = tmp / f"{name}.json"
    probe = {"out": record}
    if blanks is not None:
        (tmp / f"{name}-blanks.json").write_text(json.dumps(blanks))
        probe["blanks"] = tmp / f"{name}-blanks.json"
    cmd = [sys.executable, "-m", "pytest", *targets, "-q", "--tb=short", "-p", "no:cacheprovider",
           "-p", "no:nbval", "-p", "no:progress-report", "-p", "check_student_edition", "-m", "not notebook",
           "--continue-on-collection-errors"]
    try:
        proc = subprocess.run(cmd, cwd=edition, env=_env(edition, repo, **probe), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"check_student_edition: the student edition's tests ran past {timeout} s") from None
    output = proc.stdout + proc.stderr
    if verbose:
        print(output)
    lines = [line for line in output.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "(no output)"
    if proc.returncode not in (0, 1, 5) or not record.exists():
        raise SystemExit(f"check_student_edition: pytest failed to run (exit {proc.returncode}):\n"
                         + "\n".join(lines[-30:]))
    return summary, json.loads(record.read_text())


def _split(targets, edition, jobs):
    """`targets` in up to `jobs` groups of whole test files, balanced by the number of tests."""
    if targets == ["tests"]:
        targets = sorted(p.relative_to(edition).as_posix() for p in (edition / "tests").glob("test_*.py"))
    by_file = {}
    for t in targets:
        by_file.setdefault(t.split("::", 1)[0], []).append(t)
    groups = [[] for _ in range(max(1, min(jobs, len(by_file))))]
    for _, ids in sorted(by_file.items(), key=lambda kv: -len(kv[1])):
        min(groups, key=len).extend(ids)
    return [g for g in groups if g]


def run_tests_parallel(edition, repo, targets, tmp, name, timeout, verbose=False, blanks=None, jobs=2):
    """run_tests over `jobs` processes at once, each on whole test files; the records merged."""
    groups = _split(list(targets), edition, jobs)
    if len(groups) <= 1:
        return run_tests(edition, repo, targets, tmp, name, timeout, verbose, blanks)
    with concurrent.futures.ThreadPoolExecutor(len(groups)) as pool:
        parts = list(pool.map(lambda ig: run_tests(edition, repo, ig[1], tmp, f"{name}-{ig[0]}", timeout, verbose,
                                                   blanks), enumerate(groups)))
    record = {"failures": {}, "collection_errors": {}, "reached": {}}
    for _, part in parts:
        for key in record:
            record[key].update(part[key])
    return "; ".join(summary for summary, _ in parts), record


def catches(failure, function, message):
    """True when a test's failure names the blank: its NotImplementedError text, or an
    assertion message that names the function."""
    if message in failure["text"] or message in failure["message"]:
        return True
    first = failure["message"].lstrip()
    return bool(first.startswith("AssertionError")
                and re.search(rf"(?<![\w.]){re.escape(function)}(?!\w)", first))


def instrument(text, path):
    """The instructor's source with a probe call at the top of each solution region: it records
    that the running test reached the region, and raises the edition's NotImplementedError when
    this region's function is the test's one blank."""
    lines = text.splitlines(keepends=True)
    for r in reversed(builder.named_regions(text, path)):
        lines.insert(r.start, f'{r.indent}__import__("check_student_edition").reached("{path}", "{r.function}")\n')
    return "".join(lines)


def check_as_student_meets_it(edition, repo):
    """Problems (strings) with the edition as a student opens it; empty when all is well."""
    problems = []
    probe = ("import importlib, pkgutil, cs231n\n"
             "print(cs231n.__file__)\n"
             "for m in pkgutil.walk_packages(cs231n.__path__, 'cs231n.'):\n"
             "    importlib.import_module(m.name)\n")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=edition, env=_env(edition, repo),
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        problems.append("the cs231n package does not import from the edition:\n"
                        + "\n".join(proc.stderr.strip().splitlines()[-8:]))
    elif not Path(proc.stdout.splitlines()[0]).resolve().is_relative_to(edition.resolve()):
        problems.append(f"cs231n was imported from {proc.stdout.splitlines()[0]}, not from the edition")

    notebooks = sorted(edition.glob("assignment3/*.ipynb"))
    if notebooks:
        import nbformat

        for nb in notebooks:
            try:
                nbformat.validate(nbformat.read(nb, as_version=4))
            except Exception as e:  # any reason a notebook would not open
                problems.append(f"{nb.relative_to(edition)} does not open as a notebook: {e}")

    if not (edition / "Makefile").exists():
        problems.append("the edition has no Makefile: students need `make test` and `make lab`")
    elif shutil.which("make"):
        for target in ("test", "lab"):
            proc = subprocess.run(["make", "-n", target], cwd=edition, env=_env(edition, repo),
                                  capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                problems.append(f"`make {target}` does not work in the edition: {proc.stderr.strip()}")
                continue
            commands = re.sub(r"-[efd]\s+\S+", "", proc.stdout)  # `[ -f tools/build_student.py ]` is a guard
            for path in builder.INSTRUCTOR_ONLY:
                if path.rstrip("/") in commands:
                    problems.append(f"`make {target}` in the edition calls {path}, which students do not have")
    return problems


def _by_name(function, tests):
    """Tests sorted so that those named after the function come first."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", function).lower()  # PositionalEncoding -> positional_encoding
    words = set(re.split(r"[_.]+", snake)) - {""}
    return sorted(tests, key=lambda t: -len(words & set(re.split(r"[_.:/\[\]]+", t.lower()))))


def catch_alone(repo, edition_dir, tmp, missing, blanks, failed, args):
    """{(path, function): test id} for the blanks in `missing` caught when they are the only blank
    left; the others are absent."""
    variant = tmp / "variant"
    shutil.copytree(edition_dir, variant, symlinks=True)
    for path in {path for path, _ in blanks}:
        (variant / path).write_text(instrument((repo / path).read_text(encoding="utf-8"), path), encoding="utf-8")

    _, record = run_tests_parallel(variant, repo, failed, tmp, "reach", args.timeout, args.verbose, blanks={},
                                   jobs=args.jobs)
    reached_by = {key: [] for key in missing}
    for test, keys in record["reached"].items():
        for path, function in keys:
            if (path, function) in reached_by:
                reached_by[(path, function)].append(test)
    queue = {key: _by_name(key[1], tests) for key, tests in reached_by.items() if tests}
    print(f"   on the solutions, {len(queue)} of them are reached by a failing test")

    found, round_no = {}, 0
    while queue:
        round_no += 1
        assignment = {}  # test id -> the one blank it runs with; a test serves one blank per round
        for key, tests in queue.items():
            test = next((t for t in tests if t not in assignment), None)
            if test is not None:
                assignment[test] = key
                tests.remove(test)
        _, record = run_tests_parallel(variant, repo, sorted(assignment), tmp, f"alone{round_no}", args.timeout,
                                       args.verbose, blanks={t: list(k) for t, k in assignment.items()},
                                       jobs=args.jobs)
        for test, key in assignment.items():
            failure = record["failures"].get(test)
            if failure and catches(failure, key[1], blanks[key]):
                found[key] = test
        queue = {key: tests for key, tests in queue.items() if key not in found and tests}
    return found


def print_table(blanks, caught, alone):
    """Print one row per blank; return the blanks no test catches."""
    rows, not_caught = [], []
    for key in sorted(blanks):
        path, function = key
        if caught.get(key):
            tests = _by_name(function, caught[key])
            more = f" (+{len(tests) - 1} more)" if len(tests) > 1 else ""
            rows.append((path, function, f"{tests[0]}{more}"))
        elif key in alone:
            rows.append((path, function, f"{alone[key]} (once the blanks it stops at first are done)"))
        else:
            rows.append((path, function, "NOT CAUGHT"))
            not_caught.append(key)
    if rows:
        w1 = max(len("file"), *(len(r[0]) for r in rows))
        w2 = max(len("blanked function"), *(len(r[1]) for r in rows))
        print(f"\n{'file':<{w1}}  {'blanked function':<{w2}}  caught by")
        print(f"{'-' * w1}  {'-' * w2}  {'-' * 9}")
        for path, function, by in rows:
            print(f"{path:<{w1}}  {function:<{w2}}  {by}")
        print()
    return not_caught


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="build the edition here and keep it (default: a temp folder)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds for each pytest run (default 1800)")
    parser.add_argument("--verbose", action="store_true", help="show pytest's own output")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="pytest processes run at once, each on whole test files (default: 2)")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repo = args.repo.resolve()

    with tempfile.TemporaryDirectory(prefix="student-check-") as tmp:
        tmp = Path(tmp)
        edition_dir = args.keep.resolve() if args.keep else tmp / "student"
        print(f"1. building the student edition in {edition_dir}")
        try:
            edition = builder.build(repo, edition_dir, quiet=True)
        except builder.BuildError as e:
            print(f"check_student_edition: the build failed: {e}", file=sys.stderr)
            return 1
        blanks = edition.blanked_functions  # {(path, function): message}
        print(f"   {len(edition.files)} files, {len(blanks)} blanked function(s), "
              f"{len(edition.answers)} inline answer(s) replaced")

        if (repo / ".venv").is_dir() and not (edition_dir / ".venv").exists():
            (edition_dir / ".venv").symlink_to(repo / ".venv")  # as after the student's `make setup`
        print("2. checking the edition as a student meets it (imports, notebooks, make test/lab)")
        problems = check_as_student_meets_it(edition_dir, repo)

        print("3. running its unit tests (offline, sample data, no notebooks)")
        summary, record = run_tests_parallel(edition_dir, repo, ["tests"], tmp, "edition", args.timeout,
                                             args.verbose, jobs=args.jobs)
        print(f"   pytest: {summary}")
        failures = record["failures"]
        if blanks and not failures and not record["collection_errors"]:
            problems.append("no unit test fails in the edition, so no blank is caught")
        for nodeid, text in record["collection_errors"].items():
            problems.append(f"{nodeid} does not load in the student edition: "
                            f"{(text.strip().splitlines() or [''])[-1]}")

        caught = {key: [t for t, f in failures.items() if catches(f, key[1], msg)] for key, msg in blanks.items()}
        missing = [key for key, tests in caught.items() if not tests]
        alone = {}
        if missing:
            print(f"4. {len(missing)} blank(s) hidden behind others: checking each as the only blank left")
            alone = catch_alone(repo, edition_dir, tmp, missing, blanks, sorted(failures), args)

        named = {(m.group(2), m.group(1)) for f in failures.values() for m in _BLANK_MESSAGE.finditer(f["text"])}
        for path, function in sorted(named - set(blanks)):
            problems.append(f"a failure names {function} in {path}, which the builder did not blank")
        for test, f in failures.items():
            if not any(catches(f, fn, msg) for (_, fn), msg in blanks.items()):
                problems.append(f"{test} fails in the student edition without naming a blank: "
                                f"{(f['message'].strip().splitlines() or ['?'])[0][:200]}")

        not_caught = print_table(blanks, caught, alone)
        for p in problems:
            print(f"PROBLEM: {p}")
        if not blanks:
            print("no blanked function found: nothing for the autograder to catch yet")
        ok = not not_caught and not problems
        print(f"student edition check: {'PASS' if ok else 'FAIL'} ({len(blanks) - len(not_caught)}/{len(blanks)} "
              f"blanks caught, {len(problems)} problem(s))")
        return 0 if ok else 1


# ----------------------------------------------------------------------------------------------
# The pytest plugin side: active only inside the runs above (CS231N_PROBE_OUT set).

_probe = {"test": None, "failures": {}, "collection_errors": {}, "reached": {}, "blanks": {}}


def reached(path, function):
    """Called at the top of each solution region in an instrumented variant."""
    test = _probe["test"]
    if test is not None:
        _probe["reached"].setdefault(test, [])
        if [path, function] not in _probe["reached"][test]:
            _probe["reached"][test].append([path, function])
        if _probe["blanks"].get(test) == [path, function]:
            raise NotImplementedError(BLANK_MESSAGE.format(function=function, path=path))


def pytest_configure(config):
    if os.environ.get("CS231N_PROBE_BLANKS"):
        _probe["blanks"] = json.loads(Path(os.environ["CS231N_PROBE_BLANKS"]).read_text())


def pytest_runtest_logstart(nodeid, location):
    _probe["test"] = nodeid


def pytest_runtest_logfinish(nodeid, location):
    _probe["test"] = None


def pytest_runtest_logreport(report):
    if report.failed:
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        entry = _probe["failures"].setdefault(report.nodeid, {"text": "", "message": ""})
        entry["text"] += report.longreprtext + "\n"
        last = (report.longreprtext.strip().splitlines() or [""])[-1]
        entry["message"] += (crash.message if crash is not None else last) + "\n"


def pytest_collectreport(report):
    if report.failed:
        _probe["collection_errors"][report.nodeid or "(collection)"] = report.longreprtext


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("CS231N_PROBE_OUT")
    if out:
        record = {k: _probe[k] for k in ("failures", "collection_errors", "reached")}
        Path(out).write_text(json.dumps(record))


if __name__ == "__main__":
    sys.exit(main())
