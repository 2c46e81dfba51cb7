"""The app in a real browser: Debian's chromium driven by playwright, as a visitor uses it."""

import os
import time

# Debian's chromium, never `playwright install` (it downloads a browser of its own); headless and
# quiet, so it reaches nothing but the app.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]


def chromium_path() -> str:
    """The chromium to drive: CHROMIUM_PATH, or Debian's."""
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def open_app(playwright, url: str, width: int = 1280, height: int = 900):
    """(browser, page) with the app loaded and its sketchpad ready to draw on."""
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector("#sketchpad canvas", timeout=60_000)
    # The app itself selects the brush on load: nobody picks a tool.
    page.wait_for_selector('#sketchpad button[aria-label="Brush"].highlight', timeout=30_000)
    return browser, page


def stroke(page, points):
    """One stroke of the mouse through the points, in page pixels."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=5)
    page.mouse.up()


def shown_label(page, expected: str, timeout_s: float = 15) -> str:
    """The top label the page shows, once it equals `expected` or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [line.strip() for line in page.locator("#prediction").inner_text().splitlines() if line.strip()]
        label = lines[1] if len(lines) > 1 else ""  # lines[0] is the block's title, "Prediction"
        if label == expected or time.monotonic() > deadline:
            return label
        page.wait_for_timeout(100)
