"""The checksummed download, against a local HTTP server: the network is never reached."""

import hashlib
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from functools import partial

import pytest
from signals import as_from_a_terminal

from bcser_utils.audio import ravdess, synthetic


@pytest.fixture(scope="module")
def archive(tmp_path_factory, synthetic_dir):
    """A small zip laid out like the Zenodo archive (Actor_NN/ at the top), and its MD5."""
    path = tmp_path_factory.mktemp("served") / "Audio_Speech_Actors_01-24.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for wav in sorted((synthetic_dir / "Actor_02").glob("*.wav"))[:6]:
            zf.write(wav, f"Actor_02/{wav.name}")
    return path, hashlib.md5(path.read_bytes()).hexdigest()


class Server:
    """Serves one folder on 127.0.0.1 and counts the requests; ``mode`` breaks it on purpose."""

    def __init__(self, folder):
        self.requests, self.mode = 0, "ok"
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                if server.mode == "ok":
                    return super().do_GET()
                body = (folder / self.path.strip("/")).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode == "trickle":  # a byte now and then: each read succeeds
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                if server.mode == "corrupt":  # every byte arrives, but some are wrong
                    self.wfile.write(body[:100] + bytes(b ^ 0xFF for b in body[100:200])
                                     + body[200:])
                else:  # "interrupt": the connection drops half-way
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.close()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     partial(Handler, directory=str(folder)))
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, name):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"


@pytest.fixture
def server(archive):
    serving = Server(archive[0].parent)
    yield serving
    serving.httpd.shutdown()


def fetch(server, archive, dest):
    path, md5 = archive
    return ravdess.download(dest=dest, url=server.url(path.name), md5=md5, progress=False)


def test_download_verifies_extracts_and_validates(server, archive, tmp_path):
    with pytest.warns(UserWarning, match="1434 expected files missing"):
        folder = fetch(server, archive, tmp_path)
    assert folder == tmp_path / "ravdess"
    report = ravdess.validate(folder)
    assert report.n_files == 6 and report.actors == [2]
    assert (tmp_path / archive[0].name).read_bytes() == archive[0].read_bytes()
    with pytest.warns(UserWarning):
        fetch(server, archive, tmp_path)  # cached and verified: no second request
    assert server.requests == 1


def test_corrupted_cached_archive_is_fetched_again(server, archive, tmp_path):
    cached = tmp_path / archive[0].name
    cached.write_bytes(archive[0].read_bytes()[:-1000])  # an interrupted earlier download
    with pytest.warns(UserWarning):
        fetch(server, archive, tmp_path)
    assert server.requests == 1 and cached.read_bytes() == archive[0].read_bytes()


def test_corrupted_download_is_refused_and_not_kept(server, archive, tmp_path):
    server.mode = "corrupt"
    with pytest.raises(ValueError, match="(?i)md5|hash"):
        fetch(server, archive, tmp_path)
    assert not (tmp_path / archive[0].name).exists() and not (tmp_path / "ravdess").exists()
    server.mode = "ok"  # the next try succeeds
    with pytest.warns(UserWarning):
        assert ravdess.validate(fetch(server, archive, tmp_path)).n_files == 6


def test_interrupted_download_leaves_nothing_behind(server, archive, tmp_path):
    server.mode = "interrupt"
    with pytest.raises(Exception):  # noqa: B017 - requests' or pooch's error, either will do
        fetch(server, archive, tmp_path)
    assert not (tmp_path / archive[0].name).exists() and not (tmp_path / "ravdess").exists()


def test_extraction_never_writes_outside_its_folder(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("Actor_01/03-01-01-01-01-01-01.wav", b"fine")
        zf.writestr("../../escaped.txt", b"gotcha")
    target = tmp_path / "deep" / "ravdess"
    with pytest.raises(ValueError, match=r"escaped\.txt.*outside"):
        ravdess.safe_extract(evil, target)
    assert not any((folder / "escaped.txt").exists() for folder in (tmp_path, tmp_path.parent))
    assert not target.exists()


def test_extraction_replaces_an_earlier_folder_whole(archive, tmp_path):
    target = tmp_path / "ravdess"
    (target / "Actor_99").mkdir(parents=True)
    ravdess.safe_extract(archive[0], target)
    assert sorted(p.name for p in target.iterdir()) == ["Actor_02"]
    assert not synthetic.is_synthetic(target)


def test_a_download_never_replaces_a_folder_of_the_users_own_files(server, archive, tmp_path):
    mine = tmp_path / "ravdess" / "Actor_01" / "my_recording.wav"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"the user's own")
    with pytest.raises(ravdess.CorpusError, match=r"ravdess: already holds files .* refusing"):
        fetch(server, archive, tmp_path)
    assert mine.read_bytes() == b"the user's own"
    assert server.requests == 0  # said before the 200 MB, not after them


