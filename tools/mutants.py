#!/usr/bin/env python3
"""Measure the tests: run a catalogue of realistic student mistakes against them.

    python tools/mutants.py [--only NAME] [--jobs 2] [--list]      (make mutants)

Each entry of tools/mutants_catalogue.py is one mistake in one blanked function: a textual
substitution that must match exactly once inside the function's solution region (an entry that
no longer matches is reported as stale, never skipped in silence). For each mutant the tool writes
the mutated module into a temporary copy of the package (never the checkout), runs the tests that
reach that function (found once per run by check_student_edition's instrumentation: every solution
region records the tests that reach it), and calls the mutant killed when a test fails. It prints
the kill rate per module, every survivor, and the entries marked equivalent with their reason.
Exit status 1 when a mutant survives or an entry is stale.

Instructor-only: it spells out wrong solutions and needs the right ones.
"""

import argparse
import concurrent.futures
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(__file__).resolve().parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cse = _load("check_student_edition")  # instrumentation and its pytest plugin; loads build_student
builder = sys.modules["build_student"]
catalogue = _load("mutants_catalogue")

# What a test run needs besides the package: the tests, their configuration and the report plugin.
LAYOUT = ["tests", "tests_hidden", "pyproject.toml", "grading", "tools/progress.py", "tools/markers.py"]


def regions(repo):
    """{(path, function): (file text, [Region])} of every solution region in repo/cs231n."""
    found = {}
    for file in sorted((repo / "cs231n").rglob("*.py")):
        rel = file.relative_to(repo).as_posix()
        text = file.read_text(encoding="utf-8")
        for r in builder.named_regions(text, rel):
            found.setdefault((r.path, r.function), (text, []))[1].append(r)
    return found


def apply(text, region_list, old, new):
    """The module text with `old` replaced by `new` inside the function's regions; ValueError
    when `old` does not occur exactly once there, or when the result does not parse."""
    lines = text.splitlines(keepends=True)
    hits = []
    for r in region_list:
        body = "".join(lines[r.start:r.end - 1])
        count = body.count(old)
        if count:
            hits.append((r, body, count))
    total = sum(c for _, _, c in hits)
    if total != 1:
        raise ValueError(f"matches {total} times in the solution region (must be exactly once)")
    r, body, _ = hits[0]
    mutated = "".join(lines[:r.start]) + body.replace(old, new) + "".join(lines[r.end - 1:])
    try:
        compile(mutated, r.path, "exec")
    except SyntaxError as e:
        raise ValueError(f"the mutated module does not parse (line {e.lineno}: {e.msg})") from None
    return mutated


