"""The live curves picture: three stacked panels with each column's line where its values put it."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from relu_viz.figures import curves_image


def history(n: int = 200) -> dict[str, np.ndarray]:
    epoch = np.linspace(0, 50, n)
    return {
        "step": np.arange(n, dtype=float),
        "epoch": epoch,
        "train_loss": np.exp(-epoch / 10),
        "test_loss": np.exp(-epoch / 12) + 0.01,
        "train_acc": np.full(n, 0.9),
        "test_acc": np.full(n, 0.6),
        "regions": np.where(np.arange(n) % 5 == 0, 100.0, np.nan),
    }


def pixels(h: dict[str, np.ndarray], **size) -> np.ndarray:
    raw = curves_image.curves_image(h, **size)
    img = Image.open(io.BytesIO(raw))
    assert img.format == "PNG"
    return np.asarray(img.convert("RGB")).astype(int)


def near(img: np.ndarray, color: tuple[int, int, int], tol: int = 40) -> np.ndarray:
    return np.abs(img - np.array(color)).max(axis=-1) < tol


def test_size_and_lines_in_their_panels():
    img = pixels(history(), width=400, height=380)
    assert img.shape == (380, 400, 3)
    panel_h = (380 - curves_image.TOP - curves_image.BOTTOM - 2 * curves_image.GAP) / 3
    acc_top = curves_image.TOP + panel_h + curves_image.GAP
    # accuracy 0.9 (train, blue) sits above 0.6 (test, orange) in the accuracy panel
    col = 300
    rows_blue = np.flatnonzero(near(img[:, col], curves_image.TRAIN))
    rows_orange = np.flatnonzero(near(img[:, col], curves_image.TEST))
    blue_acc = rows_blue[(rows_blue > acc_top) & (rows_blue < acc_top + panel_h)]
    orange_acc = rows_orange[(rows_orange > acc_top) & (rows_orange < acc_top + panel_h)]
    assert len(blue_acc) and len(orange_acc) and blue_acc.mean() < orange_acc.mean()
    expected = acc_top + panel_h * (1 - 0.9 / 1.02)
    assert abs(blue_acc.mean() - expected) < 4
    # the region count (grey) is drawn in the bottom panel only
    grey = np.flatnonzero(near(img[:, col], curves_image.REGIONS, 20))
    assert len(grey) and grey.min() > acc_top + panel_h


def test_empty_or_nan_history_draws_empty_panels():
    h = {k: v[:0] for k, v in history().items()}
    below_legend = slice(curves_image.TOP - 14, None)
    img = pixels(h)
    assert near(img[: curves_image.TOP - 14], curves_image.TRAIN, 30).any()  # the legend
    assert not near(img[below_legend], curves_image.TRAIN, 30).any()
    nan = {k: np.full(5, np.nan) for k in history()}
    assert not near(pixels(nan)[below_legend], curves_image.TEST, 30).any()
