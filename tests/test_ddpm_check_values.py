"""The stored DDPM check values (cs231n/checks/ddpm_values.json) equal what the solutions give, and the
solutions reproduce every 2025 course value that depends only on the formulas.

Instructor-only: it runs the solutions through tools/make_ddpm_check_values.py.
"""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TOOL = Path(__file__).resolve().parent.parent / "tools" / "make_ddpm_check_values.py"


def _tool():
    spec = importlib.util.spec_from_file_location("make_ddpm_check_values", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_ddpm_values_match_the_solutions(capsys):
    try:
        _tool().main(["--check"])
    except SystemExit as e:
        pytest.fail(str(e))
