"""The progress report that ends `make test`, and the time limit of every test.

A pytest plugin (tests/conftest.py registers it; `-p no:progress` turns it off). It

- lists the functions you implement: every function of cs231n/ that holds a START/END marker pair;
- records which tests reach which of them while the tests run (each is wrapped in a thin recorder
  before the tests import it);
- ends the run with one line per function, grouped by notebook: passing, failing (with the first
  line of its first failing check), blocked (its checks stop in another function that fails), or
  not started (the blank still raises NotImplementedError), and its points from
  grading/points.toml; then "N of M functions done" and the next one to do;
- judges each function on its own: a failing test counts against the function its error came from
  (the innermost of your functions the exception passed through; the functions that called it are
  blocked, not failing), or, for a failed comparison, against the functions its message names
  (all the functions the test reached when it names none). A correct function that shares a test
  with a blank or wrong one is not marked failing;
- turns a test that runs past its time limit (pytest-timeout; `timeout` in pyproject.toml, counted
  in CPU time with a wall-clock backstop) into a failure that says so: "timed out after N s: does
  your loop end?".

With CS231N_PROGRESS_JSON=FILE it also writes what it found to FILE (tools/grade.py reads it).
The exit status is pytest's own: the report never changes whether the run passes.
"""

import ast
import functools
import importlib
import importlib.abc
import importlib.machinery
import json
import os
import signal
import sys
import threading
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the backport (requirements.txt installs it there)
    import tomli as tomllib

import pytest
from markers import BLANK_TEXT, END_MARKER, START_MARKER

ROOT = Path(__file__).resolve().parent.parent
POINTS_FILE = "grading/points.toml"
TIMEOUT_MESSAGE = "timed out after {seconds:g} s: does your loop end?"
REACHED_KEY, IMPORT_ERRORS_KEY = "progress-reached", "progress-import-errors"  # in each report's user_properties
BLAME_KEY = "progress-blame"


# ----------------------------------------------------------------------------------------------
# What the student implements, and what it is worth


def _functions_holding(tree):
    """{qualified name: (first line, last line)} of top-level functions and methods."""
    spans = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            spans[node.name] = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.ClassDef):
            for child in node.body:
                if isinstance(child, ast.FunctionDef):
                    spans[f"{node.name}.{child.name}"] = (child.lineno, child.end_lineno)
    return spans


def student_functions(root=ROOT):
    """[(path, function, not_started)] for every marked function under root/cs231n, in file order.

    not_started: the function's blank still holds the student edition's raise and nothing else.
    A module that does not parse lists no function (its tests fail and say why)."""
    found = []
    for file in sorted((Path(root) / "cs231n").rglob("*.py")):
        text = file.read_text(encoding="utf-8", errors="replace")
        if START_MARKER not in text:
            continue
        rel = file.relative_to(root).as_posix()
        try:
            spans = _functions_holding(ast.parse(text))
        except SyntaxError:
            continue
        lines = text.splitlines()
        open_at, blanks = None, {}
        for lineno, line in enumerate(lines, start=1):
            if line.strip() == START_MARKER:
                open_at = lineno
            elif line.strip() == END_MARKER and open_at is not None:
                body = [x.strip() for x in lines[open_at:lineno - 1] if x.strip() and not x.strip().startswith("#")]
                blank = len(body) == 1 and body[0].startswith("raise NotImplementedError(") and BLANK_TEXT in body[0]
                name = next((n for n, (a, b) in spans.items() if a <= open_at <= b), None)
                if name is not None:  # a function with two regions is not started while both are blank
                    blanks[name] = blanks.get(name, True) and blank
                open_at = None
        found += [(rel, name, blank) for name, blank in blanks.items()]
    return found


def load_points(root=ROOT):
    """{notebook: table} from grading/points.toml, in file order; {} when the file is missing."""
    path = Path(root) / POINTS_FILE
    if not path.exists():
        return {}
    with open(path, "rb") as f:
        return tomllib.load(f)


def notebook_of(points):
    """{function: (notebook, points)}."""
    return {fn: (nb, pts) for nb, table in points.items() for fn, pts in table.get("functions", {}).items()}


# ----------------------------------------------------------------------------------------------
# Recording which tests reach which function


class _State:
    def __init__(self):
        self.test = None  # the test running now
        self.reached = {}  # test id -> [function]
        self.outcomes = {}  # test id -> (outcome, first line of the failure)
        self.order = []  # test ids in the order they ran
        self.functions = []  # [(path, function, not_started)]
        self.wrapped = []  # [(owner, attribute, original)]
        self.import_errors = {}  # path -> one line
        self.raised = {}  # test id -> {"exc": the exception, "origin": function, "callers": [function]}
        self.blame = {}  # test id -> ([functions blamed], [functions blocked])


