"""Fetch the data sets into DIR, laid out and md5-checked as ../shared/data holds it.

    python -m scripts.fetch_data DIR [--only mnist,pendigits,omniglot,quickdraw,ujipen] [--mirror URL]

Fills DIR/mnist (MNIST IDX), DIR/pendigits (UCI pen digits), DIR/omniglot (sketch-rnn's
omniglot.npz), DIR/quickdraw (doodles_28x28.npz, rebuilt from its 24 public sources) and
DIR/ujipen (the digits of UCI's UJIpenchars2, a test set), each with an MD5SUMS. Files already
there and intact are kept; nothing unverified is left behind.

doodles_28x28.npz is verified by its arrays (md5 of each, and of each source's block), not by
its own bytes: those depend on the zlib that compresses them. Its MD5SUMS lists the file as
written, which is the shared copy's md5 wherever zlib compresses alike.
"""

import argparse
import hashlib
import http.client
import io
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist"
PENDIGITS_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/pendigits"
OMNIGLOT_URL = "https://github.com/hardmaru/sketch-rnn-datasets/raw/master/omniglot/omniglot.npz"
DOODLES_FILE = "doodles_28x28.npz"
# UCI's "UJI Pen Characters (Version 2)": the whole collection (11,640 characters) as one text file.
UJIPEN_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/uji-penchars/version2/ujipenchars2.txt"
UJIPEN_FILE = "ujipenchars2-digits.txt"
UJIPEN_MD5 = "9c93c44be56734715df0066a7a519c32"  # the shared file's
UJIPEN_HEADER = (
    "//\n"
    "// UJIpenchars2, digits only: 60 writers (W01-W16 at UJI, 100 units per mm; W17-W60 at UPV, 152 units per mm)\n"
    "// two samples of each digit per writer; y grows downwards\n"
    "//\n"
)
DIGITS = tuple("0123456789")
UJIPEN_SESSION = re.compile(r"(?:trn|tst)_((?:UJI|UPV)_W(\d+)-(\d+))")  # e.g. trn_UJI_W01-01
TIMEOUT = 60  # seconds without a byte before a try is given up
TRIES = 3
IMAGE_BYTES = 28 * 28


class FetchError(Exception):
    """A file that could not be fetched or did not verify; the message names it."""


class Remote(NamedTuple):
    name: str  # file name in the data set's folder
    url: str
    md5: str


# The md5 of each file as ../shared/data holds it (MNIST's are the official ones), in its MD5SUMS's order.
REMOTES = {
    "mnist": [Remote(f"{stem}.gz", f"{MNIST_URL}/{stem}.gz", md5) for stem, md5 in (
        ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
        ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
    )],
    "pendigits": [Remote(name, f"{PENDIGITS_URL}/{name}", md5) for name, md5 in (
        ("pendigits-orig.tra", "28e269fb7eaf8cb51af3f561743a0de5"),
        ("pendigits-orig.tes", "af059c4c2017f25d371999f05757d1dc"),
    )],
    "omniglot": [Remote("omniglot.npz", OMNIGLOT_URL, "7f0ab4cb4bbc0022fce4c3f3bf2b51a7")],
}
DATASETS = (*REMOTES, "quickdraw", "ujipen")


class Doodles(NamedTuple):
    repo: str
    commit: str
    path: str
    category: str
    count: int  # images the shared file takes from this source
    md5: str  # of those images' bytes (uint8, 784 per image, in the source's order)

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.path}"


