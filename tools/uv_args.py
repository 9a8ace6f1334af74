#!/usr/bin/env python3
"""Print the `uv pip install` options that give uv the package sources pip is configured with.

    python tools/uv_args.py          (reads `python -m pip config list`, one option per line)

tools/setup_venv.sh installs the requirements with uv, which unpacks and links packages on every core
(about ten seconds for torch and Jupyter, where pip takes one to two minutes on one core). uv does not
read pip's configuration, so a machine whose pip looks in a local mirror or wheel folder
(pip.conf, PIP_* variables) would send uv to PyPI instead. This script carries over what decides
where packages come from:

    index-url -> --index-url          extra-index-url -> --extra-index-url (each)
    find-links -> --find-links (each) constraint -> --constraint (each)
    no-index -> --no-index            cert -> SSL_CERT_FILE=... (an environment line, for uv's TLS)

A PIP_* variable wins over the files, and an `[install]` section over `[global]`, as for pip. Options
that only tune pip's own behaviour (timeout, version check) have no counterpart and are left out.
"""

import ast
import subprocess
import sys

LISTS = {"extra-index-url": "--extra-index-url", "find-links": "--find-links", "constraint": "--constraint"}
SINGLE = {"index-url": "--index-url"}
# pip reads its sections in this order; a later one overrides an earlier one (":env:" are PIP_* variables)
PRIORITY = {"global": 0, "install": 1, ":env:": 2}


def parse(config_list):
    """{option: value} from the lines of `pip config list`, the highest-priority section winning."""
    best = {}
    for line in config_list.splitlines():
        key, sep, value = line.partition("=")
        section, dot, option = key.rpartition(".")
        if not sep or not dot or section not in PRIORITY:
            continue
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            value = value.strip("'\"")
        if option not in best or PRIORITY[section] >= best[option][0]:
            best[option] = (PRIORITY[section], str(value))
    return {option: value for option, (_, value) in best.items()}


def uv_args(options):
    """The uv options (and SSL_CERT_FILE=... lines) for pip's options."""
    args = []
    for option, flag in SINGLE.items():
        if options.get(option):
            args.append(f"{flag}={options[option]}")
    for option, flag in LISTS.items():
        args += [f"{flag}={item}" for item in options.get(option, "").split()]
    if options.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        args.append("--no-index")
    if options.get("cert"):
        args.append(f"SSL_CERT_FILE={options['cert']}")
    return args


def main():
    proc = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
    for arg in uv_args(parse(proc.stdout if proc.returncode == 0 else "")):
        print(arg)


if __name__ == "__main__":
    main()
