#!/usr/bin/env bash
# Run every benchmark under bench/; each prints ratios against a reference measured in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=${PYTHON:-.venv/bin/python}
shopt -s nullglob
benches=(bench/bench_*.py)
[[ ${#benches[@]} -gt 0 ]] || { echo "bench: no benchmarks under bench/"; exit 0; }
for b in "${benches[@]}"; do
    echo "bench: $b"
    "$py" "$b"
done