def _recorder(state, function, original):
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        test = state.test
        if test is not None:
            seen = state.reached.setdefault(test, [])
            if function not in seen:
                seen.append(function)
        try:
            return original(*args, **kwargs)
        except BaseException as e:
            if test is not None:
                record = state.raised.get(test)
                if record is not None and record["exc"] is e:
                    if function not in record["callers"] and function != record["origin"]:
                        record["callers"].append(function)
                else:
                    state.raised[test] = {"exc": e, "origin": function, "callers": []}
            raise

    return wrapper


def _wrap_module(state, module, functions):
    for function in functions:
        *owner_names, attr = function.split(".")
        owner = module
        for name in owner_names:
            owner = getattr(owner, name, None)
        original = owner.__dict__.get(attr) if owner is not None else None
        if callable(original):
            setattr(owner, attr, _recorder(state, function, original))
            state.wrapped.append((owner, attr, original))


class _WrappingFinder(importlib.abc.MetaPathFinder):
    """Wraps the student's functions as their module is first imported (by a test), so that a
    module no test imports is never run, and a module that fails to import fails where a test
    imports it, its error noted for the report."""

    def __init__(self, state, targets):
        self.state, self.targets = state, targets  # module name -> (path, [function])

    def find_spec(self, name, path=None, target=None):
        if name not in self.targets:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader, finder = spec.loader, self
        exec_module = loader.exec_module

        def exec_and_wrap(module):
            rel, functions = finder.targets[name]
            try:
                exec_module(module)
            except BaseException as e:
                finder.state.import_errors[rel] = f"{type(e).__name__}: {e}".splitlines()[0][:200]
                raise
            _wrap_module(finder.state, module, functions)

        loader.exec_module = exec_and_wrap
        return spec


def _install_finder(state):
    targets = {}
    for path, function, _ in state.functions:
        targets.setdefault(path[:-3].replace("/", "."), (path, []))[1].append(function)
    for name in list(targets):
        if name in sys.modules:  # imported before the tests started (a plugin, conftest): wrap now
            _wrap_module(state, sys.modules[name], targets.pop(name)[1])
    finder = _WrappingFinder(state, targets)
    sys.meta_path.insert(0, finder)
    return finder


def _first_line(report):
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    text = crash.message if crash is not None else str(getattr(report, "longrepr", "") or "")
    line = next((x for x in text.strip().splitlines() if x.strip()), "failed")
    for prefix in ("AssertionError: ", "Failed: ", "builtins.AssertionError: "):
        if line.startswith(prefix):
            line = line[len(prefix):]
    return line.strip()[:160]


