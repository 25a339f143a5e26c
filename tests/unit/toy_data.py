"""Small synthetic data shared by the engine's unit tests."""

from __future__ import annotations

import numpy as np


def moons(n: int, seed: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-moons, centred, x1 within about ±1.5·scale; labels 0/1 alternate.

    Returns float64 points (n, 2) and int64 labels (n,).
    """
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.0, np.pi, n)
    y = np.arange(n) % 2
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(y[:, None] == 0, upper, lower) + rng.normal(0.0, 0.1, (n, 2))
    return (x - x.mean(axis=0)) * scale, y
