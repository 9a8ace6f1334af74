"""The case runner: the only grader code that runs beside a submission, inside the sandbox.

    python runner.py PLAN.json INPUTS_DIR DRIVERS_DIR OUTDIR

One run grades every notebook of a submission (the interpreter, numpy and torch start once). It
imports the modules the plan preloads (torch), then for each function of the plan, in order, loads
the function's driver module (DRIVERS_DIR/<drivers>.py, from grading/drivers/: how each graded
function is called, no expected values) and its notebook's inputs (INPUTS_DIR/<inputs>.npz) the
first time they are needed, calls the driver on each of the function's cases and writes
OUTDIR/<index>.npz: the case's outputs as plain arrays under "<case>/<name>" and, where the case
raised, its first line under "<case>/__error__". Every case starts from the same random state
(Python's, numpy's and torch's generators seeded with 0), so its outputs do not depend on what ran
before it in this process: after a crash the grader reruns the rest in a fresh one.

Nothing here decides a verdict: tools/grade.py reads these files with allow_pickle=False in a
process that never imports the submission and compares them with the instructor's outputs, which
never enter the sandbox. A submission can change anything this process does; it gains only by
producing the right outputs. Before the first function it writes OUTDIR/ready (the preloaded
modules imported), so the grader can tell a slow start from a slow function.
"""

import importlib.util
import json
import os
import random
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


def reseed():
    """The same random state before every case, whatever ran before it."""
    random.seed(0)
    np.random.seed(0)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(0)


class Loaded:
    """Driver modules and input files, each loaded once, when a function first needs it."""

    def __init__(self, inputs_dir, drivers_dir):
        self.inputs_dir, self.drivers_dir = inputs_dir, drivers_dir
        self.modules, self.arrays = {}, {}

    def driver(self, entry):
        name = entry["drivers"]
        if name not in self.modules:
            path = os.path.join(self.drivers_dir, name + ".py")
            spec = importlib.util.spec_from_file_location(f"graded_drivers_{name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self.modules[name] = module
        return getattr(self.modules[name], entry["driver"])

    def inputs(self, entry):
        name = entry["inputs"]
        if name not in self.arrays:
            with np.load(os.path.join(self.inputs_dir, name + ".npz"), allow_pickle=False) as data:
                self.arrays[name] = {k: data[k] for k in data.files}
        return self.arrays[name]


def error_line(e):
    return (f"{type(e).__name__}: {e}".strip().splitlines() or ["error"])[0][:300]


def main(plan_path, inputs_dir, drivers_dir, outdir):
    with open(plan_path) as f:
        plan = json.load(f)
    for name in plan.get("preload", []):  # torch: imported before the clock of the first function starts
        importlib.import_module(name)
    loaded = Loaded(inputs_dir, drivers_dir)
    open(os.path.join(outdir, "ready"), "w").close()
    for entry in plan["functions"]:
        arrays = {}
        try:
            driver, every = loaded.driver(entry), loaded.inputs(entry)
        except BaseException as e:  # noqa: BLE001  (a driver module that does not load: every case fails)
            driver, line = None, error_line(e)
        for case in entry["cases"]:
            if driver is None:
                arrays[f"{case}/__error__"] = np.asarray(line)
                continue
            prefix = case + "/"
            inputs = {k[len(prefix):]: v.copy() for k, v in every.items() if k.startswith(prefix)}
            try:
                reseed()
                for name, value in run_case(driver, inputs).items():
                    arrays[f"{case}/{name}"] = value
            except BaseException as e:  # noqa: BLE001  (a blank, a crash, sys.exit: the case failed)
                arrays[f"{case}/__error__"] = np.asarray(error_line(e))
        part = os.path.join(outdir, f"{entry['index']}.part.npz")
        np.savez(part, **arrays)
        os.replace(part, os.path.join(outdir, f"{entry['index']}.npz"))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handler or finaliser of the submission runs after the last output


if __name__ == "__main__":
    main(*sys.argv[1:5])
