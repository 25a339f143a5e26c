"""What a network computes over the visible plane: class probabilities, unit outputs, a hidden layer's view.

The view is a square box ``[-r, r]²`` sampled on a ``res x res`` grid (TensorFlow Playground draws
``[-6, 6]²`` at 100 x 100). Grid arrays are laid out image-style: row i is y = ys[i] (bottom to top),
column j is x = xs[j], so ``values.reshape(res, res)`` matches ``go.Heatmap(x=xs, y=ys, z=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from relu_viz import network

Box = tuple[tuple[float, float], tuple[float, float]]
VIEW_RADIUS = 6.0
DEFAULT_BOX: Box = ((-VIEW_RADIUS, VIEW_RADIUS), (-VIEW_RADIUS, VIEW_RADIUS))


@dataclass(frozen=True)
class Grid:
    """A res x res lattice over ``box``: ``xs`` (res,), ``ys`` (res,), ``points`` (res², 2) float32."""

    xs: np.ndarray
    ys: np.ndarray
    points: np.ndarray

    @property
    def res(self) -> int:
        return len(self.xs)


def grid(box: Box = DEFAULT_BOX, res: int = 100) -> Grid:
    """Cell-centred lattice: x_j = xmin + (j + ½)·(xmax − xmin)/res, likewise y_i; row-major by y."""
    (x0, x1), (y0, y1) = box
    xs = x0 + (np.arange(res) + 0.5) * (x1 - x0) / res
    ys = y0 + (np.arange(res) + 0.5) * (y1 - y0) / res
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    return Grid(xs, ys, points)


def n_classes(model: nn.Sequential) -> int:
    """Classes a model separates: one output logit means two classes, K outputs mean K."""
    out = [m for m in model if isinstance(m, nn.Linear)][-1].out_features
    return 2 if out == 1 else out


@torch.inference_mode()
def class_probabilities(model: nn.Sequential, points: np.ndarray) -> np.ndarray:
    """p(class k | x) for each point: (N, K) float32; sigmoid for one logit, softmax for K >= 2."""
    logits = model(torch.from_numpy(np.asarray(points, dtype=np.float32)))
    if logits.shape[1] == 1:
        p1 = torch.sigmoid(logits[:, 0])
        probs = torch.stack([1 - p1, p1], dim=1)
    else:
        probs = torch.softmax(logits, dim=1)
    return probs.numpy()


@torch.inference_mode()
def unit_outputs(model: nn.Sequential, points: np.ndarray) -> list[np.ndarray]:
    """Post-activation output a_l = f(z_l) of every hidden layer at ``points``: a list of (N, width_l)."""
    h = torch.from_numpy(np.asarray(points, dtype=np.float32))
    outs: list[np.ndarray] = []
    mods = list(model)
    for i, m in enumerate(mods):
        h = m(h)
        if i > 0 and isinstance(mods[i - 1], nn.Linear) and not isinstance(m, nn.Linear):
            outs.append(h.numpy().copy())
    return outs


def first_layer_lines(model: nn.Sequential) -> tuple[np.ndarray, np.ndarray] | None:
    """Weights (n, 2) and biases (n,) of the first hidden layer: unit k's line is w_k · x + b_k = 0.

    ``None`` when the first layer does not read the plane directly (extra input features).
    """
    first = model[0]
    if not isinstance(first, nn.Linear) or first.in_features != 2 or len(network.hidden_layers(model)) == 0:
        return None
    return first.weight.detach().double().numpy(), first.bias.detach().double().numpy()


def line_segment(w: np.ndarray, b: float, box: Box = DEFAULT_BOX) -> np.ndarray | None:
    """The part of the line w·x + b = 0 inside ``box`` as two endpoints (2, 2), or None if it misses."""
    (x0, x1), (y0, y1) = box
    hits: list[tuple[float, float]] = []
    if abs(w[1]) > 1e-12:
        for x in (x0, x1):
            y = -(b + w[0] * x) / w[1]
            if y0 - 1e-9 <= y <= y1 + 1e-9:
                hits.append((x, y))
    if abs(w[0]) > 1e-12:
        for y in (y0, y1):
            x = -(b + w[1] * y) / w[0]
            if x0 - 1e-9 <= x <= x1 + 1e-9:
                hits.append((x, y))
    if len(hits) < 2:
        return None
    pts = np.array(hits)
    # keep the two farthest-apart hits (corner hits appear twice)
    d = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    return pts[[i, j]]


@dataclass(frozen=True)
class HiddenView:
    """Data and a warped grid seen through two units (u, v) of one hidden layer (ConvNetJS's view).

    ``data`` (N, 2) are the layer outputs (a_u, a_v) of the data points; ``grid_lines`` is a list of
    (M, 2) polylines: the images of the lines x = const and y = const of the input square.
    """

    data: np.ndarray
    grid_lines: list[np.ndarray]


def hidden_view(
    model: nn.Sequential,
    layer: int,
    units: tuple[int, int],
    data: np.ndarray,
    box: Box = DEFAULT_BOX,
    n_lines: int = 13,
    samples: int = 60,
) -> HiddenView:
    """Map the data and a square grid of lines through ``model`` up to hidden ``layer``'s output."""
    u, v = units
    (x0, x1), (y0, y1) = box
    ts = np.linspace(0.0, 1.0, samples)
    polylines = []
    for c in np.linspace(0.0, 1.0, n_lines):
        polylines.append(np.stack([x0 + ts * (x1 - x0), np.full_like(ts, y0 + c * (y1 - y0))], axis=1))
        polylines.append(np.stack([np.full_like(ts, x0 + c * (x1 - x0)), y0 + ts * (y1 - y0)], axis=1))
    stacked = np.concatenate([data, *polylines]).astype(np.float32)
    out = unit_outputs(model, stacked)[layer][:, [u, v]]
    n = len(data)
    lines = [out[n + k * samples : n + (k + 1) * samples] for k in range(len(polylines))]
    return HiddenView(out[:n], lines)
