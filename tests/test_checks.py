"""The notebooks' check helpers: every check in a check_all() block reports before the block fails."""

import numpy as np
import pytest

from cs231n.checks import check_all, check_close, check_true


def test_check_close_outside_a_block_fails_at_once(capsys):
    with pytest.raises(AssertionError, match="dx: rel error"):
        check_close("dx", np.ones(3), np.zeros(3), 1e-8, hint="sign?")
    assert "hint: sign?" in capsys.readouterr().out


def test_check_all_reports_every_check_before_failing(capsys):
    with pytest.raises(AssertionError) as info:
        with check_all():
            check_close("dx", np.ones(3), np.zeros(3), 1e-8, hint="look at the sign")
            check_close("dWx", np.ones(3), np.ones(3), 1e-8)
            check_true("db", False, "sums over the batch", hint="sum over axis 0")
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out if not line.startswith("    ")] == ["dx", "dWx", "db"]
    assert "dWx: rel error 0.00e+00 (tol 1e-08) PASS" in out
    assert "2 check(s) failed" in str(info.value) and "dWx" not in str(info.value)


def test_check_all_passes_when_every_check_passes():
    with check_all():
        assert check_true("ok", True)
        assert check_close("x", np.arange(3.0), np.arange(3.0), 1e-12) == 0.0


def test_shape_mismatch_is_a_failure_not_an_exception_inside_a_block():
    with pytest.raises(AssertionError, match=r"shape \(2,\) but expected \(3,\)"):
        with check_all():
            check_close("x", np.zeros(2), np.zeros(3), 1e-8)
