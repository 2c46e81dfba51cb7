"""What the app and the training share: the model's input contract, preprocessing, prediction."""
