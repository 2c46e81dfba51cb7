"""scripts/fetch_data.py, offline: every source served from a local mirror built from ../shared/data."""

import hashlib
import http.server
import io
import threading
import urllib.parse
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from scripts import fetch_data
from scripts.fetch_data import DOODLE_SOURCES, DOODLES_FILE, REMOTES, FetchError
from tests.conftest import MNIST_DIR

DATA = MNIST_DIR.parent


def mirror_path(mirror: Path, url: str) -> Path:
    """Where a mirror laid out as <host>/<path> keeps url."""
    parts = urllib.parse.urlsplit(url)
    return mirror / parts.netloc / parts.path.lstrip("/")


def put(mirror: Path, url: str, data: bytes) -> None:
    """Serve data at url from the mirror."""
    path = mirror_path(mirror, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def doodle_blocks() -> list[np.ndarray]:
    """Each source's images as the shared file holds them."""
    with np.load(DATA / "quickdraw" / DOODLES_FILE) as archive:
        images, source = archive["X"], archive["source"]
    return [images[source == i] for i in range(len(DOODLE_SOURCES))]


def source_file(source, images: np.ndarray) -> bytes:
    """A source file as its repository serves it: .npy saved by NumPy, .bin raw bitmaps."""
    if source.path.endswith(".npy"):
        buffer = io.BytesIO()
        np.save(buffer, images)
        return buffer.getvalue()
    return images.tobytes()


def build_mirror(mirror: Path) -> None:
    """The files at their URLs' paths; doodle sources longer than their blocks, one with repeats to skip."""
    for name, remotes in REMOTES.items():
        for remote in remotes:
            put(mirror, remote.url, (DATA / name / remote.name).read_bytes())
    blocks = doodle_blocks()
    clocks = blocks[[s.category for s in DOODLE_SOURCES].index("clock")]
    for source, block in zip(DOODLE_SOURCES, blocks):
        if source.path.endswith("/bee.bin"):
            # A repeat inside the file: only the shared file's dropping of repeats explains the block.
            block = np.concatenate([block[:10], block[5:6], block[10:]])
        elif source.path.endswith("/clock.bin"):
            block = np.concatenate([clocks[:1], block])  # an image an earlier source already gave
        extra = 255 - block[:2]  # files hold more images than the shared file takes
        put(mirror, source.url, source_file(source, np.concatenate([block, extra])))


class Server:
    """A static file server on 127.0.0.1 that records the paths asked for."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                server.requests.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    mirror = tmp_path_factory.mktemp("mirror")
    build_mirror(mirror)
    server = Server(mirror)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fetched(server, tmp_path_factory):
    root = tmp_path_factory.mktemp("fetched") / "data"
    assert fetch_data.main([str(root), "--mirror", server.url]) == 0
    return root


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_rebuilds_every_set_as_the_shared_data_holds_it(fetched):
    from train.pen_data import md5_matches

    for name in REMOTES:
        shared = sorted(p.name for p in (DATA / name).iterdir())
        assert sorted(p.name for p in (fetched / name).iterdir()) == shared, name
        for file in shared:  # the files and their MD5SUMS, byte for byte
            assert (fetched / name / file).read_bytes() == (DATA / name / file).read_bytes(), file
    assert sorted(p.name for p in (fetched / "quickdraw").iterdir()) == ["MD5SUMS", DOODLES_FILE]
    rebuilt = fetched / "quickdraw" / DOODLES_FILE
    with np.load(rebuilt) as new, np.load(DATA / "quickdraw" / DOODLES_FILE) as old:
        assert new.files == old.files
        for key in old.files:
            assert new[key].dtype == old[key].dtype and new[key].tobytes() == old[key].tobytes(), key
    assert (fetched / "quickdraw" / "MD5SUMS").read_text() == f"{md5(rebuilt)}  {DOODLES_FILE}\n"
    assert md5_matches(rebuilt)  # what training checks


def test_a_second_run_downloads_nothing(fetched, server, capsys):
    before = len(server.requests)
    assert fetch_data.main([str(fetched), "--mirror", server.url]) == 0
    assert len(server.requests) == before
    out = capsys.readouterr().out
    assert out.count("md5 ok") == 7 and "arrays ok" in out and "downloaded" not in out


def test_a_corrupt_download_is_refused_and_nothing_kept(tmp_path, capsys):
    mirror, root = tmp_path / "mirror", tmp_path / "data"
    remote = REMOTES["pendigits"][0]
    data = bytearray((DATA / "pendigits" / remote.name).read_bytes())
    data[1000] ^= 1
    put(mirror, remote.url, bytes(data))
    (root / "pendigits").mkdir(parents=True)
    (root / "pendigits" / remote.name).write_text("a stale partial copy")
    assert fetch_data.main([str(root), "--only", "pendigits", "--mirror", mirror.as_uri()]) == 1
    err = capsys.readouterr().err
    assert f"error: {remote.name}: md5" in err and "corrupt or changed download" in err
    assert list((root / "pendigits").iterdir()) == []  # no file, no .part, no MD5SUMS


def test_a_changed_doodle_source_is_refused(tmp_path):
    mirror, root = tmp_path / "mirror", tmp_path / "data"
    first = DOODLE_SOURCES[0]
    images = doodle_blocks()[0].copy()
    images[3, 400] ^= 0xFF
    put(mirror, first.url, source_file(first, images))
    (root / "quickdraw").mkdir(parents=True)
    (root / "quickdraw" / DOODLES_FILE).write_text("a stale partial copy")
    expected = f"{first.path}: neither its first {first.count} images .* are the {first.category} doodles"
    with pytest.raises(FetchError, match=expected):
        fetch_data.fetch(root, ["quickdraw"], mirror.as_uri())
    assert list((root / "quickdraw").iterdir()) == []


def test_bin_files_must_be_whole_bitmaps():
    source = DOODLE_SOURCES[-1]
    with pytest.raises(FetchError, match="not a whole number of 28x28 bitmaps"):
        fetch_data.source_images(bytes(784 * 3 + 80), source, source.url)


def test_missing_files_and_dead_hosts_name_the_url(server):
    with pytest.raises(FetchError, match=r"/nowhere/x\.gz: HTTP 404"):
        fetch_data.download(f"{server.url}/nowhere/x.gz")  # a 404 is not retried
    with pytest.raises(FetchError, match=r"http://127\.0\.0\.1:9/x\.gz: download failed after 2 tries"):
        fetch_data.download("http://127.0.0.1:9/x.gz", tries=2, timeout=2, wait=0)


def test_command_line(capsys):
    with pytest.raises(SystemExit):
        fetch_data.main(["data", "--only", "mnist,cats"])
    assert "choose from mnist,pendigits,omniglot,quickdraw" in capsys.readouterr().err
    assert fetch_data.mirrored("https://host.org/a/b.gz", "file:///m/") == "file:///m/host.org/a/b.gz"
