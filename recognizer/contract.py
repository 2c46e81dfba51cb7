"""The model's input/output contract, defined once for training, app and Hub checks."""

IMAGE_SIZE = 28
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)  # float32 in [0, 1], white digit on black
NUM_CLASSES = 10
CLASS_NAMES = [str(d) for d in range(NUM_CLASSES)]
# MNIST fits each digit in a 20x20 box inside the 28x28 frame, centred by centre of mass.
DIGIT_BOX = 20


def check_model_io(model) -> None:
    """Raise ValueError unless the model maps (N, 28, 28, 1) to 10 probabilities."""
    in_shape = tuple(model.input_shape)[1:]
    out_shape = tuple(model.output_shape)[1:]
    if in_shape != INPUT_SHAPE or out_shape != (NUM_CLASSES,):
        raise ValueError(
            f"model maps {in_shape} -> {out_shape}; expected {INPUT_SHAPE} -> ({NUM_CLASSES},)"
        )
# The top label the app gives a drawing that is not a digit (a doodle, a letter, a scribble).
NOT_A_DIGIT = "not a digit"


def check_gate_io(model) -> None:
    """Raise ValueError unless the gate maps (N, 28, 28, 1) to one probability, P(not a digit)."""
    in_shape, out_shape = tuple(model.input_shape)[1:], tuple(model.output_shape)[1:]
    if in_shape != INPUT_SHAPE or out_shape != (1,):
        raise ValueError(f"gate maps {in_shape} -> {out_shape}; expected {INPUT_SHAPE} -> (1,)")
