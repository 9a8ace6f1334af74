#!/usr/bin/env python3
"""The SimCLR notebook's linear-probe margin over several seeds: pretrained encoder against a random one.

    python bench/bench_ssl.py [--seeds 0,1,2,3,4] [--schedule cpu] [--threads 1]

For each seed it runs what the notebook runs, with the repository's own code and the schedule the
notebook picks (cs231n.simclr.utils.SCHEDULES): SimCLR pretraining of Model(64, arch="small") with
`train`, then `linear_probe` twice on the same few labelled images, once on the random initial
encoder and once on the pretrained one. The data are the notebook's (load_ssl_data: CIFAR-10 when
present, else the generated shape scenes; CS231N_OFFLINE=1 forces the scenes). It prints one line per
seed (best test top-1 of each probe, the margin, CPU seconds of the pretraining) and then the mean and
standard deviation over the seeds: one notebook run is one draw from this spread.
"""

import argparse
import statistics
import time

import torch
from torch.utils.data import DataLoader

from cs231n.simclr.data_utils import load_ssl_data
from cs231n.simclr.model import Model
from cs231n.simclr.utils import SCHEDULES, linear_probe, train


def run(schedule, data, seed):
    """(best probe accuracy on the random encoder, on the pretrained one, CPU seconds of pretraining)."""
    torch.manual_seed(seed)
    model = Model(feature_dim=64, arch=schedule["arch"])
    random_state = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule["lr"], weight_decay=1e-6)
    loader = DataLoader(data.pretrain, batch_size=schedule["batch_size"], shuffle=True, drop_last=True)
    start = time.process_time()
    for epoch in range(1, schedule["epochs"] + 1):
        train(model, loader, optimizer, epoch, schedule["epochs"], batch_size=schedule["batch_size"],
              temperature=schedule["temperature"], device="cpu", verbose=False)
    seconds = time.process_time() - start
    probe = dict(num_class=len(data.classes), arch=schedule["arch"], epochs=schedule["probe_epochs"],
                 batch_size=schedule["probe_batch_size"], lr=schedule["probe_lr"], eval_every=5, seed=seed)
    scratch = max(linear_probe(data.probe_train, data.test, state_dict=random_state, **probe)["test_acc@1"])
    pretrained = max(linear_probe(data.probe_train, data.test, state_dict=model.state_dict(), **probe)["test_acc@1"])
    return scratch, pretrained, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--schedule", default="cpu", choices=sorted(SCHEDULES))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    schedule = SCHEDULES[args.schedule]
    data = load_ssl_data(n_train=schedule["n_train"], n_test=schedule["n_test"],
                         label_fraction=schedule["label_fraction"])
    print(f"schedule {args.schedule}: {schedule}")
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        scratch, pretrained, seconds = run(schedule, data, seed)
        rows.append((scratch, pretrained, pretrained - scratch))
        print(f"seed {seed}: random encoder {scratch:5.1f} %, SimCLR {pretrained:5.1f} %, margin "
              f"{pretrained - scratch:+5.1f} points (pretraining {seconds:.0f} CPU-s)", flush=True)
    for name, column in zip(("random encoder", "SimCLR", "margin"), zip(*rows)):
        spread = statistics.stdev(column) if len(column) > 1 else 0.0
        print(f"{name:15s} mean {statistics.mean(column):5.1f}, sd {spread:4.1f} over {len(column)} seeds "
              f"(min {min(column):.1f}, max {max(column):.1f})")
    print(f"data: {data.source}; {len(data.probe_train)} labelled images, {len(data.test)} test images")


if __name__ == "__main__":
    main()
