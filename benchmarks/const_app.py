"""Reference for the HTTP benchmarks: the same sketchpad endpoint, answering a constant.

    GRADIO_SERVER_PORT=7870 python -m benchmarks.const_app
"""

import gradio as gr

from app import QUEUE_SIZE

ANSWER = {"7": 0.9, "1": 0.05, "2": 0.05}


def build_demo() -> gr.Blocks:
    """A sketchpad whose /predict returns a constant label: Gradio's own cost, no model."""
    with gr.Blocks(title="constant") as demo:
        sketchpad = gr.Sketchpad(type="numpy", image_mode="RGBA", format="png", canvas_size=(400, 400))
        label = gr.Label(num_top_classes=3)
        sketchpad.change(lambda value: ANSWER, sketchpad, label, api_name="predict")
    return demo


if __name__ == "__main__":
    build_demo().queue(max_size=QUEUE_SIZE).launch()
