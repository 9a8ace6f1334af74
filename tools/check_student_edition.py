#!/usr/bin/env python3
"""Check the student edition and its local autograder: every blank must be caught by a test.

    python tools/check_student_edition.py [--keep DIR] [--timeout SECONDS]

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
5. A blank that no test catches directly (its test stopped first at a blank it calls, as
   CaptioningRNN.loss stops at affine_forward) gets a second chance that models the student who
   has finished everything else: the tests whose traceback went through it run again with it as
   the only blank left.

Prints one row per blanked function: the test(s) that catch it, or NOT CAUGHT. Exits 1 when a
blank is not caught, a failure names no blank, a test file does not even load, or the edition
does not work as students meet it.
"""

import argparse
import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

_spec = importlib.util.spec_from_file_location("build_student", Path(__file__).with_name("build_student.py"))
builder = importlib.util.module_from_spec(_spec)
sys.modules["build_student"] = builder
_spec.loader.exec_module(builder)

_FRAME = re.compile(r"^(\S+?\.py):(\d+): in \S+", re.MULTILINE)
_BLANK_MESSAGE = re.compile(r"NotImplementedError: (\S+) in (\S+): fill in the code between")


@dataclass
class Outcome:
    """One test that did not pass."""

    nodeid: str
    message: str  # the exception line(s), as junit's message attribute
    text: str  # the traceback (--tb=short)
    collection_error: bool = False
    frames: list = field(default_factory=list)  # [(file, line)] of every traceback entry


