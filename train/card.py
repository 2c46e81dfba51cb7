"""The model card (README.md of the Hub repo), generated from metrics.json: never edit by hand."""

import json

import yaml

from recognizer.contract import CLASS_NAMES
from space_config import DATASET_ID, GATE_FILENAME, LICENSE, MODEL_FILENAME
from train.evaluate import CONFUSION_PNG, CURVES_PNG


def card_metadata(metrics: dict, repo_id: str) -> dict:
    """The card's YAML metadata, model-index included."""
    return {
        "library_name": "keras",
        "license": LICENSE,
        "tags": ["image-classification", "mnist", "handwritten-digits", "keras", "tensorflow"],
        "datasets": [DATASET_ID],
        "metrics": ["accuracy"],
        "pipeline_tag": "image-classification",
        "model-index": [{
            "name": repo_id.split("/")[-1],
            "results": [{
                "task": {"type": "image-classification", "name": "Image Classification"},
                "dataset": {"name": "MNIST", "type": DATASET_ID, "split": "test"},
                "metrics": [{"type": "accuracy", "value": round(metrics["test_accuracy"], 4),
                             "name": "Test accuracy"}],
            }],
        }],
    }


def extra_data_lines(metrics: dict) -> str:
    """One card line per --extra-data source of the run (none for runs on MNIST alone)."""
    return "".join(f"- extra data: `{s['source']}`: {s['samples']:,} samples, {s['digits']:,} digits (among the "
                   f"training samples above) and {s['not_digits']:,} not a digit;\n"
                   for s in metrics.get("extra_data", []))


def _headline(metrics: dict, drawn: dict | None) -> str:
    rows = [f"| MNIST test digits read right | **{metrics['test_accuracy']:.2%}** ({metrics['test_samples']:,}) |"]
    if drawn:
        for key, text in (("ujipen", "UJIpenchars2 (60 writers of another collection, never trained on): read right"),
                          ("unseen_writers", "Unseen pen writers' digits, drawn on a sketchpad: read right"),
                          ("mnist_redrawn", "MNIST test digits re-drawn as sketchpad strokes: read right")):
            if key in drawn:
                d = drawn[key]
                rows.append(f"| {text} | **{d['accuracy']:.2%}** ({d['n']:,}; {d['refused']:.2%} refused as not a digit) |")
        for name, d in drawn.get("conventions", {}).items():
            rows.append(f"| {name.capitalize()}, unseen writers: read right | **{d['accuracy']:.1%}** ({d['n']:,}) |")
        for key, text in (("omniglot", "Omniglot characters (not digits) answered with a digit"),
                          ("doodles_trained_kinds", "Doodles of trained kinds (held-out drawings) answered with a digit"),
                          ("doodles_strokes", "Doodles of unseen kinds of things answered with a digit")):
            if key in drawn:
                rows.append(f"| {text} | **{drawn[key]['answered']:.1%}** ({drawn[key]['n']:,}) |")
    return "| figure | value |\n|---|---|\n" + "\n".join(rows)


def _training_sets(metrics: dict) -> str:
    sets = metrics.get("training_sets") or [{"name": "MNIST", "source": metrics["data_source"],
                                             "samples": metrics["train_samples"], "licence": "CC BY-SA 3.0",
                                             "used_by": "digits"}]
    rows = [f"| {s['name']} | `{s['source']}` | {s['samples']:,} | {s['licence']} | {s['used_by']} |" for s in sets]
    return "| set | source | samples | licence | trains |\n|---|---|---|---|---|\n" + "\n".join(rows)


def _gate(metrics: dict) -> str:
    gate = metrics.get("gate")
    if not gate:
        return "No not-a-digit gate was trained with this model: every drawing is read as digits."
    kinds = ", ".join(gate["held_out_categories"])
    w = gate.get("width", 1)
    return (f"`{GATE_FILENAME}` says whether a drawing is a digit at all: Conv{16 * w}-Pool-Conv{32 * w}-Pool-"
            f"Dense{64 * w}-Dense1 sigmoid, "
            f"trained on {gate['train_digits']:,} drawn digits against {gate['train_non_digits']:,} drawn non-digits "
            f"(Omniglot characters, Quick, Draw! doodles, random scribbles; Omniglot glyphs the digit model reads "
            f"with 99% confidence left out: {gate['omniglot_screened_out']:,}). Its threshold, "
            f"{gate['threshold']:.3f}, was set on held-out writers so that at most {gate['target_refusal']:.1%} of "
            f"their digits are refused, and folded into its last bias: the file decides at 0.5. Doodle kinds never "
            f"trained on, kept for measurement: {kinds}.")


