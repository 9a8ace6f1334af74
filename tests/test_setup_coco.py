"""setup_coco (the real COCO captioning download) against a tiny COCO-format zip on 127.0.0.1.

The zip is built here from random data in the classic format (20 + 10 images, 3 captions each,
a 12-word vocabulary), so no test needs the internet or the 1 GB original.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from _stalling_server import StallingServer

from cs231n.data import coco as setup_coco
from cs231n.data import coco_files, coco_sample
from cs231n.data.coco import extract_zip_safely, main, verify_coco_dir
from cs231n.data.coco_format import FULL_FEATURE_FILES, REAL_STAMP, SAMPLE_STAMP, SAMPLE_VERSION

REPO = Path(__file__).resolve().parent.parent
WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "on", "the", "left"]
IMAGES = {"train": 20, "val": 10}
CAPTIONS_PER_IMAGE = 3


def write_coco_folder(folder, seed=0):
    """Write the eight COCO captioning files, classic format, random content, into ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "coco2014_vocab.json").write_text(json.dumps(
        {"idx_to_word": WORDS, "word_to_idx": {w: i for i, w in enumerate(WORDS)}}))
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        for split, m in IMAGES.items():
            n = m * CAPTIONS_PER_IMAGE
            captions = np.zeros((n, 17), dtype=np.int32)
            for row in captions:
                length = rng.integers(2, 10)
                row[0] = 1
                row[1:length + 1] = rng.integers(4, len(WORDS), length)
                row[length + 1] = 2
            f.create_dataset(f"{split}_captions", data=captions)
            f.create_dataset(f"{split}_image_idxs", data=rng.permutation(np.repeat(np.arange(m), 3)).astype(np.int32))
    for split, m in IMAGES.items():
        for suffix, dim in (("_pca", 512), ("", 4096)):
            with h5py.File(folder / f"{split}2014_vgg16_fc7{suffix}.h5", "w") as f:
                f.create_dataset("features", data=rng.standard_normal((m, dim), dtype=np.float32))
        (folder / f"{split}2014_urls.txt").write_text(
            "".join(f"http://images.example/{split}/{i}.jpg\n" for i in range(m)))
    return folder


def zip_folder(folder, zip_path, top="coco_captioning", extra=()):
    """Zip ``folder``'s files under ``top/`` (or flat when top is None), plus ``extra`` ZipInfo members."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.iterdir()):
            zf.write(file, f"{top}/{file.name}" if top else file.name)
        for info, data in extra:
            zf.writestr(info, data)
    return zip_path.read_bytes()


@pytest.fixture(scope="module")
def good_zip(tmp_path_factory):
    base = tmp_path_factory.mktemp("coco_zip")
    return zip_folder(write_coco_folder(base / "files"), base / "coco_captioning.zip")


pytestmark = pytest.mark.usefixtures("local_network")


@pytest.fixture
def sample_calls(monkeypatch):
    """Replace the sample builder (a child process) with a stub that records its calls."""
    calls = []
    monkeypatch.setattr(setup_coco, "_build_sample", lambda force: calls.append({"force": force}) or 0)
    return calls


UNREACHABLE = "http://nonexistent.invalid/coco_captioning.zip"


def fake_current_sample(datasets):
    """A sample folder that coco_files.sample_is_current accepts (stamp and manifest of this version)."""
    folder = datasets / "coco_sample"
    folder.mkdir(parents=True)
    (folder / "MANIFEST.json").write_text(json.dumps({"version": SAMPLE_VERSION}))
    (folder / SAMPLE_STAMP).write_text("built\n")
    return folder


def dest_dir(tmp_path):
    return tmp_path / "datasets" / "coco_captioning"


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_module(*args, env_extra=None, script=False):
    """Run setup_coco in a subprocess (the module, or setup_coco.sh) with the test's environment."""
    env = dict(os.environ, PYTHONPATH=str(REPO), **(env_extra or {}))
    cmd = ["bash", str(REPO / "setup_coco.sh")] if script else [sys.executable, "-m", "cs231n.data.coco"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, timeout=60, cwd=REPO)


def assert_one_sentence_failure(result, needle):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, f"setup_coco: exit code {result.returncode}, stderr: {result.stderr}"
    assert len(lines) == 1 and "Traceback" not in result.stderr, \
        f"setup_coco: expected one line on stderr, got: {result.stderr!r}"
    assert needle in lines[0], f"setup_coco: the failure line does not mention {needle!r}: {lines[0]}"


