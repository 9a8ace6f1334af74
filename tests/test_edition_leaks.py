"""No reference of a blank ships to students: the student edition is built and searched for code that
computes what a blanked function computes.

Instructor-only (INSTRUCTOR_ONLY in tools/build_student.py). The builder's own leak check finds solution
lines copied verbatim; this file finds references written differently, which no text search can, with
two detectors whose every hit must be reviewed by hand:

- Functions. Every function (and method) defined in the edition's cs231n/checks/, tests/ and tools/ and
  in the notebooks' code cells is scored by the array operations it performs (reductions, products,
  powers, exp/log/tanh, ...; see ARRAY_OPS). A function with at least MIN_ARRAY_OPS of them that never
  refers to a blank (by call, alias or class) is a candidate reference: it computes something
  array-shaped without the student's code. So is any function anywhere in the edition named after a
  blank or called *reference*/*solution* that never refers to a blank (test helpers and grading
  drivers that run the student's code do). A candidate passes only when REVIEWED_FUNCTIONS lists it
  with the reason it is not the assignment written out (a library oracle such as torch.nn.LSTM,
  autograd, numeric gradients, a closed form of a special case, a helper that only arranges data).
- Notebook checks. The expected value of every check in the edition's notebooks (the third argument of
  check_close, either argument of rel_error/allclose) is followed back through the assignments of the
  notebook to everything it is computed from; one with at least MIN_ARRAY_OPS array operations is a
  re-implementation (`np.sum(np.diff(x, axis=2) ** 2) + ...` is tv_loss) unless REVIEWED_CHECKS lists
  it. Expected values read from a file, library oracles and numbers stay below the threshold.

A hit names the file, the function or check, and the fix: ship values (computed from the solutions by
`make student`'s tooling) instead of code, keep the reference in an instructor-only file, or, when it
is not a reference, add it to the review list with the reason. The detectors are heuristics: a reference
written with fewer operations than the threshold, or spread over several small helpers, passes them.
"""

import ast
import json
import re
from pathlib import Path

import pytest

import build_student as bs  # noqa: E402  (tools/ is on sys.path: tests/conftest.py)

REPO = Path(__file__).resolve().parent.parent

# Calls (by their last name: np.sum, x.sum(), torch.einsum) and operators that compute on arrays.
ARRAY_OPS = {
    "sum", "mean", "var", "std", "prod", "cumsum", "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp",
    "diff", "einsum", "dot", "matmul", "mm", "bmm", "addmm", "baddbmm", "outer", "tensordot", "linear", "conv2d",
    "exp", "log", "log1p", "expm1", "tanh", "sigmoid", "relu", "softmax", "log_softmax", "sqrt", "square", "abs",
    "sin", "cos", "pow", "maximum", "minimum", "where", "clip", "clamp", "norm", "masked_fill", "tril", "triu",
    "roll", "flip", "gather", "trace", "grad",
}
MIN_ARRAY_OPS = 2
MIN_WORD = 8  # blank names shorter than this, without an underscore, are too common to search for (_telling)
# Words in a function's name that say it is a reference (besides the blanks' own names).
REFERENCE_WORDS = ("reference", "solution")
# Where the array-operation detector looks (the given modules' classic code is not searched).
SCORED_FOLDERS = ("cs231n/checks/", "tests/", "tools/")

