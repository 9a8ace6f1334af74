#!/usr/bin/env bash
# The whole test suite: hygiene, unit tests, every notebook (nbval), and for instructors the
# student-edition autograder check. Needs no internet: the tests and notebooks use the embedded data,
# which this script prepares (the COCO sample; Fashion-MNIST for the GAN notebook where MNIST is absent).
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    echo "Usage: bash tools/run_tests.sh [PYTEST_ARGS...]"
    echo "Runs pytest over tests/ with the embedded data (offline); the progress report comes at the end."
    echo "In the instructor repository it also runs tests_hidden/ and assignment3/*.ipynb (nbval, lax mode)"
    echo "on every core (pytest-xdist, one notebook per worker, its cells in order), and beside them checks"
    echo "the student edition (tools/check_student_edition.py). TEST_WORKERS=N sets the number of pytest"
    echo "workers (default: one per core)."
    exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=${PYTHON:-.venv/bin/python}
# Tests and notebooks run on the embedded defaults, so their checks mean the same on every machine.
export CS231N_OFFLINE=1 CS231N_COCO=sample MPLBACKEND=Agg
bash setup_coco.sh --sample

if [[ ! -f tools/check_student_edition.py ]]; then
    # The student edition: the unit tests are the autograder; each unfinished blank fails naming its
    # function, and the progress report at the end lists every function, its status and points.
    echo "test: unit tests (your progress report comes at the end; -v or --tb=long for more detail)"
    exec "$py" -m pytest tests --tb=short "$@"
fi

bash tools/setup_gan_data.sh  # the GAN notebook's images; offline it only checks for Fashion-MNIST
# The grader's tests (tests/test_grade.py) run submissions in bubblewrap's sandbox.
if ! command -v bwrap >/dev/null; then
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        echo "test: installing bubblewrap (the grader's sandbox)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
    else
        echo "test: bubblewrap (bwrap) is missing: tests/test_grade.py will fail; install it" \
             "(sudo apt-get install bubblewrap)" >&2
    fi
fi
workers=${TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}
# One pytest worker per core, and one thread per process (numpy, torch and the notebooks' kernels):
# more threads than cores only makes them wait for each other.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

log=$(mktemp)
echo "test: checking, beside the tests, that the student edition's tests catch every blank"
"$py" tools/check_student_edition.py --jobs 1 >"$log" 2>&1 &
check=$!
# (|| true: under set -e a failing command in the trap, the kill of a check that has ended, sets the exit status)
trap 'kill "$check" 2>/dev/null || true; rm -f "$log"' EXIT

echo "test: embedded data ready after ${SECONDS} s; unit tests, hidden tests, hygiene and notebooks on $workers worker(s)"
# --dist loadfile keeps each file, and so each notebook's cells in order, on one worker; the units and
# their order come from tools/xdist_order.py: the longest handed out first, short independent tests
# last to fill the gaps.
status=0
"$py" -m pytest assignment3 tests tests_hidden -n "$workers" --dist loadfile --no-loadscope-reorder --durations=10 \
    --nbval-lax --nbval-current-env --nbval-cell-timeout=600 "$@" || status=$?

check_status=0
wait "$check" || check_status=$?
echo "test: pytest done after ${SECONDS} s; the student-edition check (ran beside the tests):"
cat "$log"
if (( check_status != 0 )); then
    echo "test: the student-edition check failed (above); alone: make check-student" >&2
fi
if (( status != 0 )); then
    exit "$status"
fi
exit "$check_status"
