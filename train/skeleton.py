"""Skeletons of binary digit images (NumPy only: used by training and benchmarks)."""

import numpy as np


def thin(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a batch of binary images (N, H, W) to one-pixel skeletons."""
    img = np.pad(binary.astype(np.uint8), ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = img[:, :-2, 1:-1], img[:, :-2, 2:], img[:, 1:-1, 2:]
            p5, p6, p7 = img[:, 2:, 2:], img[:, 2:, 1:-1], img[:, 2:, :-2]
            p8, p9 = img[:, 1:-1, :-2], img[:, :-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            neighbours = sum(ring[:8])
            transitions = sum((ring[i] == 0) & (ring[i + 1] == 1) for i in range(8))
            if step == 0:
                keep = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                keep = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (img[:, 1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & keep
            if remove.any():
                img[:, 1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[:, 1:-1, 1:-1].astype(bool)