class ProgressPlugin:
    def __init__(self, config, root=ROOT):
        self.config = config
        self.root = Path(root)
        self.state = _State()
        self.points = {}

    # pytest hooks -------------------------------------------------------------------------

    def _find_functions(self):
        self.points = load_points(self.root)
        # the package the tests will import (PYTHONPATH may point at another copy than this checkout)
        spec = importlib.machinery.PathFinder.find_spec("cs231n", sys.path)
        package_root = Path(spec.submodule_search_locations[0]).parent if spec else self.root
        self.state.functions = student_functions(package_root)

    def pytest_sessionstart(self, session):
        """Under pytest-xdist the controller collects nothing; it still lists the functions."""
        if self.config.pluginmanager.has_plugin("dsession"):
            self._find_functions()

    def pytest_collection(self, session):
        """Before the test modules import the package: wrap each student function."""
        self._find_functions()
        self.finder = _install_finder(self.state)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """The report carries what the test reached, so that under pytest-xdist the workers' records
        reach the controller, which prints the report."""
        outcome = yield
        report = outcome.get_result()
        reached = list(self.state.reached.get(item.nodeid, []))
        if report.failed:
            exc = call.excinfo.value if call.excinfo is not None else None
            record = self.state.raised.get(item.nodeid)
            if exc is not None and record is not None and record["exc"] is exc:
                blame = ([record["origin"]], list(record["callers"]))
            else:
                text = str(exc) if exc is not None else str(getattr(report, "longrepr", ""))
                named = [f for f in reached if _names(text, f)]
                blame = (named or reached, [])
            report.user_properties.append((BLAME_KEY, blame))
        self.state.raised.pop(item.nodeid, None) if call.when == "teardown" else None
        report.user_properties.append((REACHED_KEY, reached))
        report.user_properties.append((IMPORT_ERRORS_KEY, dict(self.state.import_errors)))

    def pytest_runtest_logstart(self, nodeid, location):
        self.state.test = nodeid

    def pytest_runtest_logfinish(self, nodeid, location):
        self.state.test = None

    def pytest_runtest_logreport(self, report):
        nodeid = report.nodeid
        for key, value in getattr(report, "user_properties", ()):
            if key == REACHED_KEY:
                seen = self.state.reached.setdefault(nodeid, [])
                seen.extend(f for f in value if f not in seen)
            elif key == IMPORT_ERRORS_KEY:
                self.state.import_errors.update(value)
            elif key == BLAME_KEY and nodeid not in self.state.blame:
                self.state.blame[nodeid] = (list(value[0]), list(value[1]))
        if nodeid not in self.state.outcomes:
            self.state.order.append(nodeid)
            self.state.outcomes[nodeid] = ("passed", "")
        if report.failed and self.state.outcomes[nodeid][0] != "failed":
            self.state.outcomes[nodeid] = ("failed", _first_line(report))
        elif report.skipped and self.state.outcomes[nodeid][0] == "passed" and report.when != "teardown":
            self.state.outcomes[nodeid] = ("skipped", "")

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config):
        rows = self.statuses()
        out = os.environ.get("CS231N_PROGRESS_JSON")
        if out:
            Path(out).write_text(json.dumps({"functions": rows, "tests": self.state.outcomes,
                                             "reached": self.state.reached,
                                             "import_errors": self.state.import_errors}))
        self.rows = rows

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config):
        """After pytest's last line, so that the report ends the run."""
        tr = config.pluginmanager.get_plugin("terminalreporter")
        if getattr(self, "rows", None) and tr is not None and config.getoption("progress_report", True):
            write_report(tr, self.rows)
        if getattr(self, "finder", None) in sys.meta_path:
            sys.meta_path.remove(self.finder)
        for owner, attr, original in reversed(self.state.wrapped):
            setattr(owner, attr, original)
        self.state.wrapped.clear()

    # --------------------------------------------------------------------------------------

    def statuses(self):
        """One dict per function: path, function, notebook, points, status, detail."""
        where = notebook_of(self.points)
        by_function = {}
        for test in self.state.order:
            for function in self.state.reached.get(test, []):
                by_function.setdefault(function, []).append(test)
        rows = []
        for path, function, not_started in self.state.functions:
            notebook, points = where.get(function, ("(not in grading/points.toml)", 0))
            tests = by_function.get(function, [])
            outcome = {t: self.state.outcomes.get(t, ("",))[0] for t in tests}
            failed = [t for t in tests if outcome[t] == "failed" and function in self.state.blame.get(t, ([], []))[0]]
            blocked = [t for t in tests if outcome[t] == "failed" and function in self.state.blame.get(t, ([], []))[1]]
            passed = [t for t in tests if outcome[t] == "passed"]
            elsewhere = [t for t in tests if outcome[t] == "failed" and t not in failed and t not in blocked]
            if not_started:
                status, detail = "not started", "still raises NotImplementedError"
            elif path in self.state.import_errors:
                status, detail = "failing", f"{path} does not import: {self.state.import_errors[path]}"
            elif failed:
                status, detail = "failing", self.state.outcomes[failed[0]][1]
            elif blocked:
                waits = self.state.blame[blocked[0]][0][0]
                status, detail = "blocked", f"its checks stop in {waits}, which fails; fix that first"
            elif passed:
                status, detail = "passing", f"{len(passed)} test(s)"
            elif elsewhere:
                status, detail = "not checked", (f"its tests failed in {', '.join(self.state.blame[elsewhere[0]][0])}"
                                                 " before checking it")
            else:
                status, detail = "not checked", "no test reached it in this run"
            extra_credit = bool(self.points.get(notebook, {}).get("extra_credit"))
            rows.append({"path": path, "function": function, "notebook": notebook, "points": points,
                         "status": status, "detail": detail, "tests": tests, "failed": failed,
                         "extra_credit": extra_credit})
        order = list(self.points) + ["(not in grading/points.toml)"]
        position = {fn: i for i, fn in enumerate(f for t in self.points.values() for f in t.get("functions", {}))}
        rows.sort(key=lambda r: (order.index(r["notebook"]), position.get(r["function"], 1e9)))
        return rows


_MARK = {"passing": "[x]", "failing": "[!]", "blocked": "[~]", "not started": "[ ]", "not checked": "[?]"}


