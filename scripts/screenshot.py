"""Draw a number in the real app and save a screenshot of its reading: the README's picture.

    python -m scripts.screenshot [--out docs/screenshot.png] [--width 1200]

Starts `python app.py` offline on a free loopback port (the bundled model), draws a 3 with the
mouse on the stroke canvas in Debian's chromium (CHROMIUM_PATH overrides), then a 7 beside it, waits
until the app reads 37 and saves the app's area of the page. Rerun it whenever the UI changes; it
finds everything by elem_id.
"""

import argparse
import math
import sys
import tempfile
from pathlib import Path

if not __package__:
    # Run as a file (python scripts/screenshot.py): make the project importable, as -m does.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import open_app, shown_label, stroke  # noqa: E402
from tests.http_client import ROOT, AppServer, offline_env  # noqa: E402

NUMBER = "37"
MARGIN = 12  # px of page kept below the lowest of the app's blocks, short of the examples' title


def at(box: dict, x: float, y: float) -> tuple[float, float]:
    """A point given in fractions of the canvas, in page pixels."""
    return box["x"] + box["width"] * x, box["y"] + box["height"] * y


def three(box: dict) -> list[tuple[float, float]]:
    """A 3 as one stroke of two arcs, in page pixels, sized and placed by the canvas's box."""

    def arc(cx, cy, rx, ry, start, stop, steps=16):
        # Fractions of the canvas, so the digit keeps its shape and place whatever the canvas's size.
        return [at(box, cx + rx * math.cos(a), cy + ry * math.sin(a))
                for a in (math.radians(start + (stop - start) * i / steps) for i in range(steps + 1))]

    # Screen angles (y down): the upper bowl from its left tip over the top to the waist, the
    # lower one from the waist round to its left tip; the waist is where both arcs meet.
    return arc(0.4, 0.34, 0.07, 0.13, -160, 90) + arc(0.4, 0.62, 0.08, 0.15, -90, 160)[1:]


def seven(box: dict) -> list[tuple[float, float]]:
    """A 7 as one stroke, right of the 3, in page pixels."""
    return [at(box, 0.53, 0.22), at(box, 0.66, 0.22), at(box, 0.57, 0.8)]


def screenshot(url: str, out: Path, width: int) -> str:
    """Draw the number on the app at `url`, save the screenshot to `out`; return the label shown."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_app(p, url, width=width, height=900)
        try:
            canvas = page.locator("#sketchpad canvas").first.bounding_box()
            stroke(page, three(canvas))
            stroke(page, seven(canvas))
            label = shown_label(page, NUMBER)
            if label != NUMBER:
                raise RuntimeError(f"the app read the drawn {NUMBER} as {label!r}: no screenshot")
            page.locator("#model-input img").wait_for(timeout=15_000)
            boxes = [page.locator(f"#{elem_id}").bounding_box() for elem_id in ("sketchpad", "prediction", "model-input")]
            bottom = max(box["y"] + box["height"] for box in boxes if box) + MARGIN
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=out, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": bottom})
        finally:
            browser.close()
    return label


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png", help="PNG to write")
    p.add_argument("--width", type=int, default=1200, help="page width in px (the screenshot's width)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server = AppServer(offline_env(Path(tmp)), Path(tmp) / "app.log")
        try:
            server.wait_ready()
            label = screenshot(server.url, args.out, args.width)
        finally:
            server.stop()
    print(f"{args.out}: the app reads the drawn number as {label}")


if __name__ == "__main__":
    main()
