"""tools/check_values.py: the comparison behind every make_*_check_values.py --check. Instructor-only."""

import numpy as np

import check_values  # tools/ (on sys.path through tests/conftest.py)


def test_equal_values_agree_and_each_kind_of_difference_is_named(tmp_path):
    path = tmp_path / "values.npz"
    stored = {"a": np.arange(1.0, 4.0), "b": np.array(2), "c": np.ones((2, 2))}
    np.savez(path, **stored)
    assert check_values.differences(path, dict(stored)) == []
    fresh = {"a": np.arange(1.0, 4.0) + 1e-9, "b": np.array(2.0), "d": np.zeros(1)}
    lines = check_values.differences(path, fresh)
    assert "values.npz: a differs from what the solutions give" in lines  # beyond atol 1e-12
    assert "values.npz: b differs from what the solutions give" in lines  # int stored, float given
    assert "values.npz: c only in the committed file" in lines
    assert "values.npz: d missing from the committed file" in lines
    assert check_values.differences(path, {**stored, "c": np.ones(4)}) == ["values.npz: c differs from what the solutions give"]
    assert check_values.differences(path, {**stored, "a": np.arange(1.0, 4.0) + 1e-9}, rtol=1e-6) == []


def test_a_missing_file_says_how_to_write_it(tmp_path):
    lines = check_values.differences(tmp_path / "gone.npz", {}, fix="run python tools/make_x.py")
    assert lines == ["gone.npz is missing: run python tools/make_x.py"]