def test_data_download_refuses_to_run_offline(server, archive, tmp_path, monkeypatch, capsys):
    from bcser_utils.app.cli import main

    monkeypatch.setenv("BCSER_OFFLINE", "1")
    assert main(["data", "download", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == ("error: data download: BCSER_OFFLINE=1 says this machine is offline; "
                   "unset it to download\n")
    assert server.requests == 0 and list(tmp_path.iterdir()) == []


# --- [guarded-io] 3, 18, 31, 34: a lock, a verified stamp, a deadline, permissions, bounds ------

_DOWNLOAD = ("import sys, warnings; warnings.simplefilter('ignore'); "
             "from bcser_utils.audio import ravdess; "
             "print(ravdess.download(dest=sys.argv[1], url=sys.argv[2], md5=sys.argv[3], "
             "progress=False))")


def _downloading(server, archive, dest) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _DOWNLOAD, str(dest),
                             server.url(archive[0].name), archive[1]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=as_from_a_terminal)


def test_concurrent_downloads_wait_for_one_and_all_get_the_whole_corpus(server, archive,
                                                                        tmp_path):
    """Case 3: four download(dest=…) at once raised, or returned a ravdess/ of only a stamp."""
    started = [_downloading(server, archive, tmp_path) for _ in range(4)]
    ended = [(p.communicate(timeout=120), p.returncode) for p in started]
    assert [code for _, code in ended] == [0] * 4, ended
    assert server.requests == 1  # one download; the others waited and found it
    assert ravdess.validate(tmp_path / "ravdess").n_files == 6
    assert (tmp_path / "ravdess" / ".extracted-from").read_text().split() == [archive[1], "6"]


def test_a_stamp_over_an_empty_or_partial_tree_is_not_trusted(server, archive, tmp_path):
    with pytest.warns(UserWarning):
        folder = fetch(server, archive, tmp_path)
    for wav in sorted(folder.rglob("*.wav"))[:3]:  # a partial tree under a good stamp
        wav.unlink()
    with pytest.warns(UserWarning):
        fetch(server, archive, tmp_path)
    assert ravdess.validate(folder).n_files == 6
    shutil.rmtree(folder / "Actor_02")  # the stamp alone: an older version's (md5 only) too
    (folder / ".extracted-from").write_text(archive[1])
    with pytest.warns(UserWarning):
        fetch(server, archive, tmp_path)
    assert ravdess.validate(folder).n_files == 6 and server.requests == 1  # archive cached


def test_a_trickling_download_ends_at_its_deadline_and_leaves_nothing(server, archive,
                                                                      tmp_path):
    """Case 18: a byte every 5 s never ended (pooch's timeout is per read)."""
    server.mode = "trickle"
    began = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish within 1 s"):
        ravdess.download(dest=tmp_path, url=server.url(archive[0].name), md5=archive[1],
                         progress=False, deadline_s=1.0)
    assert time.monotonic() - began < 10
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_killed_download_leaves_no_temporary(server, archive, tmp_path, signum):
    """Case 18: killing the download left a 0-byte tmpXXXX."""
    server.mode = "trickle"
    child = _downloading(server, archive, tmp_path)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("tmp*")):
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.05)
    child.send_signal(signum)
    child.wait(timeout=30)
    assert child.returncode == -signum
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_the_extracted_corpus_gets_the_usual_permissions(server, archive, tmp_path):
    """Case 34: ravdess/ was 0700 (mkdtemp), unreadable to others on a shared machine."""
    old = os.umask(0o022)
    try:
        with pytest.warns(UserWarning):
            folder = fetch(server, archive, tmp_path)
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755
    assert {p.stat().st_mode & 0o777 for p in folder.rglob("*") if p.is_dir()} == {0o755}
    assert {p.stat().st_mode & 0o777 for p in folder.rglob("*.wav")} == {0o644}


def test_a_file_or_a_huge_tree_is_not_a_corpus_folder(tmp_path, monkeypatch):
    """Case 31: data check / scanned the whole file system; data check file.wav said
    "no such corpus folder"."""
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF")
    with pytest.raises(ravdess.CorpusError, match=r"clip\.wav: a file, not a corpus folder"):
        ravdess.catalog(clip)
    with pytest.raises(FileNotFoundError, match="no such corpus folder"):
        ravdess.catalog(tmp_path / "missing")
    for i in range(30):
        (tmp_path / "big" / f"d{i}").mkdir(parents=True)
    monkeypatch.setattr(ravdess, "MAX_ENTRIES", 20)
    with pytest.raises(ravdess.CorpusError, match=r"big: more than 20 files and folders"):
        ravdess.validate(tmp_path / "big")


def test_data_check_of_the_root_is_refused_quickly(capsys):
    from bcser_utils.app.cli import main

    began = time.monotonic()
    assert main(["data", "check", "/"]) in (1, 2)
    assert time.monotonic() - began < 15
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