def make_root(dest, repo, package_text=None):
    """A folder laid out like the repository with the package and the tests: what pytest runs in."""
    shutil.copytree(repo / "cs231n", dest / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
    for rel in LAYOUT:
        src = repo / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for rel, text in (package_text or {}).items():
        (dest / rel).write_text(text, encoding="utf-8")
    return dest


def covering_tests(snapshot, tmp, found, timeout):
    """{(path, function): [test id]} from one instrumented run of the test files that cover the
    blanks (grading/points.toml lists them)."""
    with open(snapshot / "grading" / "points.toml", "rb") as f:
        points = tomllib.load(f)
    targets = sorted({t for table in points.values() for t in table.get("tests", []) if (snapshot / t).exists()})
    instrumented = {path: cse.instrument(text, path) for (path, _), (text, _) in found.items()}
    root = make_root(tmp / "reach", snapshot, instrumented)
    print(f"finding the tests that reach each function ({len(targets)} test files, one run)")
    summary, record = cse.run_tests_parallel(root, REPO_ROOT, targets, tmp, "reach", timeout, blanks={})
    print(f"   pytest: {summary}")
    covering = {}
    for test, keys in record["reached"].items():
        for path, function in keys:
            covering.setdefault((path, function), []).append(test)
    if record["failures"]:
        print(f"   note: {len(record['failures'])} test(s) fail on the solutions themselves; a mutant is "
              "killed only by a test that passes on the solutions")
    return covering, set(record["failures"])


def run_mutant(root, rel, text, tests, timeout):
    """(outcome, detail): killed (a test failed: which), survived, or error."""
    target = root / rel
    original = target.read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(root), CS231N_DATASETS=str(REPO_ROOT / "datasets"), CS231N_OFFLINE="1",
               CS231N_COCO="sample", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", *tests, "-x", "-q", "--tb=line", "-p", "no:cacheprovider",
           "-p", "no:nbval", "-p", "no:progress-report", "-m", "not notebook", "-o", "timeout=60"]
    try:
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "killed", f"the run passed {timeout} s"
    finally:
        target.write_text(original, encoding="utf-8")
    out = proc.stdout + proc.stderr
    if proc.returncode == 0:
        return "survived", ""
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    if proc.returncode in (1, 2) and failed:
        return "killed", failed.group(1)
    if proc.returncode in (1, 2):
        return "killed", (out.strip().splitlines() or ["?"])[-1][:120]
    return "error", f"pytest exit {proc.returncode}: {(out.strip().splitlines() or ['?'])[-1][:200]}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="run only the mutants of functions or modules whose name contains this (comma-separated)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel runs (default 2)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds for one mutant's test run")
    parser.add_argument("--list", action="store_true", help="check the catalogue applies, run nothing")
    args = parser.parse_args(argv)
    repo = REPO_ROOT
    found = regions(repo)

    mutants, stale = [], []
    for (path, function), entries in catalogue.CATALOGUE.items():
        if (path, function) not in found:
            stale.append(f"{path} {function}: no such blanked function")
            continue
        text, region_list = found[(path, function)]
        for entry in entries:
            kind, old, new, *why = entry
            try:
                mutated = apply(text, region_list, old, new)
            except ValueError as e:
                stale.append(f"{path} {function} [{kind}] {old!r}: {e}")
                continue
            mutants.append({"path": path, "function": function, "kind": kind, "old": old, "new": new,
                            "text": mutated, "equivalent": why[0] if why else None})
    too_few = [f"{p} {f}: {sum(1 for m in mutants if (m['path'], m['function']) == (p, f))} mutant(s)"
               for p, f in found if sum(1 for m in mutants if (m["path"], m["function"]) == (p, f)) < 5]
    if args.only:
        names = args.only.split(",")
        mutants = [m for m in mutants if any(n in m["function"] or n in m["path"] for n in names)]
    print(f"{len(mutants)} mutants of {len(found)} blanked functions; {len(stale)} stale catalogue entries")
    for s in stale:
        print(f"STALE: {s}")
    for s in too_few:
        print(f"FEWER THAN FIVE: {s}")
    if args.list:
        return 1 if stale else 0

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        tmp = Path(tmp)
        # one copy of the checkout for every run, so that edits made meanwhile do not mix in
        snapshot = make_root(tmp / "snapshot", repo, {path: text for (path, _), (text, _) in found.items()})
        covering, failing = covering_tests(snapshot, tmp, found, args.timeout)
        workers = [make_root(tmp / f"worker{i}", snapshot) for i in range(max(1, args.jobs))]
        free = list(workers)

        def job(m):
            root = free.pop()
            try:
                # the tests named after the function first: with -x, a kill usually costs one test
                tests = cse._by_name(m["function"], [t for t in covering.get((m["path"], m["function"]), [])
                                                     if t not in failing])
                if not tests:
                    return m, "survived", "no test reaches this function"
                outcome, detail = run_mutant(root, m["path"], m["text"], tests, args.timeout)
                return m, outcome, detail
            finally:
                free.append(root)

        results = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(workers)) as pool:
            for n, (m, outcome, detail) in enumerate(pool.map(job, [m for m in mutants if not m["equivalent"]]), 1):
                results.append((m, outcome, detail))
                print(f"[{n}] {outcome:8} {m['function']}: {m['kind']}" + (f"  ({detail})" if detail else ""),
                      flush=True)

    print(f"\nkill rate per module ({time.monotonic() - start:.0f} s, {args.jobs} job(s)):")
    modules = sorted({m["path"] for m in mutants})
    for path in modules:
        ran = [r for r in results if r[0]["path"] == path]
        killed = sum(1 for r in ran if r[1] == "killed")
        equivalent = sum(1 for m in mutants if m["path"] == path and m["equivalent"])
        rate = f"{100 * killed / len(ran):.0f}%" if ran else "-"
        print(f"  {path:<40} {killed:>3}/{len(ran):<3} killed ({rate}), {equivalent} marked equivalent")
    survivors = [r for r in results if r[1] != "killed"]
    if survivors:
        print("\nsurvivors (add a test that kills each, or mark it equivalent with the reason):")
        for m, outcome, detail in survivors:
            print(f"  {m['path']} {m['function']} [{m['kind']}] {outcome}{': ' + detail if detail else ''}\n"
                  f"      {m['old']!r} -> {m['new']!r}")
    equivalents = [m for m in mutants if m["equivalent"]]
    if equivalents:
        print("\nmarked equivalent (not run):")
        for m in equivalents:
            print(f"  {m['function']} [{m['kind']}]: {m['equivalent']}")
    total_killed = sum(1 for r in results if r[1] == "killed")
    print(f"\nmutants: {total_killed}/{len(results)} killed, {len(equivalents)} equivalent, "
          f"{len(survivors)} survived, {len(stale)} stale")
    return 1 if survivors or stale else 0


if __name__ == "__main__":
    sys.exit(main())
