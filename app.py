"""Draw a digit: a Gradio Space that recognises handwritten digits as you draw them.

The page's canvas (recognizer/stroke_pad.js) sends the pen's strokes while it moves; the server reads them
in the order they were written, each digit a run of strokes (recognizer/stroke_segment.py, /read_strokes).
/predict reads any image, cutting its ink where digits may touch (recognizer/segment.py).
Run locally with `python app.py`; on start-up it fetches the model from the Hub
(HF_MODEL_REPO) and serves the bundled final_model.keras when it cannot.
"""

import base64
import contextlib
import functools
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the log

import cv2  # noqa: E402
import gradio as gr  # noqa: E402
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
from recognizer.reading import EMPTY_MESSAGE, label_json, label_value, preview  # noqa: E402
from recognizer.stroke_input import InvalidStrokes, draw_ink, parse_strokes  # noqa: E402
from space_config import PROJECT_DIR, feedback_settings, hub_settings  # noqa: E402

log = logging.getLogger("digits")
EXAMPLES = sorted(str(p) for p in (PROJECT_DIR / "examples").glob("*.png"))
# The sketchpad behind /predict (API only): as wide as the page's canvas was, for numbers.
CANVAS = (720, 360)  # px, width x height
# The stroke canvas's brush, as a share of its height: a stroke that survives the scale-down, in the
# middle of the 2-7% the models learned from (train/styles.py random_style).
BRUSH_SHARE = 0.05
MAX_UPLOAD = "2mb"
QUEUE_SIZE = 64  # beyond this, visitors get "queue is full" at once instead of waiting forever
# Predictions run in this many worker threads: TensorFlow and OpenCV release the GIL, so the
# model works while Gradio handles uploads and streams (benchmarks/speed.py measures it).
CONCURRENCY = 4
MAX_PIXELS = 40_000_000  # PIL refuses to decode images over twice this (decompression bombs)
# The label lists every alternative (all ten digits for one digit, over the API too); the page shows three.
CSS = ("#prediction .confidence-set:nth-child(n+5) {display: none}"  # the block's heading is its first child
       "#sketchpad .html-container {padding: 0}")
# On a phone the canvas takes the screen's width, short of a finger's margin to scroll by (in the page's
# head: Gradio confines the css above to the app's content, inside the page's padding).
PHONE_MARGIN = "<style>@media (max-width: 640px) {.main.fillable {padding-left: 8px; padding-right: 8px}}</style>"
CACHE_SECONDS = 30  # uploads and previews are deleted from Gradio's cache after this long

PAD_JS = (PROJECT_DIR / "recognizer" / "stroke_pad.js").read_text()
PAD_HTML = """<div class="pad">
  <canvas aria-label="Drawing canvas"></canvas>
  <div class="pad-hint">Draw a digit or a number here</div>
  <div class="pad-tools">
    <button type="button" class="pad-undo" aria-label="Undo" title="Undo the last stroke">Undo</button>
    <button type="button" class="pad-clear" aria-label="Clear canvas" title="Clear canvas">Clear</button>
  </div>
</div>"""
# Wider than tall on a desktop; on a phone the full width and a little squarer, the reading still in view.
PAD_CSS = """
.pad {position: relative; width: 100%;}
canvas {display: block; width: 100%; aspect-ratio: 2 / 1; max-height: 60vh; touch-action: none;
        user-select: none; -webkit-user-select: none; background: #fff; cursor: crosshair;
        border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);}
@media (max-width: 640px) {canvas {aspect-ratio: 4 / 3;}}
.pad-hint {position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
           pointer-events: none; color: #888; font-size: var(--text-lg);}
.pad-hint[hidden] {display: none;}
.pad-tools {position: absolute; top: 8px; right: 8px; display: flex; gap: 8px;}
.pad-tools button {padding: 6px 12px; border-radius: var(--radius-md); border: 1px solid #ccc;
                   background: #f4f4f5; color: #222; font-size: var(--text-md); cursor: pointer;}
"""
# Chained after every reading of the page's drawing: show it unless the drawing has changed since.
GATE_JS = "(reply) => window.digitPad ? window.digitPad.accept(reply) : undefined"


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


