"""Draw a digit: a Gradio Space that recognises handwritten digits as you draw them.

Run locally with `python app.py`; on start-up it fetches the model from the Hub
(HF_MODEL_REPO) and serves the bundled final_model.keras when it cannot.
"""

import contextlib
import functools
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the log

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from recognizer.contract import NOT_A_DIGIT  # noqa: E402
from recognizer.feedback import (  # noqa: E402
    ANSWERS,
    FeedbackRefused,
    FeedbackStore,
    check_answer,
    dataset_notice,
    make_correction,
    thanks,
)
from recognizer.hub import load_served_predictor  # noqa: E402
from recognizer.predictor import ModelFileError, Predictor  # noqa: E402
from recognizer.preprocess import InvalidImage  # noqa: E402
from recognizer.reading import label_json, label_value, preview  # noqa: E402
from space_config import PROJECT_DIR, feedback_settings, hub_settings  # noqa: E402

log = logging.getLogger("digits")
EXAMPLES = sorted(str(p) for p in (PROJECT_DIR / "examples").glob("*.png"))
# Wider than tall, for numbers; on a phone it shrinks to the screen's width and stays usable.
CANVAS = (720, 360)  # px, width x height; the brush is 5% of the height, a stroke that survives the scale-down
MAX_UPLOAD = "2mb"
QUEUE_SIZE = 64  # beyond this, visitors get "queue is full" at once instead of waiting forever
# Predictions run in this many worker threads: TensorFlow and OpenCV release the GIL, so the
# model works while Gradio handles uploads and streams (benchmarks/speed.py measures it).
CONCURRENCY = 4
MAX_PIXELS = 40_000_000  # PIL refuses to decode images over twice this (decompression bombs)
# The label lists every alternative (all ten digits for one digit, over the API too); the page shows three.
CSS = "#prediction .confidence-set:nth-child(n+5) {display: none}"  # the block's heading is its first child
CACHE_SECONDS = 30  # uploads and previews are deleted from Gradio's cache after this long


# The sketchpad opens, and returns after "clear", on its image tool ("select the draw tool
# to start"). Whenever neither brush nor eraser is active, pick the brush: people draw at once.
SELECT_BRUSH_JS = """() => {
  const ensureBrush = (root) => {
    const brush = root.querySelector('button[aria-label="Brush"]');
    const active = root.querySelector('button[aria-label="Brush"].highlight, button[aria-label="Erase"].highlight');
    if (brush && !active) brush.click();
  };
  const watch = () => {
    const root = document.querySelector('#sketchpad');
    if (!root) { setTimeout(watch, 100); return; }
    new MutationObserver(() => ensureBrush(root))
      .observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
    ensureBrush(root);
  };
  watch();
}"""


@functools.cache
def served_predictor() -> Predictor:
    """The model this process serves, fetched once on first use."""
    return load_served_predictor(hub_settings())


@functools.cache
def feedback_store() -> FeedbackStore:
    """Where this process stores visitors' corrections (nothing is written before the first one)."""
    return FeedbackStore(feedback_settings())


def predict(image) -> dict:
    """Any drawing or image -> {"label": the reading, "confidences": [{"label", "confidence"}, ...]}, as /predict."""
    return label_json(served_predictor().read(image))


@contextlib.contextmanager
def visitor_errors():
    """Turn what is wrong with a visitor's input into a message for them (gr.Error)."""
    try:
        yield
    except (InvalidImage, FeedbackRefused) as e:
        raise gr.Error(str(e)) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise gr.Error(f"Not a readable image ({type(e).__name__})") from None


def session_key(request: gr.Request | None) -> str:
    """Who a correction counts against for the rate limit: the browser or client session."""
    if request is None:
        return "anonymous"
    return request.session_hash or (request.client.host if request.client else "anonymous")