# --- success paths ------------------------------------------------------------------------------

def test_setup_coco_fetches_verifies_and_moves_real_data_into_place(server, tmp_path, good_zip, capsys):
    url = server.add("/coco_captioning.zip", good_zip)
    assert main(["--url", url]) == 0
    dest = dest_dir(tmp_path)
    verify_coco_dir(dest)
    stamp = json.loads((dest / REAL_STAMP).read_text())
    assert stamp["zip_bytes"] == len(good_zip), "setup_coco: the stamp records the wrong zip size"
    leftovers = sorted(p.name for p in dest.parent.iterdir() if not p.name.endswith(".lock"))
    assert leftovers == ["coco_captioning"], f"setup_coco: left behind {leftovers} (the zip should be deleted)"
    assert "deleted the" in capsys.readouterr().out, "setup_coco: did not say it deleted the zip"


def test_setup_coco_accepts_zip_without_top_folder(server, tmp_path):
    zip_bytes = zip_folder(write_coco_folder(tmp_path / "files"), tmp_path / "flat.zip", top=None)
    url = server.add("/flat.zip", zip_bytes)
    assert main(["--url", url]) == 0
    verify_coco_dir(dest_dir(tmp_path))


def test_setup_coco_resumes_interrupted_download(server, tmp_path, good_zip):
    cut = len(good_zip) // 3
    url = server.add("/coco_captioning.zip", good_zip, drop_after=cut)
    assert main(["--url", url]) == 0
    sent = server.requests_for("/coco_captioning.zip")
    assert [h.get("Range") for h in sent] == [None, f"bytes={cut}-"], \
        f"setup_coco: expected a fresh request then a Range resume, got {[h.get('Range') for h in sent]}"
    stamp = json.loads((dest_dir(tmp_path) / REAL_STAMP).read_text())
    assert stamp["zip_sha256"] == __import__("hashlib").sha256(good_zip).hexdigest(), \
        "setup_coco: the resumed zip differs from the original"


