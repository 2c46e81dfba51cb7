"""Speed figures, each a median or a ratio measured in one run on this machine.

    python -m benchmarks.speed [--skip-http] [--skip-cold-start]

1. in-process: reading an 800x800 drawing of a digit and the 4-digit example number (p50),
   against Keras `model.predict` for one image; reading the strokes of a 7 and of a 4-digit number;
2. over HTTP: /predict of the app against the same sketchpad endpoint answering a constant
   (benchmarks/const_app.py), one client at a time (p50) and 16 concurrent clients (req/s);
   /read_strokes of the app, one client at a time (p50);
3. cold start: `python app.py` until it serves, against `python -c "import tensorflow, gradio"`.
"""

import argparse
import concurrent.futures
import io
import os
import statistics
import subprocess
import sys
import time

import httpx
import numpy as np
from PIL import Image

from recognizer.contract import check_gate_io
from recognizer.predictor import Predictor, load_model_file
from recognizer.preprocess import to_model_input
from recognizer.stroke_input import parse_strokes
from recognizer.strokes import Style
from tests.http_client import ROOT, predict, start
from train.data import load_idx_dir
from train.skeleton import redraw_digit as render

NUMBER_EXAMPLE = ROOT / "examples" / "number_2026_pen_writer1.png"
# A 7 as the page sends it: one stroke on its 720x360 canvas, the brush 5% of the height
SEVEN = {"width": 720, "height": 360, "brush": 18, "strokes": [[[300, 80], [420, 80], [330, 290]]]}


def number_payload(text: str = "2026"):
    """The strokes of a number by the first unseen UCI writer, close together on the page's 720x360 canvas."""
    from dataclasses import replace

    from train.compose import compose_number, page_drawing
    from train.pen_data import PENDIGITS_TEST, read_unipen

    digits = read_unipen(ROOT.parent / "shared" / "data" / "pendigits" / PENDIGITS_TEST)
    picks = [next(d for d in digits if d.writer == digits[0].writer and d.label == int(c)) for c in text]
    strokes, _ = compose_number([d.strokes for d in picks], "close", 0.1, np.random.default_rng(0))
    return page_drawing(strokes, replace(Style(canvas=360, aspect=2.0, stroke=0.05, size=0.5)))


def p50_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start_time = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start_time)
    return statistics.median(times) * 1000


def in_process(drawing: np.ndarray) -> None:
    gate = load_model_file(ROOT / "not_digit_gate.keras", check=check_gate_io)
    predictor = Predictor(load_model_file(ROOT / "final_model.keras"), gate=gate)
    value = {"background": None, "layers": [], "composite": drawing}
    number = {"background": None, "layers": [], "composite": np.asarray(Image.open(NUMBER_EXAMPLE).convert("RGBA"))}
    x = to_model_input(value)
    predictor.model.predict(x[None, ..., None], verbose=0)
    for _ in range(20):
        predictor.read(value)
        predictor.read(number)
    keras_ms = p50_ms(lambda: predictor.model.predict(x[None, ..., None], verbose=0), 50)
    model_ms = p50_ms(lambda: predictor.read_inputs([x]), 500)
    pre_ms = p50_ms(lambda: to_model_input(value), 500)
    total_ms = p50_ms(lambda: predictor.read(value), 500)
    number_ms = p50_ms(lambda: predictor.read(number), 200)
    strokes_ms = p50_ms(lambda: predictor.read_strokes(parse_strokes(SEVEN)), 500)
    number_strokes = number_payload()
    number_strokes_ms = p50_ms(lambda: predictor.read_strokes(number_strokes), 200)
    print("in-process (p50):")
    print(f"  preprocessing, 800x800 RGBA drawing of one digit   {pre_ms:7.2f} ms")
    print(f"  one call: digit model x 3 rotations + gate        {model_ms:7.2f} ms   "
          f"(Keras model.predict, digit model alone: {keras_ms:.1f} ms)")
    print(f"  read the drawing of one digit (split, preprocess, call) {total_ms:7.2f} ms")
    print(f"  read the 720x360 number 2026 (4 digits, one call)       {number_ms:7.2f} ms")
    print(f"  read the strokes of a 7 (draw 720x360, runs of strokes, preprocess, call) {strokes_ms:7.2f} ms")
    print(f"  read the strokes of a 4-digit number (UCI test writer, {len(number_strokes.strokes)} strokes) {number_strokes_ms:7.2f} ms")


