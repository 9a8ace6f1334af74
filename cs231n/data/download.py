"""Verified, resumable downloads with the standard library: :func:`download`.

The bytes go to ``dest + '.part'``, resumed with an HTTP Range request (only from the same URL, and only
while the server's file is unchanged); dropped connections are retried with a short backoff; ``dest``
is replaced only once the size, SHA-256 and ``verify`` checks pass, so a failed attempt never touches
a file already there. An unreachable host, or CS231N_OFFLINE=1 (:func:`cs231n.data.paths.offline_forced`),
raises :class:`OfflineError` at once, so callers fall back to their embedded default without waiting;
every other failure is a :class:`DownloadError` whose message says what went wrong and what to do.
:func:`check_reachable` is the same quick probe for callers whose own download has no timeout.
"""

import contextlib
import errno
import hashlib
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm import tqdm

from cs231n.data.paths import offline_forced

_CHUNK = 1 << 16
_USER_AGENT = "cs231n-assignment3-downloader (python urllib)"
# Seconds to wait before the n-th consecutive retry (the last value repeats): short, because a
# reset connection usually comes back at once and a student is watching.
_BACKOFF_S = (0.25, 0.5, 1.0, 2.0)
_OFFLINE_ERRNOS = {errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN,
                   errno.EHOSTDOWN}
_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}
# A machine without network often has a resolver that answers only after several seconds (or
# never); socket timeouts do not cover DNS lookups, so the lookup gets its own deadline.
_DNS_TIMEOUT_S = 5


class DownloadError(RuntimeError):
    """A download failed; ``str(err)`` is one sentence saying what went wrong and what to do.

    ``reason`` names the kind of failure so callers can add their own advice: ``'offline'``,
    ``'http'``, ``'html'``, ``'truncated'``, ``'stalled'``, ``'size'``, ``'sha256'``, ``'verify'``,
    ``'tls'`` or ``'io'``. ``url`` is the URL that was asked for; ``status`` the HTTP status for ``'http'``.
    """

    def __init__(self, message, *, reason, url=None, status=None):
        super().__init__(message)
        self.reason = reason
        self.url = url
        self.status = status


class OfflineError(DownloadError):
    """The host could not be reached (or CS231N_OFFLINE=1): use an embedded default instead."""

    def __init__(self, message, *, url=None):
        super().__init__(message, reason="offline", url=url)


class _Transient(Exception):
    """An attempt failed in a way that another attempt (resuming the .part) may fix."""

    def __init__(self, message, status=None, stalled=False):
        super().__init__(message)
        self.status = status  # the HTTP status when the server answered with a temporary error
        self.stalled = stalled  # the server accepted the connection and then sent nothing within the timeout


def part_path(dest):
    """The temporary file :func:`download` writes to before moving it onto ``dest``."""
    dest = Path(dest)
    return dest.with_name(dest.name + ".part")


def partial_size(url, dest):
    """Bytes of an earlier partial download of ``url`` that :func:`download` would resume (0 if none)."""
    part = part_path(dest)
    if not part.is_file() or _read_meta(part).get("url", url) != url:
        return 0
    return part.stat().st_size


def _meta_path(part):
    return part.with_name(part.name + ".json")