# "path::qualified name" -> why it is not a reference of a blank. Reviewed by hand: add an entry only
# with its reason, after reading the function.
REVIEWED_FUNCTIONS = {
    "cs231n/checks/__init__.py::rel_error": "the classic relative error of two arrays",
    "tests/test_clip_dino_real.py::stand_ins":
        "seeds the stand-in CLIP's weights (mean colours of the test's own images, word counts of the ten "
        "captions) and a stand-in DINO checkpoint: test data for the real-data path, no blank's computation",
    "cs231n/checks/captioning.py::random_captioning_params": "random weights for the checks' small models",
    "cs231n/checks/captioning.py::reference_decode_step":
        "one step through torch.nn.RNNCell/LSTMCell (the library oracle) between the given embedding and "
        "output weights",
    "cs231n/checks/transformer.py::torch_reference_attention":
        "torch.nn.MultiheadAttention holding the student's weights (library oracle)",
    "cs231n/checks/transformer.py::torch_reference_scores":
        "torch.nn.TransformerDecoder holding the student's weights (library oracle)",
    "cs231n/checks/net_visualization.py::update_step_geometry":
        "measures the student's step against the regularised score's gradient, which autograd computes "
        "(the L2 term's gradient is the closed form 2 l2_reg I); it takes no step of its own",
    "cs231n/checks/captioning.py::log_softmax":
        "the log-probabilities beam search (given code) ranks by; no blank computes them",
    "cs231n/checks/ddpm.py::q_sample_inputs": "the inputs of the course's q_sample check, nothing computed",
    "cs231n/checks/gradients.py::input_gradients": "autograd's gradients of the student's function (oracle)",
    "cs231n/checks/gradients.py::scaled_error": "an error measure of two arrays",
    "cs231n/checks/transformer.py::stored_positional_encoding":
        "reads the stored table of encodings (values, not code)",
    "cs231n/checks/vit.py::torch_reference_encoder_layer":
        "torch.nn.TransformerEncoderLayer holding the student's weights (library oracle)",
    "cs231n/checks/vit.py::torch_reference_decoder_layer":
        "torch.nn.TransformerDecoderLayer holding the student's weights (library oracle)",
    "cs231n/checks/vit.py::conv_reference_patches":
        "patch embedding as one strided torch convolution, another method than the blank's reshape",
    "cs231n/checks/vit.py::attention_rollout": "attention rollout for a figure; no blank computes it",
    "cs231n/metrics/bleu.py::image_references": "BLEU's reference captions (a metric, not a blank)",
    "cs231n/metrics/frechet.py::generator_distance": "the Frechet distance of a generator's samples (a metric)",
    "tools/progress.py::write_report": "column widths of the progress report",
    "assignment3/Generative_Adversarial_Networks.ipynb::HalfSquare.forward":
        "a critic 0.5 ||x||^2 whose input gradient is x: the closed form the gradient penalty check uses",
    "tests/test_captioning_transformer.py::_log_prob": "log-probability from the student's model's own scores",
    "tests/test_decoder_layer.py::_max_abs": "the largest absolute difference of two tensors",
    "tests/test_real_model_path.py::_Foolable.__init__":
        "a stand-in classifier that a few ascent steps can fool, for the real-model path tests",
    "tests/test_gan.py::_score_grads": "autograd's gradients of a loss function it is given",
    "tests/test_vit.py::_max_abs": "the largest absolute difference of two tensors",
    "tests/test_simclr.py::_close": "compares two tensors (shape, then the largest difference against a tolerance)",
    "assignment3/Network_Visualization.ipynb::correlation": "Pearson correlation of two maps, for the text",
    "tests/test_net_visualization.py::_gradient_of_regularised_score":
        "autograd's gradient of the regularised score, the oracle the step is compared with",
    "tests/test_real_model_path.py::_serve_weights": "serves weight files to a local server",
    "tests/test_transformer_layers.py::_max_abs": "the largest absolute difference of two tensors",
    "tests/test_transformer_layers.py::_assert_dropout_of": "statistics of the student's dropout draws",
    "tests/test_clip_dino.py::_cosine_reference": "library oracle: torch's F.cosine_similarity, broadcast",
    "tests/test_clip_dino.py::_dino_reference":
        "library oracle: torch.distributions' Categorical entropy plus KL divergence (= cross-entropy)",
}

