"""Editions of the assignment (grading/editions.toml): which files, points and README lines ship.

    python tools/editions.py            list the editions and their notebooks
    python tools/editions.py 2025       what the 2025 edition ships and leaves out

tools/build_student.py asks a Plan, file by file, whether the file ships (`keeps`) and how the
edition's points file and Markdown read (`points_text`, `markdown`). A Markdown block between
`<!-- notebooks: A B -->` and `<!-- /notebooks -->` lines, and a line that ends with
`<!-- notebooks: A B -->` (a table row, a list item), ship only when the edition has one of the
notebooks they name; README.md marks its notebook rows and sections so.
"""

import ast
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (the Gradescope image): the same parser under its old name
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
EDITIONS_FILE = "grading/editions.toml"
DEFAULT = "all"
BLOCK_START = re.compile(r"^<!-- notebooks: ([A-Za-z0-9_ ]+) -->\s*$")
BLOCK_END = "<!-- /notebooks -->"
LINE_TAG = re.compile(r"^(.*\S)\s*<!-- notebooks: ([A-Za-z0-9_ ]+) -->[ \t]*(\r?\n)?$", re.S)
TABLE = re.compile(r"^\[([^\]]+)\]\s*$")


class EditionError(Exception):
    """An unknown edition, or an editions file that contradicts the repository."""


def load(root=ROOT):
    with open(Path(root) / EDITIONS_FILE, "rb") as f:
        return tomllib.load(f)


def _dotted(module):
    return module.rstrip("/").removesuffix(".py").replace("/", ".")


def _names_module(text, dotted):
    """Whether Python source imports or names the module `dotted` (a.b.c), in any spelling."""
    if re.search(rf"\b{re.escape(dotted)}\b", text):  # import a.b.c, from a.b.c import, "a.b.c" in a string
        return True
    parent, _, leaf = dotted.rpartition(".")
    return any(isinstance(node, ast.ImportFrom) and node.module == parent
               and any(alias.name == leaf for alias in node.names)
               for node in ast.walk(ast.parse(text)))


class Plan:
    """What one edition ships. `notebooks` are graded, `extra_credit` ship with points beyond the total."""

    def __init__(self, name=DEFAULT, root=ROOT):
        if not (Path(root) / EDITIONS_FILE).exists() and name == DEFAULT:  # one edition: everything there is
            data = {"editions": {DEFAULT: {"title": "every notebook", "notebooks": []}}, "notebooks": {}}
        else:
            data = load(root)
        editions, books = data.get("editions", {}), data.get("notebooks", {})
        if name not in editions:
            raise EditionError(f"unknown edition {name!r}: choose one of {', '.join(editions)} "
                               f"({EDITIONS_FILE})")
        spec = editions[name]
        self.name, self.title = name, spec.get("title", name)
        self.notebooks = list(spec["notebooks"])
        self.extra_credit = list(spec.get("extra_credit", []))
        shipped = self.notebooks + self.extra_credit
        unknown = [n for n in shipped if n not in books]
        if unknown:
            raise EditionError(f"edition {name!r} names {', '.join(unknown)}, which {EDITIONS_FILE} does "
                               f"not describe under [notebooks]")
        missing = [n for n in shipped if not (Path(root) / "assignment3" / f"{n}.ipynb").exists()]
        if missing:
            raise EditionError(f"edition {name!r} names {', '.join(missing)}, but assignment3/ has no such "
                               f"notebook: add it or take it out of {EDITIONS_FILE}")
        self.known = set(books)
        self.shipped = set(shipped)
        kept_modules = {m for n in shipped for m in books[n].get("modules", [])}
        self.dropped_modules = sorted({m for n, b in books.items() if n not in self.shipped
                                       for m in b.get("modules", [])} - kept_modules)
        self._dropped_dotted = [_dotted(m) for m in self.dropped_modules]

    def _dropped_module(self, rel):
        return any(rel.startswith(m) if m.endswith("/") else rel == m for m in self.dropped_modules)

    def keeps(self, rel, text=None):
        """Whether the file at `rel` ('/' separators) ships; `text` is a test file's source."""
        if rel.startswith("assignment3/") and rel.endswith(".ipynb"):
            return Path(rel).stem not in self.known or Path(rel).stem in self.shipped
        if self._dropped_module(rel):
            return False
        if rel.startswith("tests/") and rel.endswith(".py") and text is not None:
            # a test that imports a module the edition leaves out could not even be collected
            return not any(_names_module(text, m) for m in self._dropped_dotted)
        return True

    def points_text(self, text):
        """grading/points.toml with only the edition's tables; extra-credit tables say so."""
        out, keep = [], True
        for line in text.splitlines(keepends=True):
            m = TABLE.match(line)
            if m:
                notebook = m.group(1).split(".")[0].strip().strip('"')
                keep = notebook in self.shipped
                if keep and notebook in self.extra_credit and "." not in m.group(1):
                    line += "extra_credit = true  # counts beyond the edition's total\n"
            if keep:
                out.append(line)
        return "".join(out)

    def markdown(self, text, path="README.md"):
        """Markdown without the blocks of notebooks the edition leaves out."""
        out, skipping, start = [], None, 0
        for number, line in enumerate(text.splitlines(keepends=True), 1):
            m = BLOCK_START.match(line.rstrip("\r\n"))
            if m:
                if skipping is not None:
                    raise EditionError(f"{path}:{number}: a notebooks block inside another (opened at {start})")
                names = m.group(1).split()
                unknown = [n for n in names if n not in self.known]
                if unknown:
                    raise EditionError(f"{path}:{number}: unknown notebook(s) {', '.join(unknown)}")
                skipping, start = not any(n in self.shipped for n in names), number
                continue
            if line.rstrip("\r\n") == BLOCK_END:
                if skipping is None:
                    raise EditionError(f"{path}:{number}: {BLOCK_END} without its opening line")
                skipping = None
                continue
            tagged = LINE_TAG.match(line)
            if tagged:  # a table row or list item of its own notebooks: `... <!-- notebooks: A B -->`
                names = tagged.group(2).split()
                unknown = [n for n in names if n not in self.known]
                if unknown:
                    raise EditionError(f"{path}:{number}: unknown notebook(s) {', '.join(unknown)}")
                if not any(n in self.shipped for n in names):
                    continue
                line = tagged.group(1) + (tagged.group(3) or "")
            if not skipping:
                out.append(line)
        if skipping is not None:
            raise EditionError(f"{path}:{start}: notebooks block never closed")
        return "".join(out)


def main(argv):
    data = load()
    if not argv:
        for name, spec in data["editions"].items():
            extra = f" (extra credit: {', '.join(spec['extra_credit'])})" if spec.get("extra_credit") else ""
            print(f"{name:>5}  {', '.join(spec['notebooks'])}{extra}")
        return 0
    try:
        plan = Plan(argv[0])
    except EditionError as e:
        print(f"editions: {e}", file=sys.stderr)
        return 1
    print(f"edition {plan.name}: {plan.title}")
    print(f"  notebooks: {', '.join(plan.notebooks)}")
    if plan.extra_credit:
        print(f"  extra credit: {', '.join(plan.extra_credit)}")
    print(f"  left out: {', '.join(plan.dropped_modules) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
