"""Load on the real app over HTTP: concurrent visitors, server memory, and a full queue.

    python -m benchmarks.load [--clients 32] [--per-client 20] [--soak 1000] [--burst 150]
"""

import argparse
import concurrent.futures
import io
import time

import httpx
import numpy as np
from PIL import Image

from recognizer.strokes import Style
from tests.http_client import predict, start
from train.data import load_idx_dir
from train.skeleton import redraw_digit as render


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def drawings_png(digits: np.ndarray) -> list[bytes]:
    """MNIST digits drawn as 600x600 sketchpad PNGs, as a browser uploads them."""
    out = []
    for digit in digits:
        buffer = io.BytesIO()
        Image.fromarray(render(digit, Style(canvas=600, stroke=0.04, size=0.6))).save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def run_clients(url: str, pngs: list[bytes], clients: int, per_client: int) -> tuple[int, list[str], float]:
    """Each client sends per_client requests in turn; returns (answered, errors, seconds)."""
    def visitor(k):
        answered, errors = 0, []
        with httpx.Client(timeout=120) as http:
            for j in range(per_client):
                try:
                    predict(http, url, pngs[(k * per_client + j) % len(pngs)])
                    answered += 1
                except (httpx.HTTPError, RuntimeError, ValueError, KeyError) as e:
                    errors.append(str(e)[:120])
        return answered, errors

    start_time = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(visitor, range(clients)))
    return sum(r[0] for r in results), [e for r in results for e in r[1]], time.perf_counter() - start_time


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="../shared/data/mnist", help="MNIST IDX folder")
    p.add_argument("--clients", type=int, default=32, help="concurrent clients")
    p.add_argument("--per-client", type=int, default=20, help="requests per client")
    p.add_argument("--soak", type=int, default=1000, help="further requests for the memory check")
    p.add_argument("--burst", type=int, default=150, help="simultaneous requests to overflow the queue")
    args = p.parse_args(argv)
    pngs = drawings_png(load_idx_dir(args.data_dir).x_test[:50])
    process, url, _ = start("app.py")
    try:
        answered, errors, seconds = run_clients(url, pngs, args.clients, args.per_client)
        total = args.clients * args.per_client
        print(f"{args.clients} clients x {args.per_client}: {answered}/{total} answered in {seconds:.1f} s "
              f"({answered / seconds:.1f} req/s), {len(errors)} errors")
        before = rss_mb(process.pid)
        samples = []
        per_client = max(1, args.soak // 8)
        for _ in range(4):
            run_clients(url, pngs, 8, per_client // 4)
            samples.append(rss_mb(process.pid))
        trace = ", ".join(f"{s:.0f}" for s in samples)
        print(f"memory: {before:.0f} MB after warm-up, {samples[-1]:.0f} MB after {8 * (per_client // 4) * 4} "
              f"further requests (growth {samples[-1] - before:+.0f} MB; samples {trace})")
        answered, errors, seconds = run_clients(url, pngs, args.burst, 1)
        busy = [e for e in errors if "queue" in e.lower() or "full" in e.lower()]
        print(f"burst of {args.burst} at once: {answered} answered, {len(busy)} told the queue is full, "
              f"{len(errors) - len(busy)} other errors, {seconds:.1f} s" + (f"; e.g. {busy[0]!r}" if busy else ""))
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