def _names(text, function):
    """Whether a failure message names the function (as a word: rnn_forward is not rnn_step_forward)."""
    import re

    return re.search(r"(?<![\w.])" + re.escape(function) + r"(?!\w)", text) is not None


def _pts(x):
    return f"{x:g}"


def write_report(tr, rows):
    """The report, grouped by notebook, after pytest's own summary."""
    tr.write_sep("=", "your progress")
    width = max(len(r["function"]) for r in rows)
    notebook = None
    for r in rows:
        if r["notebook"] != notebook:
            notebook = r["notebook"]
            group = [x for x in rows if x["notebook"] == notebook]
            earned = sum(x["points"] for x in group if x["status"] == "passing")
            total = sum(x["points"] for x in group)
            extra = ", extra credit" if group[0].get("extra_credit") else ""
            tr.write_line(f"{notebook}  ({_pts(earned)} of {_pts(total)} points from tests{extra})", bold=True)
        detail = r["status"] if r["status"] in ("passing", "not started") else f"{r['status']}: {r['detail']}"
        color = {"passing": {"green": True}, "failing": {"red": True}}.get(r["status"], {"yellow": True})
        tr.write_line(f"  {_MARK[r['status']]} {r['function']:<{width}}  {_pts(r['points']):>3} pts  "
                      f"{r['path']}  {detail}", **color)
    done = [r for r in rows if r["status"] == "passing"]
    earned = sum(r["points"] for r in done if not r.get("extra_credit"))
    total = sum(r["points"] for r in rows if not r.get("extra_credit"))
    bonus = sum(r["points"] for r in done if r.get("extra_credit"))
    extra = f", plus {_pts(bonus)} extra credit" if any(r.get("extra_credit") for r in rows) else ""
    tr.write_line(f"{len(done)} of {len(rows)} functions done ({_pts(earned)} of {_pts(total)} points from "
                  f"tests{extra}; notebooks and inline answers are graded on submission)", bold=True)
    todo = next((r for r in rows if r["status"] in ("failing", "not started", "blocked")), None) or \
        next((r for r in rows if r["status"] != "passing"), None)
    unchecked = [r for r in rows if r["status"] == "not checked"]
    if todo is not None and todo["status"] == "not checked":
        tr.write_line(f"every function this run checked passes; {len(unchecked)} were not checked: run `make test` "
                      "to check them all")
    elif todo is not None:
        why = {"failing": "it fails", "not started": "not started yet",
               "blocked": todo["detail"]}.get(todo["status"], "not checked yet")
        tr.write_line(f"next: {todo['function']} in {todo['path']} ({why}; its tests: "
                      f"{'make test' if not todo['tests'] else 'pytest ' + todo['tests'][0]})")
    else:
        tr.write_line("every function passes: run each notebook top to bottom, answer the inline questions, "
                      "then `make submit`")


# ----------------------------------------------------------------------------------------------
# Time limits with a message a student can act on (pytest-timeout's hook)


WALL_FACTOR = 5  # the wall-clock backstop, in multiples of the limit


def _set_timer(item, settings):
    """The limit counts the test's CPU time (a loop that never ends spins), so that a machine
    shared with other work does not fail slow but correct tests; a wall-clock backstop of
    WALL_FACTOR times the limit stops a test that waits forever."""
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None  # pytest-timeout's own thread method

    def handler(signum, frame):
        __tracebackhide__ = True
        cancel()
        seconds = settings.timeout if signum == signal.SIGPROF else settings.timeout * WALL_FACTOR
        kind = "CPU time" if signum == signal.SIGPROF else "wall-clock time"
        pytest.fail(TIMEOUT_MESSAGE.format(seconds=seconds) + f" ({item.nodeid} ran past its limit of {kind}; "
                    "the traceback shows where it was)", pytrace=True)

    def cancel():
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel
    signal.signal(signal.SIGPROF, handler)
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_PROF, settings.timeout)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout * WALL_FACTOR)
    return True


class TimeoutMessage:
    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item, settings):
        return _set_timer(item, settings)


def addoption(parser):
    """Called from tests/conftest.py's pytest_addoption."""
    parser.addoption("--no-progress", dest="progress_report", action="store_false", default=True,
                     help="do not print the progress report at the end")


def register(config, root=ROOT):
    """Called from tests/conftest.py's pytest_configure."""
    if config.pluginmanager.has_plugin("progress-report"):
        return
    config.pluginmanager.register(ProgressPlugin(config, root), "progress-report")
    if config.pluginmanager.has_plugin("timeout"):
        config.pluginmanager.register(TimeoutMessage(), "progress-timeout-message")
