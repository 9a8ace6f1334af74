"""cs231n.data.download against a local HTTP server that misbehaves on purpose (no internet needed)."""

import hashlib
import time

import numpy as np
import pytest
from _local_server import LocalServer
from _stalling_server import StallingServer

from cs231n.data import download as dl
from cs231n.data.download import DownloadError, OfflineError, download, part_path

PAYLOAD = np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes()


pytestmark = pytest.mark.usefixtures("local_network")


def test_download_writes_file_and_removes_part(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD)
    dest = download(url, tmp_path / "f.bin", sha256=hashlib.sha256(PAYLOAD).hexdigest(),
                    expected_size=len(PAYLOAD))
    assert dest.read_bytes() == PAYLOAD, "download: the file differs from what the server sent"
    assert not part_path(dest).exists(), "download: the .part file was left behind after success"


def test_download_resumes_interrupted_transfer_with_range(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD, drop_after=70_000)
    dest = download(url, tmp_path / "f.bin")
    sent = server.requests_for("/f.bin")
    assert len(sent) == 2, f"download: expected 2 requests (cut, then resume), got {len(sent)}"
    assert sent[1].get("Range") == "bytes=70000-", f"download: resume sent Range {sent[1].get('Range')!r}"
    assert dest.read_bytes() == PAYLOAD, "download: the resumed file differs from the original"


def test_download_resumes_part_left_by_earlier_run(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD)
    part_path(tmp_path / "f.bin").write_bytes(PAYLOAD[:12_345])
    dest = download(url, tmp_path / "f.bin")
    assert server.requests_for("/f.bin")[0].get("Range") == "bytes=12345-", "download: no Range request"
    assert dest.read_bytes() == PAYLOAD, "download: the resumed file differs from the original"


def test_download_restarts_part_of_another_url(server, tmp_path):
    server.add("/old.bin", PAYLOAD[::-1], ranges=False, drop_after=50_000, drop_times=99)
    with pytest.raises(DownloadError):
        download(server.url("/old.bin"), tmp_path / "f.bin", retries=0)  # leaves a .part of /old.bin
    url = server.add("/new.bin", PAYLOAD)
    dest = download(url, tmp_path / "f.bin")
    assert server.requests_for("/new.bin")[0].get("Range") is None, \
        "download: resumed a partial file that came from another URL"
    assert dest.read_bytes() == PAYLOAD, "download: the file mixes two URLs' bytes"


def test_download_restarts_when_file_changed_on_server(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD[::-1], etag='"v1"', ranges=False, drop_after=50_000, drop_times=99)
    with pytest.raises(DownloadError):
        download(url, tmp_path / "f.bin", retries=0)  # leaves 50 000 bytes of version 1
    server.add("/f.bin", PAYLOAD, etag='"v2"')
    dest = download(url, tmp_path / "f.bin")
    resume = server.requests_for("/f.bin")[-1]
    assert resume.get("Range") == "bytes=50000-" and resume.get("If-Range") == '"v1"', \
        f"download: the resume did not send Range with If-Range: {resume}"
    assert dest.read_bytes() == PAYLOAD, "download: appended new bytes to a partial file of an older version"
    assert not (tmp_path / "f.bin.part.json").exists(), "download: left its .part.json behind"


def test_download_restarts_when_server_ignores_range(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD, ranges=False)
    part_path(tmp_path / "f.bin").write_bytes(b"x" * 5000)  # junk that must not survive
    dest = download(url, tmp_path / "f.bin")
    assert dest.read_bytes() == PAYLOAD, "download: a 200 answer to a Range request was appended, not restarted"


def test_download_follows_redirect(server, tmp_path):
    server.add("/real.bin", PAYLOAD)
    url = server.add("/old.bin", redirect_to="/real.bin")
    assert download(url, tmp_path / "f.bin").read_bytes() == PAYLOAD, "download: redirect not followed"


def test_download_truncated_every_time_fails_and_leaves_dest_alone(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD, missing_bytes=1000)
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"old good data")
    with pytest.raises(DownloadError) as err:
        download(url, dest, retries=2)
    assert err.value.reason == "truncated", f"download: reason {err.value.reason!r}, message: {err.value}"
    assert dest.read_bytes() == b"old good data", "download: a failed download touched the existing file"
    assert part_path(dest).stat().st_size == len(PAYLOAD), "download: the .part was not kept for resuming"