# doodles_28x28.npz's sources in its order; .npy files are NumPy arrays, .bin files raw bitmaps.
DOODLE_REPOS = (
    ("yining1023/machine-learning-for-the-web", "cfdf08e0fc38003d9c7a7c9682f68e83ccc93a70", (
        ("cnn/TrainDoodleClassifier/data/bowtie5000.npy", "bowtie", 5000, "c7ebbf4e8c3b395b53f3ddb0dd62b242"),
        ("cnn/TrainDoodleClassifier/data/lollipop5000.npy", "lollipop", 5000, "4236a298d8298f78a140e6f21f807927"),
        ("cnn/TrainDoodleClassifier/data/rainbow5000.npy", "rainbow", 5000, "83a87ab8ca1e06561daa5ed297797d99"),
    )),
    ("elicorrales/doodle-classifier-neural-network-demo", "1e3f0e4c42d139e4d404fad1ca604ba5570c677b", (
        ("data/my.airplane.test.data.4000.images.starting.at.0.bin", "airplane", 4000, "f3c3697ca9be45f8d430b0cad9c4d54d"),
        ("data/my.banana.test.data.4000.images.starting.at.0.bin", "banana", 4000, "273602a258518702dae1ee49839c078b"),
        ("data/my.bird.test.data.4000.images.starting.at.0.bin", "bird", 4000, "f853540c7c8b2a2c260a733b090de4b4"),
        ("data/my.book.test.data.4000.images.starting.at.0.bin", "book", 4000, "bb26d1ea85937ee1fc90bfdc351bad29"),
        ("data/my.clock.test.data.4000.images.starting.at.0.bin", "clock", 4000, "8bc89780b7880e9599f67ba601e57083"),
        ("data/my.dog.test.data.4000.images.starting.at.0.bin", "dog", 4000, "d9ae5538c83743d98a2063cefa7e4913"),
        ("data/my.flower.test.data.4000.images.starting.at.0.bin", "flower", 4000, "0db676453687a5d605288ed50e36878c"),
        ("data/my.house.test.data.4000.images.starting.at.0.bin", "house", 4000, "f9c3c47ced992af67e516eb0610da000"),
    )),
    ("kim-marcel/doodle_classifier", "2ed8650993e1465098031c8c208e8569488938d6", (
        ("data/cloud1000.bin", "cloud", 1000, "ad9527cc7268919b510150177a904156"),
        ("data/smiley1000.bin", "smiley face", 1000, "40455b2f775528ac8c3e3ae6d4bc08a3"),
    )),
    ("CodingTrain/Toy-Neural-Network-JS", "8c48c834b025f5943dce343376fa9490329e1e3e", (
        ("examples/doodle_classification/data/trains1000.bin", "train", 1000, "d1f0e5e5b4d97ad97ec14991521ac91b"),
    )),
    ("juliamariee/Doodle-Classifier", "5a05a55c6c0d1fb110c6dedff9976feeebf6e8d2", (
        ("Doodle_Classifier_v2/Data/cookies1000.bin", "cookie", 1000, "e61e431e2d2c764a6fbb24f5ad1b5426"),
    )),
    ("ssusnic/Machine-Learning-Doodle-Recognition", "68f3cd3d457a930d2b4d3052cd3695a47bacfd6e", (
        ("source/data/bee.bin", "bee", 498, "938ff3feb6555e15a71ea80c7b58d3ac"),
        ("source/data/candle.bin", "candle", 499, "2fa9d4cfd59e1edf9249282c4dc199c0"),
        ("source/data/car.bin", "car", 500, "67d4ab00b5c52efecb644fa1e13045b8"),
        ("source/data/clock.bin", "clock", 498, "c746c78cd69890e22407ecb08bda46ba"),
        ("source/data/guitar.bin", "guitar", 496, "762806d0910366787cf79c1b74320b3c"),
        ("source/data/octopus.bin", "octopus", 500, "8f09093ba7a95aa1fc93f5fe8d3eb821"),
        ("source/data/snowman.bin", "snowman", 500, "8e478cd9d5736eae82029d31436f81d2"),
        ("source/data/tree.bin", "tree", 499, "0d4d61af0f0b2f766fb63c740bb09682"),
        ("source/data/umbrella.bin", "umbrella", 498, "dbbc983beac8091a4a2f4fb3bed569b2"),
    )),
)
DOODLE_SOURCES = tuple(Doodles(repo, commit, *source) for repo, commit, sources in DOODLE_REPOS for source in sources)

# The shared doodles_28x28.npz's arrays, in its order: dtype, shape and md5 of the bytes. Its
# content is what is checked, as the npz's own bytes depend on the zlib that compressed them.
DOODLE_ARRAYS = {
    "X": ("|u1", (55488, 784), "3c548ee0b49c3c44ce55feb2f877559e"),
    "y": ("<i2", (55488,), "6b33d2c9e26ce39d66f61d3cb85657ee"),
    "source": ("<i2", (55488,), "c3c126799dc6757042d697a0eea7cc95"),
    "categories": ("<U11", (23,), "9885bb1302c1017cebf69e1e0b30f32a"),
    "source_repo": ("<U49", (24,), "b705203c94f15c1290feaf0e49bd683b"),
    "source_path": ("<U56", (24,), "76f952c8dc008d55cfd2180d4e6b4a76"),
    "source_commit": ("<U40", (24,), "f5f0394a3d6325be695df9e62ca6a1de"),
}
SHARED_DOODLES_MD5 = "307d47b230342fdc5dd8da298616618e"  # the shared file's bytes: matched where zlib agrees


