#!/usr/bin/env python3
"""Build the student edition of this repository from the instructor's solutions.

    python tools/build_student.py [--out build/student] [--zip]

What it does, file by file, over the files git tracks (`git ls-files`: untracked notes, data and
build outputs never reach students) minus the instructor-only ones listed in INSTRUCTOR_ONLY:

- .py files: every region between the START and END markers is replaced by one line,
  `raise NotImplementedError("<function> in <file>: fill in ...")`, at the START marker's
  indentation. The markers and the TODO comment above them stay. A method is named Class.method.
- .ipynb files: outputs and execution counts are cleared, and every Markdown cell whose text
  starts with `**Your Answer:**` becomes a prompt. Notebooks hold no student code, so code between
  markers in a notebook is an error.
- .md files: the sections between `<!-- instructors only -->` and `<!-- /instructors only -->`
  lines are left out (README.md's instructor workflow and grading).
- everything else is copied byte for byte (executable bits kept).

The build fails, naming file and line, on an unbalanced, nested or malformed marker, on a region
outside any function (its raise would break importing the module), and on a solution leak: a
non-trivial line of a solution region (see `is_trivial`) or of an inline-question answer that
still appears anywhere in the edition. The edition is built in a temporary folder and moved into
place only when every check passes, so a failed build never leaves a half-made edition behind.
"""

import argparse
import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from editions import DEFAULT as DEFAULT_EDITION
from editions import EditionError, Plan
from markers import BLANK_MESSAGE, END_MARKER, START_MARKER

# Paths (relative to the repository root, '/' separators) that never go to students. A pattern
# ending in '/' excludes a whole folder; a pattern with * ? [ ] is matched with fnmatch; anything
# else is one exact file. Extend this list when you add instructor-only material.
INSTRUCTOR_ONLY = [
    "tools/build_student.py",
    "tools/xdist_order.py",  # make test's order of work on every core, for the instructors' run
    "tools/check_student_edition.py",
    "tests/test_student_edition.py",
    "tests/test_edition_leaks.py",  # names the references it finds, and its review lists
    "tests/test_hygiene.py",  # outputs-free notebooks and lint are rules for this repository, not for students
    ".ci/",
    "bench/",  # times the solutions; its per-step baselines are solutions themselves
    "tests/test_classic_variants.py",  # classic-style solutions of every blank
    "tests/_variants.py",  # the harness that runs them
    "tests_hidden/",  # graded, never shown (grading/points.toml)
    "tools/grade.py",  # grading, the Gradescope bundle and the mutants are instructor tools
    "tools/gradescope/",
    "tools/mutants.py",
    "tools/mutants_catalogue*.py",  # the catalogue and the later notebooks' parts of it
    "tests/test_grade.py",
    "grading/cases/",  # the graded cases: hidden inputs and tolerances (grading/README.md)
    "grading/drivers/",
    "grading/runner.py",
    "grading/README.md",
    "grading/grader.toml",
    "tests/test_progress.py",  # plants loops and reports in copies of the package: slow for students
    "tests/test_mutants.py",
    "tools/check_values.py",  # the make_*_check_values.py tools' shared comparison
    "tests/test_check_values_tool.py",
    "tools/make_captioning_check_values.py",  # writes the captioning checks' stored values from the solutions
    "tests/test_captioning_check_values.py",  # torch references of the decoder and the Transformer's forward
    "tools/make_vision_check_values.py",  # writes the net-vis and style checks' stored values from the solutions
    "tests/test_vision_check_values.py",  # loop and per-image references of the vision blanks
    "tools/make_vit_check_values.py",  # writes the ViT checks' stored values from the solution
    "tests/test_vit_check_values.py",  # a torch.nn composition of VisionTransformer.forward
    "tools/make_simclr_check_values.py",  # writes the SimCLR checks' stored values from the solutions
    "tests/test_simclr_check_values.py",  # the contrastive loss written as cross-entropy
    "tools/make_ddpm_check_values.py",  # writes the DDPM checks' stored values from the solutions
    "tests/test_ddpm_check_values.py",  # runs it against the solutions
    "tools/build_ddpm_scenes_model.py",  # trains the embedded DDPM checkpoint with the solutions
    "tools/colab_cell.py",  # writes the notebooks' Colab set-up cell (the edition has the cells)
    "tests/test_colab.py",  # builds the student edition and runs it in a stand-in Colab
    "tools/editions.py",  # which notebooks each edition ships (make student EDITION=...)
    "tools/make_clip_dino_check_values.py",  # writes the CLIP loss values the tests compare with
    "tests/test_clip_dino_check_values.py",  # the cross-entropy form of the CLIP loss
    "grading/editions.toml",
    "tests/test_editions.py",
]