@pytest.mark.parametrize("content_type,body", [
    ("text/html; charset=utf-8", b"<p>moved</p>"),
    ("application/octet-stream", b"\n  <!DOCTYPE html><html><body>Sign in</body></html>"),
])
def test_download_rejects_html_page(server, tmp_path, content_type, body):
    url = server.add("/f.zip", body, content_type=content_type)
    with pytest.raises(DownloadError) as err:
        download(url, tmp_path / "f.zip")
    assert err.value.reason == "html", f"download: reason {err.value.reason!r}, message: {err.value}"
    assert not (tmp_path / "f.zip").exists() and not part_path(tmp_path / "f.zip").exists(), \
        "download: an HTML page was kept on disk"


def test_download_http_error_names_status_and_url(server, tmp_path):
    url = server.url("/missing.zip")
    with pytest.raises(DownloadError) as err:
        download(url, tmp_path / "f.zip")
    assert "404" in str(err.value) and url in str(err.value), f"download: unclear message: {err.value}"
    assert not isinstance(err.value, OfflineError), "download: a 404 was reported as offline"


def test_download_sha256_mismatch_fails_and_deletes_part(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD)
    with pytest.raises(DownloadError) as err:
        download(url, tmp_path / "f.bin", sha256="0" * 64)
    assert err.value.reason == "sha256", f"download: reason {err.value.reason!r}"
    assert not (tmp_path / "f.bin").exists() and not part_path(tmp_path / "f.bin").exists()


def test_download_verify_callback_failure_becomes_download_error(server, tmp_path):
    url = server.add("/f.bin", PAYLOAD)

    def verify(path):
        assert path != tmp_path / "f.bin", "verify must see the temporary file, not dest"
        raise ValueError("no central directory")

    with pytest.raises(DownloadError, match="no central directory") as err:
        download(url, tmp_path / "f.bin", verify=verify)
    assert err.value.reason == "verify"
    assert not (tmp_path / "f.bin").exists(), "download: a file that failed verify was moved into place"


def test_download_unresolvable_host_is_offline_without_retries(tmp_path, monkeypatch):
    attempts = []
    real = dl._fetch_once
    monkeypatch.setattr(dl, "_fetch_once", lambda *a, **k: attempts.append(1) or real(*a, **k))
    with pytest.raises(OfflineError):
        download("http://nonexistent.invalid/f.zip", tmp_path / "f.zip")
    assert len(attempts) <= 1, f"download: a DNS failure was tried {len(attempts)} times instead of once"


def test_download_dns_lookup_that_hangs_is_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "_DNS_TIMEOUT_S", 0.2)
    monkeypatch.setattr(dl.socket, "getaddrinfo", lambda *a, **k: time.sleep(3))
    with pytest.raises(OfflineError, match="looking up its address"):
        download("http://slow-dns.example/f.zip", tmp_path / "f.zip")


def test_download_connection_refused_is_offline(tmp_path):
    with LocalServer() as s:
        url = s.url("/f.zip")  # the port is free again once the server has closed
    with pytest.raises(OfflineError):
        download(url, tmp_path / "f.zip")


def test_download_gateway_errors_every_time_count_as_offline(server, tmp_path):
    url = server.add("/f.bin", b"Bad Gateway", status=502, content_type="text/plain")
    with pytest.raises(OfflineError):
        download(url, tmp_path / "f.bin", retries=2)
    assert len(server.requests) == 3, f"download: expected 1 try + 2 retries on 502, got {len(server.requests)}"


def test_download_server_error_every_time_is_not_offline(server, tmp_path):
    url = server.add("/f.bin", b"oops", status=500, content_type="text/plain")
    with pytest.raises(DownloadError) as err:
        download(url, tmp_path / "f.bin", retries=1)
    assert not isinstance(err.value, OfflineError) and "HTTP 500" in str(err.value), \
        f"download: a persistent HTTP 500 was reported as {err.value!r}"


def test_download_respects_cs231n_offline(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    url = server.add("/f.bin", PAYLOAD)
    with pytest.raises(OfflineError, match="CS231N_OFFLINE"):
        download(url, tmp_path / "f.bin")
    assert server.requests == [], "download: CS231N_OFFLINE=1 still touched the network"


def test_download_from_a_server_that_answers_nothing_is_stalled_not_offline(tmp_path):
    with StallingServer() as server:
        with pytest.raises(DownloadError) as err:
            download(server.url("/f.zip"), tmp_path / "f.zip", timeout=0.3, retries=1)
        connections = server.connections
    assert not isinstance(err.value, OfflineError), f"download: a host that accepted the connection was reported " \
                                                    f"as offline: {err.value}"
    assert err.value.reason == "stalled" and "no answer within 0.3 s" in str(err.value), str(err.value)
    assert connections == 2, f"download: expected 1 try + 1 retry on a stalled server, got {connections}"
    assert not (tmp_path / "f.zip").exists()