def _env(edition, repo):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(edition)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["CS231N_DATASETS"] = str(repo / "datasets")
    env["CS231N_OFFLINE"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _nodeid(case):
    """pytest's node id from a junit (xunit1) testcase element."""
    file, classname, name = case.get("file", ""), case.get("classname", ""), case.get("name", "")
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file[:-3].replace("/", ".")
    classes = classname[len(module) + 1 :].split(".") if classname.startswith(module + ".") else []
    return "::".join([file] + [c for c in classes if c] + [name])


def run_tests(edition, repo, targets, xml_path, timeout, verbose=False):
    """Run pytest on `targets` in the edition; return (exit code, summary line, [Outcome])."""
    cmd = [sys.executable, "-m", "pytest", *targets, "-q", "--tb=short", "-p", "no:cacheprovider",
           "-o", "junit_family=xunit1", f"--junitxml={xml_path}", "-m", "not notebook", "-p", "no:nbval",
           "--continue-on-collection-errors"]
    try:
        proc = subprocess.run(cmd, cwd=edition, env=_env(edition, repo), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"check_student_edition: the student edition's tests ran past {timeout} s") from None
    output = proc.stdout + proc.stderr
    if verbose:
        print(output)
    lines = [line for line in output.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "(no output)"
    if proc.returncode not in (0, 1, 5) or not Path(xml_path).exists():
        raise SystemExit(f"check_student_edition: pytest failed to run (exit {proc.returncode}):\n"
                         + "\n".join(lines[-30:]))
    outcomes = []
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        bad = [el for el in case if el.tag in ("failure", "error")]
        if not bad:
            continue
        message = "\n".join(el.get("message", "") for el in bad)
        text = "\n".join(el.text or "" for el in bad)
        outcome = Outcome(_nodeid(case), message, text,
                          collection_error=any("collection failure" in el.get("message", "") for el in bad))
        outcome.frames = [(m.group(1), int(m.group(2))) for m in _FRAME.finditer(text)]
        outcomes.append(outcome)
    return proc.returncode, summary, outcomes


def catches(outcome, function, message):
    """True when this failure names the blank: its NotImplementedError text, or an assertion
    message that names the function."""
    if message in outcome.text or message in outcome.message:
        return True
    first = outcome.message.lstrip()
    return first.startswith("AssertionError") and re.search(rf"(?<![\w.]){re.escape(function)}(?!\w)", first)


def _spans_by_file(edition, paths):
    spans = {}
    for path in paths:
        tree = ast.parse((edition / path).read_text(encoding="utf-8"))
        spans[path] = builder._function_spans(tree)
    return spans


def _passes_through(outcome, path, function, spans):
    for file, line in outcome.frames:
        if file == path:
            for name, first, last in spans.get(path, ()):
                if name == function and first <= line <= last:
                    return True
    return False


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

    for nb in sorted(edition.glob("assignment3/*.ipynb")):
        try:
            import nbformat

            nbformat.validate(nbformat.read(nb, as_version=4))
        except ImportError:
            json.loads(nb.read_text(encoding="utf-8"))
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
            for path in builder.INSTRUCTOR_ONLY:
                if path.rstrip("/") in proc.stdout:
                    problems.append(f"`make {target}` in the edition calls {path}, which students do not have")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="build the edition here and keep it (default: a temp folder)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds for each pytest run (default 1800)")
    parser.add_argument("--verbose", action="store_true", help="show pytest's own output")
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

        print("2. checking the edition as a student meets it (imports, notebooks, make test/lab)")
        problems = check_as_student_meets_it(edition_dir, repo)

        print("3. running its unit tests (offline, sample data, no notebooks)")
        rc, summary, outcomes = run_tests(edition_dir, repo, ["tests"], tmp / "all.xml", args.timeout, args.verbose)
        print(f"   pytest: {summary}")
        if blanks and rc == 5:
            problems.append("the edition has no unit tests, so no blank can be caught")
        for o in outcomes:
            if o.collection_error:
                problems.append(f"{o.nodeid} does not load in the student edition: "
                                f"{(o.text.strip().splitlines() or [''])[-1]}")

        caught = {key: [o.nodeid for o in outcomes if catches(o, key[1], msg)] for key, msg in blanks.items()}
        alone = {}
        missing = [key for key, tests in caught.items() if not tests]
        if missing:
            print(f"4. {len(missing)} blank(s) not caught directly: running their tests again with each as "
                  "the only blank left")
            alone = catch_alone(repo, edition_dir, tmp, missing, blanks, outcomes, args)

        named = {(m.group(2), m.group(1)) for o in outcomes for m in _BLANK_MESSAGE.finditer(o.text)}
        for path, function in sorted(named - set(blanks)):
            problems.append(f"a failure names {function} in {path}, which the builder did not blank")
        for o in outcomes:
            if not o.collection_error and not any(catches(o, f, msg) for (_, f), msg in blanks.items()):
                problems.append(f"{o.nodeid} fails in the student edition without naming a blank: "
                                f"{(o.message.strip().splitlines() or ['?'])[0][:200]}")

        not_caught = print_table(blanks, caught, alone)
        for p in problems:
            print(f"PROBLEM: {p}")
        if not blanks:
            print("no blanked function found: nothing for the autograder to catch yet")
        ok = not not_caught and not problems
        print(f"student edition check: {'PASS' if ok else 'FAIL'} ({len(blanks) - len(not_caught)}/{len(blanks)} "
              f"blanks caught, {len(problems)} problem(s))")
        return 0 if ok else 1


def catch_alone(repo, edition_dir, tmp, missing, blanks, outcomes, args):
    """{(path, function): [test ids]} for blanks caught when they are the only blank left."""
    variant = tmp / "variant"
    shutil.copytree(edition_dir, variant, symlinks=True)
    solved = {path: (repo / path).read_text(encoding="utf-8") for path, _ in blanks}
    for path, text in solved.items():
        (variant / path).write_text(text, encoding="utf-8")
    spans = _spans_by_file(edition_dir, solved)
    failed = [o.nodeid for o in outcomes if not o.collection_error]
    result = {}
    for n, (path, function) in enumerate(missing):
        through = [o.nodeid for o in outcomes if _passes_through(o, path, function, spans)]
        text, _ = builder.blank_python(solved[path], path, only={function})
        (variant / path).write_text(text, encoding="utf-8")
        found = []
        for targets in (through, [t for t in failed if t not in through]):
            if targets and not found:
                _, summary, second = run_tests(variant, repo, targets, tmp / f"alone{n}.xml", args.timeout,
                                               args.verbose)
                found = [o.nodeid for o in second if catches(o, function, blanks[(path, function)])]
        (variant / path).write_text(solved[path], encoding="utf-8")
        print(f"   {function} ({path}) alone: {'caught by ' + found[0] if found else 'NOT CAUGHT'}")
        result[(path, function)] = found
    return result


def print_table(blanks, caught, alone):
    """Print one row per blank; return the blanks no test catches."""
    rows, not_caught = [], []
    for key in sorted(blanks):
        path, function = key
        words = set(re.split(r"[_.]", function.lower()))
        tests = sorted(caught.get(key) or alone.get(key) or [],  # the test named after it first
                       key=lambda t: -len(words & set(re.split(r"[_.:/]", t.lower()))))
        how = "" if caught.get(key) else " (as the only blank left)"
        if tests:
            more = f" (+{len(tests) - 1} more)" if len(tests) > 1 else ""
            rows.append((function, path, f"{tests[0]}{more}{how}"))
        else:
            rows.append((function, path, "NOT CAUGHT"))
            not_caught.append(key)
    if rows:
        w1 = max(len("blanked function"), *(len(r[0]) for r in rows))
        w2 = max(len("file"), *(len(r[1]) for r in rows))
        print(f"\n{'blanked function':<{w1}}  {'file':<{w2}}  caught by")
        print(f"{'-' * w1}  {'-' * w2}  {'-' * 9}")
        for function, path, by in rows:
            print(f"{function:<{w1}}  {path:<{w2}}  {by}")
        print()
    return not_caught


if __name__ == "__main__":
    sys.exit(main())