# Markdown between these two lines (each alone on its line) is for instructors: the student edition's
# copy of the file leaves it out, so README.md speaks to students there.
INSTRUCTOR_BLOCK = ("<!-- instructors only -->", "<!-- /instructors only -->")

ANSWER_PREFIX = "**Your Answer:**"
ANSWER_PROMPT = "**Your Answer:** *Write your answer here.*"

EDITION_NAME = "cs231n_assignment3_student"  # the zip's name and its top-level folder
REPO_ROOT = Path(__file__).resolve().parent.parent

# Leak check (see is_trivial): solution lines shorter than MIN_CODE_CHARS characters of code, and
# answer lines shorter than MIN_ANSWER_CHARS characters, are not checked.
MIN_CODE_CHARS = 8
MIN_ANSWER_CHARS = 20
# Solution lines the instructors have judged harmless where they appear elsewhere (exactly as in
# the solution, leading/trailing whitespace aside). Prefer renaming over adding lines here.
LEAK_CHECK_ALLOWED = [
    "loss.backward()",  # every training loop of the given code has it; it gives no blank away
    "self.device = device",  # a constructor storing its argument, as the given classes do
]
_TRIVIAL_STATEMENTS = {"pass", "return", "returnNone", "break", "continue", "else:", "try:", "finally:",
                       "...", "raise", "yield"}
_PUNCTUATION_ONLY = re.compile(r"^[\s()\[\]{},:;.\\]*$")
_RETURN_NAMES = re.compile(r"^return\s*\(?[\w\s,]*\)?$")  # return out, cache
_LOOP_HEADER = re.compile(r"^for [\w\s,()]+ in [\w\s,()]+:$")  # for t in reversed(range(T)):


class BuildError(Exception):
    """A problem in the instructor sources; the message starts with 'file:line:' where it can."""


@dataclass
class Region:
    """One solution region: the lines strictly between a START marker and its END marker."""

    path: str  # repository-relative, '/' separators
    start: int  # 1-based line number of the START marker
    end: int  # 1-based line number of the END marker
    indent: str  # the START marker's leading whitespace
    lines: list  # the solution lines, without line endings
    function: str = ""  # the enclosing function, Class.method for a method

    @property
    def message(self):
        """The text of the NotImplementedError the student edition raises here."""
        return BLANK_MESSAGE.format(function=self.function, path=self.path)


@dataclass
class Edition:
    """What a build produced: where it is, and what it blanked and replaced."""

    out: Path
    files: list = field(default_factory=list)  # repository-relative paths copied
    regions: list = field(default_factory=list)  # every solution Region blanked
    answers: list = field(default_factory=list)  # (notebook, cell index, answer text) replaced
    visible: dict = field(default_factory=dict)  # what find_leaks may let through, per file
    zip_path: Path = None

    @property
    def blanked_functions(self):
        """{(path, function): NotImplementedError message}, one entry per blanked function."""
        return {(r.path, r.function): r.message for r in self.regions}


# ----------------------------------------------------------------------------------------------
# Markers


def _marker_kind(line):
    """'start', 'end' or None for one source line; a comment that mentions a marker but is not
    exactly one is an error, because a mistyped marker would silently ship its solution."""
    stripped = line.strip()
    if stripped == START_MARKER:
        return "start"
    if stripped == END_MARKER:
        return "end"
    # The classic banner (a comment line of hashes around the words) is fine; a line that tries to be a marker
    # (stars or 'DO NOT DELETE') but differs is not.
    if (stripped.startswith("#") and ("START OF YOUR CODE" in stripped or "END OF YOUR CODE" in stripped)
            and ("*****" in stripped or "DO NOT DELETE" in stripped)):
        return "malformed"
    return None


def find_regions(text, path):
    """The solution regions of one source text, checked for balance: a START inside an open
    region, an END with no open region, an unclosed START or a malformed marker raise BuildError
    naming path and line."""
    regions, open_at, indent, body = [], None, "", []
    for lineno, line in enumerate(text.splitlines(), start=1):
        kind = _marker_kind(line)
        if kind == "malformed":
            raise BuildError(f"{path}:{lineno}: malformed marker (it must read exactly "
                             f"'{START_MARKER}' or '{END_MARKER}'): {line.strip()}")
        if kind == "start":
            if open_at is not None:
                raise BuildError(f"{path}:{lineno}: nested START marker: the region opened at line "
                                 f"{open_at} is not closed yet")
            open_at, indent, body = lineno, line[: len(line) - len(line.lstrip())], []
        elif kind == "end":
            if open_at is None:
                raise BuildError(f"{path}:{lineno}: END marker without a START marker before it")
            regions.append(Region(path, open_at, lineno, indent, body))
            open_at = None
        elif open_at is not None:
            body.append(line)
    if open_at is not None:
        raise BuildError(f"{path}:{open_at}: START marker has no END marker after it")
    return regions