def test_setup_coco_second_run_makes_no_request(server, tmp_path, good_zip, capsys):
    url = server.add("/coco_captioning.zip", good_zip)
    assert main(["--url", url]) == 0
    capsys.readouterr()
    assert main(["--url", url]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(server.requests) == 1, f"setup_coco: the second run sent {len(server.requests) - 1} requests"
    assert out == ["COCO captioning: real data already in place (" + str(dest_dir(tmp_path)) + ")"], \
        f"setup_coco: the second run printed {out}"


def test_setup_coco_adopts_existing_unstamped_data_without_download(server, tmp_path):
    write_coco_folder(dest_dir(tmp_path))
    url = server.add("/coco_captioning.zip", b"unused")
    assert main(["--url", url]) == 0
    assert server.requests == [], "setup_coco: downloaded although verified data was already there"
    assert (dest_dir(tmp_path) / REAL_STAMP).is_file(), "setup_coco: did not stamp verified data"


def test_setup_coco_restores_data_after_interrupted_swap(tmp_path, good_zip, server):
    aside = dest_dir(tmp_path).with_name(".coco_captioning.old-999")
    write_coco_folder(aside)
    (aside / REAL_STAMP).write_text("{}")
    url = server.add("/coco_captioning.zip", good_zip)
    assert main(["--url", url]) == 0
    assert setup_coco.real_data_ready(dest_dir(tmp_path)) and not aside.exists(), \
        "setup_coco: data renamed aside by an interrupted swap was not put back"
    assert server.requests == [], "setup_coco: re-downloaded instead of restoring the data set aside"


def test_setup_coco_force_starts_download_afresh(server, tmp_path, good_zip):
    url = server.add("/coco_captioning.zip", good_zip)
    part = dest_dir(tmp_path).with_name("coco_captioning.zip.part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(good_zip[:1000])
    assert main(["--force", "--url", url]) == 0
    assert server.requests_for("/coco_captioning.zip")[0].get("Range") is None, \
        "setup_coco --force: resumed an earlier partial download instead of fetching afresh"


# --- offline and the sample ---------------------------------------------------------------------

def test_setup_coco_offline_falls_back_to_sample(tmp_path, sample_calls, capsys, monkeypatch):
    monkeypatch.setattr(setup_coco, "DEFAULT_URL", UNREACHABLE)  # the course site, as seen offline
    assert main([]) == 0
    assert sample_calls == [{"force": False}], f"setup_coco: sample builder calls {sample_calls}"
    out = capsys.readouterr().out
    assert "nonexistent.invalid (DNS lookup failed)" in out and "using the embedded sample instead" in out, out
    assert not dest_dir(tmp_path).exists(), "setup_coco: created the real-data folder while offline"


@pytest.mark.parametrize("how", ["--url", "CS231N_COCO_URL"])
def test_setup_coco_unreachable_url_the_user_named_fails_without_the_sample(sample_calls, capsys, monkeypatch, how):
    if how == "--url":
        code = main(["--url", UNREACHABLE])
    else:
        monkeypatch.setenv("CS231N_COCO_URL", UNREACHABLE)
        code = main([])
    err = capsys.readouterr().err
    assert code == 1, f"setup_coco with {how}: an unreachable URL the user named should fail, got exit {code}"
    assert sample_calls == [], f"setup_coco with {how}: fell back to the sample instead of failing"
    assert err.count("\n") == 1 and "the URL you named" in err and UNREACHABLE in err and "--sample" in err, err


def test_setup_coco_stalled_server_is_named_as_stalled_not_unreachable(tmp_path, sample_calls, capsys, monkeypatch):
    monkeypatch.setattr(setup_coco, "TIMEOUT_S", 0.3)
    with StallingServer() as stalled:
        code = main(["--url", stalled.url("/coco_captioning.zip")])
        connections = stalled.connections
    err = capsys.readouterr().err
    assert connections >= 1, "setup_coco: never connected to the stalled server"
    assert code == 1 and sample_calls == [], f"setup_coco: a stalled server should fail (exit {code}, {sample_calls})"
    assert err.count("\n") == 1 and "accepted the connection but sent nothing within 0.3 s" in err, err
    assert "unreachable" not in err and "offline" not in err, err
    assert not dest_dir(tmp_path).exists()


def test_setup_coco_force_while_unreachable_keeps_real_data_and_says_so(tmp_path, good_zip, server, sample_calls,
                                                                        capsys, monkeypatch):
    assert main(["--url", server.add("/coco_captioning.zip", good_zip)]) == 0
    before = snapshot(dest_dir(tmp_path))
    capsys.readouterr()
    monkeypatch.setattr(setup_coco, "DEFAULT_URL", UNREACHABLE)
    assert main(["--force"]) == 1, "setup_coco --force: a fetch that could not start should fail"
    captured = capsys.readouterr()
    assert sample_calls == [] and "sample" not in captured.out + captured.err, \
        f"setup_coco --force offline with real data in place: no sample is built or mentioned:\n{captured}"
    assert "stays in use" in captured.err and str(dest_dir(tmp_path).name) in captured.err, captured.err
    assert snapshot(dest_dir(tmp_path)) == before
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    assert main(["--force"]) == 0 and sample_calls == []
    assert "offline (CS231N_OFFLINE=1): nothing fetched; the real data already in" in capsys.readouterr().out


def _nothing_to_do(datasets, *args):
    """Run setup_coco's main in a fresh interpreter; returns (exit status, stdout, whether torch was imported)."""
    code = (f"import sys; from cs231n.data import coco; rc = coco.main({list(args)!r}); "
            f"print('TORCH' if 'torch' in sys.modules else 'NO TORCH'); sys.exit(rc)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CS231N_")}
    env.update(PYTHONPATH=str(REPO), CS231N_DATASETS=str(datasets))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    return r.returncode, r.stdout, "NO TORCH" not in r.stdout


def test_setup_coco_with_nothing_to_do_does_not_import_torch(tmp_path, good_zip, server):
    datasets = tmp_path / "datasets"
    fake_current_sample(datasets)
    code, out, torch_loaded = _nothing_to_do(datasets, "--sample")
    assert code == 0 and "embedded sample already built" in out, out
    assert not torch_loaded, "setup_coco --sample imported torch although the sample was built"
    assert main(["--url", server.add("/coco_captioning.zip", good_zip)]) == 0
    code, out, torch_loaded = _nothing_to_do(datasets)
    assert code == 0 and "real data already in place" in out, out
    assert not torch_loaded, "setup_coco imported torch although the real data was in place"


def test_setup_coco_builds_the_sample_in_a_child_process(tmp_path, capfd):
    fake_current_sample(tmp_path / "datasets")
    assert setup_coco._build_sample(force=False) == 0
    out = capfd.readouterr().out
    assert "embedded sample already built" in out and str(tmp_path) in out, \
        f"python -m cs231n.data.coco_sample did not run in the child, or not on this datasets folder: {out!r}"


def test_setup_coco_cs231n_offline_uses_sample_without_request(server, good_zip, sample_calls, monkeypatch):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    url = server.add("/coco_captioning.zip", good_zip)
    assert main(["--url", url]) == 0
    assert server.requests == [] and len(sample_calls) == 1, "setup_coco: CS231N_OFFLINE=1 not respected"


def test_setup_coco_sample_flag_builds_sample_without_network(server, sample_calls):
    url = server.add("/coco_captioning.zip", b"unused")
    assert main(["--sample", "--force", "--url", url]) == 0
    assert server.requests == [] and sample_calls == [{"force": True}], \
        f"setup_coco --sample --force: requests {server.requests}, sample calls {sample_calls}"


def test_setup_coco_sample_build_failure_is_one_sentence(monkeypatch, capsys):
    def broken(force=False):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(coco_sample, "ensure_coco_sample", broken)
    assert coco_sample.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "--sample" in err, \
        f"python -m cs231n.data.coco_sample: {err!r}"
    monkeypatch.setattr(setup_coco, "_build_sample", lambda force: 1)  # the child failed and said why
    assert main(["--sample"]) == 1
    assert capsys.readouterr().err == "", "setup_coco --sample: the builder's sentence must not be repeated"


# --- failures: nothing is put in place ----------------------------------------------------------

def test_setup_coco_truncated_download_fails_and_puts_nothing_in_place(server, tmp_path, good_zip, capsys):
    url = server.add("/coco_captioning.zip", good_zip, missing_bytes=4096)
    assert main(["--url", url]) == 1
    err = capsys.readouterr().err
    assert "kept breaking off" in err and err.count("\n") == 1, f"setup_coco: unclear failure: {err!r}"
    assert not dest_dir(tmp_path).exists(), "setup_coco: a truncated download was put in place"
    part = dest_dir(tmp_path).with_name("coco_captioning.zip.part")
    assert part.is_file(), "setup_coco: the partial download was not kept for resuming"


def test_setup_coco_rejects_html_page_with_exit_code_1(server, tmp_path):
    url = server.add("/coco_captioning.zip", b"<!DOCTYPE html><html><body>Moved</body></html>",
                     content_type="text/html")
    result = run_module("--url", url)
    assert_one_sentence_failure(result, "HTML page")
    assert "--sample" in result.stderr, "setup_coco: the HTML failure does not suggest --sample"
    assert not (tmp_path / "datasets" / "coco_captioning").exists()


def test_setup_coco_refuses_zip_with_path_traversal(server, tmp_path):
    evil = (zipfile.ZipInfo("coco_captioning/../../evil.txt"), b"gotcha")
    zip_bytes = zip_folder(write_coco_folder(tmp_path / "files"), tmp_path / "evil.zip", extra=[evil])
    url = server.add("/coco_captioning.zip", zip_bytes)
    result = run_module("--url", url)
    assert_one_sentence_failure(result, "../../evil.txt")
    written = [p for p in tmp_path.rglob("evil.txt")]
    assert written == [], f"setup_coco: extracted a path-traversal member to {written}"
    assert not dest_dir(tmp_path).exists(), "setup_coco: put a refused zip's data in place"


def _symlink_member():
    info = zipfile.ZipInfo("coco_captioning/link")
    info.external_attr = (0o120777 << 16)
    return info, b"/etc/passwd"


@pytest.mark.parametrize("member", [
    (zipfile.ZipInfo("/abs/evil.txt"), b"x"),
    (zipfile.ZipInfo("..\\evil.txt"), b"x"),
    _symlink_member(),
], ids=["absolute", "backslash-dotdot", "symlink"])
def test_extract_zip_safely_refuses_member_leaving_target(tmp_path, member):
    (tmp_path / "out").mkdir()
    zip_path = tmp_path / "bad.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("coco_captioning/ok.txt", b"fine")
        zf.writestr(*member)
    with pytest.raises(setup_coco.UnsafeZipError, match="zip member"):
        extract_zip_safely(zip_path, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == [], "extract_zip_safely: wrote files before refusing"


def _drop_key(folder):
    with h5py.File(folder / "coco2014_captions.h5", "a") as f:
        del f["val_image_idxs"]


def _float64_features(folder):
    with h5py.File(folder / "train2014_vgg16_fc7_pca.h5", "a") as f:
        data = f["features"][()].astype(np.float64)
        del f["features"]
        f.create_dataset("features", data=data)


@pytest.mark.parametrize("damage,named", [
    (_drop_key, "coco2014_captions.h5 has no dataset 'val_image_idxs'"),
    (_float64_features, "train2014_vgg16_fc7_pca.h5:features has dtype float64, expected float32"),
], ids=["missing-key", "wrong-dtype"])
def test_setup_coco_refuses_zip_with_wrong_content_naming_it(server, tmp_path, capsys, damage, named):
    files = write_coco_folder(tmp_path / "files")
    damage(files)
    url = server.add("/coco_captioning.zip", zip_folder(files, tmp_path / "bad.zip"))
    assert main(["--url", url]) == 1
    err = capsys.readouterr().err
    assert named in err, f"setup_coco: the failure does not name the problem ({named!r}): {err!r}"
    assert not dest_dir(tmp_path).exists(), "setup_coco: put wrong data in place"
    assert sorted(p.name for p in dest_dir(tmp_path).parent.iterdir() if not p.name.endswith(".lock")) == [], \
        "setup_coco: left the bad zip or a temporary folder behind"


@pytest.mark.parametrize("bad", ["html", "truncated", "wrong-content"])
def test_setup_coco_force_failure_leaves_existing_data_byte_identical(server, tmp_path, good_zip, bad):
    url = server.add("/good.zip", good_zip)
    assert main(["--url", url]) == 0
    before = snapshot(dest_dir(tmp_path))
    if bad == "html":
        bad_url = server.add("/bad.zip", b"<html>login</html>", content_type="text/html")
    elif bad == "truncated":
        bad_url = server.add("/bad.zip", good_zip, missing_bytes=10)
    else:
        files = write_coco_folder(tmp_path / "files", seed=1)
        _float64_features(files)
        bad_url = server.add("/bad.zip", zip_folder(files, tmp_path / "bad.zip"))
    assert main(["--force", "--url", bad_url]) == 1
    assert snapshot(dest_dir(tmp_path)) == before, f"setup_coco --force: a failed {bad} attempt changed the data"


# --- verify_coco_dir ----------------------------------------------------------------------------

def test_verify_coco_dir_rejects_caption_without_start(tmp_path):
    folder = write_coco_folder(tmp_path / "c")
    with h5py.File(folder / "coco2014_captions.h5", "a") as f:
        f["train_captions"][0, 0] = 4
    with pytest.raises(ValueError, match="train_captions has 1 captions that do not start with <START>"):
        verify_coco_dir(folder)


def test_verify_coco_dir_rejects_image_index_past_features(tmp_path):
    folder = write_coco_folder(tmp_path / "c")
    with h5py.File(folder / "coco2014_captions.h5", "a") as f:
        f["val_image_idxs"][0] = IMAGES["val"]
    with pytest.raises(ValueError, match="val_image_idxs points outside"):
        verify_coco_dir(folder)


def test_verify_coco_dir_rejects_url_count_mismatch(tmp_path):
    folder = write_coco_folder(tmp_path / "c")
    with open(folder / "train2014_urls.txt", "a") as f:
        f.write("http://images.example/extra.jpg\n")
    with pytest.raises(ValueError, match="train2014_urls.txt has 21 URLs"):
        verify_coco_dir(folder)


def test_verify_coco_dir_rejects_wrong_trailing_dimension(tmp_path):
    folder = write_coco_folder(tmp_path / "c")
    with h5py.File(folder / "val2014_vgg16_fc7.h5", "w") as f:
        f.create_dataset("features", data=np.zeros((IMAGES["val"], 512), np.float32))
    with pytest.raises(ValueError, match=r"val2014_vgg16_fc7.h5:features has shape \(10, 512\), expected \(N, 4096\)"):
        verify_coco_dir(folder)


# --- the shell wrapper --------------------------------------------------------------------------

def test_setup_coco_sh_help_explains_options():
    result = run_module("--help", script=True)
    assert result.returncode == 0, f"setup_coco.sh --help: exit code {result.returncode}: {result.stderr}"
    for option in ("--sample", "--force", "--url"):
        assert option in result.stdout, f"setup_coco.sh --help does not mention {option}"


def test_setup_coco_sh_http_error_exits_nonzero_with_one_sentence(server, tmp_path):
    result = run_module("--url", server.url("/moved.zip"), script=True)
    assert_one_sentence_failure(result, "HTTP 404")
    assert not dest_dir(tmp_path).exists()


# --- data where users already have it -----------------------------------------------------------

@pytest.fixture
def classic_dir(tmp_path, monkeypatch):
    """The classic location (cs231n/datasets/coco_captioning) moved under tmp_path."""
    folder = tmp_path / "cs231n" / "datasets" / "coco_captioning"
    monkeypatch.setattr(coco_files, "CLASSIC_DIR", folder)
    monkeypatch.delenv("CS231N_COCO", raising=False)
    return folder


def drop_full_features(folder):
    for name in FULL_FEATURE_FILES:
        (folder / name).unlink()
    return folder


def test_load_coco_data_uses_the_classic_location_verified_in_place(classic_dir, capsys):
    from cs231n import coco_utils

    write_coco_folder(classic_dir)
    data = coco_utils.load_coco_data()
    out = capsys.readouterr().out
    assert data["source"] == "coco", f"load_coco_data: used {data['source']} although {classic_dir} holds the data"
    assert data["train_features"].shape == (IMAGES["train"], 512), "load_coco_data: wrong features from the classic folder"
    assert "verified the existing files" in out and str(classic_dir) in out, \
        f"load_coco_data: should say it verified the classic folder in place; printed {out!r}"
    assert (classic_dir / REAL_STAMP).is_file(), "load_coco_data: did not stamp the verified folder"
    capsys.readouterr()
    coco_utils.load_coco_data(base_dir=coco_utils.BASE_DIR)  # the classic call: same data, no second check
    out = capsys.readouterr().out
    assert "verified" not in out and "real COCO 2014 data" in out, f"second load printed {out!r}"


def test_load_coco_data_uses_an_unstamped_copy_in_datasets(tmp_path, classic_dir):
    from cs231n import coco_utils

    write_coco_folder(dest_dir(tmp_path))
    data = coco_utils.load_coco_data()
    assert data["source"] == "coco", "load_coco_data: ignored real data copied into datasets/coco_captioning"
    assert (dest_dir(tmp_path) / REAL_STAMP).is_file(), "load_coco_data: did not stamp the copy"


def test_real_data_without_full_features_serves_pca_and_names_the_command_otherwise(tmp_path, classic_dir):
    from cs231n import coco_utils

    drop_full_features(write_coco_folder(classic_dir))
    data = coco_utils.load_coco_data(pca_features=True)
    assert data["source"] == "coco" and data["val_features"].shape == (IMAGES["val"], 512), \
        "load_coco_data: the PCA features should not need the 4096-d files"
    with pytest.raises(FileNotFoundError) as err:
        coco_utils.load_coco_data(pca_features=False)
    msg = str(err.value)
    assert "train2014_vgg16_fc7.h5" in msg and "setup_coco.sh --force" in msg and "\n" not in msg, \
        f"load_coco_data(pca_features=False): the error should name the missing file and the command: {msg}"


def test_load_coco_data_refuses_a_broken_copy_in_one_sentence(classic_dir):
    from cs231n import coco_utils

    write_coco_folder(classic_dir)
    (classic_dir / "val2014_urls.txt").write_text("http://x/1.jpg\n")
    before = snapshot(classic_dir)
    with pytest.raises(ValueError) as err:
        coco_utils.load_coco_data()
    msg = str(err.value)
    assert "val2014_urls.txt" in msg and "setup_coco.sh --force" in msg and "\n" not in msg, msg
    assert snapshot(classic_dir) == before, "load_coco_data: changed the user's files while refusing them"


def test_setup_coco_finds_the_classic_location_without_download(server, tmp_path, classic_dir, capsys):
    drop_full_features(write_coco_folder(classic_dir))
    url = server.add("/coco_captioning.zip", b"unused")
    assert main(["--url", url]) == 0
    assert server.requests == [], "setup_coco: downloaded although the classic folder holds the data"
    assert not dest_dir(tmp_path).exists(), "setup_coco: copied the data instead of using it in place"
    assert "classic location" in capsys.readouterr().out


def test_setup_coco_adopts_unstamped_data_without_full_features(server, tmp_path):
    drop_full_features(write_coco_folder(dest_dir(tmp_path)))
    url = server.add("/coco_captioning.zip", b"unused")
    assert main(["--url", url]) == 0
    assert server.requests == [], "setup_coco: downloaded 1 GB again because the 4096-d files were deleted"
