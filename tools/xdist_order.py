"""make test on every core: hand the longest work out first (a pytest plugin, instructors only).

tools/run_tests.sh runs the tests and notebooks under pytest-xdist with `--dist loadfile
--no-loadscope-reorder`; tests/conftest.py registers this plugin when it can import it. It changes
two things:

- the units of work (the controller's scheduler, `pytest_xdist_make_scheduler`): a notebook is one
  unit (its cells run in order, in one kernel), and so is every test file (its module-scoped
  fixtures are built once), except the files in SPLIT, whose tests share nothing costly and are
  handed out one by one;
- their order (each worker's collection, which the controller follows): the units named in LONGEST
  go out longest first (with two short units third and fourth, SHORT_SECOND), then everything else
  in collection order, then the split tests, which fill the gaps at the end.

Longest first matters because a run ends when its last worker does: with files handed out in
xdist's default order (most tests first), a long notebook could start last and run alone.
(pytest-xdist's own `--dist loadgroup` would do the grouping, but xdist 3.8 marks the groups in a
way pytest 9 no longer reads.) Outside xdist, and under any other --dist, nothing changes.
"""

import pytest
from xdist.scheduler import LoadFileScheduling

# Wall seconds of each long unit in a make test run on 2 cores (2026-12-07, contended; only the
# order is used). Units not named here are short and keep the collection's order.
LONGEST = {
    "assignment3/Generative_Adversarial_Networks.ipynb": 472,
    "tests/test_grade.py": 351,
    "assignment3/DDPM.ipynb": 192,
    "tests/test_colab.py": 183,
    "assignment3/Style_Transfer.ipynb": 154,
    "assignment3/CLIP_DINO.ipynb": 131,
    "assignment3/Self_Supervised_Learning.ipynb": 130,
    "assignment3/Vision_Transformer.ipynb": 107,
    "assignment3/Transformer_Captioning.ipynb": 107,
    "assignment3/LSTM_Captioning.ipynb": 55,
}
# xdist hands each worker two units at the start: the two longest, then these two short ones, so that no
# worker is committed to two long units while the other runs out of work.
SHORT_SECOND = ["assignment3/collect_submission.ipynb", "tests/test_checks.py"]
# Files of independent tests, each seconds to a minute: one unit per test.
SPLIT = {"tests/test_classic_variants.py", "tests/test_progress.py"}


def unit(nodeid):
    """The unit of work of a test: its file, or itself in a SPLIT file."""
    path = nodeid.split("::", 1)[0]
    return nodeid if path in SPLIT else path


class LongestFirst(LoadFileScheduling):
    """xdist's loadfile scheduling with SPLIT files handed out test by test."""

    def _split_scope(self, nodeid):
        return unit(nodeid)


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: unknown where xdist is not loaded
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadfile":
        return LongestFirst(config, log)
    return None


def pytest_collection_modifyitems(config, items):
    if not hasattr(config, "workerinput"):  # only an xdist worker's collection sets the order
        return
    longest = sorted(LONGEST, key=LONGEST.get, reverse=True)
    present = {unit(item.nodeid) for item in items}
    second = [name for name in SHORT_SECOND if name in present]
    rank = {name: i for i, name in enumerate(longest[:2] + second + longest[2:])}
    first = {}
    for index, item in enumerate(items):
        first.setdefault(unit(item.nodeid), index)

    def order(pair):
        index, item = pair
        name = unit(item.nodeid)
        if name != item.nodeid.split("::", 1)[0]:
            return (2, 0, index)  # a test of a SPLIT file
        if name in rank:
            return (0, rank[name], index)
        return (1, first[name], index)

    items[:] = [item for _, item in sorted(enumerate(items), key=order)]