def refuse(message: str, cause: Exception) -> gr.Error:
    """A visitor's bad input: one line in the log (it is no server error) and the reason for them."""
    log.info("refused %s: %s", type(cause).__name__, message)
    return gr.Error(message, print_exception=False)


@contextlib.contextmanager
def visitor_errors():
    """Turn what is wrong with a visitor's input into a message for them (gr.Error)."""
    try:
        yield
    except (InvalidImage, InvalidStrokes, FeedbackRefused) as e:
        raise refuse(str(e), e) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise refuse(f"Not a readable image ({type(e).__name__})", e) from None


def session_key(request: gr.Request | None) -> str:
    """Who a correction counts against for the rate limit: the browser or client session."""
    if request is None:
        return "anonymous"
    return request.session_hash or (request.client.host if request.client else "anonymous")


def preview_url(inputs: list) -> str | None:
    """What the model sees as a data URL: the page shows it with no file to fetch."""
    image = preview(inputs)
    if image is None:
        return None
    return "data:image/png;base64," + base64.b64encode(cv2.imencode(".png", image)[1].tobytes()).decode()


def example_path(index) -> str:
    """The example the page's payload names by its index."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(EXAMPLES):
        raise InvalidStrokes(f"no example {str(index)[:20]}")
    return EXAMPLES[index]


def build_demo(predictor: Predictor, store: FeedbackStore | None = None) -> gr.Blocks:
    """The UI: stroke canvas in, top-3 label and what the model sees out, a correction row, examples below."""
    store = store or feedback_store()

    def decode(payload):
        # The event runs with preprocess=False and decodes here: Gradio's own decoding of a bad
        # upload (a text file, a truncated PNG, a decompression bomb) fails with no reason given.
        # API calls send file references, validated by Gradio against its upload folder for every
        # input, so never an arbitrary server path.
        if payload is None:
            return None
        return sketchpad.preprocess(sketchpad.data_model.model_validate(payload))

    def read_drawing(payload):
        # The page's value: its strokes, read in writing order, or an example it shows; an API client's:
        # a sketchpad value, as /predict takes. -> (the reading, the drawing a correction stores)
        if isinstance(payload, dict) and "strokes" in payload:
            drawing = parse_strokes(payload)
            return predictor.read_strokes(drawing), draw_ink(drawing)
        image = example_path(payload["example"]) if isinstance(payload, dict) and "example" in payload else decode(payload)
        return predictor.read(image), image

    def recognise(payload):
        with visitor_errors():
            reading = predictor.read(decode(payload))
        return label_value(reading), preview(reading.inputs)

    def read_strokes(drawing: dict) -> dict:
        """{"width", "height", "brush", "strokes": [[[x, y], ...], ...]} in canvas px, in writing order -> the
        label, as /predict's."""
        with visitor_errors():
            return label_json(predictor.read_strokes(parse_strokes(drawing)))

    def read_page(payload):
        # The page's drawing -> a reply its gate (GATE_JS) shows unless the drawing changed since.
        with visitor_errors():
            seq = payload.get("seq") if isinstance(payload, dict) else None
            if isinstance(seq, bool) or not isinstance(seq, int):
                raise InvalidStrokes("the page's drawing has no state number")
            reading, _ = read_drawing(payload)
        return {"seq": seq, "label": label.postprocess(label_value(reading)).model_dump(),
                "preview": preview_url(reading.inputs)}

    def correct(payload, answer, request: gr.Request):
        # The predicted label comes from reading the drawing again here: a client cannot make it up.
        with visitor_errors():
            label = check_answer(answer)  # first: a bad answer costs no decoding
            reading, image = read_drawing(payload)
            correction = make_correction(image, label, reading.label, reading.confidence, predictor.source,
                                         inputs=reading.inputs)
            store.save(correction, session_key(request))
        return thanks(label)

    accuracy = f", {predictor.test_accuracy:.2%} on the MNIST test set" if predictor.test_accuracy else ""
    with gr.Blocks(title="Draw a digit", delete_cache=(CACHE_SECONDS, CACHE_SECONDS)) as demo:
        gr.Markdown("# Draw a digit\nDraw a digit from 0 to 9, or a whole number, with the mouse, a finger or a "
                    "pen: the model reads it as you draw. A drawing that is not a digit (a doodle, a "
                    f"letter, a scribble) is read as **{NOT_A_DIGIT}**.")
        with gr.Row():
            with gr.Column(scale=3, min_width=280):  # a column: gr.HTML takes no share of a row's width
                pad = gr.HTML(None, html_template=PAD_HTML, css_template=PAD_CSS, js_on_load=PAD_JS,
                              apply_default_css=False, head=PHONE_MARGIN, brush_share=BRUSH_SHARE,
                              elem_id="sketchpad")
            with gr.Column(scale=2, min_width=220):
                label = gr.Label(EMPTY_MESSAGE, label="Prediction", elem_id="prediction")
                seen = gr.Image(label="What the model sees (28x28 a digit)", height=120, format="png",
                                interactive=False, elem_id="model-input", buttons=[])
        reply = gr.JSON(visible=False)
        pad.change(read_page, pad, reply, api_visibility="private", preprocess=False, show_progress="hidden",
                   trigger_mode="always_last").then(None, reply, [label, seen], js=GATE_JS, show_progress="hidden")
        # /predict takes an image as it always has: a sketchpad value the page no longer shows.
        sketchpad = gr.Sketchpad(type="numpy", image_mode="RGBA", format="png", canvas_size=CANVAS, visible=False)
        sketchpad.change(recognise, sketchpad, [label, seen], api_name="predict", preprocess=False,
                         show_progress="hidden")
        gr.api(read_strokes, api_name="read_strokes")
        with gr.Row(elem_id="correction-row"):
            answer = gr.Radio(list(ANSWERS), label="Wrong? It is:", elem_id="correction", scale=4, min_width=280)
            number = gr.Textbox(label="or the whole number (Enter)", placeholder="2026", max_lines=1, scale=1,
                                min_width=120, elem_id="correction-number")
            done = gr.Markdown(label="Confirmation", elem_id="correction-thanks")
        notice = dataset_notice(store.settings)
        if notice:
            gr.Markdown(notice, elem_id="correction-notice")
        # A refused answer is no answer: the radio (or the box) lets go of it.
        answer.input(correct, [pad, answer], done, api_name="correct", preprocess=False, show_progress="hidden") \
            .failure(None, None, answer, js="() => null", show_progress="hidden")
        number.submit(correct, [pad, number], done, api_name=False, preprocess=False, show_progress="hidden") \
            .failure(None, None, number, js="() => ''", show_progress="hidden")
        # A new stroke is a new drawing: the last answer and its thanks no longer apply (no server round trip).
        pad.change(None, None, [answer, number, done], js="() => [null, '', null]", show_progress="hidden")
        examples = gr.Dataset(components=["image"], samples=[[path] for path in EXAMPLES],
                              type="index", samples_per_page=len(EXAMPLES), elem_id="examples",
                              label="Examples: digits of a pen writer the model never saw, a number, a doodle")
        # An example replaces the drawing; its reading comes back through the pad, as a drawing's does.
        examples.click(None, examples, None, js="(index) => { window.digitPad?.showExample(index); }")
        gr.Markdown(f"Model: `{predictor.source}` (seed CNN{accuracy}).", elem_id="footer")
    return demo


SWEEP_TRIES = 5  # a cache sweep raced by an upload is tried again this many times before waiting for the next


def surviving_races(sweep):
    """Gradio's cache sweep (delete_cache) walks its live sets of files in a worker thread while uploads add
    to them: one "Set changed size during iteration" ends its task, and no upload is deleted after it. The
    sweep, tried again when raced, and skipped (never ended) when uploads keep arriving."""
    def sweep_again(blocks, age):
        for _ in range(SWEEP_TRIES):
            try:
                return sweep(blocks, age)
            except RuntimeError as e:
                if "changed size during iteration" not in str(e):
                    raise
        log.info("cache sweep skipped: uploads kept arriving; the next one catches up")
        return None

    return sweep_again


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
    from gradio import route_utils  # its scheduled task looks the sweep up here at each tick

    route_utils.delete_files_created_by_app = surviving_races(route_utils.delete_files_created_by_app)
    demo = build_demo(predictor, store)
    store.start_uploads()  # in the background: an unreachable Hub holds nothing up
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY).launch(max_file_size=MAX_UPLOAD, css=CSS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