def md5_hex(data) -> str:
    """The md5 of bytes or of anything with the buffer protocol (a contiguous array)."""
    return hashlib.md5(data).hexdigest()


def mirrored(url: str, mirror: str | None) -> str:
    """The URL to fetch: url itself, or MIRROR/<host>/<path> when a mirror is given."""
    if not mirror:
        return url
    parts = urllib.parse.urlsplit(url)
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path}"


def download(url: str, tries: int = TRIES, timeout: float = TIMEOUT, wait: float = 2.0) -> bytes:
    """The body at url (largest file: 10 MB), retried on network errors; FetchError naming the URL."""
    attempt = 1
    while True:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            # A missing or forbidden file stays so: retry only what may pass (timeouts, rate limits, 5xx).
            if (e.code < 500 and e.code not in (408, 429)) or attempt == tries:
                raise FetchError(f"{url}: HTTP {e.code} {e.reason}") from None
            error = e
        except (OSError, http.client.HTTPException) as e:  # URLError, timeouts, truncated bodies
            if attempt == tries:
                raise FetchError(f"{url}: download failed after {tries} tries ({e})") from None
            error = e
        print(f"  {url}: {error}; retrying", file=sys.stderr)
        time.sleep(wait * attempt)
        attempt += 1


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file, so an interrupted run never leaves a partial file under path's name."""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_md5sums(folder: Path, sums: dict[str, str]) -> None:
    """MD5SUMS in `md5sum -c` form."""
    write_atomic(folder / "MD5SUMS", "".join(f"{md5}  {name}\n" for name, md5 in sums.items()).encode())


def intact(path: Path, md5: str) -> bool:
    """Whether path exists with this md5."""
    return path.is_file() and md5_hex(path.read_bytes()) == md5


def fetch_files(folder: Path, remotes: list[Remote], mirror: str | None) -> None:
    """Each remote into folder, kept when already intact, md5-checked before it is written."""
    for remote in remotes:
        path = folder / remote.name
        if intact(path, remote.md5):
            print(f"{path}: present, md5 ok")
            continue
        url = mirrored(remote.url, mirror)
        data = download(url)
        if md5_hex(data) != remote.md5:
            path.unlink(missing_ok=True)  # a stale or corrupt copy must not pass for the data either
            raise FetchError(f"{path.name}: md5 {md5_hex(data)} of {url} differs from the expected {remote.md5}: "
                             "corrupt or changed download, nothing kept")
        write_atomic(path, data)
        print(f"{path}: downloaded {len(data) / 1e6:.1f} MB, md5 ok")
    write_md5sums(folder, {r.name: r.md5 for r in remotes})


def source_images(data: bytes, source: Doodles, url: str) -> np.ndarray:
    """A source file's (N, 784) uint8 images: .npy as saved, .bin as raw 784-byte bitmaps back to back."""
    if source.path.endswith(".npy"):
        try:
            images = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as e:
            raise FetchError(f"{url}: not a plain .npy file ({e})") from None
    else:
        # No header: the projects that publish them read image i at byte i * 784.
        if len(data) % IMAGE_BYTES:
            raise FetchError(f"{url}: {len(data)} bytes is not a whole number of 28x28 bitmaps")
        images = np.frombuffer(data, np.uint8)
    if images.dtype != np.uint8 or images.size % IMAGE_BYTES:
        raise FetchError(f"{url}: {images.dtype} array of shape {images.shape}, not 28x28 uint8 bitmaps")
    return np.ascontiguousarray(images.reshape(-1, IMAGE_BYTES))