def _function_spans(tree):
    """[(qualified name, first line, last line)] of every top-level function and method.

    Functions nested inside functions are not listed: a blank inside one is named after the
    outer function, which is what the tests and the student call."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                spans.append((prefix + child.name, first, child.end_lineno))
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return spans


def function_at(tree, lineno):
    """The qualified name of the function holding line `lineno`, or None at module/class level."""
    for name, first, last in _function_spans(tree):
        if first <= lineno <= last:
            return name
    return None


def named_regions(text, path):
    """find_regions, each with the name of its enclosing function filled in."""
    regions = find_regions(text, path)
    if not regions:
        return []
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as e:
        raise BuildError(f"{path}:{e.lineno}: does not parse: {e.msg}") from None
    for r in regions:
        r.function = function_at(tree, r.start)
        if r.function is None:
            raise BuildError(f"{path}:{r.start}: solution region outside any function: its raise would "
                             "break importing the module; move the code into a function")
    return regions


def blank_python(text, path):
    """Return (student text, regions) for one .py file."""
    regions = named_regions(text, path)
    if not regions:
        return text, []
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    for r in reversed(regions):  # from the bottom up, so earlier line numbers stay valid
        raise_line = f'{r.indent}raise NotImplementedError("{r.message}"){newline}'
        lines[r.start : r.end - 1] = [raise_line]
    student = "".join(lines)
    try:
        ast.parse(student, filename=path)
    except SyntaxError as e:
        raise BuildError(f"{path}:{e.lineno}: the student version does not parse ({e.msg}); each region "
                         "must be a block of whole statements at the START marker's indentation") from None
    return student, regions


# ----------------------------------------------------------------------------------------------
# Notebooks


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def is_answer_cell(cell):
    return cell.get("cell_type") == "markdown" and _source(cell).lstrip().startswith(ANSWER_PREFIX)


def blank_notebook(text, path):
    """Return (student text, [(path, cell index, answer text)]) for one notebook."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise BuildError(f"{path}:{e.lineno}: not a valid notebook (JSON): {e.msg}") from None
    answers, changed = [], False
    for index, cell in enumerate(nb.get("cells", [])):
        where = f"{path} (cell {index})"
        regions = find_regions(_source(cell), where)
        for r in regions:
            if any(line.strip() for line in r.lines):
                raise BuildError(f"{where}:{r.start}: code between the markers in a notebook; student "
                                 "code belongs in the cs231n package, notebooks only call it")
        if cell.get("cell_type") == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                changed = True
            cell["outputs"], cell["execution_count"] = [], None
            for key in ("execution", "ExecuteTime"):  # timing left by Jupyter extensions
                if cell.get("metadata", {}).pop(key, None) is not None:
                    changed = True
        elif is_answer_cell(cell):
            answers.append((path, index, _source(cell)))
            cell["source"] = [ANSWER_PROMPT]
            cell.pop("attachments", None)  # an answer may embed images
            changed = True
    if nb.get("metadata", {}).pop("widgets", None) is not None:  # saved widget state is output
        changed = True
    if not changed:
        return text, answers
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", answers


def strip_instructor_blocks(text, path):
    """Markdown text without its INSTRUCTOR_BLOCK sections; BuildError on an unbalanced one."""
    out, inside, opened = [], False, 0
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.strip() == INSTRUCTOR_BLOCK[0]:
            if inside:
                raise BuildError(f"{path}:{lineno}: nested '{INSTRUCTOR_BLOCK[0]}'")
            inside, opened = True, lineno
        elif line.strip() == INSTRUCTOR_BLOCK[1]:
            if not inside:
                raise BuildError(f"{path}:{lineno}: '{INSTRUCTOR_BLOCK[1]}' without its opening line")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise BuildError(f"{path}:{opened}: '{INSTRUCTOR_BLOCK[0]}' is never closed")
    return "".join(out)


# ----------------------------------------------------------------------------------------------
# Leak check


def _code_part(line):
    """The line without a trailing '#' comment (a '#' inside a string literal is kept)."""
    quote, i = None, 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1  # skip the escaped character
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
        i += 1
    return line


