"""A real browser (Debian's chromium via playwright) draws on the sketchpad with the mouse."""

import math
from pathlib import Path

import pytest

from tests.browser import chromium_path, open_app, shown_label, stroke
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.slow  # a real server (and browser) per module


@pytest.fixture(scope="module")
def page(app_server):
    from playwright.sync_api import sync_playwright

    if not Path(chromium_path()).exists():
        pytest.fail(f"{chromium_path()} is missing: run-tests.sh installs Debian's chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        # open_app waits for the brush the app selects on load: the test never picks a tool.
        browser, page = open_app(p, app_server.url)
        yield page
        browser.close()


def canvas_centre(page):
    box = page.locator("#sketchpad canvas").first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


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


def test_draw_a_two_digit_number(page):
    cx, cy = canvas_centre(page)
    stroke(page, [(cx - 110, cy - 100), (cx - 110, cy + 100)])  # a 1 ...
    for points in DIGITS["7"](cx + 40, cy):  # ... and a 7 beside it
        stroke(page, points)
    label = shown_label(page, "17")
    page.screenshot(path=ARTIFACTS / "browser_drew_17.png")
    assert label == "17"
    preview = page.locator("#model-input img").bounding_box()
    assert preview["width"] > 1.5 * preview["height"]  # both digits as the model sees them, side by side
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