# "notebook: check label" (the label's text up to its first '{') -> why its expected value is not the
# blank written out.
REVIEWED_CHECKS = {
    "Generative_Adversarial_Networks.ipynb: gradient_penalty of a linear critic":
        "closed form of a special case: a linear critic's input gradient is its weight w everywhere",
    "Generative_Adversarial_Networks.ipynb: d gradient_penalty / dw":
        "closed form of a special case: the derivative of (||w|| - 1)^2",
    "Transformer_Captioning.ipynb: TransformerDecoderLayer vs nn.TransformerDecoderLayer":
        "library oracle: torch.nn.TransformerDecoderLayer holding the student layer's weights",
    "Transformer_Captioning.ipynb: TransformerDecoderLayer dropouts on the block outputs":
        "library oracle: the same torch.nn layer with each dropout replaced by a fixed scaling",
    "Transformer_Captioning.ipynb: CaptioningTransformer.forward vs the stored scores":
        "stored values: the scores come from transformer_values.npz, written from the solutions",
    "CLIP_DINO.ipynb: clip_contrastive_loss, orthogonal pairs":
        "closed form of a special case: logits s on the diagonal and 0 elsewhere give log(e^s + N - 1) - s",
    "CLIP_DINO.ipynb: dino_loss, certain teacher":
        "closed form of a special case: a one-hot teacher makes the cross-entropy -log q_k of the given q",
}


# ----------------------------------------------------------------------------------------------
# The detectors (they work on any folder laid out like the edition, so the tests below plant mistakes)


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def blank_words(functions):
    """The names a reference of these blanks would carry: 'tv_loss', 'grad_cam', 'positional_encoding'...
    (a method gives its class's name too). Names shorter than MIN_WORD characters (forward, loss, train,
    getitem) and special methods are too common to say anything (see _telling)."""
    words = set()
    for qualified in functions:
        cls, _, name = qualified.rpartition(".")
        if cls:
            words.add(_snake(cls))
        if not name.startswith("__"):
            words.add(name.strip("_"))
    return {w for w in words if _telling(w)}


def _telling(name):
    """A name specific enough to search for: with an underscore inside, or MIN_WORD characters long."""
    return "_" in name.strip("_") or len(name) >= MIN_WORD


def blank_callables(functions):
    """The names by which code calls these blanks: their classes (a constructor runs __init__ and the
    object's forward) and their own names when specific enough (not train, sim, forward, loss)."""
    names = set()
    for qualified in functions:
        cls, _, name = qualified.rpartition(".")
        if cls:
            names.add(cls.rpartition(".")[2])
        if not name.startswith("__") and _telling(name):
            names.add(name)
    return names


def _mentions(tree, names):
    """True when tree refers to one of `names` (a call, an alias such as `forward = lstm_forward`, a method)."""
    return any((isinstance(n, ast.Name) and n.id in names) or (isinstance(n, ast.Attribute) and n.attr in names)
               for n in ast.walk(tree))


def _called_name(call):
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _walk(node, skip=frozenset()):
    """ast.walk, without the calls to the functions named in `skip` and what lies inside them."""
    todo = [node]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Call) and _called_name(node) in skip:
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def array_ops(nodes, skip=frozenset()):
    """How many array operations the expressions or statements `nodes` perform (outside calls to `skip`)."""
    count = 0
    for root in nodes:
        for node in _walk(root, skip):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                count += 1
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not isinstance(node.left, ast.Constant):
                count += 1
            elif isinstance(node, ast.Call) and _called_name(node) in ARRAY_OPS:
                count += 1
    return count


