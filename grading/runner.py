"""The case runner: the only grader code that runs beside a submission, inside the sandbox.

    python runner.py PLAN.json INPUTS.npz DRIVERS.py OUTDIR

It imports the modules the plan preloads (torch) and the driver module (grading/drivers/<Notebook>.py: how each graded function is called,
no expected values), and for each function of the plan, in order, calls the driver on each of the
function's cases and writes OUTDIR/<index>.npz: the case's outputs as plain arrays under
"<case>/<name>" and, where the case raised, its first line under "<case>/__error__". Nothing here
decides a verdict: tools/grade.py reads these files with allow_pickle=False in a process that never
imports the submission and compares them with the instructor's outputs, which never enter the
sandbox. A submission can change anything this process does; it gains only by producing the right
outputs. Before the first function it writes OUTDIR/ready (numpy, torch and the drivers imported), so the grader
can tell a slow start from a slow function.
"""

import importlib.util
import json
import os
import sys

import numpy as np


def as_array(value):
    """A plain numpy array (numbers, booleans or text) of a driver's output, or TypeError."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biufcU":
        raise TypeError(f"an output of type {type(value).__name__} is not an array of numbers")
    return array


def run_case(driver, inputs):
    outputs = driver(inputs)
    if not isinstance(outputs, dict):
        raise TypeError("the driver returned no outputs")
    return {str(k): as_array(v) for k, v in outputs.items()}


def main(plan_path, inputs_path, drivers_path, outdir):
    with open(plan_path) as f:
        plan = json.load(f)
    for name in plan.get("preload", []):  # torch: imported before the clock of the first function starts
        importlib.import_module(name)
    with np.load(inputs_path, allow_pickle=False) as data:
        every = {k: data[k] for k in data.files}
    spec = importlib.util.spec_from_file_location("graded_drivers", drivers_path)
    drivers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drivers)
    open(os.path.join(outdir, "ready"), "w").close()
    for entry in plan["functions"]:
        arrays = {}
        driver = getattr(drivers, entry["driver"])
        for case in entry["cases"]:
            prefix = case + "/"
            inputs = {k[len(prefix):]: v.copy() for k, v in every.items() if k.startswith(prefix)}
            try:
                for name, value in run_case(driver, inputs).items():
                    arrays[f"{case}/{name}"] = value
            except BaseException as e:  # noqa: BLE001  (a blank, a crash, sys.exit: the case failed)
                line = (f"{type(e).__name__}: {e}".strip().splitlines() or ["error"])[0][:300]
                arrays[f"{case}/__error__"] = np.asarray(line)
        part = os.path.join(outdir, f"{entry['index']}.part.npz")
        np.savez(part, **arrays)
        os.replace(part, os.path.join(outdir, f"{entry['index']}.npz"))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handler or finaliser of the submission runs after the last output


if __name__ == "__main__":
    main(*sys.argv[1:5])
