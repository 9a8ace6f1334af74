"""Hidden tests: graded (grading/points.toml names this file) but never shipped to students.

Instructor-only (INSTRUCTOR_ONLY in tools/build_student.py). Keep each one quick and independent of
the visible tests' fixtures; they run in the instructor's `make test` too, so they stay correct."""

import numpy as np

from cs231n.rnn_layers import rnn_step_forward, word_embedding_forward


def test_rnn_step_forward_on_a_batch_of_one_with_wide_hidden_state():
    rng = np.random.default_rng(231)
    x, h = rng.standard_normal((1, 3)), rng.standard_normal((1, 7))
    Wx, Wh, b = rng.standard_normal((3, 7)), rng.standard_normal((7, 7)), rng.standard_normal(7)
    next_h, _ = rnn_step_forward(x, h, Wx, Wh, b)
    expected = np.tanh(x @ Wx + h @ Wh + b)
    assert np.allclose(next_h, expected, atol=1e-10), "rnn_step_forward: wrong on a (1, 3) input with H = 7"


def test_word_embedding_forward_repeats_rows_for_repeated_words():
    W = np.arange(12.0).reshape(4, 3)
    out, _ = word_embedding_forward(np.array([[3, 3, 0]]), W)
    assert np.array_equal(out, W[[[3, 3, 0]]]), "word_embedding_forward: repeated word indices give wrong rows"