def _functions(tree, prefix=""):
    """(qualified name, node) of every function and method, nested ones under their outer function's name."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")


def _cell_code(cell):
    """A code cell's source with IPython's % and ! lines blanked, so that ast can read it."""
    source = bs._source(cell)
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _parsed_files(root):
    """(path relative to root, label prefix, ast tree) of every .py file and notebook code cell under root."""
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root).as_posix()
        try:
            yield rel, rel, ast.parse(file.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
    for file in sorted(root.rglob("*.ipynb")):
        rel = file.relative_to(root).as_posix()
        for index, cell in enumerate(json.loads(file.read_text(encoding="utf-8")).get("cells", [])):
            if cell.get("cell_type") == "code":
                try:
                    yield rel, f"{rel} (cell {index})", ast.parse(_cell_code(cell))
                except SyntaxError:
                    continue


def suspect_functions(root, blanked, student_modules):
    """{"path::name": why} of every function under root that may be a reference of a blank.

    blanked: the blanked functions' qualified names; student_modules: the files holding the blanks
    (their own functions are the assignment and are not searched)."""
    words = blank_words(blanked)
    short = blank_callables(blanked)
    suspects = {}
    for rel, where, tree in _parsed_files(root):
        if rel in student_modules:
            continue
        scored = rel.endswith(".ipynb") or rel.startswith(SCORED_FOLDERS)
        for name, node in _functions(tree):
            if name.rpartition(".")[2].startswith("test_"):
                continue
            if _mentions(node, short):
                continue  # it runs the student's code (a test helper, a driver), it does not replace it
            low = name.lower()
            named = sorted(w for w in words | set(REFERENCE_WORDS) if w in low)
            key = f"{rel}::{name}"
            if named:
                suspects[key] = f"{where}: {name} is named after {', '.join(named)}"
                continue
            ops = array_ops(node.body)
            if scored and ops >= MIN_ARRAY_OPS:
                suspects[key] = f"{where}: {name} performs {ops} array operations without referring to any blank"
    return suspects


# The checks whose expected value is followed: check name -> the positions of the arguments that may hold it.
EXPECTED_ARGUMENTS = {"check_close": (2,), "rel_error": (0, 1), "allclose": (0, 1), "assert_allclose": (0, 1)}


def _assigned(tree, into):
    """Add {name: [value expressions]} of every assignment (and for-loop target) in tree to `into`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.For, ast.comprehension)):
            targets, value = [node.target], node.iter
        else:
            continue
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    into.setdefault(name.id, []).append(value)


def _computed_from(expr, assigned, skip):
    """expr and every expression its names were assigned from, followed back transitively; what the
    blanks (named in `skip`) return is the student's side and is not followed."""
    nodes, seen, todo = [expr], set(), [expr]
    while todo:
        for name in _walk(todo.pop(), skip):
            if isinstance(name, ast.Name) and name.id not in seen and name.id in assigned:
                seen.add(name.id)
                nodes += assigned[name.id]
                todo += assigned[name.id]
    return nodes


def check_label(call):
    """A check's label: its first argument's text up to the first f-string field."""
    if not call.args:
        return ""
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr):
        text = ""
        for part in first.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            text += part.value
        return text.strip()
    return ast.unparse(first)


