"""Preprocessing on real MNIST digits re-drawn as sketchpad drawings, in every input form."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from recognizer.contract import DIGIT_BOX, IMAGE_SIZE
from recognizer.preprocess import (
    InvalidImage,
    ink_map,
    ink_to_model_input,
    to_model_input,
)
from recognizer.strokes import Style
from tests.conftest import drawn_digits
from train.skeleton import redraw_digit as render


def white_background(rgba: np.ndarray) -> np.ndarray:
    return rgba[..., :3].copy()


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(x.shape)
    return float((rows * x).sum() / x.sum()), float((cols * x).sum() / x.sum())


@pytest.mark.parametrize("style", [
    Style(canvas=400, stroke=0.02, size=0.35, x=0.25, y=0.3),
    Style(canvas=800, stroke=0.07, size=0.8, x=0.5, y=0.5),
    Style(canvas=600, stroke=0.04, size=0.5, x=0.7, y=0.68, transparent=False),
    Style(canvas=280, stroke=0.05, size=0.6, x=0.4, y=0.6, transparent=False),
])
def test_output_follows_the_mnist_recipe(mnist, style):
    x = to_model_input(render(mnist.x_test[0], style))  # a real 7
    assert x.shape == (IMAGE_SIZE, IMAGE_SIZE) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() == pytest.approx(1.0, abs=0.05)
    rows, cols = np.nonzero(x > 0.1)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 <= DIGIT_BOX + 1  # fits the 20x20 box
    cy, cx = centre_of_mass(x)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1  # centred by mass
    assert x[0].max() == x[-1].max() == 0  # white on black: the border is background


def test_same_digit_gives_similar_inputs_whatever_the_canvas(mnist):
    digit = mnist.x_test[1]
    inputs = [to_model_input(render(digit, Style(canvas=c, stroke=s, size=z, x=px, y=py, transparent=t)))
              for c, s, z, px, py, t in [(400, 0.02, 0.4, 0.3, 0.3, True), (800, 0.07, 0.8, 0.5, 0.5, False),
                                         (600, 0.045, 0.6, 0.6, 0.4, True)]]
    for other in inputs[1:]:
        assert np.abs(inputs[0] - other).mean() < 0.12


def test_transparent_and_white_forms_give_the_same_input(mnist):
    rgba = render(mnist.x_test[2], Style(transparent=True))
    on_white = render(mnist.x_test[2], Style(transparent=False))
    np.testing.assert_allclose(to_model_input(rgba), to_model_input(on_white), atol=0.02)


def test_every_sketchpad_value_form_is_accepted(mnist):
    rgba = render(mnist.x_test[3], Style())
    expected = to_model_input(rgba)
    blank = np.zeros_like(rgba)
    white = np.full_like(rgba, 255)
    forms = [
        {"composite": rgba, "background": None, "layers": []},
        {"composite": None, "background": rgba, "layers": []},
        {"composite": None, "background": white, "layers": [rgba]},  # strokes on a layer
        {"composite": None, "background": None, "layers": [rgba]},
        {"composite": rgba, "background": blank, "layers": [blank]},
        Image.fromarray(rgba),
        white_background(render(mnist.x_test[3], Style(transparent=False))),
        white_background(render(mnist.x_test[3], Style(transparent=False)))[..., 0],  # grey
        255 - white_background(render(mnist.x_test[3], Style(transparent=False)))[..., 0],  # white ink on black
    ]
    for value in forms:
        np.testing.assert_allclose(to_model_input(value), expected, atol=0.02)


def test_colour_under_transparent_pixels_is_ignored(mnist):
    rgba = render(mnist.x_test[4], Style())
    garbage = rgba.copy()
    garbage[..., :3] = 255 - garbage[..., :3]
    np.testing.assert_array_equal(to_model_input(rgba), to_model_input(garbage))


@pytest.mark.parametrize("value", [
    None,
    {"composite": None, "background": None, "layers": []},
    {"composite": np.zeros((400, 400, 4), np.uint8), "background": None, "layers": []},
    np.full((400, 400, 3), 255, np.uint8),
    np.zeros((400, 400), np.uint8),
])
def test_blank_canvas_has_no_digit(value):
    assert to_model_input(value) is None


def test_a_faint_hairline_is_no_digit_and_no_error():
    ink = np.zeros((800, 60), np.uint8)
    ink[20:780, 30] = 70  # a 1 px stroke, faint: the scale-down leaves no pixel at the ink level
    assert ink_to_model_input(ink) is None


def test_a_speck_is_not_a_digit():
    canvas = np.zeros((600, 600, 4), np.uint8)
    canvas[300:304, 300:304, 3] = 255
    assert to_model_input(canvas) is None


@pytest.mark.parametrize("corner", [(30, 30), (570, 560), (40, 560)])
def test_a_stray_dot_does_not_shrink_the_digit(mnist, corner):
    style = Style(canvas=600, stroke=0.04, size=0.45, x=0.5, y=0.5, transparent=False)
    drawing = render(mnist.x_test[4], style)
    clean = to_model_input(drawing)
    cv2.circle(drawing, corner, 12, (0, 0, 0, 255), -1)  # a click with the brush, far from the digit
    np.testing.assert_allclose(to_model_input(drawing), clean, atol=1e-6)


def test_a_digit_drawn_in_pieces_keeps_every_piece(mnist):
    for index in range(20):
        drawing = render(mnist.x_test[index], Style(canvas=600, stroke=0.03, size=0.6, transparent=False))
        whole = to_model_input(drawing)
        drawing[::40, :, :3] = 255  # gaps across every stroke, as a fast or faint pen leaves
        drawing[1::40, :, :3] = 255
        drawing[2::40, :, :3] = 255
        pieces = to_model_input(drawing)
        rows, cols = np.nonzero(pieces > 0.1)
        whole_rows, whole_cols = np.nonzero(whole > 0.1)
        assert abs(np.ptp(rows) - np.ptp(whole_rows)) <= 1 and abs(np.ptp(cols) - np.ptp(whole_cols)) <= 1, index


def test_huge_inputs_are_downscaled_first():
    canvas = np.full((6000, 6000), 255, np.uint8)
    canvas[1000:5000, 2900:3300] = 0  # a thick "1"
    assert max(ink_map(canvas).shape) <= 2048
    assert to_model_input(canvas) is not None


def test_png_and_jpeg_bytes_and_16_bit_grey(tmp_path, mnist):
    drawing = white_background(render(mnist.x_test[5], Style(transparent=False)))
    expected = to_model_input(drawing)
    for name, image in [("d.png", Image.fromarray(drawing)), ("d.jpg", Image.fromarray(drawing)),
                        ("d16.png", Image.fromarray(drawing[..., 0].astype(np.uint16) * 257))]:
        image.save(tmp_path / name)
        assert np.abs(to_model_input(str(tmp_path / name)) - expected).mean() < 0.02


def test_unreadable_files_raise_a_clear_error(tmp_path):
    (tmp_path / "notes.png").write_text("this is text, not an image")
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(buffer, "PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[:60])
    for name in ("notes.png", "cut.png"):
        with pytest.raises(InvalidImage, match=name):
            to_model_input(str(tmp_path / name))
    with pytest.raises(InvalidImage):
        to_model_input(np.zeros((10, 10, 7), np.uint8))


def test_drawn_digits_are_recognised(mnist, predictor):
    for transparent in (True, False):
        drawings, labels = drawn_digits(mnist, 150, seed=11, transparent=transparent)
        batch = np.stack([to_model_input(d) for d in drawings])[..., None]
        accuracy = (predictor.probabilities(batch).argmax(1) == labels).mean()
        assert accuracy >= 0.96, (transparent, accuracy)


def test_stroke_normalisation_makes_thin_and_thick_strokes_alike(mnist):
    digit = mnist.x_test[7]
    thin = to_model_input(render(digit, Style(stroke=0.02, size=0.8)))
    thick = to_model_input(render(digit, Style(stroke=0.07, size=0.35)))
    raw_thin = to_model_input(render(digit, Style(stroke=0.02, size=0.8)), normalise_stroke=False)
    raw_thick = to_model_input(render(digit, Style(stroke=0.07, size=0.35)), normalise_stroke=False)
    assert np.abs(thin.sum() - thick.sum()) < 0.5 * np.abs(raw_thin.sum() - raw_thick.sum())
