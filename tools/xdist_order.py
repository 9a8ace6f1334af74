"""make test on every core: hand the longest work out first (a pytest plugin, instructors only).

tools/run_tests.sh runs the tests and notebooks under pytest-xdist with `--dist loadgroup
--no-loadscope-reorder`; tests/conftest.py registers this plugin when it can import it. Under
loadgroup, xdist keeps the tests of one group on one worker, in order, and hands out the groups in the
order of the collection. This plugin makes the groups and that order:

- a notebook is one group (its cells run in order, in one kernel); so is every test file, except
  the files in SPLIT, whose tests share nothing costly and are handed out one by one; and
  tests/test_grade.py is two groups, the tests on the tiny kit and those on the real assignment's
  kit (each group builds its own module-scoped kit once);
- the groups go out longest first (LONGEST: seconds measured on 2 cores, only their order matters),
  then everything else in collection order, then the split tests, which fill the gaps at the end.

Longest first matters because a run ends when its last worker does: with files handed out in
xdist's default order (most tests first), a long notebook could start last and run alone.
Without xdist's loadgroup the plugin changes nothing, so a plain `pytest tests/...` is untouched.
"""

import pytest

# Wall seconds of each long unit in a make test run on 2 cores (2026-12-07, contended; only the
# order is used). Units not named here are short and keep the collection's order.
LONGEST = {
    "assignment3/Generative_Adversarial_Networks.ipynb": 472,
    "tests/test_grade.py@real": 310,
    "assignment3/DDPM.ipynb": 192,
    "tests/test_colab.py": 183,
    "assignment3/Style_Transfer.ipynb": 154,
    "assignment3/CLIP_DINO.ipynb": 131,
    "assignment3/Self_Supervised_Learning.ipynb": 130,
    "assignment3/Vision_Transformer.ipynb": 107,
    "assignment3/Transformer_Captioning.ipynb": 107,
    "assignment3/LSTM_Captioning.ipynb": 55,
    "tests/test_grade.py@tiny": 41,
}
# Files of independent tests, each seconds to a minute: one unit per test.
SPLIT = {"tests/test_classic_variants.py", "tests/test_progress.py"}
# tests/test_grade.py's tests on the real assignment (the fixture that builds its kit).
REAL_KIT_FIXTURE = "real_kit"


def unit(item):
    """The group an item belongs to: its file, a test of a SPLIT file, or test_grade's tiny or real half."""
    path = item.nodeid.split("::", 1)[0]
    if path in SPLIT:
        return None
    if path == "tests/test_grade.py":
        return f"{path}@{'real' if REAL_KIT_FIXTURE in getattr(item, 'fixturenames', ()) else 'tiny'}"
    return path


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which appends the group to each test's id
def pytest_collection_modifyitems(config, items):
    if config.getoption("dist", "no") != "loadgroup" and not getattr(config.option, "loadgroup", False):
        return
    units, first = {}, {}
    for index, item in enumerate(items):
        name = unit(item)
        if name is not None:
            item.add_marker(pytest.mark.xdist_group(name))
            first.setdefault(name, index)
        units[id(item)] = (name, index)
    rank = {name: i for i, name in enumerate(sorted(LONGEST, key=LONGEST.get, reverse=True))}

    def order(item):
        name, index = units[id(item)]
        if name is None:
            return (2, 0, index)
        if name in rank:
            return (0, rank[name], index)
        return (1, first[name], index)

    items.sort(key=order)
