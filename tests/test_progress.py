"""The progress report that ends `make test`, and the time limit on every test (tools/progress.py).

Each test runs pytest in a new process (forked from tests/_variants.py's server, which has imported
torch already) on a temporary copy of the package in which some functions are replaced, so the
checkout is never touched. Instructor-only."""

import os
import re
import subprocess
import sys

from _variants import REPO, package_with, pytest_main
from markers import END_MARKER as END
from markers import START_MARKER as START

BLANK_GRAM = f'''def gram_matrix(features, normalize=True):
    {START}
    raise NotImplementedError("gram_matrix in cs231n/style_transfer_pytorch.py: fill in the code between the START/END markers")
    {END}'''
WRONG_TV = f'''def tv_loss(img, tv_weight):
    {START}
    return tv_weight * (img[:, :, 1:, :] - img[:, :, :-1, :]).pow(2).sum()
    {END}'''
ENDLESS_FOOLING = f'''def make_fooling_image(X, target_y, model, learning_rate=1, max_iter=100):
    {START}
    X_fooling = X.clone()
    while True:
        pass
    {END}
    return X_fooling'''


def _pytest(root, test_file, *args, timeout=300):
    """`python -m pytest tests/TEST_FILE ARGS` against the copy in root, forked from the warm server."""
    code, output = pytest_main(root, [str(REPO / "tests" / test_file), "-q", "--tb=short", "-p", "no:cacheprovider",
                                      "-p", "no:nbval", *args], timeout=timeout)
    return subprocess.CompletedProcess(args, code, output)


def test_report_lists_each_function_with_its_status_and_points_after_pytest_output(tmp_path):
    root = package_with({"style_transfer_pytorch.py": {"gram_matrix": BLANK_GRAM, "tv_loss": WRONG_TV}}, tmp_path)
    proc = _pytest(root, "test_style_transfer.py", "-k", "content_loss or gram_matrix or tv_loss_matches")
    out = proc.stdout
    assert proc.returncode == 1, out[-3000:]
    report = out[out.index("your progress"):]
    assert out.index(" failed") < out.index("your progress"), "the report must come after pytest's summary"
    lines = {line.strip()[4:].split()[0]: line for line in report.splitlines() if line.lstrip().startswith("[")}
    assert "passing" in lines["content_loss"] and "2 pts" in lines["content_loss"]
    assert "not started" in lines["gram_matrix"]
    assert "failing: tv_loss(img, 0.5): rel error" in lines["tv_loss"], lines["tv_loss"]  # its first failing check
    assert "RNN_Captioning" in report and report.index("RNN_Captioning") < report.index("Style_Transfer")
    assert re.search(r"\d+ of \d+ functions done", report)  # every marked function (new notebooks add theirs)
    assert "next: gram_matrix in cs231n/style_transfer_pytorch.py" in report  # the first unfinished, in order


def test_report_keeps_the_exit_status_of_a_passing_run(tmp_path):
    root = package_with({}, tmp_path)
    proc = _pytest(root, "test_style_transfer.py", "-k", "content_loss")
    assert proc.returncode == 0 and "[x] content_loss" in proc.stdout, proc.stdout[-3000:]


def test_report_under_xdist_gathers_what_each_worker_reached(tmp_path):
    # the instructor's make test runs one worker per core; the workers' records reach the report
    root = package_with({"style_transfer_pytorch.py": {"tv_loss": WRONG_TV}}, tmp_path)
    proc = _pytest(root, "test_style_transfer.py", "-k", "content_loss or gram_matrix or tv_loss_matches",
                   "-n", "2", "-p", "xdist")
    lines = {line.strip()[4:].split()[0]: line for line in proc.stdout.splitlines() if line.lstrip().startswith("[")}
    assert proc.returncode == 1 and lines, proc.stdout[-3000:]
    assert "passing" in lines["content_loss"] and "passing" in lines["gram_matrix"], proc.stdout[-3000:]
    assert "failing: tv_loss" in lines["tv_loss"] and "rel error" in lines["tv_loss"], lines["tv_loss"]


