"""Solutions written to the classic specification pass every test and notebook check that covers them.

Each entry below is our own classic-style variant of the functions a student writes: the way published
classic solutions write them (loops instead of vectorised code, in-place updates of the arrays a backward
pass receives, float64 temporaries, words written after <END>, a plain gradient step, a loop that runs
until the model is fooled). The variants of one entry replace ours in a temporary copy of the package
(tests/_variants.py); the unit tests named in the entry and the notebook check cells (tagged `check`)
then run against that copy in a fresh process, and every one of them must pass.
"""

import pytest

from _variants import package_with, run_notebook_checks, run_pytest

# Each entry: replacements {module file: {function or Class.method: source}}, the test files that
# cover them, and the notebooks whose check cells cover them.
VARIANTS = {}

# --------------------------------------------------------------------------------------------------
# Captioning, numpy (rnn_layers.py, classifiers/rnn.py)
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Transformer (transformer_layers.py, classifiers/transformer.py)
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Network visualization (net_visualization_pytorch.py)
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Style transfer (style_transfer_pytorch.py)
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# GANs (gan_pytorch.py)
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_classic_variant_passes_its_tests_and_notebook_checks(name, tmp_path):
    entry = VARIANTS[name]
    root = package_with(entry["replacements"], tmp_path)
    ok, out = run_pytest(root, entry["tests"])
    assert ok, f"classic variant '{name}' fails the unit tests that cover it:\n{out}"
    for notebook in entry.get("notebooks", []):
        ok, out = run_notebook_checks(root, notebook)
        assert ok, f"classic variant '{name}' fails the check cells of {notebook}:\n{out}"
