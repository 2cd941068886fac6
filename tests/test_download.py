"""The checksummed download, against a local HTTP server: the network is never reached."""

import hashlib
import http.server
import threading
import zipfile
from functools import partial

import pytest

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