def leak_key(line):
    """The form in which lines are compared: comment and all whitespace removed."""
    return "".join(_code_part(line).split())


def is_trivial(line):
    """A solution line too common or too short to count as a leak when it shows up elsewhere:
    blank or comment-only, only brackets and punctuation (`)`, `]),`), a bare keyword statement
    (`pass`, `return`, `else:`, ...), a return of plain names (`return dx, dw, db`: the docstring
    says as much), a loop header over plain names (`for t in reversed(range(T)):`), under
    MIN_CODE_CHARS characters of code (`dx = dout`), or listed in LEAK_CHECK_ALLOWED."""
    key, code = leak_key(line), _code_part(line).strip()
    return (len(key) < MIN_CODE_CHARS or key in _TRIVIAL_STATEMENTS
            or _PUNCTUATION_ONLY.match(key) is not None
            or _RETURN_NAMES.match(code) is not None or _LOOP_HEADER.match(code) is not None
            or line.strip() in LEAK_CHECK_ALLOWED)


def _answer_key(line):
    return "".join(line.replace(ANSWER_PREFIX, "").split())


def _edition_lines(path):
    """(line number or 'cell N', text) of every text line in a built file; binary files give none."""
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except json.JSONDecodeError:
            cells = []
        for index, cell in enumerate(cells):
            for line in _source(cell).splitlines():
                yield f"cell {index}", line
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        yield lineno, line


