"""Training pipeline: data -> model -> fit -> evaluate -> save -> push."""
