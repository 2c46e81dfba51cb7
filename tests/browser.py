"""The app in a real browser: Debian's chromium driven by playwright, as a visitor uses it."""

import os
import time

# Debian's chromium, never `playwright install` (it downloads a browser of its own); headless and
# quiet, so it reaches nothing but the app.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
PROMPT = "Draw a digit"

# Records, in the page's own clock, each pen lift on the canvas, each press of Clear and each change of the
# reading shown.
WATCH_JS = """() => {
  window.__lifts = []; window.__clears = []; window.__readings = [];
  const record = () => {
    const text = document.querySelector('#prediction').innerText;
    const last = window.__readings[window.__readings.length - 1];
    const top = text.split('\\n').map((line) => line.trim()).filter(Boolean)[1] || '';  // [0]: the title
    if (!last || last.text !== text) window.__readings.push({t: performance.now(), text, top});
  };
  document.querySelector('#sketchpad canvas').addEventListener('pointerup', () => window.__lifts.push(performance.now()));
  document.querySelector('#sketchpad .pad-clear').addEventListener('click', () => window.__clears.push(performance.now()));
  new MutationObserver(record).observe(document.querySelector('#prediction'),
                                       {subtree: true, childList: true, characterData: true});
  record();
}"""


def chromium_path() -> str:
    """The chromium to drive: CHROMIUM_PATH, or Debian's."""
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def open_app(playwright, url: str, width: int = 1280, height: int = 900, touch: bool = False):
    """(browser, page) with the app loaded and its canvas ready to draw on (there is no tool to pick)."""
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
    page = browser.new_page(viewport={"width": width, "height": height}, has_touch=touch, is_mobile=touch)
    page.goto(url)
    page.wait_for_selector("#sketchpad canvas[data-ready]", timeout=60_000)
    return browser, page


def stroke(page, points, steps: int = 5, pause_ms: float = 0):
    """One stroke of the mouse through the points, in page pixels; pause_ms between the points."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=steps)
        if pause_ms:
            page.wait_for_timeout(pause_ms)
    page.mouse.up()


def touch_stroke(page, points, steps: int = 5, pause_ms: float = 0):
    """One stroke of a finger through the points: touch events as a phone's screen sends them (CDP)."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind, x=None, y=None):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": kind, "touchPoints": [] if x is None else [{"x": x, "y": y, "id": 1}]})

    touch("touchStart", *points[0])
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for i in range(1, steps + 1):
            touch("touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        if pause_ms:
            page.wait_for_timeout(pause_ms)
    touch("touchEnd")
    cdp.detach()


def slow_network(page, latency_ms: float):
    """Make each request of the page take latency_ms longer, as on a far or busy network (CDP)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1})
    return cdp


def top_label(page) -> str:
    """The top label the page shows now."""
    lines = [line.strip() for line in page.locator("#prediction").inner_text().splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else ""  # lines[0] is the block's title, "Prediction"


def shown_label(page, expected: str, timeout_s: float = 15) -> str:
    """The top label the page shows, once it equals `expected` or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        label = top_label(page)
        if label == expected or time.monotonic() > deadline:
            return label
        page.wait_for_timeout(20)


def clear(page) -> str:
    """Press the canvas's Clear button; the label shown once it is the prompt (or after 15 s)."""
    page.get_by_label("Clear canvas").click()
    return shown_label(page, PROMPT)


def watch(page):
    """Start recording pen lifts and reading changes (window.__lifts, window.__readings)."""
    page.evaluate(WATCH_JS)


def readings(page) -> list[dict]:
    """The readings shown since watch(): {"t": ms, "text": the whole reading, "top": its label}."""
    return page.evaluate("window.__readings")