def find_leaks(out, regions, answers, visible):
    """Every place in the built edition `out` where a non-trivial solution line or answer line
    appears, as 'file:where: ...' strings.

    visible: {path: set of leak keys} of what the instructor's file shows outside its solution
    regions and answer cells; a line the student sees there anyway (`N, T, D = x.shape` in the
    forward pass above the blank) is not a leak."""
    secret = {}
    for r in regions:
        for offset, line in enumerate(r.lines, start=1):
            key = leak_key(line)
            if not is_trivial(line) and key not in visible.get(r.path, ()):
                secret.setdefault(key, f"solution line {r.path}:{r.start + offset} ({r.function})")
    for path, index, text in answers:
        for line in text.splitlines():
            key = _answer_key(line)
            if len(key) >= MIN_ANSWER_CHARS and key not in visible.get(path, ()):
                secret.setdefault(key, f"answer line in {path} (cell {index})")
    if not secret:
        return []
    leaks = []
    for file in sorted(p for p in out.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = file.relative_to(out).as_posix()
        for where, line in _edition_lines(file):
            for key in {leak_key(line), _answer_key(line)}:
                if key in secret:
                    leaks.append(f"{rel}:{where}: {secret[key]} appears: {line.strip()}")
    return leaks


def _visible_keys(text, regions, path):
    """Leak keys of the lines of an instructor file that the student edition shows."""
    hidden = set()
    for r in regions:
        hidden.update(range(r.start + 1, r.end))
    keys = set()
    if path.endswith(".ipynb"):
        for cell in json.loads(text).get("cells", []):
            if not is_answer_cell(cell):
                for line in _source(cell).splitlines():
                    keys.update((leak_key(line), _answer_key(line)))
        return keys
    for lineno, line in enumerate(text.splitlines(), start=1):
        if lineno not in hidden:
            keys.add(leak_key(line))
    return keys


# ----------------------------------------------------------------------------------------------
# The build


def is_instructor_only(path, patterns=INSTRUCTOR_ONLY):
    for pattern in patterns:
        if pattern.endswith("/"):
            if path.startswith(pattern):
                return True
        elif any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatchcase(path, pattern):
                return True
        elif path == pattern:
            return True
    return False


def tracked_files(repo):
    """The repository-relative paths git tracks, as in the working tree."""
    try:
        result = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", b"") or b""
        raise BuildError(f"{repo}: not a git checkout ({detail.decode(errors='replace').strip() or e}); "
                         "the builder copies only tracked files so that untracked notes and data never "
                         "reach students") from None
    return [p for p in result.stdout.decode("utf-8").split("\0") if p]


def _check_out_dir(out, repo):
    """Refuse to replace a folder that is not a previous student edition (or empty)."""
    out, repo = out.resolve(), repo.resolve()
    if out == repo or out in repo.parents:
        raise BuildError(f"{out}: refusing to build over the repository or a folder above it")
    if out.exists():
        if not out.is_dir():
            raise BuildError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and ((out / ".git").exists() or (out / "tools" / "build_student.py").exists()
                                   or not (out / "cs231n").is_dir()):
            raise BuildError(f"{out}: exists and does not look like a student edition; "
                             "remove it yourself or pick another --out")


def build(repo=REPO_ROOT, out=None, make_zip=False, quiet=False, edition=DEFAULT_EDITION):
    """Build the student edition of `repo` into `out` and return an Edition.

    `edition` names a set of notebooks in grading/editions.toml (default: all of them); the files of
    the others stay out, and the edition's points file and README name only its notebooks.
    Raises BuildError on any problem, leaving `out` as it was."""
    repo = Path(repo).resolve()
    try:
        plan = Plan(edition, repo)
    except EditionError as e:
        raise BuildError(str(e)) from None
    default_out = "student" if edition == DEFAULT_EDITION else f"student-{edition}"
    out = Path(out) if out is not None else repo / "build" / default_out
    out = out if out.is_absolute() else Path.cwd() / out
    _check_out_dir(out, repo)
    say = (lambda *a: None) if quiet else print

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the edition is an ordinary folder
    try:
        edition = Edition(out=out)
        visible = edition.visible
        for rel in tracked_files(repo):
            src = repo / rel
            if is_instructor_only(rel):
                continue
            if not plan.keeps(rel, src.read_text(encoding="utf-8") if rel.startswith("tests/") and rel.endswith(".py") else None):
                continue
            if not src.exists() and not src.is_symlink():
                say(f"warning: {rel} is tracked but missing from the working tree; skipped")
                continue
            if src.is_dir():  # a submodule
                continue
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                os.symlink(os.readlink(src), dest)
            elif rel.endswith((".py", ".ipynb")):
                text = src.read_bytes().decode("utf-8")  # bytes: keep the file's line endings
                if rel.endswith(".py"):
                    student, regions = blank_python(text, rel)
                    edition.regions += regions
                    answers = []
                else:
                    student, answers = blank_notebook(text, rel)
                    edition.answers += answers
                    regions = []
                if regions or answers:
                    visible[rel] = _visible_keys(text, regions, rel)
                dest.write_bytes(student.encode("utf-8"))
                shutil.copymode(src, dest)
            elif rel.endswith(".md"):
                text = strip_instructor_blocks(src.read_bytes().decode("utf-8"), rel)
                try:
                    text = plan.markdown(text, rel)
                except EditionError as e:
                    raise BuildError(str(e)) from None
                dest.write_bytes(text.encode("utf-8"))
                shutil.copymode(src, dest)
            elif rel == "grading/points.toml":
                dest.write_text(plan.points_text(src.read_text(encoding="utf-8")), encoding="utf-8")
                shutil.copymode(src, dest)
            else:
                shutil.copy2(src, dest)
            edition.files.append(rel)

        leaks = find_leaks(staging, edition.regions, edition.answers, visible)
        if leaks:
            shown = "\n  ".join(leaks[:30]) + (f"\n  ... and {len(leaks) - 30} more" if len(leaks) > 30 else "")
            raise BuildError(f"solution leak: {len(leaks)} line(s) of solutions or answers appear in the "
                             f"student edition:\n  {shown}")

        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)

    functions = sorted({f"{r.function} ({r.path})" for r in edition.regions})
    say(f"student edition: {out} ({len(edition.files)} files); edition {plan.name}: {plan.title}")
    say(f"blanked {len(edition.regions)} region(s) in {len(functions)} function(s); "
        f"replaced {len(edition.answers)} inline answer(s); no solution line leaked")
    if make_zip:
        suffix = "" if plan.name == DEFAULT_EDITION else f"_{plan.name}"
        edition.zip_path = write_zip(out, out.parent / f"{EDITION_NAME}{suffix}.zip")
        say(f"zip: {edition.zip_path}")
    return edition


def write_zip(folder, zip_path):
    """Zip `folder` under a top-level EDITION_NAME folder, keeping executable bits."""
    tmp = zip_path.with_name(zip_path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                arcname = f"{EDITION_NAME}/{file.relative_to(folder).as_posix()}"
                zf.write(file, arcname)
    tmp.replace(zip_path)
    return zip_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None,
                        help="where the edition goes (default: build/student, or build/student-EDITION, in the repository)")
    parser.add_argument("--zip", action="store_true",
                        help=f"also write {EDITION_NAME}.zip (_EDITION.zip for an edition) beside the output folder")
    parser.add_argument("--edition", default=DEFAULT_EDITION,
                        help="which notebooks ship: a name from grading/editions.toml (2019, 2021-2025, all; "
                             "default all; python tools/editions.py lists them)")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        build(args.repo, args.out, make_zip=args.zip, edition=args.edition)
    except BuildError as e:
        print(f"build_student: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