def doodle_block(images: np.ndarray, source: Doodles, seen: set[bytes], url: str) -> np.ndarray:
    """The images the shared file took from a source: its first `count`, else its first `count` not seen before."""
    first = images[: source.count]
    if len(first) == source.count and md5_hex(first) == source.md5:
        return first
    # The shared file holds no image twice, and some of its blocks are a few images short of their
    # files (ssusnic's hold 500): it may have skipped repeats. The md5 decides which reading is right.
    taken, unseen = set(seen), []
    for i, image in enumerate(images):
        digest = hashlib.md5(image).digest()
        if digest not in taken:
            taken.add(digest)
            unseen.append(i)
            if len(unseen) == source.count:
                break
    fresh = images[unseen]
    if len(fresh) == source.count and md5_hex(fresh) == source.md5:
        return fresh
    raise FetchError(f"{url}: neither its first {source.count} images (of {len(images)}) nor its first "
                     f"{source.count} unrepeated ones are the {source.category} doodles of the shared {DOODLES_FILE} "
                     f"(md5 {md5_hex(first)}, expected {source.md5}): the file changed or is laid out differently")


def doodle_arrays(mirror: str | None) -> dict:
    """doodles_28x28.npz's arrays, rebuilt from its sources, each block checked against the shared file's."""
    categories = sorted({s.category for s in DOODLE_SOURCES})
    blocks, seen = [], set()
    for source in DOODLE_SOURCES:
        url = mirrored(source.url, mirror)
        block = doodle_block(source_images(download(url), source, url), source, seen, url)
        seen.update(hashlib.md5(image).digest() for image in block)
        blocks.append(block)
        print(f"  {source.category}: {len(block)} doodles from {source.repo}/{source.path}")
    counts = [len(b) for b in blocks]
    return {
        "X": np.concatenate(blocks),
        "y": np.repeat(np.array([categories.index(s.category) for s in DOODLE_SOURCES], np.int16), counts),
        "source": np.repeat(np.arange(len(DOODLE_SOURCES), dtype=np.int16), counts),
        "categories": np.array(categories),
        "source_repo": np.array([s.repo for s in DOODLE_SOURCES]),
        "source_path": np.array([s.path for s in DOODLE_SOURCES]),
        "source_commit": np.array([s.commit for s in DOODLE_SOURCES]),
    }


def doodle_mismatches(arrays: dict) -> list[str]:
    """The arrays (by name) that differ from the shared file's in dtype, shape or bytes; [] when all match."""
    return [name for name, (dtype, shape, md5) in DOODLE_ARRAYS.items()
            if name not in arrays or arrays[name].dtype.str != dtype or arrays[name].shape != shape
            or md5_hex(arrays[name].tobytes()) != md5]


def stored_doodles_intact(path: Path) -> bool:
    """Whether path holds the shared file's arrays."""
    if not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as archive:
            return not doodle_mismatches({name: archive[name] for name in archive.files})
    except (OSError, ValueError, KeyError, EOFError):  # truncated, not a zip, or a stray pickle
        return False


def fetch_quickdraw(folder: Path, mirror: str | None) -> None:
    """Rebuild doodles_28x28.npz from its sources unless its arrays are already intact, then list its md5."""
    path = folder / DOODLES_FILE
    if stored_doodles_intact(path):
        print(f"{path}: present, arrays ok")
    else:
        path.unlink(missing_ok=True)  # a stale or corrupt copy must not outlive a failed rebuild
        arrays = doodle_arrays(mirror)
        wrong = doodle_mismatches(arrays)
        if wrong:
            raise FetchError(f"{DOODLES_FILE}: rebuilt arrays {', '.join(wrong)} differ from the shared file's")
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        write_atomic(path, buffer.getvalue())
        print(f"{path}: rebuilt, {len(arrays['X'])} doodles, arrays ok")
    md5 = md5_hex(path.read_bytes())
    if md5 != SHARED_DOODLES_MD5:
        print(f"{path}: same arrays, other compressed bytes than the shared copy (md5 {md5}): "
              "MD5SUMS lists this file's")
    write_md5sums(folder, {DOODLES_FILE: md5})


