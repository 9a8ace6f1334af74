"""One lock per data folder, so that two processes (a notebook and `make data`, say) never fetch or
build the same folder at once: the second waits, then finds the work done."""

from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX (Windows): no lock, and concurrent set-ups are the user's care
    fcntl = None


@contextmanager
def folder_lock(folder):
    """Hold an exclusive lock on ``.<name>.lock`` beside ``folder`` for the ``with`` block (the parent
    folder is created); a no-op where fcntl does not exist."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    with open(folder.with_name(f".{folder.name}.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