def _read_meta(part):
    try:
        meta = json.loads(_meta_path(part).read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def discard_partial(dest):
    """Delete an earlier partial download of ``dest`` so that the next :func:`download` starts afresh."""
    _discard(part_path(dest))


def _discard(part):
    """Delete a .part (and what we remember about it): its content is wrong or unusable."""
    part.unlink(missing_ok=True)
    _meta_path(part).unlink(missing_ok=True)


def file_sha256(path):
    """Hex SHA-256 of a file, read in chunks (fine for files of several GB)."""
    return file_digest(path, "sha256")


def file_digest(path, algorithm):
    """Hex digest of a file with any hashlib algorithm ("sha256", "md5", ...), read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(url, dest, *, desc=None, verify=None, retries=3, timeout=30, expected_size=None,
             sha256=None, progress=None):
    """Download ``url`` to ``dest``, verified, resuming an earlier partial download.

    Inputs:
    - url: http(s) URL; redirects are followed (the course site redirects http to https).
    - dest: final path (str or Path); its folder is created. The bytes go to ``dest + '.part'``
      first, and ``dest`` is replaced only once every check below has passed.
    - desc: label of the progress bar (default: the file name).
    - verify: optional callable ``verify(path)`` run on the complete temporary file (which is
      not named ``dest`` yet); any exception it raises becomes a DownloadError quoting it.
    - retries: how many more attempts to make after an attempt that fails transiently
      (connection reset, truncated body, HTTP 5xx) without adding bytes; an attempt that does add
      bytes resets the count, so a long download on a flaky link keeps going.
    - timeout: seconds a connection or a read may stall. A host that cannot be connected to within
      it is reported as offline; one that accepts the connection and then sends nothing is stalled.
    - expected_size: optional size in bytes the file must have.
    - sha256: optional hex digest the file must have.
    - progress: show a tqdm bar on stderr: True, False, or None (default) for "when stderr is a
      terminal".

    Returns:
    - dest as a Path.

    Raises:
    - OfflineError: the host cannot be reached (DNS failure, connection refused, no route, no
      answer within ``timeout``) or CS231N_OFFLINE=1; no retries are made. A gateway (proxy)
      answering 502/504 to every attempt counts as offline too.
    - DownloadError: a server that accepts the connection but sends no answer within ``timeout``
      on every attempt (reason ``'stalled'``), HTTP error status, an HTML page, a truncated transfer that retries did not
      fix, a size or SHA-256 mismatch, or a failed ``verify``. The ``.part`` file is kept after
      network failures (the next call resumes it) and deleted when its content is wrong.
    """
    dest = Path(dest)
    name = desc or dest.name
    if offline_forced():
        raise OfflineError(f"Not downloading {name} because CS231N_OFFLINE=1; unset it to use the "
                           f"network.", url=url)
    check_reachable(url, name, min(timeout, _DNS_TIMEOUT_S))
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    if progress is None:
        progress = sys.stderr is not None and sys.stderr.isatty()

    failures = 0
    best = part.stat().st_size if part.exists() else 0
    while True:
        try:
            _fetch_once(url, part, name=name, timeout=timeout, progress=progress)
            break
        except _Transient as e:
            size = part.stat().st_size if part.exists() else 0
            if size > best:  # progress was made: keep going without spending a retry
                best = size
                failures = 0
                continue
            failures += 1
            if failures > retries and e.status in (502, 504) and not size:  # a proxy that cannot reach it
                host = urllib.parse.urlparse(url).hostname or url
                raise OfflineError(f"Cannot reach {host} to download {name}: the gateway answered "
                                   f"'{e}' {retries + 1} times; you seem to be offline.", url=url) from None
            if failures > retries and e.stalled:
                host = urllib.parse.urlparse(url).hostname or url
                raise DownloadError(f"{host} accepted the connection but sent no answer within {timeout:g} s, "
                                    f"{retries + 1} times, so {name} was not downloaded: the server is busy or "
                                    f"the URL is wrong; try again later or check the URL.", reason="stalled",
                                    url=url) from None
            if failures > retries and e.status is not None:
                raise DownloadError(f"{url} answered {e} {retries + 1} times; try again later.",
                                    reason="http", url=url, status=e.status) from None
            if failures > retries:
                raise DownloadError(f"The download of {name} from {url} kept failing ({e}) after "
                                    f"{retries + 1} attempts; check your connection and run the same "
                                    f"command again to resume it.", reason="truncated", url=url) from None
            time.sleep(_BACKOFF_S[min(failures, len(_BACKOFF_S)) - 1])

    _check_complete(url, part, name=name, expected_size=expected_size, sha256=sha256, verify=verify)
    os.replace(part, dest)
    _meta_path(part).unlink(missing_ok=True)
    return dest


def _fetch_once(url, part, *, name, timeout, progress):
    """One HTTP request that appends to (or restarts) ``part``; returns when the body is complete."""
    offset = part.stat().st_size if part.exists() else 0
    meta = _read_meta(part) if offset else {}
    if meta.get("url", url) != url:  # a partial file of another URL: start afresh
        _discard(part)
        offset, meta = 0, {}
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT,
                                                   "Accept-Encoding": "identity"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:  # the server sends the whole new file (200) if it changed since
            request.add_header("If-Range", validator)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        with e:
            if e.code == 416 and offset:
                return _range_not_satisfiable(e, part, offset)
            if e.code in _TRANSIENT_HTTP:
                raise _Transient(f"HTTP {e.code} {e.reason}", status=e.code) from None
            raise DownloadError(f"{url} answered HTTP {e.code} {e.reason} instead of {name}; check the "
                                f"URL (the file may have moved).", reason="http", url=url,
                                status=e.code) from None
    except urllib.error.URLError as e:  # urllib wraps what fails while connecting and sending
        _raise_for_connection_error(url, name, e.reason)
    except TimeoutError:  # not wrapped: connected and sent, then no answer came (socket.timeout is TimeoutError)
        raise _Transient(f"no answer within {timeout:g} s", stalled=True) from None
    except (OSError, http.client.HTTPException) as e:
        _raise_for_connection_error(url, name, e)

    with response:
        status = response.status
        ctype = (response.headers.get("Content-Type") or "").lower()
        if ctype.startswith(("text/html", "application/xhtml")):
            _html_error(url, name, part, offset)
        if offset and status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range"))
            if start != offset:  # not the range we asked for: start over
                _discard(part)
                raise _Transient(f"the server answered a Range request for byte {offset} with "
                                 f"bytes from {start}")
        else:  # 200: a fresh download, or a server that ignores Range or whose file changed
            offset, total = 0, None
            etag = response.headers.get("ETag")
            _meta_path(part).write_text(json.dumps({
                "url": url, "etag": etag if etag and not etag.startswith("W/") else None,
                "last_modified": response.headers.get("Last-Modified")}), encoding="utf-8")
        length = response.headers.get("Content-Length")
        if total is None and length is not None and length.isdigit():
            total = offset + int(length)

        bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=name, disable=not progress, leave=False)
        try:
            with open(part, "ab" if offset else "wb") as f:
                first = True
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as e:
                        raise _Transient(f"connection lost: {e.__class__.__name__}") from None
                    if not chunk:
                        break
                    if first and not offset and _looks_like_html(chunk):
                        f.close()
                        _html_error(url, name, part, offset)
                    first = False
                    f.write(chunk)
                    bar.update(len(chunk))
        finally:
            bar.close()
    size = part.stat().st_size
    if total is not None and size < total:
        raise _Transient(f"got {size} of {total} bytes")
    if total is not None and size > total:
        _discard(part)
        raise _Transient(f"got {size} bytes, more than the {total} announced")


def _range_not_satisfiable(error, part, offset):
    """HTTP 416 to ``bytes=offset-``: the .part is complete if the server's size equals it."""
    _, total = _parse_content_range(error.headers.get("Content-Range"))
    if total == offset:
        return
    _discard(part)
    raise _Transient("the partial file did not match the server's file; starting over")


def _parse_content_range(value):
    """'bytes 100-199/1000' -> (100, 1000); 'bytes */1000' -> (None, 1000); '*' totals -> None."""
    try:
        unit, spec = (value or "").strip().split(" ", 1)
        span, total = spec.split("/", 1)
        start = None if span.strip() == "*" else int(span.split("-", 1)[0])
        return start, (None if total.strip() == "*" else int(total))
    except ValueError:
        return None, None


def _looks_like_html(chunk):
    head = chunk[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _html_error(url, name, part, offset):
    if not offset:
        _discard(part)
    raise DownloadError(f"{url} sent an HTML page instead of {name} (a login page, an error page or a "
                        f"moved file); check the URL in a browser.", reason="html", url=url)


@contextlib.contextmanager
def socket_timeout(seconds):
    """Within the block, a socket opened without a timeout of its own (torchvision's downloads open
    such sockets) gives up after `seconds` of silence instead of hanging; the old default comes back."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def check_reachable(url, name, timeout=None, *, connect=False):
    """Raise OfflineError unless the URL's host answers within ``timeout`` seconds (default 5).

    Looks the host's address up and, with ``connect=True``, opens a TCP connection to it; both in a
    daemon thread, since a DNS lookup has no timeout of its own. Skipped when a proxy will do the
    lookup for us. ``name`` (what is to be fetched) goes into the message. Callers whose download
    has no timeout (torchvision's) call this first, so that no network means an answer in seconds.
    """
    parts = urllib.parse.urlparse(url)
    host = parts.hostname
    if not host or (urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(host)):
        return
    timeout = _DNS_TIMEOUT_S if timeout is None else timeout
    address = (host, parts.port or (443 if parts.scheme == "https" else 80))
    outcome = []

    def probe():
        try:
            if connect:
                socket.create_connection(address, timeout=timeout).close()
            else:
                socket.getaddrinfo(*address, type=socket.SOCK_STREAM)
            outcome.append(None)
        except OSError as e:
            outcome.append(e)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        what = "connecting to it" if connect else "looking up its address"
        raise OfflineError(f"Cannot reach {host}: {what} took over {timeout:g} s, so {name} was not "
                           f"downloaded; you seem to be offline.", url=url)
    error = outcome[0]
    if isinstance(error, socket.gaierror):
        _raise_for_connection_error(url, name, error)
    if error is not None and connect:
        raise OfflineError(f"Cannot reach {host} ({error.strerror or error}) to download {name}; you seem "
                           f"to be offline.", url=url)


def _raise_for_connection_error(url, name, reason):
    """Map a failure to connect onto OfflineError, DownloadError or _Transient."""
    host = urllib.parse.urlparse(url).hostname or url
    if isinstance(reason, socket.gaierror):
        raise OfflineError(f"Cannot reach {host} (DNS lookup failed) to download {name}; you seem to be "
                           f"offline.", url=url) from None
    if isinstance(reason, (socket.timeout, TimeoutError)):
        raise OfflineError(f"{host} did not answer within the timeout while downloading {name}; you "
                           f"seem to be offline or behind a firewall.", url=url) from None
    if isinstance(reason, ssl.SSLError):
        raise DownloadError(f"The TLS connection to {host} failed ({reason}); check the system's "
                            f"certificates or the URL.", reason="tls", url=url) from None
    if isinstance(reason, OSError) and reason.errno in _OFFLINE_ERRNOS:
        raise OfflineError(f"Cannot reach {host} ({os.strerror(reason.errno)}) to download {name}; "
                           f"you seem to be offline.", url=url) from None
    if isinstance(reason, (OSError, http.client.HTTPException)):
        raise _Transient(f"connection failed: {reason.__class__.__name__}: {reason}") from None
    raise DownloadError(f"Cannot download {name} from {url} ({reason}); check the URL.",
                        reason="io", url=url) from None


def _check_complete(url, part, *, name, expected_size, sha256, verify):
    """Checks that run on the finished .part; a wrong file is deleted so the next try starts afresh."""
    size = part.stat().st_size
    if expected_size is not None and size != expected_size:
        _discard(part)
        raise DownloadError(f"{name} from {url} has {size} bytes, not the expected {expected_size}; "
                            f"run the command again, and if it repeats the file has changed on the "
                            f"server.", reason="size", url=url)
    if sha256 is not None:
        got = file_sha256(part)
        if got.lower() != sha256.lower():
            _discard(part)
            raise DownloadError(f"{name} from {url} has SHA-256 {got[:12]}..., not the expected "
                                f"{sha256[:12]}...; run the command again, and if it repeats the file "
                                f"has changed on the server.", reason="sha256", url=url)
    if verify is not None:
        try:
            verify(part)
        except Exception as e:  # the callback's own error, whatever its type, is the reason
            _discard(part)
            detail = str(e).rstrip(".") or e.__class__.__name__
            raise DownloadError(f"{name} from {url} failed verification: {detail}.", reason="verify",
                                url=url) from e
