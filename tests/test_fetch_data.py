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
from scripts.fetch_data import (
    DOODLE_SOURCES,
    DOODLES_FILE,
    REMOTES,
    UJIPEN_FILE,
    UJIPEN_URL,
    FetchError,
)
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


def ujipen_samples() -> dict[tuple[str, str], list[str]]:
    """The shared digits file's digits by (session, digit), as WORD, NUMSTROKES and POINTS lines."""
    samples = {}
    for line in (DATA / "ujipen" / UJIPEN_FILE).read_text().splitlines():
        if line.startswith("WORD"):
            _, digit, session = line.split()
            samples[session, digit] = lines = []
        if not line.startswith("//"):
            lines.append(line)
    return samples


def ujipen_original() -> bytes:
    """A ujipenchars2.txt as UCI serves it, built from the shared digits: what extraction must undo.

    Sessions named trn_/tst_ (the UJI writers of the first phase, W01-W11, are 'trn'; the UPV split
    is a stand-in), each session's characters in turn (so the two samples of a digit lie far apart),
    letters and signs around the digits, and UTF-8 text beyond ASCII.
    """
    samples = ujipen_samples()
    lines = ["//", "// UJIpenchars2 (stand-in for the test): 11640 characters, 60 writers, café, ñ, €", "//"]
    for session in dict.fromkeys(session for session, _ in samples):
        writer = int(session.split("_W")[1][:2])
        split = "tst" if 12 <= writer <= 16 or writer % 3 == 0 and writer > 16 else "trn"
        lines.append(f"// session {split}_{session}")
        zero = samples[session, "0"][1:]  # another character's strokes: only the label tells them apart
        for char in ("a", "ñ", *"0123456789", "?", "€"):
            lines.append(f"// {'ASCII' if char.isascii() else 'non-ASCII'} char: {char}")
            strokes = samples[session, char][1:] if char.isdigit() else zero
            lines += [f"WORD {char} {split}_{session}", *strokes]
    return "".join(f"{line}\n" for line in lines).encode()


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
    put(mirror, UJIPEN_URL, ujipen_original())


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
    for file in ("MD5SUMS", UJIPEN_FILE):  # the digits extracted from the whole collection, byte for byte
        assert (fetched / "ujipen" / file).read_bytes() == (DATA / "ujipen" / file).read_bytes(), file
    assert sorted(p.name for p in (fetched / "ujipen").iterdir()) == ["MD5SUMS", UJIPEN_FILE]


def test_a_second_run_downloads_nothing(fetched, server, capsys):
    before = len(server.requests)
    assert fetch_data.main([str(fetched), "--mirror", server.url]) == 0
    assert len(server.requests) == before
    out = capsys.readouterr().out
    assert out.count("md5 ok") == 8 and "arrays ok" in out and "downloaded" not in out and "extracted" not in out


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


def test_a_corrupt_ujipen_download_is_refused_and_nothing_kept(tmp_path, capsys):
    mirror, root = tmp_path / "mirror", tmp_path / "data"
    head, zero = ujipen_original().split(b"WORD 0 trn_UJI_W01-01\n", 1)  # W01's "a" holds the same strokes
    put(mirror, UJIPEN_URL, head + b"WORD 0 trn_UJI_W01-01\n" + zero.replace(b" 527 688 ", b" 527 689 ", 1))
    (root / "ujipen").mkdir(parents=True)
    (root / "ujipen" / UJIPEN_FILE).write_text("a stale partial copy")
    assert fetch_data.main([str(root), "--only", "ujipen", "--mirror", mirror.as_uri()]) == 1
    err = capsys.readouterr().err
    assert f"error: {UJIPEN_FILE}: md5" in err and "1200 digits extracted from" in err and "nothing kept" in err
    assert list((root / "ujipen").iterdir()) == []


def test_a_malformed_ujipen_file_names_the_url_and_line():
    text = ("//\nWORD 3 trn_UJI_W01-01\n  NUMSTROKES 2\n  POINTS 1 # 5 5\n"
            "WORD a trn_UJI_W01-01\n  NUMSTROKES 1\n  POINTS 1 # 6 6\n")
    with pytest.raises(FetchError, match=r"^u:2: 3 of UJI_W01-01 lacks some of its 2 POINTS lines"):
        fetch_data.ujipen_digits(text, "u")
    with pytest.raises(FetchError, match=r"^u:1: not a `WORD .* 'WORD 7 UJI_W01-01'"):
        fetch_data.ujipen_digits("WORD 7 UJI_W01-01\n  NUMSTROKES 1\n", "u")
    extracted = fetch_data.ujipen_digits(text.replace("NUMSTROKES 2", "NUMSTROKES 1"), "u").decode()
    assert extracted.endswith("//\nWORD 3 UJI_W01-01\n  NUMSTROKES 1\n  POINTS 1 # 5 5\n")  # the letter skipped


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
    assert "choose from mnist,pendigits,omniglot,quickdraw,ujipen" in capsys.readouterr().err
    assert fetch_data.mirrored("https://host.org/a/b.gz", "file:///m/") == "file:///m/host.org/a/b.gz"