def suspect_checks(root, blanked):
    """{"notebook: label": why} of every notebook check under root whose expected value is computed with
    MIN_ARRAY_OPS or more array operations. What a blank returns counts as given (the student's side of a
    comparison, or an input such as the style targets), and the operations inside its call do not count."""
    short = blank_callables(blanked)
    suspects = {}
    for file in sorted(root.rglob("*.ipynb")):
        rel = file.relative_to(root).as_posix()
        assigned = {}  # the notebook's assignments so far, in execution order
        for index, cell in enumerate(json.loads(file.read_text(encoding="utf-8")).get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            try:
                tree = ast.parse(_cell_code(cell))
            except SyntaxError:
                continue
            _assigned(tree, assigned)
            for call in ast.walk(tree):
                if not (isinstance(call, ast.Call) and _called_name(call) in EXPECTED_ARGUMENTS):
                    continue
                for position in EXPECTED_ARGUMENTS[_called_name(call)]:
                    if position >= len(call.args):
                        continue
                    ops = array_ops(_computed_from(call.args[position], assigned, short), short)
                    if ops >= MIN_ARRAY_OPS:
                        label = check_label(call) if _called_name(call) == "check_close" else ast.unparse(call)[:60]
                        key = f"{Path(rel).name}: {label}"
                        suspects[key] = (f"{rel} (cell {index}): the expected value of {label!r} is computed with "
                                         f"{ops} array operations: {ast.unparse(call.args[position])[:70]}")
    return suspects


# ----------------------------------------------------------------------------------------------
# The student edition of this repository


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    return bs.build(REPO, tmp_path_factory.mktemp("edition") / "student", quiet=True)


def _blanks(edition):
    return {r.function for r in edition.regions}, {r.path for r in edition.regions}


def _explain(unreviewed, what, registry):
    lines = "\n  ".join(f"{why}" for why in unreviewed.values())
    return (f"{len(unreviewed)} {what} in the student edition may be a reference of a blank:\n  {lines}\n"
            f"Fix: ship values, not code (compute the expected outputs from the solutions when the edition is "
            f"built, as the classic gan-checks.npz), or move the reference to an instructor-only file "
            f"(INSTRUCTOR_ONLY in tools/build_student.py); if it is no reference (a library oracle, autograd, "
            f"a closed form of a special case, plain data handling), add it to {registry} in "
            f"tests/test_edition_leaks.py with the reason.")


def test_no_shipped_function_is_a_reference_of_a_blank(edition):
    blanked, modules = _blanks(edition)
    unreviewed = {key: why for key, why in suspect_functions(edition.out, blanked, modules).items()
                  if key not in REVIEWED_FUNCTIONS}
    assert not unreviewed, _explain(unreviewed, "function(s)", "REVIEWED_FUNCTIONS")


def test_no_notebook_check_recomputes_a_blank(edition):
    blanked, _ = _blanks(edition)
    unreviewed = {key: why for key, why in suspect_checks(edition.out, blanked).items()
                  if key not in REVIEWED_CHECKS}
    assert not unreviewed, _explain(unreviewed, "notebook check(s)", "REVIEWED_CHECKS")


def test_every_reviewed_entry_says_why():
    for registry in (REVIEWED_FUNCTIONS, REVIEWED_CHECKS):
        for key, reason in registry.items():
            assert len(reason.split()) >= 4, f"{key}: say in a few words why it is not a reference of a blank"


# ----------------------------------------------------------------------------------------------
# The detectors on planted references and on what they must let through

BLANKS = {"tv_loss", "MultiHeadAttention.forward", "discriminator_loss"}
TV_NOTEBOOK_CELL = ("xn = x.numpy()\n"
                    "tv_ref = np.sum(np.diff(xn, axis=2) ** 2) + np.sum(np.diff(xn, axis=3) ** 2)\n"
                    "check_close('tv_loss vs numpy', tv_loss(x, 0.25), 0.25 * tv_ref, 1e-5)\n")


def _plant(root, files):
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _notebook(*sources):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
             for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_reference_with_an_innocent_name_is_found_by_its_array_operations(tmp_path):
    root = _plant(tmp_path, {
        "cs231n/checks/style.py": "import torch\n\n\ndef _smoothness(img, w):\n"
                                  "    dh = img[:, :, 1:] - img[:, :, :-1]\n    dw = img[..., 1:] - img[..., :-1]\n"
                                  "    return w * (torch.sum(dh ** 2) + torch.sum(dw ** 2))\n",
        "tests/test_style.py": "import numpy as np\n\n\ndef _d(r, f):\n    return np.mean(np.log(1 + np.exp(-r)))\n",
    })
    found = suspect_functions(root, BLANKS, set())
    assert set(found) == {"cs231n/checks/style.py::_smoothness", "tests/test_style.py::_d"}, found


def test_a_function_named_after_a_blank_or_reference_is_found_anywhere(tmp_path):
    root = _plant(tmp_path, {
        "cs231n/data/extra.py": "def tv_loss_numpy(x):\n    return x\n",
        "cs231n/checks/attention.py": "class Ref:\n    def multi_head_attention(self, q):\n        return q\n",
        "tests/test_a.py": "def reference_scores(m):\n    return m\n\n\ndef test_tv_loss_is_positive():\n    pass\n",
    })
    found = suspect_functions(root, BLANKS, set())
    assert set(found) == {"cs231n/data/extra.py::tv_loss_numpy", "cs231n/checks/attention.py::Ref.multi_head_attention",
                          "tests/test_a.py::reference_scores"}, found


def test_library_oracles_helpers_calling_blanks_and_the_assignment_itself_pass(tmp_path):
    root = _plant(tmp_path, {
        "cs231n/checks/attention.py": "import torch\n\n\ndef torch_attention(q, k, v):\n"
                                      "    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)\n"
                                      "    return mha(q, k, v)[0]\n",
        "tests/test_style.py": "import numpy as np\nfrom cs231n.style import tv_loss\n\n\ndef _tv_error(x):\n"
                               "    return np.max(np.abs(tv_loss(x, 1.0) - 2 * np.sum(x)))\n",
        "cs231n/style.py": "import torch\n\n\ndef tv_loss(img, w):\n"
                           "    return w * (torch.sum(img.diff(dim=2) ** 2) + torch.sum(img.diff(dim=3) ** 2))\n",
    })
    assert suspect_functions(root, BLANKS, {"cs231n/style.py"}) == {}


def test_a_notebook_check_with_a_numpy_reimplementation_is_found(tmp_path):
    root = _plant(tmp_path, {"assignment3/Style.ipynb": _notebook("%matplotlib inline\nimport numpy as np\n",
                                                                  TV_NOTEBOOK_CELL)})
    found = suspect_checks(root, BLANKS)
    assert list(found) == ["Style.ipynb: tv_loss vs numpy"] and "(cell 1)" in found["Style.ipynb: tv_loss vs numpy"], found


def test_a_reference_computed_in_an_earlier_cell_or_a_loop_is_followed(tmp_path):
    loop = ("expected = 0.0\nfor f, t in zip(feats, targets):\n    a = f.reshape(len(f), -1)\n"
            "    expected += np.sum((a @ a.T - t) ** 2)\n")
    root = _plant(tmp_path, {"assignment3/Style.ipynb": _notebook(
        loop, "check_close(f'style_loss on {n} layers', style_loss(feats, targets), expected, 1e-4)\n")})
    assert list(suspect_checks(root, BLANKS)) == ["Style.ipynb: style_loss on"]


def test_stored_values_closed_forms_and_oracles_pass_the_notebook_check(tmp_path):
    root = _plant(tmp_path, {"assignment3/Style.ipynb": _notebook(
        "answers = np.load('checks.npz')\ncheck_close('tv_loss vs stored', tv_loss(x, 0.25), answers['tv'], 1e-5)\n",
        "check_close('tv_loss of a constant image', tv_loss(torch.ones(1, 3, 4, 4), 1.0), 0.0, 1e-12)\n",
        "ref = torch.nn.MultiheadAttention(8, 2)(q, q, q)[0]\ncheck_close('attention vs torch.nn', out, ref, 1e-6)\n",
    )})
    assert suspect_checks(root, BLANKS) == {}


def test_blank_words_and_callables_leave_out_common_names():
    blanks = {"tv_loss", "PositionalEncoding.__init__", "CaptioningRNN._decode_step", "Solver.train",
              "MultiHeadAttention.forward", "CIFAR10Pair.__getitem__", "sim", "discriminator"}
    assert blank_words(blanks) == {"tv_loss", "positional_encoding", "captioning_rnn", "decode_step",
                                   "multi_head_attention", "cifar10_pair", "discriminator"}
    assert blank_callables(blanks) == {"tv_loss", "PositionalEncoding", "CaptioningRNN", "_decode_step", "Solver",
                                       "MultiHeadAttention", "CIFAR10Pair", "discriminator"}
