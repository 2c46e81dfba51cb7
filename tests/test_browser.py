"""A real browser (Debian's chromium via playwright) draws on the sketchpad with the mouse."""

import math
import os
import time
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]


@pytest.fixture(scope="module")
def page(app_server):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run-tests.sh installs Debian's chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app_server.url)
        page.wait_for_selector("#sketchpad canvas", timeout=60_000)
        # The app itself selects the brush on load: the test never picks a tool.
        page.wait_for_selector('#sketchpad button[aria-label="Brush"].highlight', timeout=30_000)
        yield page
        browser.close()


def stroke(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=5)
    page.mouse.up()


def canvas_centre(page):
    box = page.locator("#sketchpad canvas").first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def shown_label(page, expected: str, timeout_s: float = 15) -> str:
    """The top label the page shows, once it equals `expected` or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [line.strip() for line in page.locator("#prediction").inner_text().splitlines() if line.strip()]
        label = lines[1] if len(lines) > 1 else ""  # lines[0] is the block's title, "Prediction"
        if label == expected or time.monotonic() > deadline:
            return label
        page.wait_for_timeout(100)


def clear(page):
    page.get_by_label("Clear canvas").click()
    return shown_label(page, "Draw a digit")


DIGITS = {
    "7": lambda cx, cy: [[(cx - 60, cy - 100), (cx + 60, cy - 100), (cx - 10, cy + 110)]],
    "0": lambda cx, cy: [[(cx + 55 * math.sin(t / 24 * 2 * math.pi), cy - 95 * math.cos(t / 24 * 2 * math.pi))
                          for t in range(25)]],
    "4": lambda cx, cy: [[(cx - 10, cy - 100), (cx - 60, cy + 20), (cx + 50, cy + 20)],
                         [(cx + 20, cy - 60), (cx + 20, cy + 110)]],
}


def test_draw_digits_with_the_mouse_without_picking_a_tool(page):
    for digit, strokes in DIGITS.items():
        for points in strokes(*canvas_centre(page)):
            stroke(page, points)
        label = shown_label(page, digit)
        page.screenshot(path=ARTIFACTS / f"browser_drew_{digit}.png")
        assert label == digit
        seen = page.locator("#model-input img")
        assert seen.count() == 1  # "what the model sees" is shown
        assert clear(page) == "Draw a digit"


def test_clear_shows_no_digit(page):
    stroke(page, [(x, y) for x, y in DIGITS["7"](*canvas_centre(page))[0]])
    assert shown_label(page, "7") == "7"
    assert clear(page) == "Draw a digit"
    page.screenshot(path=ARTIFACTS / "browser_cleared.png")


def test_clicking_an_example_shows_its_label(page):
    item = page.locator("button.gallery-item").filter(has=page.locator("img[src*='digit_3_']")).first
    item.click()
    label = shown_label(page, "3")
    page.screenshot(path=ARTIFACTS / "browser_example_3.png")
    assert label == "3"
    clear(page)


def test_sketchpad_fits_a_phone_screen(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    box = page.locator("#sketchpad canvas").first.bounding_box()
    page.screenshot(path=ARTIFACTS / "browser_phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