def _styles(metrics: dict) -> str:
    """The visitor styles the training drawings were drawn in, from the recorded recipe."""
    styles = metrics.get("recipe", {}).get("styles")
    if not styles:
        return "random visitor styles"
    (c0, c1), (b0, b1) = styles["canvas"], styles["brush"]
    return f"canvas {c0}-{c1} px, brush {b0:.0%}-{b1:.0%}"


def _recipe(metrics: dict) -> str:
    """The command that rebuilds the model and gate, and the whole recipe they were made with."""
    if "recipe" not in metrics:
        return ""
    command = " ".join(["python -m train", *metrics.get("rebuild_flags", [])])
    return (f"- rebuild: `{command}` (data paths as on the training machine); the whole recipe:\n\n"
            f"```json\n{json.dumps(metrics['recipe'], indent=1)}\n```")


def model_card(metrics: dict, repo_id: str, drawn: dict | None = None) -> str:
    """The whole card: YAML front matter, then headline figures first and details after."""
    per_class = " | ".join(f"{metrics['per_class_accuracy'][c]:.2%}" for c in CLASS_NAMES)
    front = yaml.safe_dump(card_metadata(metrics, repo_id), sort_keys=False)
    extra = extra_data_lines(metrics)
    return f"""---
{front}---

# {repo_id.split('/')[-1]}: handwritten digits, seed CNN

A small convolutional network ({metrics['parameters']:,} parameters) that reads handwritten digits, and a
tiny gate beside it that tells a digit from a doodle, trained with Keras {metrics['keras_version']}
(TensorFlow {metrics['tensorflow_version']}) on MNIST and real pen digits drawn as sketchpad drawings. They
power a Gradio Space where people draw a digit or a number and see the reading as they draw.

{_headline(metrics, drawn)}

## How to use
```python
import keras
from huggingface_hub import hf_hub_download

path = hf_hub_download("{repo_id}", "{MODEL_FILENAME}")
model = keras.saving.load_model(path, safe_mode=True)
probabilities = model.predict(images)  # images: (N, 28, 28, 1) float32 in [0, 1]
```
The input contract: `(N, 28, 28, 1)` float32 in [0, 1], **white digit on black**, the digit scaled to fit
20x20 and centred by centre of mass in the 28x28 frame, as MNIST digits are; output: 10 softmax
probabilities, index = digit. Drawings need the MNIST preprocessing first (invert, crop, fit 20x20,
centre by mass): the Space's `recognizer/preprocess.py` does it for any sketchpad or image input.

## Training data
{_training_sets(metrics)}

Pen digits and non-digits are drawn as a visitor draws on the sketchpad ({_styles(metrics)},
any size and place) and put through the app's own preprocessing. {metrics.get('pen_val_writers', 0)} writers of
the pen digits' training file are held out (validation and the gate's threshold); the UCI test file's 14 writers
are never trained on: they are the unseen writers above.

## Not a digit
{_gate(metrics)}

## Architecture
Conv2D 32 3x3 ReLU -> MaxPool 2x2 -> Conv2D 64 3x3 ReLU -> MaxPool 2x2 -> Flatten ->
Dropout 0.5 -> Dense 10 softmax.

## Training
- recipe: Adam, peak learning rate {metrics['learning_rate']}, warm-up then cosine decay, batch
  {metrics['batch_size']}, {metrics['epochs']} epochs, best validation epoch ({metrics['best_epoch']}) kept;
  augmentation {'on' if metrics['augment'] else 'off'}: strokes re-inked from skeletons at random widths,
  stroke-width changes, elastic distortion, rotation, shear, scale and shifts; writing conventions (slashed
  and barred 0, crossed 7, flagged 1, lifted-bar 5, open 4, straight-stem 9) drawn into a share of the pen
  writers' own strokes;
- {metrics['train_samples']:,} training and {metrics['val_samples']:,} validation samples (never a test split);
{extra}- time: {metrics['train_seconds']:.0f} s on {metrics['cpu_count']} CPU cores; seed {metrics['seed']}.
{_recipe(metrics)}

## Results on MNIST's test set
| digit | {' | '.join(CLASS_NAMES)} |
|---|{'---|' * len(CLASS_NAMES)}
| accuracy | {per_class} |

![training curves]({CURVES_PNG})
![confusion matrix]({CONFUSION_PNG})

## Limitations
- Digits 0-9 only; the Space reads numbers by reading candidate parts of the ink and keeping the likeliest.
- Trained on MNIST's American writers of the 1990s and 26 writers of pen digits: unusual styles (very
  slanted digits, some European forms) are read less well; slashed zeros, crossed sevens and flagged ones
  are learnt from the training writers' own strokes redrawn in those styles.
- The gate has seen 21 kinds of doodles, Omniglot's alphabets, scribbles and pieces of numbers: a drawing of another kind of
  thing may still be read as a digit, and a very unusual digit may be refused.
- Raw photos or drawings must go through the MNIST preprocessing; a plain resize to 28x28
  loses most of the accuracy.
"""