def read_strokes(http: httpx.Client, url: str, payload: dict) -> str:
    """One /read_strokes call: join the queue, read the result stream."""
    event = http.post(f"{url}/gradio_api/call/read_strokes", json={"data": [payload]}).json()["event_id"]
    with http.stream("GET", f"{url}/gradio_api/call/read_strokes/{event}") as stream:
        lines = [line for line in stream.iter_lines() if line]
    if not any(line.startswith("event: complete") for line in lines):
        raise RuntimeError(f"no result: {lines[-3:]}")
    return lines[-1]


def http(png: bytes, sequential: int, concurrent_clients: int, per_client: int) -> None:
    results = {}
    for name in ("benchmarks.const_app", "app.py"):
        process, url, _ = start(name)
        try:
            with httpx.Client(timeout=60) as client:
                for _ in range(10):
                    predict(client, url, png)
                latency = p50_ms(lambda: predict(client, url, png), sequential)
                if name == "app.py":
                    strokes_latency = p50_ms(lambda: read_strokes(client, url, SEVEN), sequential)

            def visitor(_):
                with httpx.Client(timeout=120) as client:
                    for _ in range(per_client):
                        predict(client, url, png)

            start_time = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(concurrent_clients) as pool:
                list(pool.map(visitor, range(concurrent_clients)))
            throughput = concurrent_clients * per_client / (time.perf_counter() - start_time)
        finally:
            process.terminate()
            process.wait()
        results[name] = (latency, throughput)
    (const_latency, const_rps), (app_latency, app_rps) = results["benchmarks.const_app"], results["app.py"]
    print(f"over HTTP (raw client: upload, queue, result stream), {os.cpu_count()} cores:")
    print(f"  one client, p50        constant {const_latency:6.1f} ms   app {app_latency:6.1f} ms   "
          f"added {app_latency / const_latency - 1:+.0%} (target <= +25%)")
    print(f"  /read_strokes, one client, p50: the strokes of a 7     app {strokes_latency:6.1f} ms")
    print(f"  {concurrent_clients} clients, req/s    constant {const_rps:6.1f}      app {app_rps:6.1f}      "
          f"ratio {app_rps / const_rps:.2f} (target >= 1)")


def cold_start(repeats: int) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    imports, apps = [], []
    for _ in range(repeats):
        start_time = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import tensorflow, gradio"], env=env, check=True,
                       capture_output=True)
        imports.append(time.perf_counter() - start_time)
        process, _, seconds = start("app.py")
        process.terminate()
        process.wait()
        apps.append(seconds)
    imp, app = statistics.median(imports), statistics.median(apps)
    print(f"cold start offline (median of {repeats}): import tensorflow, gradio {imp:.1f} s; "
          f"python app.py to serving {app:.1f} s; ratio {app / imp:.2f} (target <= 1.5)")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="../shared/data/mnist", help="MNIST IDX folder")
    p.add_argument("--skip-http", action="store_true", help="skip the HTTP figures")
    p.add_argument("--skip-cold-start", action="store_true", help="skip the cold-start figures")
    p.add_argument("--requests", type=int, default=100, help="sequential HTTP requests per app")
    p.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    p.add_argument("--per-client", type=int, default=10, help="requests per concurrent client")
    args = p.parse_args(argv)
    digit = load_idx_dir(args.data_dir).x_test[0]
    drawing = render(digit, Style(canvas=800, stroke=0.04, size=0.6))
    in_process(drawing)
    if not args.skip_http:
        buffer = io.BytesIO()
        Image.fromarray(drawing).save(buffer, "PNG")
        http(buffer.getvalue(), args.requests, args.clients, args.per_client)
    if not args.skip_cold_start:
        cold_start(3)


if __name__ == "__main__":
    main()
