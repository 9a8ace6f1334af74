"""What the first cell of every notebook does: seeds, threads, plot defaults, the device, a clock.

    from cs231n.notebook import start_notebook
    nb = start_notebook(seed=231)        # prints "device: cpu, 1 CPU thread, seed 231"
    device = nb.device
    ...
    print(f"ran in {nb.elapsed():.0f} s")

One thread, on purpose: the models of this assignment are small, so splitting each product over
threads gains little on an idle machine, and on a busy or shared one (a laptop running a browser,
CI) threads that wait for each other make every step several times slower.
"""

import random
import time
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
from threadpoolctl import threadpool_limits

from cs231n.torch_utils import pick_device

__all__ = ["Notebook", "describe", "start_notebook"]


@dataclass
class Notebook:
    """The state the first cell sets up: the device and the seed, and a clock started with it."""

    device: torch.device
    seed: int
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self):
        """Seconds since the first cell ran."""
        return time.perf_counter() - self.started


def start_notebook(seed=231, *, figsize=(10.0, 8.0), dpi=None, gpu=True):
    """Seed Python, numpy and torch with `seed`; one thread for numpy's BLAS and for torch on the CPU;
    matplotlib defaults; the best device (CUDA, then MPS, then CPU; gpu=False keeps the CPU).
    Prints one line saying what it chose and returns a `Notebook`."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    threadpool_limits(limits=1, user_api="blas")
    device = pick_device() if gpu else torch.device("cpu")
    if device.type == "cpu":
        torch.set_num_threads(1)
    plt.rcParams["figure.figsize"] = figsize
    if dpi is not None:
        plt.rcParams["figure.dpi"] = dpi
    plt.rcParams["image.interpolation"] = "nearest"
    plt.rcParams["image.cmap"] = "gray"
    threads = torch.get_num_threads()
    print(f"device: {device}, {threads} CPU thread{'s' if threads > 1 else ''}, seed {seed}")
    return Notebook(device=device, seed=seed)


def describe(data):
    """Print one line per entry of a data dict: arrays with shape and dtype, lists and dicts with length."""
    for key, value in data.items():
        if hasattr(value, "shape"):
            print(f"{key:18s} {str(value.shape):14s} {value.dtype}")
        elif isinstance(value, (list, dict)):
            print(f"{key:18s} {type(value).__name__} of {len(value)}")
        else:
            print(f"{key:18s} {value}")
