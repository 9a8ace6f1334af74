#!/usr/bin/env python3
"""Grade assignment-3 submissions (the zip `make submit` writes) into Gradescope's results.json.

    python tools/grade.py SUBMISSION... --out DIR                    (make grade SUBMISSION=path.zip)
    python tools/grade.py --bundle build/gradescope_autograder.zip   (make gradescope)

Verdicts are computed where the student's code never ran (grading/README.md has the whole design):

1. The submission is read without trusting it: only the cs231n modules with START/END markers and
   the notebooks are taken; links, paths that leave the folder, oversized or unlisted files are
   ignored and reported.
2. For each notebook of grading/points.toml that has graded cases (grading/cases/<Notebook>.py),
   the student's modules go into a fresh copy of the student edition's package, and the case runner
   (grading/runner.py) calls each graded function on the cases' inputs inside a sandbox
   (bubblewrap: no network; its own PID, IPC and user namespaces, so every process the submission
   starts dies with it; read-only system folders; a private, size-limited /tmp and /dev/shm; a
   memory cgroup where one can be made and RLIMIT_AS besides; the shared-memory system calls
   memfd_create and shmget refused; one time budget per function). The sandbox sees the package,
   the drivers and the inputs; never the expected outputs, the cases' source, other submissions,
   the grader, the datasets or the instructor's checkout.
3. The outputs come back as .npz files read with allow_pickle=False by this process, which never
   imports the submission, and are compared with the outputs of the instructor's solutions on the
   same inputs (computed by the same runner when the grading kit is built). A function scores when
   every one of its cases matches; a case that raised, timed out or returned nothing fails.
4. Notebook "run" and inline-answer points are graded by hand from the PDF that `make submit`
   writes (grading/grader.toml: auto_notebook_points = false); with auto_notebook_points = true (or
   --auto-notebook-points) the grader awards them from the notebook file, labelled as automatic.
5. DIR/<submission>/results.json is written in Gradescope's format and, for a batch, DIR/grades.csv,
   whatever the submissions do.

A notebook of points.toml without a cases file is not graded automatically: its functions score 0
with a note saying so, and the grader warns (grading/README.md says how to add cases).
Where no sandbox can be made (no bubblewrap, no user namespaces) the grader refuses unless told
--unconfined (it then runs submissions with resource limits only: for trusted code).
"""

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from pathlib import Path, PurePosixPath

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (Ubuntu 22.04, Gradescope's base image): the tomli backport
    import tomli as tomllib

import numpy as np
from markers import START_MARKER

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
POINTS_FILE = "grading/points.toml"
SETTINGS_FILE = "grading/grader.toml"
ANSWER_PREFIX = "**Your Answer:**"
ANSWER_PROMPT = "*Write your answer here.*"
MAX_MEMBER_BYTES = 50 << 20  # one file of the submission
MAX_TOTAL_BYTES = 200 << 20  # all of it, unpacked
MAX_WRITE_BYTES = 64 << 20  # any one file the sandbox writes (RLIMIT_FSIZE)
MAX_OUT_BYTES = 256 << 20  # all the sandbox's output files together
LOG_BYTES = 64 << 10  # of the sandbox's stdout and stderr kept, for the instructor's log only
OUTPUT_CHARS = 4000  # of one entry's text in results.json
STARTUP_S = 120  # wall-clock seconds for the sandbox to start (python, numpy, torch)
TMPFS_MB = 256  # the sandbox's /tmp and /dev/shm, each
SANDBOX_UID = 65534
SEED = 231


class SubmissionProblem(Exception):
    """The whole submission cannot be graded (not a zip, nothing usable in it)."""


class SandboxUnavailable(Exception):
    """No sandbox can be made here; the message says why and what to do."""


def load_toml(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


# ----------------------------------------------------------------------------------------------
# The grading kit: what the grader holds (never inside the sandbox) and the base the sandbox sees
#
#   kit/points.toml, kit/grader.toml        the points and the grader's settings
#   kit/cases/<Notebook>.py                 graded cases: inputs, tolerances (grader side only)
#   kit/inputs/<Notebook>.npz, .json        the inputs the sandbox sees, and the plan of each notebook
#   kit/expected/<Notebook>.npz             the solutions' outputs (never in the sandbox)
#   kit/base/cs231n/                        the student edition's package (blanks raise)
#   kit/base/runner.py, kit/base/drivers/   the case runner and the drivers (how functions are called)


def build_kit(dest, repo=REPO_ROOT, sandbox=None, log=print):
    """Build the grading kit in dest from the instructor checkout `repo`."""
    import build_student  # here: the Gradescope bundle's grade.py has no builder and never builds

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    edition = Path(tempfile.mkdtemp(prefix="edition-"))
    try:
        shutil.rmtree(edition)
        build_student.build(repo, edition, quiet=True)
        shutil.copytree(edition / "cs231n", dest / "base" / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
    finally:
        shutil.rmtree(edition, ignore_errors=True)
    shutil.copy2(repo / "grading" / "runner.py", dest / "base" / "runner.py")
    shutil.copytree(repo / "grading" / "drivers", dest / "base" / "drivers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo / "grading" / "cases", dest / "cases", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(repo / POINTS_FILE, dest / "points.toml")
    if (repo / SETTINGS_FILE).exists():
        shutil.copy2(repo / SETTINGS_FILE, dest / "grader.toml")
    notebooks = list((repo / "assignment3").glob("*.ipynb"))
    (dest / "answers.json").write_text(json.dumps({nb.stem: _count_answers(nb.read_text(encoding="utf-8"))
                                                   for nb in notebooks}))
    return finish_kit(dest, repo / "cs231n", sandbox, log)


def finish_kit(dest, solutions, sandbox=None, log=print):
    """The inputs and the expected outputs of a kit whose base, cases, points and answers.json are in
    place: the expected outputs are the runner's outputs on `solutions` (a cs231n package folder)."""
    (dest / "inputs").mkdir(exist_ok=True)
    (dest / "expected").mkdir(exist_ok=True)
    sandbox = sandbox or Sandbox.find(unconfined=False)
    points = load_toml(dest / "points.toml")
    plans = {}
    for name in points:
        cases = load_cases(dest, name)
        if cases is None:
            continue
        plan, inputs, tolerances = make_plan(name, cases)
        np.savez(dest / "inputs" / f"{name}.npz", **inputs)
        (dest / "inputs" / f"{name}.json").write_text(json.dumps({"plan": plan, "tolerances": tolerances,
                                                                   "preload": getattr(cases, "PRELOAD", ["torch"])}))
        plans[name] = plan
    # The expected outputs: the same runner on the instructor's own package, all notebooks in one run.
    work = Path(tempfile.mkdtemp(prefix="expected-"))
    try:
        runs = run_notebooks(sandbox, dest, list(plans), solutions, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, plan in plans.items():
        outputs, problems = runs[name]
        expected = {}
        for entry in plan:
            arrays, problem = outputs.get(entry["function"], ({}, problems.get(entry["function"], "no output")))
            broken = [k for k in arrays if k.endswith("/__error__")]
            if problem or broken:
                why = problem or "; ".join(f"{k[:-10]}: {arrays[k]}" for k in broken)
                raise RuntimeError(f"the solutions fail their own case of {name}: {entry['function']}: {why}")
            expected.update({f"{entry['function']}|{k}": v for k, v in arrays.items()})
        np.savez(dest / "expected" / f"{name}.npz", **expected)
        log(f"grading kit: {name}: {len(plan)} functions, {sum(len(e['cases']) for e in plan)} cases")
    return dest


def load_cases(kit, name):
    """The cases module of a notebook (grader side), or None when it has none."""
    path = Path(kit) / "cases" / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"graded_cases_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_plan(name, cases):
    """(plan, inputs, tolerances) of a notebook: the plan the runner follows (functions in order,
    their driver and case ids), the inputs keyed "<case id>/<name>", tolerances per case id."""
    rng = np.random.default_rng([SEED, int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)])
    plan, inputs, tolerances, index = [], {}, {}, {}
    for k, (function, case, values, tol) in enumerate(cases.cases(rng)):
        if function not in index:
            index[function] = len(plan)
            plan.append({"index": len(plan), "function": function,
                         "driver": getattr(cases, "DRIVER_OF", {}).get(function, function),
                         "cases": [], "names": [], "budget_s": getattr(cases, "BUDGET_S", 30),
                         "needs": getattr(cases, "NEEDS", {}).get(function, [])})
        cid = f"c{k}"
        plan[index[function]]["cases"].append(cid)
        plan[index[function]]["names"].append(case)
        tolerances[cid] = dict(tol)
        for key, value in values.items():
            inputs[f"{cid}/{key}"] = np.asarray(value)
    return plan, inputs, tolerances


def _count_answers(text):
    cells = json.loads(text).get("cells", [])
    return sum(1 for c in cells if c.get("cell_type") == "markdown" and _text(c).lstrip().startswith(ANSWER_PREFIX))


# ----------------------------------------------------------------------------------------------
# The sandbox


def _seccomp_filter():
    """A classic BPF program for bwrap --seccomp: memfd_create, memfd_secret and shmget fail with
    EPERM (shared memory that neither RLIMIT_AS nor the tmpfs sizes would count), and so does the
    x32 ABI on x86_64; everything else is allowed."""
    LD, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    arches = {0xC000003E: [319, 447, 29], 0xC00000B7: [279, 447, 194]}  # x86_64, aarch64
    prog = [("ld", 4)]
    for arch, numbers in arches.items():
        block = [("ld", 0)] + ([("jge", 0x40000000)] if arch == 0xC000003E else []) + [("jeq", n) for n in numbers]
        block.append(("allow",))
        prog.append(("arch", arch, len(block)))
        prog += block
    prog.append(("allow",))
    prog.append(("deny",))
    deny_at = len(prog) - 1
    out = []
    for pc, ins in enumerate(prog):
        if ins[0] == "ld":
            out.append(struct.pack("HBBI", LD, 0, 0, ins[1]))
        elif ins[0] == "arch":
            out.append(struct.pack("HBBI", JEQ, 0, ins[2], ins[1]))  # not this arch: skip its block
        elif ins[0] in ("jeq", "jge"):
            out.append(struct.pack("HBBI", JEQ if ins[0] == "jeq" else JGE, deny_at - pc - 1, 0, ins[1]))
        elif ins[0] == "allow":
            out.append(struct.pack("HBBI", RET, 0, 0, allow))
        else:
            out.append(struct.pack("HBBI", RET, 0, 0, deny))
    return b"".join(out)


def _own_cgroup(controller):
    """The folder of this process's cgroup for a controller (v1) or the unified one (v2), or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hid, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
            return folder if folder.is_dir() else None
    for line in lines:
        if line.startswith("0::"):
            folder = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
            return folder if (folder / "cgroup.controllers").exists() else None
    return None


class Cgroup:
    """A memory (and pids) cgroup for one sandbox run, where this process may make one."""

    def __init__(self, memory_mb):
        self.folders, self.kind = [], None
        name = f"cs231n-grade-{os.getpid()}-{time.monotonic_ns()}"
        v1 = _own_cgroup("memory")
        try:
            if v1 is not None and (v1 / "memory.limit_in_bytes").exists():
                folder = v1 / name
                folder.mkdir()
                self.folders.append(folder)
                (folder / "memory.limit_in_bytes").write_text(str(memory_mb << 20))
                try:
                    (folder / "memory.memsw.limit_in_bytes").write_text(str(memory_mb << 20))
                except OSError:
                    pass
                pids = _own_cgroup("pids")
                if pids is not None:
                    try:
                        (pids / name).mkdir()
                        self.folders.append(pids / name)
                        (pids / name / "pids.max").write_text("512")
                    except OSError:
                        pass
                self.kind = "cgroup v1"
            elif v1 is not None and (v1 / "cgroup.controllers").exists():
                folder = v1 / name
                folder.mkdir()
                self.folders.append(folder)
                (folder / "memory.max").write_text(str(memory_mb << 20))
                for key, value in (("memory.swap.max", "0"), ("pids.max", "512")):
                    try:
                        (folder / key).write_text(value)
                    except OSError:
                        pass
                self.kind = "cgroup v2"
        except OSError:
            self.remove()
            self.folders, self.kind = [], None

    def peak_mb(self):
        """The run's peak memory (shared memory included), or None."""
        for folder in self.folders:
            for name in ("memory.max_usage_in_bytes", "memory.peak"):
                try:
                    return int((folder / name).read_text()) >> 20
                except (OSError, ValueError):
                    continue
        return None

    def join(self):
        """Called in the child before exec."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self):
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


class Sandbox:
    """How a case runner is started: inside bubblewrap, or (told so) unconfined with rlimits only."""

    def __init__(self, bwrap, python, unconfined=False):
        self.bwrap, self.python, self.unconfined = bwrap, os.path.normpath(os.path.abspath(python)), unconfined

    @classmethod
    def find(cls, unconfined=False, python=None):
        python = python or sys.executable
        if unconfined:
            return cls(None, python, unconfined=True)
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed: `apt-get install bubblewrap` (Debian, "
                                     "Ubuntu), or pass --unconfined to grade without a sandbox (trusted code only)")
        probe = cls(bwrap, python)
        with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
            (Path(tmp) / "in").mkdir()
            (Path(tmp) / "out").mkdir()
            fds = probe._fds()
            cmd = probe.command(Path(tmp), [probe.python, "-I", "-c", "print('ok')"])
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, pass_fds=fds)
            probe._close()
        if r.returncode != 0 or "ok" not in r.stdout:
            raise SandboxUnavailable("bubblewrap cannot make a sandbox here (" + (r.stderr.strip()[-300:] or f"exit {r.returncode}")
                                     + "); where it cannot create namespaces, user namespaces must be allowed (e.g. "
                                     "sysctl kernel.unprivileged_userns_clone=1, or a container started with "
                                     "--privileged or a seccomp profile allowing unshare); or pass --unconfined to grade "
                                     "without a sandbox (trusted code only)")
        return probe

    def describe(self):
        if self.unconfined:
            return "UNCONFINED (rlimits only)"
        probe = Cgroup(64)
        kind = probe.kind
        probe.remove()
        memory = f"{kind} and RLIMIT_AS" if kind else "RLIMIT_AS and tmpfs sizes (no cgroup can be made here)"
        return f"bubblewrap sandbox, memory limit by {memory}"

    def _python_roots(self):
        """The folders the interpreter needs: its venv and its installation."""
        if getattr(self, "_roots", None) is not None:
            return self._roots
        roots = set()
        exe = Path(self.python)
        prefix = exe.parent.parent
        roots.add(Path(os.path.normpath(prefix)))
        try:
            out = subprocess.run([self.python, "-c", "import sys; print(sys.base_prefix); print(sys.prefix)"],
                                 capture_output=True, text=True, timeout=60).stdout.split()
            roots.update(Path(os.path.normpath(p)) for p in out)
        except (OSError, subprocess.SubprocessError):
            pass
        roots.add(exe.resolve().parent.parent)
        roots = {Path(os.path.normpath(r)) for r in roots}
        self._roots = sorted(r for r in roots if not str(r).startswith("/usr/") and r.is_dir())
        return self._roots

    def _fds(self):
        self._close()
        r, w = os.pipe()
        os.write(w, _seccomp_filter())
        os.close(w)
        self._seccomp = r
        return (r,)

    def _close(self):
        fd = getattr(self, "_seccomp", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
            self._seccomp = None

    def command(self, run, argv):
        """argv run in the sandbox, with `run` (the run's folder) at /sandbox: run/in read-only, run/out
        writable."""
        if self.unconfined:
            return argv
        args = [self.bwrap, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
                "--ro-bind", "/usr", "/usr"]
        for link in ("bin", "lib", "lib64", "sbin"):
            p = Path("/") / link
            if p.is_symlink():
                args += ["--symlink", os.readlink(p), f"/{link}"]
            elif p.is_dir():
                args += ["--ro-bind", str(p), f"/{link}"]
        for f in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf"):
            args += ["--ro-bind-try", f"/etc/{f}", f"/etc/{f}"]
        size = str(TMPFS_MB << 20)
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
                 "--size", size, "--perms", "1777", "--tmpfs", "/dev/shm"]
        for root in self._python_roots():  # after /tmp: a venv under /tmp stays visible (read-only)
            args += ["--ro-bind", str(root), str(root)]
        args += [
                 "--ro-bind", str(run / "in"), "/sandbox/in", "--bind", str(run / "out"), "/sandbox/out",
                 "--chdir", "/tmp", "--seccomp", str(getattr(self, "_seccomp", -1)),
                "--remount-ro", "/",  # the root bwrap builds: only /tmp, /dev/shm and /sandbox/out are writable
                "--as-pid-1"]  # no bwrap init inside, whose command line would name the grader's folders
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "USER": "nobody", "LOGNAME": "nobody", "TMPDIR": "/tmp", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg", "CS231N_OFFLINE": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "TORCH_HOME": "/tmp/torch", "MPLCONFIGDIR": "/tmp/mpl"}
        for k, v in env.items():
            args += ["--setenv", k, v]
        return args + argv

    def start(self, run, argv, memory_mb, log):
        """Popen of argv in the sandbox, its stdout and stderr into `log` (a _Tail)."""
        cgroup = Cgroup(memory_mb) if not self.unconfined else None
        fds = self._fds() if not self.unconfined else ()

        def limits():
            os.setsid()
            if cgroup is not None:
                cgroup.join()
            memory = memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_WRITE_BYTES, MAX_WRITE_BYTES))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

        env = None
        if self.unconfined:
            env = {"PATH": "/usr/bin:/bin", "HOME": str(run / "out"), "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
                   "CS231N_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.Popen(self.command(run, argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, preexec_fn=limits, pass_fds=fds, env=env,
                                cwd=str(run / "out") if self.unconfined else None)
        self._close()
        threading.Thread(target=log.read, args=(proc.stdout,), daemon=True).start()
        return proc, cgroup


class _Tail:
    """The last LOG_BYTES of a stream (the rest is counted, not kept)."""

    def __init__(self):
        self.data, self.total = bytearray(), 0

    def read(self, stream):
        try:
            while chunk := stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16):
                self.total += len(chunk)
                self.data += chunk
                if len(self.data) > LOG_BYTES:
                    del self.data[:len(self.data) - LOG_BYTES]
        except (OSError, ValueError):
            pass

    def text(self):
        cut = "...(earlier output cut)\n" if self.total > len(self.data) else ""
        return cut + self.data.decode("utf-8", errors="replace")


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    proc.wait()


def _dir_bytes(folder):
    total = 0
    try:
        with os.scandir(folder) as it:
            for e in it:
                try:
                    total += e.stat(follow_symlinks=False).st_size if not e.is_dir(follow_symlinks=False) else 1 << 20
                except OSError:
                    pass
    except OSError:
        pass
    return total


def run_notebooks(sandbox, kit, names, package, work, memory_mb=4096, log=None):
    """Run the plans of the notebooks `names` on `package` (a cs231n folder) in ONE sandbox: python,
    numpy and torch start once for all of them. A function that crashes the run or runs past its
    budget fails, and the functions after it get a fresh sandbox.

    Returns {name: ({function: (arrays, problem)}, {function: problem})} where arrays are the outputs
    read back (allow_pickle=False) and problem says why a function has none (timed out, crashed)."""
    kit = Path(kit)
    plan, preload, files = [], [], {}
    for name in names:
        spec = json.loads((kit / "inputs" / f"{name}.json").read_text())
        drivers = load_cases(kit, name).DRIVERS
        files[f"inputs/{name}.npz"] = kit / "inputs" / f"{name}.npz"
        files[f"drivers/{drivers}.py"] = kit / "base" / "drivers" / f"{drivers}.py"
        preload += [m for m in spec.get("preload", []) if m not in preload]
        for e in spec["plan"]:
            plan.append({**e, "notebook": name, "index": len(plan), "inputs": name, "drivers": drivers})
    results = {name: ({}, {}) for name in names}
    remaining = plan
    attempt = 0
    while remaining:
        attempt += 1
        run = Path(work) / f"run-{attempt}"
        (run / "in").mkdir(parents=True)
        (run / "out").mkdir()
        shutil.copytree(package, run / "in" / "pkg" / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(kit / "base" / "runner.py", run / "in" / "runner.py")
        for rel, source in files.items():
            (run / "in" / rel).parent.mkdir(exist_ok=True)
            shutil.copy2(source, run / "in" / rel)
        (run / "in" / "plan.json").write_text(json.dumps({"preload": preload, "functions": [
            {k: e[k] for k in ("index", "function", "driver", "cases", "inputs", "drivers")} for e in remaining]}))
        for p in [run, run / "in", *(run / "in").rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        (run / "out").chmod(0o777)
        if os.geteuid() == 0:
            os.chown(run / "out", SANDBOX_UID, SANDBOX_UID)
        root = "/sandbox" if not sandbox.unconfined else str(run)
        argv = [sandbox.python, "-I", "-B", "-c",
                "import sys; sys.path[:0] = [sys.argv[1] + '/in/pkg']; sys.argv = sys.argv[1:]; "
                "exec(open(sys.argv[0] + '/in/runner.py').read())",
                root, f"{root}/in/plan.json", f"{root}/in/inputs", f"{root}/in/drivers", f"{root}/out"]
        tail = _Tail()
        proc, cgroup = sandbox.start(run, argv, memory_mb, tail)
        started = time.monotonic()
        clock, current, stopped, seen = None, 0, None, {}
        try:
            while True:
                rc = proc.poll()
                now = time.monotonic()
                if clock is None and (run / "out" / "ready").exists():
                    clock = now
                # An output is read the moment it appears: what the run does to it later changes nothing.
                for entry in remaining:
                    path = run / "out" / f"{entry['index']}.npz"
                    if entry["index"] not in seen and os.path.lexists(path):
                        arrays = read_outputs(path)
                        if arrays is not None:
                            seen[entry["index"]] = arrays
                while current < len(remaining) and remaining[current]["index"] in seen:
                    current, clock = current + 1, now
                if rc is not None:
                    break
                if clock is None and now - started > STARTUP_S:
                    stopped = f"the sandbox did not start within {STARTUP_S} s (a module that never finishes importing?)"
                    break
                if clock is not None and current < len(remaining) and now - clock > remaining[current]["budget_s"]:
                    stopped = (f"timed out: ran past its budget of {remaining[current]['budget_s']} s "
                               "(a loop that never ends?)")
                    break
                if _dir_bytes(run / "out") > MAX_OUT_BYTES:
                    stopped = f"wrote more than {MAX_OUT_BYTES >> 20} MB of files and was stopped"
                    break
                time.sleep(0.05)
        finally:
            _kill(proc)
            peak = cgroup.peak_mb() if cgroup is not None else None
            if cgroup is not None:
                cgroup.remove()
        if log is not None:
            log.append(f"--- {', '.join(dict.fromkeys(e['notebook'] for e in remaining))} run {attempt}: exit "
                       f"{proc.returncode}, {now - started:.1f} s, peak memory {peak if peak is not None else '?'} MB\n"
                       f"{tail.text()}")
        done = []
        for entry in remaining:
            path = run / "out" / f"{entry['index']}.npz"
            if entry["index"] not in seen and stopped is None:
                arrays = read_outputs(path)  # written just before the run ended
                if arrays is not None:
                    seen[entry["index"]] = arrays
            if entry["index"] in seen:
                results[entry["notebook"]][0][entry["function"]] = (seen[entry["index"]], None)
                done.append(entry)
        left = [e for e in remaining if e not in done]
        if not left:
            break
        first = left[0]
        if stopped is None:
            code = proc.returncode
            stopped = ("the run ended before this function's outputs were written (exit status "
                       f"{code}{': killed, out of memory?' if code in (-9, 137) else ''}; sys.exit, os._exit, a crash?)")
        outputs, problems = results[first["notebook"]]
        problems[first["function"]] = stopped
        outputs[first["function"]] = ({}, stopped)
        remaining = left[1:]  # the others get a fresh sandbox
        shutil.rmtree(run, ignore_errors=True)
    return results


def read_outputs(path, max_member=MAX_WRITE_BYTES):
    """{key: array} from an .npz the sandbox wrote, running no code: no pickles, no member bigger
    than the sandbox may write, numbers, booleans and text only. None when `path` is not a regular
    file (a link is not followed, a FIFO not waited on): not an output yet."""
    import io

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        data = f.read(MAX_WRITE_BYTES + 1)
    out = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy") or info.file_size > max_member:
                    continue
                with zf.open(info) as f:
                    array = np.lib.format.read_array(f, allow_pickle=False)
                if array.dtype.kind in "biufcU":
                    out[info.filename[:-4]] = array
    except Exception:  # noqa: BLE001  (anything unreadable is no output)
        return {}
    return out


# ----------------------------------------------------------------------------------------------
# Verdicts (this process never imports the submission)


def verdict(entry, arrays, problem, expected, tolerances):
    """(passed, text) of one function from its outputs."""
    needs = entry.get("needs") or []
    also = f" (its cases also run your {', '.join(needs)})" if needs else ""
    if problem:
        return False, problem + also
    for cid, case in zip(entry["cases"], entry["names"]):
        err = arrays.get(f"{cid}/__error__")
        if err is not None:
            return False, f"case '{case}' raised {str(err)[:300]}{also}"
        tol = tolerances[cid]
        prefix = f"{entry['function']}|{cid}/"
        keys = [k[len(prefix):] for k in expected if k.startswith(prefix)]
        for key in keys:
            want = expected[prefix + key]
            got = arrays.get(f"{cid}/{key}")
            if got is None:
                return False, f"case '{case}': no output '{key}'{also}"
            if want.dtype.kind == "U" or got.dtype.kind == "U":
                if got.shape != want.shape or not np.array_equal(got.astype(str), want.astype(str)):
                    return False, f"case '{case}': '{key}' is not what the solution gives{also}"
                continue
            if got.shape != want.shape:
                return False, f"case '{case}': '{key}' has shape {tuple(got.shape)}, expected {tuple(want.shape)}{also}"
            got64, want64 = got.astype(np.complex128 if got.dtype.kind == "c" else np.float64), want.astype(
                np.complex128 if want.dtype.kind == "c" else np.float64)
            if not np.array_equal(np.isfinite(got64), np.isfinite(want64)):
                return False, f"case '{case}': '{key}' holds NaN or infinity where the solution does not{also}"
            if not np.allclose(got64, want64, rtol=tol.get("rtol", 1e-6), atol=tol.get("atol", 1e-8), equal_nan=True):
                fin = np.isfinite(want64)
                err = float(np.max(np.abs(got64[fin] - want64[fin]))) if fin.any() else float("nan")
                return False, f"case '{case}': '{key}' differs from the solution's (largest difference {err:.3g}){also}"
    return True, f"passing ({len(entry['cases'])} case(s))"


# ----------------------------------------------------------------------------------------------
# Reading a submission


def student_files(kit):
    """The paths a submission may hold: the marked modules and the notebooks."""
    base = Path(kit) / "base"
    modules = sorted(p.relative_to(base).as_posix() for p in (base / "cs231n").rglob("*.py")
                     if START_MARKER in p.read_text(encoding="utf-8"))
    answers = json.loads((Path(kit) / "answers.json").read_text())
    notebooks = sorted(f"assignment3/{nb}.ipynb" for nb in answers)
    return modules, notebooks


def _safe_name(name):
    """The member's path relative to the submission, or None when it would leave the folder."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", "") for p in parts):
        return None
    return PurePosixPath(*[p for p in parts if p != "."]).as_posix()


def read_submission(path, allowed):
    """({relative path: bytes} of the allowed files, [notes]) from a zip or a folder."""
    path = Path(path)
    files, notes = {}, []
    if path.is_dir():
        members = []
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path).as_posix()
            if p.is_symlink():
                notes.append(f"ignored {rel}: a link")
            elif p.is_file():
                members.append((rel, p.stat().st_size, p.read_bytes))
        zips = [m for m in members if m[0].endswith(".zip")]
        if zips and not any(m[0] in allowed for m in members):  # Gradescope kept the zip as uploaded
            return read_submission(path / zips[0][0], allowed)
    else:
        if not zipfile.is_zipfile(path):
            raise SubmissionProblem(f"{path.name} is not a zip file: submit the zip that `make submit` writes")
        try:
            zf = zipfile.ZipFile(path)
            members = []
            for info in zf.infolist():
                if info.is_dir():
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    notes.append(f"ignored {info.filename}: a link")
                    continue
                members.append((info.filename, info.file_size, lambda i=info: zf.read(i)))
        except (zipfile.BadZipFile, OSError) as e:
            raise SubmissionProblem(f"{path.name} is not a readable zip ({e}): run `make submit` again") from None
    names = {_safe_name(m[0]) for m in members} - {None}
    prefix = ""
    if not names & set(allowed):  # the student zipped the folder: accept one top-level folder
        tops = {n.split("/", 1)[0] for n in names if "/" in n}
        if len(tops) == 1:
            prefix = tops.pop() + "/"
    # Gradescope keeps files uploaded one by one without their folders: rnn_layers.py, not cs231n/rnn_layers.py
    by_basename = {}
    for rel in allowed:
        by_basename.setdefault(PurePosixPath(rel).name, []).append(rel)
    total = 0
    for name, size, read in members:
        rel = _safe_name(name)
        if rel is None:
            notes.append(f"ignored {name}: its path leaves the submission folder")
            continue
        rel = rel[len(prefix):] if prefix and rel.startswith(prefix) else rel
        if "/" not in rel and rel not in allowed and len(by_basename.get(rel, [])) == 1:
            notes.append(f"took {rel} as {by_basename[rel][0]}")
            rel = by_basename[rel][0]
        if rel not in allowed:
            if not rel.startswith(("__MACOSX/", ".")) and "/." not in rel and "__pycache__" not in rel:
                notes.append(f"ignored {rel}: not a file the assignment asks for")
            continue
        if size > MAX_MEMBER_BYTES or total + size > MAX_TOTAL_BYTES:
            notes.append(f"ignored {rel}: {size} bytes, more than the grader reads")
            continue
        try:
            data = read()
        except Exception as e:  # noqa: BLE001  (a corrupt member)
            notes.append(f"ignored {rel}: unreadable ({type(e).__name__}: {e})")
            continue
        if len(data) > MAX_MEMBER_BYTES:
            notes.append(f"ignored {rel}: more than the grader reads")
            continue
        total += len(data)
        files[rel] = data
    if not files:
        raise SubmissionProblem("the submission holds none of the assignment's files "
                                "(cs231n modules, assignment3 notebooks): submit the zip that `make submit` writes")
    return files, notes


def syntax_problem(rel, data):
    """One line when a module does not compile, else None (compiling runs no code)."""
    try:
        compile(data.decode("utf-8"), rel, "exec", dont_inherit=True)
    except SyntaxError as e:
        return f"{rel} line {e.lineno}: SyntaxError: {e.msg}"
    except (UnicodeDecodeError, ValueError) as e:
        return f"{rel}: not Python source ({e})"
    return None


# ----------------------------------------------------------------------------------------------
# Notebooks


def notebook_entries(name, table, data, expected_answers, automatic):
    """Gradescope entries for the notebook's "run" and inline-answer points."""
    rel = f"assignment3/{name}.ipynb"
    run_pts, answer_pts = table.get("run", 0), table.get("answer", 0)
    hand = run_pts + answer_pts * expected_answers
    if not automatic:
        if not hand:
            return []
        return [_entry(f"{name}: notebook run and inline answers (graded by hand)", 0, 0,
                       f"{hand:g} points graded by hand from the PDF of your executed notebooks "
                       "(a3_inline_submission.pdf), not by this autograder")]
    entries = []
    nb, why = None, None
    if data is None:
        why = f"{rel} is missing from the submission"
    else:
        try:
            nb = json.loads(data.decode("utf-8"))
            cells = nb["cells"]
            if not isinstance(cells, list):
                raise TypeError("cells is not a list")
        except Exception as e:  # noqa: BLE001
            why, nb = f"{rel} is not a readable notebook ({type(e).__name__})", None
    label = " (automatic: from the notebook file)"
    if nb is not None:
        code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
        ran = [c for c in code if c.get("outputs") and c.get("execution_count") is not None]
        ok = bool(code) and len(ran) > 0
        detail = f"{len(ran)} of {len(code)} code cells have outputs"
        entries.append(_entry(f"{name}: notebook run{label}", run_pts if ok else 0, run_pts,
                              detail if ok else f"{rel} was not run ({detail}): run all cells and save before "
                              "`make submit`"))
        answers = [_text(c) for c in cells if isinstance(c, dict) and c.get("cell_type") == "markdown"
                   and _text(c).lstrip().startswith(ANSWER_PREFIX)]
        filled = [a for a in answers if a.replace(ANSWER_PREFIX, "").replace(ANSWER_PROMPT, "").strip()]
        n = min(len(filled), expected_answers)
        detail = f"{n} of {expected_answers} inline answers written (any text counts)"
        entries.append(_entry(f"{name}: inline answers{label}", answer_pts * n, answer_pts * expected_answers, detail))
    else:
        entries.append(_entry(f"{name}: notebook run{label}", 0, run_pts, why))
        entries.append(_entry(f"{name}: inline answers{label}", 0, answer_pts * expected_answers, why))
    return entries


def _text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _entry(name, score, max_score, output, visibility="visible"):
    return {"name": name, "score": round(score, 4), "max_score": max_score, "output": str(output)[:OUTPUT_CHARS],
            "visibility": visibility}


# ----------------------------------------------------------------------------------------------
# One submission


def grade(submission, kit, sandbox, questions=None, automatic=None, log=None):
    """The results.json dict for one submission (never raises for a bad submission)."""
    kit = Path(kit)
    points = load_toml(kit / "points.toml")
    settings = load_toml(kit / "grader.toml") if (kit / "grader.toml").exists() else {}
    automatic = settings.get("auto_notebook_points", False) if automatic is None else automatic
    answers = json.loads((kit / "answers.json").read_text())
    names = [q for q in points if questions is None or q in questions]
    modules_allowed, notebooks_allowed = student_files(kit)
    notes, entries = [], []
    try:
        files, notes = read_submission(submission, set(modules_allowed) | set(notebooks_allowed))
    except SubmissionProblem as e:
        files, notes = None, [str(e)]
    if sandbox.unconfined:
        notes.insert(0, "graded WITHOUT a sandbox (--unconfined or grader.toml allow_unconfined)")
    if files is None:
        for name in names:
            for function, pts in points[name].get("functions", {}).items():
                entries.append(_entry(f"{name}: {function}", 0, pts, notes[0]))
            entries += notebook_entries(name, points[name], None, answers.get(name, 0), automatic)
        return _results(entries, notes, points)

    broken = {}
    for rel in modules_allowed:
        if rel not in files:
            notes.append(f"missing {rel}: the student edition's blanks are graded in its place")
        elif (problem := syntax_problem(rel, files[rel])) is not None:
            broken[rel] = problem
            notes.append(problem)

    work = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        package = work / "cs231n"
        shutil.copytree(kit / "base" / "cs231n", package)
        for rel in modules_allowed:
            if rel in files and rel not in broken:
                (work / rel).write_bytes(files[rel])
        graded = [name for name in names if (kit / "inputs" / f"{name}.json").exists()]
        try:  # every graded notebook in one sandbox run
            runs = run_notebooks(sandbox, kit, graded, package, work / "runs",
                                 max((points[name].get("memory_mb", 4096) for name in graded), default=4096), log)
        except Exception as e:  # noqa: BLE001  (the grader's own failure: say so, grade the rest)
            why = f"the grader could not run the cases ({type(e).__name__}: {e})"
            runs = {name: ({}, {}) for name in graded}
            for name in graded:
                for entry in json.loads((kit / "inputs" / f"{name}.json").read_text())["plan"]:
                    runs[name][0][entry["function"]] = ({}, why)
            notes.append(f"grader error: {traceback.format_exc(limit=2)}")
        for name in names:
            table = points[name]
            functions = table.get("functions", {})
            spec_path = kit / "inputs" / f"{name}.json"
            if not spec_path.exists():
                for function, pts in functions.items():
                    entries.append(_entry(f"{name}: {function}", 0, pts,
                                          f"not graded automatically: {name} has no graded cases "
                                          f"(grading/cases/{name}.py); the course staff grade it"))
                entries += notebook_entries(name, table, files.get(f"assignment3/{name}.ipynb"),
                                            answers.get(name, 0), automatic)
                continue
            spec = json.loads(spec_path.read_text())
            plan = {e["function"]: e for e in spec["plan"]}
            with np.load(kit / "expected" / f"{name}.npz", allow_pickle=False) as data:
                expected = {k: data[k] for k in data.files}
            outputs, _ = runs[name]
            for function, pts in functions.items():
                entry = plan.get(function)
                if entry is None:
                    entries.append(_entry(f"{name}: {function}", 0, pts,
                                          f"not graded automatically: grading/cases/{name}.py has no case for it"))
                    continue
                arrays, problem = outputs.get(function, ({}, "no output"))
                owner = next((p for p in broken if _defines(kit, p, function)), None)
                if owner:
                    ok, text = False, f"{broken[owner]}: the module does not load"
                else:
                    ok, text = verdict(entry, arrays, problem, expected, spec["tolerances"])
                entries.append(_entry(f"{name}: {function}", pts if ok else 0, pts, text))
            entries += notebook_entries(name, table, files.get(f"assignment3/{name}.ipynb"),
                                        answers.get(name, 0), automatic)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _results(entries, notes, points)


def _defines(kit, rel, function):
    return f"def {function.split('.')[-1]}(" in (Path(kit) / "base" / rel).read_text(encoding="utf-8")


EXTRA_CREDIT = "extra credit"  # the tag of an extra-credit notebook's entries (editions: grading/editions.toml)


def max_total(entries):
    """The most a submission can score, extra credit left out (it counts beyond the total)."""
    return sum(e["max_score"] for e in entries if EXTRA_CREDIT not in e.get("tags", ()))


def _results(entries, notes, points=None):
    extra = {nb for nb, table in (points or {}).items() if table.get("extra_credit")}
    for e in entries:
        if e["name"].split(":", 1)[0] in extra:
            e["tags"] = [EXTRA_CREDIT]
    score = round(sum(e["score"] for e in entries), 4)
    total = max_total(entries)
    bonus = sum(e["max_score"] for e in entries) - total
    summary = [f"score {score:g} of {total:g}" + (f" (extra credit: up to {bonus:g} more)" if bonus else "")]
    summary += [n[:500] for n in notes[:50]]
    return {"score": score, "output": "\n".join(summary)[:OUTPUT_CHARS], "visibility": "visible",
            "stdout_visibility": "hidden", "tests": entries}


def failed_results(points, why, questions=None):
    """results.json when the grader itself failed on a submission: every function 0, saying why."""
    entries = [_entry(f"{nb}: {fn}", 0, pts, why) for nb, t in points.items() if questions is None or nb in questions
               for fn, pts in t.get("functions", {}).items()]
    return _results(entries, [why], points)


# ----------------------------------------------------------------------------------------------
# Command line and the Gradescope bundle


def write_bundle(zip_path, repo=REPO_ROOT, sandbox=None, kit=None):
    """The Gradescope autograder zip: setup.sh, run_autograder, the grader and its kit (built from
    `repo` unless given)."""
    here = HERE / "gradescope"
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        kit = Path(kit) if kit is not None else build_kit(Path(tmp) / "kit", repo, sandbox)
        zip_path = Path(zip_path)
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        part = zip_path.with_name(zip_path.name + ".tmp")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for script in ("setup.sh", "run_autograder"):
                info = zipfile.ZipInfo(script)
                info.external_attr = (0o755 | stat.S_IFREG) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, (here / script).read_bytes())
            zf.write(HERE / "grade.py", "grader/grade.py")
            zf.write(HERE / "markers.py", "grader/markers.py")
            zf.write(repo / "requirements.txt", "grader/requirements.txt")
            for file in sorted(kit.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts:
                    zf.write(file, f"grader/kit/{file.relative_to(kit).as_posix()}")
        part.replace(zip_path)
    return zip_path


def kit_for_checkout(repo=REPO_ROOT, sandbox=None, cache=None, log=print):
    """The kit of this checkout, rebuilt when the solutions, cases, drivers or runner changed."""
    h = hashlib.sha256()
    for rel in sorted([*(p.relative_to(repo).as_posix() for p in (repo / "cs231n").rglob("*.py")),
                       *(p.relative_to(repo).as_posix() for p in (repo / "grading").rglob("*") if p.is_file()),
                       "tools/grade.py", "tools/build_student.py", "tools/markers.py"]):
        if "__pycache__" not in rel and (repo / rel).is_file():
            h.update(rel.encode() + b"\0" + (repo / rel).read_bytes())
    cache = Path(cache or repo / "build" / "grading-kit")
    kit = cache / h.hexdigest()[:16]
    if not (kit / "done").exists():
        shutil.rmtree(cache, ignore_errors=True)
        log("grade: building the grading kit (student edition, inputs, the solutions' outputs)")
        build_kit(kit, repo, sandbox, log)
        (kit / "done").write_text("")
    return kit


def grade_batch(submissions, kit, sandbox, out=None, results_path=None, questions=None, automatic=None):
    """Grade each submission; grades.csv is written whatever happens. Returns [(sub, results, total)]."""
    points = load_toml(Path(kit) / "points.toml")
    rows = []
    try:
        for sub in submissions:
            log = []
            try:
                results = grade(sub, kit, sandbox, questions, automatic, log)
            except Exception as e:  # noqa: BLE001  (the grader's own bug: this submission gets 0, the batch goes on)
                results = failed_results(points, f"the grader failed on this submission ({type(e).__name__}: {e}); "
                                         "ask the course staff", questions)
                log.append(traceback.format_exc())
            target = Path(results_path) if results_path else Path(out) / _slug(sub) / "results.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(results, indent=1))
            if not results_path:
                (target.parent / "sandbox.log").write_text("\n".join(log)[-(1 << 20):])
            total = max_total(results["tests"])
            print(f"{sub}: {results['score']:g} of {total:g} -> {target}"[:1000], flush=True)
            for line in results["output"].splitlines()[1:8]:
                print(f"  {line}"[:300])
            rows.append((sub, results, total))
    finally:
        if not results_path:
            write_csv(Path(out) / "grades.csv", rows)
            print(f"grades: {Path(out) / 'grades.csv'}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", nargs="*", type=Path, help="zips (or folders) to grade")
    parser.add_argument("--out", type=Path, default=Path("build/grades"),
                        help="where results go: OUT/<submission>/results.json and OUT/grades.csv")
    parser.add_argument("--results", type=Path, help="one submission: write its results.json exactly here")
    parser.add_argument("--kit", type=Path, help="a grading kit already built (the Gradescope bundle carries one)")
    parser.add_argument("--questions", help="comma-separated notebooks to grade (default: all in points.toml)")
    parser.add_argument("--auto-notebook-points", action="store_true", default=None,
                        help="award the notebooks' run and inline-answer points from the notebook files "
                             "(default: grading/grader.toml; they are graded by hand from the PDF)")
    parser.add_argument("--unconfined", action="store_true",
                        help="grade without the sandbox (resource limits only): for trusted code, never for students'")
    parser.add_argument("--bundle", type=Path, help="write the Gradescope autograder zip here and stop")
    parser.add_argument("--check-sandbox", action="store_true", help="say whether the sandbox works here, and stop")
    args = parser.parse_args(argv)

    settings_file = (args.kit / "grader.toml") if args.kit else REPO_ROOT / SETTINGS_FILE
    settings = load_toml(settings_file) if settings_file.exists() else {}
    if settings.get("allow_unconfined", False) and not args.unconfined:
        try:
            Sandbox.find()
        except SandboxUnavailable as e:
            print(f"grade: no sandbox ({e}); grader.toml allows grading unconfined", file=sys.stderr)
            args.unconfined = True
    try:
        sandbox = Sandbox.find(unconfined=args.unconfined)
    except SandboxUnavailable as e:
        print(f"grade: refusing to grade: {e}", file=sys.stderr)
        if args.results:  # Gradescope: a results file that says why, worth nothing
            args.results.parent.mkdir(parents=True, exist_ok=True)
            args.results.write_text(json.dumps({"score": 0, "output": "The autograder could not start its "
                                                f"sandbox; the course staff have been told. ({e})"}))
        return 2
    if args.check_sandbox:
        print(f"grade: {sandbox.describe()}")
        return 0
    if args.unconfined:
        print("grade: WARNING: --unconfined: submissions run without a sandbox; their grades can be forged",
              file=sys.stderr)
    if args.bundle:
        print(f"gradescope bundle: {write_bundle(args.bundle, sandbox=sandbox)}")
        return 0
    if not args.submissions:
        parser.error("name at least one submission (a zip from `make submit`)")
    if args.results and len(args.submissions) != 1:
        parser.error("--results takes exactly one submission")
    questions = set(args.questions.split(",")) if args.questions else None
    kit = args.kit.resolve() if args.kit else kit_for_checkout(sandbox=sandbox)
    points = load_toml(kit / "points.toml")
    for name in points:
        if (questions is None or name in questions) and not (kit / "inputs" / f"{name}.json").exists():
            print(f"grade: WARNING: {name} has no graded cases (grading/cases/{name}.py): its functions score 0 "
                  "here and must be graded by hand", file=sys.stderr)
    print(f"grade: {sandbox.describe()}")
    grade_batch(args.submissions, kit, sandbox, args.out, args.results, questions, args.auto_notebook_points)
    return 0


def _slug(path):
    name = Path(path).name
    name = name[:-4] if name.endswith(".zip") else name
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100] or "submission"


def write_csv(path, rows):
    """One line per submission: its name, score, maximum, the score of each notebook, notes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    notebooks = []
    for _, results, _ in rows:
        for e in results["tests"]:
            nb = e["name"].split(":", 1)[0]
            if nb not in notebooks:
                notebooks.append(nb)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "score", "max_score", *notebooks, "notes"])
        for sub, results, total in rows:
            per = {nb: sum(e["score"] for e in results["tests"] if e["name"].split(":", 1)[0] == nb)
                   for nb in notebooks}
            w.writerow([Path(sub).name, f"{results['score']:g}", f"{total:g}", *(f"{per[nb]:g}" for nb in notebooks),
                        " | ".join(results["output"].splitlines()[1:])[:2000]])
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