def test_endless_loop_fails_its_test_saying_so_and_the_run_ends(tmp_path):
    root = package_with({"net_visualization_pytorch.py": {"make_fooling_image": ENDLESS_FOOLING}}, tmp_path)
    proc = _pytest(root, "test_net_visualization.py", "-k", "fooling_image_is_classified", "-o", "timeout=3",
                   timeout=120)
    assert proc.returncode == 1, proc.stdout[-3000:]
    # 3 s of CPU time, or the wall-clock backstop (5 x 3 s) when a loaded machine gives the loop less
    assert re.search(r"timed out after (3|15) s: does your loop end\?", proc.stdout), proc.stdout[-3000:]
    assert "while True" in proc.stdout or "pass" in proc.stdout  # the traceback points at the loop
    assert re.search(r"failing: timed out after (3|15) s", proc.stdout)  # and the report says so too


def test_a_test_that_waits_forever_is_stopped_by_the_wall_clock_backstop(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(REPO / 'tools')!r})\nimport progress\n\n\n"
        "def pytest_configure(config):\n    progress.register(config)\n")
    (tmp_path / "tests" / "test_wait.py").write_text("import time\n\n\ndef test_waits():\n    time.sleep(120)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "timeout=1",
                           "tests/test_wait.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "timed out after 5 s: does your loop end?" in proc.stdout, proc.stdout[-2000:]
    assert "wall-clock" in proc.stdout


BLANK_RNN_FORWARD = f'''def rnn_forward(x, h0, Wx, Wh, b):
    {START}
    raise NotImplementedError("rnn_forward in cs231n/rnn_layers.py: fill in the code between the START/END markers")
    {END}'''
BLANK_STYLE_LOSS = f'''def style_loss(feats, style_layers, style_targets, style_weights):
    {START}
    raise NotImplementedError("style_loss in cs231n/style_transfer_pytorch.py: fill in the code between the START/END markers")
    {END}'''
WRONG_GRAM = f'''def gram_matrix(features, normalize=True):
    {START}
    N, C, H, W = features.shape
    F = features.reshape(N, C, H * W)
    return F @ F.transpose(1, 2)  # never normalised
    {END}'''


def _lines(out):
    return {line.strip()[4:].split()[0]: line for line in out.splitlines() if line.lstrip().startswith("[")}


def test_a_correct_function_is_not_failed_by_a_blank_one_that_shares_its_test(tmp_path):
    # issue 19: a blank rnn_forward used to mark the correct rnn_step_forward failing through the
    # classic-API test they share; the blank's error now counts against the blank alone
    root = package_with({"rnn_layers.py": {"rnn_forward": BLANK_RNN_FORWARD}}, tmp_path)
    proc = _pytest(root, "test_classic_api.py", "-k", "rnn")
    lines = _lines(proc.stdout)
    assert proc.returncode == 1 and lines, proc.stdout[-3000:]
    assert "not started" in lines["rnn_forward"], lines["rnn_forward"]
    # its only test here stops in the blank: not failing, and the report says where it stopped
    assert "failing" not in lines["rnn_step_forward"] and "rnn_forward" in lines["rnn_step_forward"], \
        lines["rnn_step_forward"]
    # a caller of the blank is blocked, not failing (its checks cannot run yet)
    assert "failing" not in lines["rnn_backward"], lines["rnn_backward"]


def test_a_wrong_function_is_reported_with_its_own_failure_not_another_blanks_error(tmp_path):
    # issue 19: a wrong gram_matrix used to show style_loss's NotImplementedError
    root = package_with({"style_transfer_pytorch.py": {"gram_matrix": WRONG_GRAM, "style_loss": BLANK_STYLE_LOSS}},
                        tmp_path)
    proc = _pytest(root, "test_style_transfer.py", "-k", "gram or style_loss")
    lines = _lines(proc.stdout)
    assert proc.returncode == 1 and lines, proc.stdout[-3000:]
    assert "failing" in lines["gram_matrix"], lines["gram_matrix"]
    assert "NotImplementedError" not in lines["gram_matrix"] and "style_loss" not in lines["gram_matrix"], \
        lines["gram_matrix"]
    assert "not started" in lines["style_loss"], lines["style_loss"]
