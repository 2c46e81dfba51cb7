"""Felt latency: from the pen lifting to the reading changing on the page, in headless Chromium.

    python -m benchmarks.felt_latency [--strokes 10] [--url http://127.0.0.1:7860/]

Starts `python app.py` offline on a free port (or uses --url), then draws a 7 with the mouse
--strokes times, each on a cleared canvas and quick enough that only its lift sends it, and prints
the median time from pointerup to the reading changing on the page (the page's own clock). Then one
stroke that lasts a second: how often the reading changed while the pen was down. Goals (issue 23):
median <= 150 ms (the Gradio sketchpad took 629-651 ms), >= 3 changes during the 1-second stroke.
"""

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import PROMPT, clear, open_app, readings, shown_label, stroke, watch  # noqa: E402
from tests.http_client import AppServer, offline_env  # noqa: E402


def seven(page) -> list[tuple[float, float]]:
    """A 7 as one stroke in the canvas's middle, in page pixels."""
    box = page.locator("#sketchpad canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return [(cx - 60, cy - 100), (cx + 60, cy - 100), (cx - 10, cy + 110)]


def lift_to_reading_ms(page, tries: int = 5) -> float:
    """Draw a quick 7 on a cleared canvas; ms from its pointerup to the first change of the reading after it.

    A stroke that the page sent before its lift (it took over 100 ms on a busy machine) is drawn again.
    """
    for _ in range(tries):
        if clear(page) != PROMPT:
            raise RuntimeError("the canvas did not clear")
        start = page.evaluate("performance.now()")
        stroke(page, seven(page), steps=2)
        if shown_label(page, "7") != "7":
            raise RuntimeError(f"the 7 was read as {shown_label(page, '7', 0)!r}")
        lift = page.evaluate("window.__lifts.at(-1)")
        if any(start < r["t"] < lift for r in readings(page)):
            continue
        return next(r["t"] for r in readings(page) if r["t"] > lift) - lift
    raise RuntimeError(f"{tries} strokes in a row took over the page's 100 ms between sends")


def along(points, fraction: float) -> tuple[float, float]:
    """The point `fraction` of the way along the polyline, by length."""
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:])]
    left = fraction * sum(lengths)
    for (a, b), length in zip(zip(points, points[1:]), lengths):
        if left <= length:
            return a[0] + (b[0] - a[0]) * left / length, a[1] + (b[1] - a[1]) * left / length
        left -= length
    return points[-1]


def changes_during_a_slow_stroke(page, seconds: float = 1.0) -> tuple[int, float]:
    """(readings shown while the pen was down, seconds it was down) for one 7 drawn in `seconds`."""
    clear(page)
    points = seven(page)
    page.mouse.move(*points[0])
    page.mouse.down()
    start, began = page.evaluate("performance.now()"), time.monotonic()
    while (fraction := (time.monotonic() - began) / seconds) < 1:
        page.mouse.move(*along(points, fraction))
        page.wait_for_timeout(10)
    page.mouse.move(*points[-1])
    end = page.evaluate("performance.now()")
    page.mouse.up()
    return sum(start < r["t"] < end for r in readings(page)), (end - start) / 1000


def measure(url: str, strokes: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_app(p, url)
        try:
            watch(page)
            lift_to_reading_ms(page)  # a first stroke warms the page and the server up
            times = [lift_to_reading_ms(page) for _ in range(strokes)]
            during, down = changes_during_a_slow_stroke(page)
        finally:
            browser.close()
    print(f"pointerup -> reading changes, median of {strokes} strokes: {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}; goal <= 150 ms)")
    print(f"reading changes while the pen was down for {down:.2f} s: {during} (goal >= 3 in a 1-second stroke)")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--strokes", type=int, default=10, help="strokes timed")
    p.add_argument("--url", help="a running app to measure instead of starting one")
    args = p.parse_args(argv)
    if args.url:
        measure(args.url, args.strokes)
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = AppServer(offline_env(Path(tmp)), Path(tmp) / "app.log")
        try:
            server.wait_ready()
            measure(server.url, args.strokes)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