def build_demo(predictor: Predictor, store: FeedbackStore | None = None) -> gr.Blocks:
    """The UI: sketchpad in, top-3 label and what the model sees out, a correction row, examples below."""
    store = store or feedback_store()

    def decode(payload):
        # The event runs with preprocess=False and decodes here: Gradio's own decoding of a bad
        # upload (a text file, a truncated PNG, a decompression bomb) fails with no reason given.
        # Drawings send an upload id, API calls file references (both validated by Gradio's data
        # model, so never an arbitrary server path); only the examples arrive decoded, as arrays.
        if payload is None:
            return None
        parts = [payload.get("background"), payload.get("composite"), *(payload.get("layers") or [])] \
            if isinstance(payload, dict) else [payload]
        if any(isinstance(part, np.ndarray) for part in parts):
            return payload
        return sketchpad.preprocess(sketchpad.data_model.model_validate(payload))

    def recognise(payload):
        with visitor_errors():
            reading = predictor.read(decode(payload))
        return label_value(reading), preview(reading.inputs)

    def correct(payload, answer, request: gr.Request):
        # The predicted label comes from reading the drawing again here: a client cannot make it up.
        with visitor_errors():
            label = check_answer(answer)  # first: a bad answer costs no decoding
            image = decode(payload)
            reading = predictor.read(image)
            correction = make_correction(image, label, reading.label, reading.confidence, predictor.source,
                                         inputs=reading.inputs)
            store.save(correction, session_key(request))
        return thanks(label)

    accuracy = f", {predictor.test_accuracy:.2%} on the MNIST test set" if predictor.test_accuracy else ""
    with gr.Blocks(title="Draw a digit", delete_cache=(CACHE_SECONDS, CACHE_SECONDS)) as demo:
        gr.Markdown("# Draw a digit\nDraw a digit from 0 to 9, or a whole number, with the mouse, a finger or a "
                    "pen: the model reads it after every stroke. A drawing that is not a digit (a doodle, a "
                    f"letter, a scribble) is read as **{NOT_A_DIGIT}**.")
        with gr.Row():
            sketchpad = gr.Sketchpad(
                label="Draw here", type="numpy", image_mode="RGBA", format="png",
                canvas_size=CANVAS, fixed_canvas=True, layers=False, transforms=(),
                brush=gr.Brush(default_size=CANVAS[1] // 20, colors=["#111111"], color_mode="fixed"),
                elem_id="sketchpad", height=360, scale=3, min_width=280,
            )
            with gr.Column(scale=2, min_width=220):
                label = gr.Label(label="Prediction", elem_id="prediction")
                seen = gr.Image(label="What the model sees (28x28 a digit)", height=120, format="png",
                                interactive=False, elem_id="model-input", buttons=[])
        sketchpad.change(recognise, sketchpad, [label, seen], api_name="predict", preprocess=False,
                         show_progress="hidden", trigger_mode="always_last")
        with gr.Row(elem_id="correction-row"):
            answer = gr.Radio(list(ANSWERS), label="Wrong? It is:", elem_id="correction", scale=4, min_width=280)
            number = gr.Textbox(label="or the whole number (Enter)", placeholder="2026", max_lines=1, scale=1,
                                min_width=120, elem_id="correction-number")
            done = gr.Markdown(label="Confirmation", elem_id="correction-thanks")
        notice = dataset_notice(store.settings)
        if notice:
            gr.Markdown(notice, elem_id="correction-notice")
        answer.input(correct, [sketchpad, answer], done, api_name="correct", preprocess=False, show_progress="hidden")
        number.submit(correct, [sketchpad, number], done, api_name=False, preprocess=False, show_progress="hidden")
        # A new stroke is a new drawing: the last answer and its thanks no longer apply (no server round trip).
        sketchpad.change(None, None, [answer, number, done], js="() => [null, '', null]", show_progress="hidden")
        with gr.Row():
            gr.Examples(EXAMPLES, inputs=sketchpad, outputs=[label, seen], fn=recognise, run_on_click=True,
                        preprocess=False, cache_examples=False, examples_per_page=len(EXAMPLES), api_name=False,
                        label="Examples: digits of a pen writer the model never saw, a number, a doodle")
        gr.Markdown(f"Model: `{predictor.source}` (seed CNN{accuracy}).", elem_id="footer")
        demo.load(None, js=SELECT_BRUSH_JS)
    return demo


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    try:
        predictor = served_predictor()
    except ModelFileError as e:
        log.error("cannot serve: the bundled model is unusable: %s", e)
        return 1
    try:
        store = feedback_store()
    except ValueError as e:  # a bad FEEDBACK_* setting
        log.error("cannot serve: %s", e)
        return 1
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    demo = build_demo(predictor, store)
    store.start_uploads()  # in the background: an unreachable Hub holds nothing up
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY).launch(max_file_size=MAX_UPLOAD, css=CSS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
