"""The hidden units as the trainer's live view reports them: dead units, and how alike a layer's units are.

The browser computes both from the streamed weights (``deadUnits`` and ``unitDifference`` in
``relu_viz/js/forward.js``); these are their Python twins, built on :mod:`relu_viz.neurons`, against
which ``tests/browser/test_units_js.py`` checks the browser. Pure Python: never imports streamlit.

- Dead on the training points: the activation can die (:func:`relu_viz.neurons.can_die`), its
  derivative f'(z_u) is 0 at every training point and every z_u is finite. Such a unit outputs the
  same value (0 for ReLU) everywhere the data lies, and its incoming weights get no gradient. Smooth
  activations (sigmoid, tanh, Leaky ReLU, ELU, ...) report none: they may sit in a flat-looking region,
  but their gradient is not 0. Cut off: alive, but every unit it feeds is dead or cut off
  (:func:`relu_viz.neurons.cut_off_units`).
- Unit difference of a layer: D = max over pairs of units (u, v) of max over the pixels p of the
  diagram's picture grid of |a_u(p) - a_v(p)|, which equals max_p (max_u a_u(p) - min_u a_u(p)).
  D = 0 exactly when every unit of the layer draws the same picture (zero init: identical forever).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from relu_viz import network, neurons

THUMB = 16  # the diagram's unit pictures: TV_THUMB × TV_THUMB pixel centres (relu_viz/js/trainer_view.js)


class DeadUnits(NamedTuple):
    """Per hidden layer, (width_l,) bool arrays: ``dead``, ``cut_off`` and ``nonfinite`` (see the module
    docstring)."""

    dead: list[np.ndarray]
    cut_off: list[np.ndarray]
    nonfinite: list[np.ndarray]

    @property
    def n_dead(self) -> int:
        return int(sum(int(m.sum()) for m in self.dead))

    @property
    def n_units(self) -> int:
        return int(sum(m.size for m in self.dead))


def dead_units(model: nn.Sequential, x_train: np.ndarray | torch.Tensor) -> DeadUnits:
    """Dead and cut-off hidden units of ``model`` on the training points ``x_train`` (N, 2)."""
    stats = neurons.unit_stats(model, x_train)
    dead = [d & c & ~nf for d, c, nf in zip(stats.dead_on_data, stats.can_die, stats.nonfinite, strict=True)]
    return DeadUnits(dead, neurons.cut_off_units(model, dead), list(stats.nonfinite))


def picture_grid(box: tuple[tuple[float, float], tuple[float, float]], size: int = THUMB) -> np.ndarray:
    """Pixel centres of a size × size picture of ``box`` ((x0, x1), (y0, y1)), row 0 at the top (as the
    browser draws it): (size², 2) float64, row-major."""
    (x0, x1), (y0, y1) = box
    centres = (np.arange(size) + 0.5) / size
    xs = x0 + centres * (x1 - x0)
    ys = y1 - centres * (y1 - y0)
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def unit_difference(
    model: nn.Sequential, box: tuple[tuple[float, float], tuple[float, float]], size: int = THUMB
) -> list[float | None]:
    """Per hidden layer, the largest difference between two of its units' outputs over the picture grid
    (see the module docstring); None for a layer of one unit. Computed in float64."""
    points = torch.from_numpy(picture_grid(box, size))
    model = _double(model)
    out: list[float | None] = []
    with torch.no_grad():
        zs = network.preactivations(model, points)
        for z, (_, act) in zip(zs, network.hidden_layers(model), strict=True):
            a = act(z).numpy()
            out.append(None if a.shape[1] < 2 else float((a.max(axis=1) - a.min(axis=1)).max()))
    return out


def _double(model: nn.Sequential) -> nn.Sequential:
    return copy.deepcopy(model).double().eval()