def ujipen_digits(text: str, url: str) -> bytes:
    """The digits of ujipenchars2.txt in the shared file's format; FetchError naming url and line if malformed.

    Each digit keeps its NUMSTROKES and POINTS lines as they are; its session loses the trn_/tst_
    split, and the digits are ordered by writer, digit and sample, as the shared file is, however
    the original groups them.
    """
    lines = text.splitlines()
    digits = []
    i = 0
    while i < len(lines):
        words = lines[i].split()
        i += 1
        if not words or words[0] != "WORD":
            continue  # comments and blank lines
        session = UJIPEN_SESSION.fullmatch(words[-1])
        count = lines[i].split() if i < len(lines) else []
        well_formed = len(words) == 3 and session and len(count) == 2 and count[0] == "NUMSTROKES"
        if not (well_formed and count[1].isdigit()):
            raise FetchError(f"{url}:{i}: not a `WORD <char> trn|tst_<site>_W<nn>-<nn>` line followed by "
                             f"NUMSTROKES: {lines[i - 1][:60]!r}: not ujipenchars2.txt?")
        strokes = lines[i + 1: i + 1 + int(count[1])]
        if len(strokes) != int(count[1]) or any(line.split()[:1] != ["POINTS"] for line in strokes):
            raise FetchError(f"{url}:{i}: {words[1]} of {session[1]} lacks some of its {count[1]} POINTS lines")
        if words[1] in DIGITS:
            order = (int(session[2]), words[1], int(session[3]))
            digits.append((order, [f"WORD {words[1]} {session[1]}", lines[i], *strokes]))
        i += 1 + len(strokes)
    digits.sort(key=lambda digit: digit[0])
    body = "".join(f"{line}\n" for _, digit in digits for line in digit)
    return (UJIPEN_HEADER + body).encode("ascii", errors="replace")


def fetch_ujipen(folder: Path, mirror: str | None) -> None:
    """Extract the shared digits file from UJIpenchars2 unless it is already intact, then list its md5."""
    path = folder / UJIPEN_FILE
    if intact(path, UJIPEN_MD5):
        print(f"{path}: present, md5 ok")
    else:
        path.unlink(missing_ok=True)  # a stale or corrupt copy must not pass for the data
        url = mirrored(UJIPEN_URL, mirror)
        # Latin-1 reads any byte: the digits' lines are ASCII whatever encoding the letters and comments use.
        data = ujipen_digits(download(url).decode("latin-1"), url)
        if md5_hex(data) != UJIPEN_MD5:
            raise FetchError(f"{UJIPEN_FILE}: md5 {md5_hex(data)} of the {data.count(b'WORD ')} digits extracted from "
                             f"{url} differs from the expected {UJIPEN_MD5}: corrupt or changed download, nothing kept")
        write_atomic(path, data)
        print(f"{path}: extracted {data.count(b'WORD ')} digits, md5 ok")
    write_md5sums(folder, {UJIPEN_FILE: UJIPEN_MD5})


def fetch(root: Path, datasets=DATASETS, mirror: str | None = None) -> None:
    """Fill root/<data set>/ for each of datasets."""
    for name in datasets:
        folder = Path(root) / name
        folder.mkdir(parents=True, exist_ok=True)
        if name == "quickdraw":
            fetch_quickdraw(folder, mirror)
        elif name == "ujipen":
            fetch_ujipen(folder, mirror)
        else:
            fetch_files(folder, REMOTES[name], mirror)


def dataset_list(text: str) -> list[str]:
    """--only's comma-separated data sets, checked."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {','.join(DATASETS)} (got {text!r})")
    return names


def main(argv=None) -> int:
    """The command line; 1 when a file could not be fetched or verified."""
    p = argparse.ArgumentParser(prog="python -m scripts.fetch_data", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Train on the result with: python -m train --data-dir DIR/mnist "
                                       "--pen-data DIR/pendigits --omniglot-data DIR/omniglot "
                                       "--quickdraw-data DIR/quickdraw (DIR/ujipen is for tests and "
                                       "benchmarks only: never train on it)")
    p.add_argument("dir", type=Path, metavar="DIR", help="folder to fill (e.g. ../shared/data)")
    p.add_argument("--only", type=dataset_list, default=list(DATASETS), metavar="SETS",
                   help=f"comma-separated data sets to fetch (default: all of {','.join(DATASETS)})")
    p.add_argument("--mirror", metavar="URL",
                   help="fetch each file from URL/<host>/<path> instead of its origin (an offline copy; file:// works)")
    args = p.parse_args(argv)
    try:
        fetch(args.dir, args.only, args.mirror)
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
