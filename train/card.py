"""The model card (README.md of the Hub repo), generated from metrics.json: never edit by hand."""

import yaml

from recognizer.contract import CLASS_NAMES
from space_config import DATASET_ID, LICENSE, MODEL_FILENAME
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
                   f"training digits above) and {s['not_digits']:,} not a digit;\n"
                   for s in metrics.get("extra_data", []))


def model_card(metrics: dict, repo_id: str) -> str:
    """The whole card: YAML front matter and a Markdown body."""
    per_class = " | ".join(f"{metrics['per_class_accuracy'][c]:.2%}" for c in CLASS_NAMES)
    front = yaml.safe_dump(card_metadata(metrics, repo_id), sort_keys=False)
    extra = extra_data_lines(metrics)
    return f"""---
{front}---

# {repo_id.split('/')[-1]}: handwritten digits, seed CNN

A small convolutional network ({metrics['parameters']:,} parameters) trained on MNIST with
Keras {metrics['keras_version']} (TensorFlow {metrics['tensorflow_version']}). It powers a Gradio
Space where people draw a digit and see the answer as they draw.

## Architecture
Conv2D 32 3x3 ReLU -> MaxPool 2x2 -> Conv2D 64 3x3 ReLU -> MaxPool 2x2 -> Flatten ->
Dropout 0.5 -> Dense 10 softmax.

## Input contract
- input: `(N, 28, 28, 1)` float32 in [0, 1], **white digit on black**, the digit scaled to fit
  20x20 and centred by centre of mass in the 28x28 frame, as MNIST digits are;
- output: 10 softmax probabilities, index = digit.

Drawings need the MNIST preprocessing first (invert, crop, fit 20x20, centre by mass); the
Space's `recognizer/preprocess.py` does it for any sketchpad or image input.

## Training
- data: {metrics['data_source']}: {metrics['train_samples']:,} training digits, {metrics['val_samples']:,} held out
  for validation (never the test split), {metrics['test_samples']:,} official test digits for evaluation;
{extra}- recipe: Adam, peak learning rate {metrics['learning_rate']}, warm-up then cosine decay, batch
  {metrics['batch_size']}, {metrics['epochs']} epochs, best validation epoch ({metrics['best_epoch']}) kept;
  augmentation {'on' if metrics['augment'] else 'off'}: strokes re-inked from skeletons at random widths,
  stroke-width changes, elastic distortion, rotation, shear, scale and shifts, and writer strokes (slashed 0,
  flagged 1, crossed 7);
- time: {metrics['train_seconds']:.0f} s on {metrics['cpu_count']} CPU cores; seed {metrics['seed']}.

## Results (MNIST test set)
Test accuracy: **{metrics['test_accuracy']:.2%}** ({metrics['test_samples']:,} digits).

| digit | {' | '.join(CLASS_NAMES)} |
|---|{'---|' * len(CLASS_NAMES)}
| accuracy | {per_class} |

![training curves]({CURVES_PNG})
![confusion matrix]({CONFUSION_PNG})

## How to use
```python
import keras
from huggingface_hub import hf_hub_download

path = hf_hub_download("{repo_id}", "{MODEL_FILENAME}")
model = keras.saving.load_model(path, safe_mode=True)
probabilities = model.predict(images)  # images: (N, 28, 28, 1) float32 in [0, 1]
```

## Limitations
- Trained on MNIST only: digits 0-9, one per image, written by American writers in the 1990s.
  Unusual styles (very slanted digits, open 4s, some European forms) are read less well.
- Raw photos or drawings must go through the MNIST preprocessing; a plain resize to 28x28
  loses most of the accuracy.
- It always answers one of ten digits: use the confidence to reject letters and scribbles.
"""
