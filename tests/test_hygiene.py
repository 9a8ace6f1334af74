"""Repository hygiene that CI enforces: lint-clean code, notebooks committed without outputs, and the
package's import graph (one direction, no circle; see README "How the repository is built")."""

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "assignment3").glob("*.ipynb"))


def _ruff():
    exe = Path(sys.executable).with_name("ruff")
    return str(exe) if exe.exists() else shutil.which("ruff")


def test_ruff_passes_on_package_tests_tools_and_notebooks():
    ruff = _ruff()
    assert ruff, "ruff is not installed: run `make setup`"
    paths = [p for p in ("cs231n", "tests", "tools", "bench", "assignment3") if (ROOT / p).exists()]
    result = subprocess.run([ruff, "check", "--no-cache", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"ruff found problems:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, (f"{nb.name}: code cells {dirty} carry outputs or execution counts; clear them "
                       f"(jupyter nbconvert --clear-output --inplace {nb.name}) before committing")


def test_every_notebook_of_the_assignment_exists():
    expected = {"RNN_Captioning.ipynb", "LSTM_Captioning.ipynb", "Transformer_Captioning.ipynb",
                "Network_Visualization.ipynb", "Style_Transfer.ipynb", "Generative_Adversarial_Networks.ipynb"}
    missing = expected - {p.name for p in NOTEBOOKS}
    assert not missing, f"assignment3/ lacks {sorted(missing)}"


# ----------------------------------------------------------------------------------------------
# The package's import graph, read from the source with ast (nothing is imported)

# The four folders of machinery, and what each may import (besides itself, the standard library and
# third-party packages): never the assignment's modules nor the given top-level ones.
FOUNDATION = ("checks", "data", "models", "metrics")
MAY_IMPORT = {"checks": {"checks"}, "models": {"models", "checks"}}
STAR_IMPORTED = ("rnn_layers", "transformer_layers", "gan_pytorch", "style_transfer_pytorch")


def package_modules(root=ROOT):
    """{module name: (path relative to root, ast tree)} of every module under root/cs231n."""
    modules = {}
    for path in sorted((root / "cs231n").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = (path.relative_to(root), ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return modules


def package_imports(modules):
    """[(importer, imported cs231n module, 'file:line', inside a function, relative)] of every module."""
    found = []
    for name, (path, tree) in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]

        def visit(node, in_function, name=name, path=path, package=package):
            for child in ast.iter_child_nodes(node):
                where = f"{path}:{getattr(child, 'lineno', 0)}"
                if isinstance(child, ast.Import):
                    found.extend((name, a.name, where, in_function, False) for a in child.names
                                 if a.name.split(".")[0] == "cs231n")
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                        base = ".".join(anchor + ([base] if base else []))
                    if base.split(".")[0] == "cs231n":
                        for alias in child.names:  # `from cs231n.data import paths` imports cs231n.data.paths
                            target = f"{base}.{alias.name}"
                            found.append((name, target if target in modules else base, where, in_function,
                                          bool(child.level)))
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

        visit(tree, False)
    return found


def import_circles(modules):
    """Each circle of load-time imports as 'a -> b -> a'. Importing cs231n.data.paths runs
    cs231n/data/__init__.py first, so an import also points at the packages above its target."""
    graph = {name: set() for name in modules}
    for importer, target, _, _, _ in package_imports(modules):
        parts = target.split(".")
        for i in range(2, len(parts) + 1):
            parent = ".".join(parts[:i])
            if parent in modules and parent != importer and not importer.startswith(parent + "."):
                graph[importer].add(parent)
    state, circles = {}, []

    def walk(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node, [])
    return circles


def _group(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FOUNDATION else None


def direction_problems(modules):
    """Imports against the package's direction, one line each."""
    wrong = []
    for importer, target, where, _, _ in package_imports(modules):
        group = _group(importer)
        if group is None or target == "cs231n":
            continue
        allowed = MAY_IMPORT.get(group, set(FOUNDATION))
        if _group(target) is None:
            wrong.append(f"{where}: {group}/ imports {target}, an assignment or given module (those import "
                         "the machinery, never the other way)")
        elif _group(target) not in allowed:
            wrong.append(f"{where}: {group}/ imports {target}; {group}/ may import only "
                         f"{', '.join(sorted(allowed))}/")
    return wrong


def test_package_imports_form_no_circle():
    circles = import_circles(package_modules())
    assert not circles, "import circles in cs231n (move the shared piece down a level):\n" + "\n".join(circles)


def test_no_module_imports_the_package_inside_a_function():
    hidden = [f"{where}: imports {target} inside a function"
              for _, target, where, in_function, _ in package_imports(package_modules()) if in_function]
    assert not hidden, ("package imports hidden in functions (import at the top; if that makes a circle, a "
                        "module is in the wrong place):\n" + "\n".join(hidden))


def test_package_imports_are_absolute():
    relative = [f"{where}: relative import of {target}"
                for _, target, where, _, is_relative in package_imports(package_modules()) if is_relative]
    assert not relative, "write `from cs231n.x import y`, the classic style:\n" + "\n".join(relative)


def test_machinery_folders_import_only_downwards():
    wrong = direction_problems(package_modules())
    assert not wrong, "imports against the package's direction:\n" + "\n".join(wrong)


NUMPY_PATH = ("rnn_layers", "classifiers.rnn", "captioning_solver", "coco_utils", "optim", "gradient_check",
              "image_utils")


def _loads_torch(tree):
    """True when a module imports torch (or torchvision) as it loads, not inside a function."""
    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            names = ([a.name for a in child.names] if isinstance(child, ast.Import)
                     else [child.module or ""] if isinstance(child, ast.ImportFrom) and not child.level else [])
            if any(n.split(".")[0] in ("torch", "torchvision") for n in names) or visit(child):
                return True
        return False

    return visit(tree)


def test_numpy_captioning_path_loads_no_torch():
    modules = package_modules()
    edges = {}
    for importer, target, _, in_function, _ in package_imports(modules):
        if not in_function:
            parts = target.split(".")
            edges.setdefault(importer, set()).update(".".join(parts[:i]) for i in range(2, len(parts) + 1))
    problems = []
    for start in NUMPY_PATH:
        path, seen = {f"cs231n.{start}": [f"cs231n.{start}"]}, [f"cs231n.{start}"]
        while seen:
            name = seen.pop()
            if name in modules and _loads_torch(modules[name][1]):
                problems.append(" -> ".join(path[name]) + " imports torch")
            for nxt in sorted(edges.get(name, ())):
                if nxt not in path:
                    path[nxt] = path[name] + [nxt]
                    seen.append(nxt)
    assert not problems, "the numpy captioning path must not load torch:\n" + "\n".join(problems)


def test_import_graph_checks_find_planted_mistakes(tmp_path):
    files = {
        "__init__.py": "",
        "rnn_layers.py": "import numpy as np\n",
        "data/__init__.py": "",
        "data/a.py": "from cs231n.data import b\n",
        "data/b.py": "import cs231n.data.a\nfrom cs231n import rnn_layers\n",
        "models/__init__.py": "",
        "models/net.py": "from .. data import a\n\n\ndef load():\n    from cs231n.models import other\n",
        "models/other.py": "",
        "checks/__init__.py": "from cs231n.models import net\n",
    }
    for rel, text in files.items():
        (tmp_path / "cs231n" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "cs231n" / rel).write_text(text)
    modules = package_modules(tmp_path)
    assert import_circles(modules) == ["cs231n.data.a -> cs231n.data.b -> cs231n.data.a"]
    imports = package_imports(modules)
    assert [(t, w) for _, t, w, inside, _ in imports if inside] == [("cs231n.models.other", "cs231n/models/net.py:5")]
    assert [(t, w) for _, t, w, _, rel in imports if rel] == [("cs231n.data.a", "cs231n/models/net.py:1")]
    wrong = direction_problems(modules)
    assert [w.split(":")[0] + ":" + w.split(":")[1] for w in wrong] == [
        "cs231n/checks/__init__.py:1", "cs231n/data/b.py:2", "cs231n/models/net.py:1"], wrong


@pytest.mark.parametrize("module", STAR_IMPORTED)
def test_star_imported_module_lists_what_it_exports(module):
    path = ROOT / "cs231n" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined, exported = set(), None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            defined.update(names)
            if "__all__" in names:
                exported = ast.literal_eval(node.value)
    assert exported is not None, (f"cs231n/{module}.py: notebooks star-import it, so it must define __all__ "
                                  "(the names notebooks use), else `socket`, `np`... leak into them")
    missing = sorted(set(exported) - defined)
    assert not missing, f"cs231n/{module}.py: __all__ names {missing}, which the module does not define"
    assert len(exported) == len(set(exported)), f"cs231n/{module}.py: __all__ lists a name twice"
