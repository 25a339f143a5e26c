"""Vanishing gradients measured: how much gradient reaches the first layer of a deep random MLP.

For depth L (hidden layers) the network is ``relu_viz.network.build([w, w, ..., w, 1])`` with L hidden
layers of width w, so it has L + 1 Linear layers W_1 ... W_{L+1}. Inputs x ~ N(0, I_w) (``n_samples`` rows,
fixed seed); the loss is the mean output, L(x) = (1/N) Σ_n y_n, so dL/dy = 1/N for every sample and the
measurement is pure backpropagation through the weights and activation slopes, free of any target.

The reported ratio is ||dL/dW_1||_F / ||dL/dW_{L+1}||_F: the gradient reaching the first layer relative to
the one at the last layer. By the chain rule the first layer's gradient carries one factor W_l^T diag(f'(z_l))
per hidden layer; with sigmoid, f' <= 0.25, so with small weights the ratio falls roughly geometrically in L,
while ReLU with He init keeps it of order 1. The ratio is 0 when no gradient reaches the first layer
(binary step) and NaN when the last layer gets none either.

Modules run in eval mode (RReLU uses its mean slope), in float32, on one thread; everything is a pure
function of its arguments, so callers may cache results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from relu_viz import activations
from relu_viz.network import ActivationSpec, build

__all__ = ["default_init", "gradient_ratio", "ratio_table"]

# He init preserves the forward variance through ReLU-like units (half the input passes); Xavier is
# derived for activations with slope 1 at 0 that are symmetric (tanh) and is the usual choice for sigmoid.
_INIT_BY_FAMILY = {
    "ReLU family": "he",
    "exponential linear": "he",
    "smooth ReLU-like": "he",
    "saturating": "xavier",
    "hard (piecewise linear)": "xavier",
}
_INIT_OVERRIDES = {"hardswish": "he", "identity": "xavier", "tanhshrink": "xavier"}


def default_init(key: str) -> str:
    """A sensible init scheme for registry key ``key``: "he" for the ReLU family and ReLU-like smooth
    functions, "xavier" for sigmoid/tanh-like (saturating, hard tanh/sigmoid) and the identity,
    "default" (PyTorch's) otherwise, including typed formulas ("formula:..." or unknown keys)."""
    if key in _INIT_OVERRIDES:
        return _INIT_OVERRIDES[key]
    try:
        family = activations.get(key).family
    except KeyError:
        return "default"
    return _INIT_BY_FAMILY.get(family, "default")


def _ratio(model: nn.Sequential, inputs: torch.Tensor) -> float:
    linears = [m for m in model if isinstance(m, nn.Linear)]
    model.zero_grad(set_to_none=True)
    model(inputs).mean().backward()
    first, last = linears[0].weight.grad, linears[-1].weight.grad
    last_norm = float(torch.linalg.vector_norm(last))
    first_norm = float(torch.linalg.vector_norm(first)) if first is not None else 0.0
    if last_norm == 0.0 or not np.isfinite(last_norm):
        return float("nan")
    return first_norm / last_norm


def gradient_ratio(
    activation: ActivationSpec,
    depths: Sequence[int],
    width: int = 64,
    init: str = "he",
    seed: int = 0,
    n_samples: int = 256,
) -> np.ndarray:
    """||dL/dW_1|| / ||dL/dW_last|| for a random MLP of each depth (number of hidden layers).

    ``activation`` is anything :func:`relu_viz.network.build` accepts (registry key, "formula:<text>", or
    a zero-argument module factory). Returns a float64 array with one ratio per depth (see the module
    docstring for the network, inputs and loss). Depth d uses weights drawn with ``seed`` + d.
    """
    if width < 1 or n_samples < 1:
        raise ValueError("width and n_samples must be >= 1")
    inputs = torch.randn(n_samples, width, generator=torch.Generator().manual_seed(seed))
    ratios = np.empty(len(depths), dtype=np.float64)
    for i, depth in enumerate(depths):
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        model = build([width] * (int(depth) + 1) + [1], activation, init=init, seed=seed + int(depth))
        model.eval()
        ratios[i] = _ratio(model, inputs)
    return ratios


def ratio_table(
    series: Sequence[tuple[str, str]],
    max_depth: int,
    progress: Callable[[float], None] | None = None,
) -> dict[tuple[str, str], np.ndarray]:
    """:func:`gradient_ratio` at depths 1..``max_depth`` for each (activation key, init) in ``series``:
    the vanishing-gradient tab's table, one row per series (the helper process's task;
    ``progress(fraction)`` after each depth of each series)."""
    table: dict[tuple[str, str], np.ndarray] = {}
    total = max(1, len(series) * int(max_depth))
    for i, (key, init) in enumerate(series):
        row = np.empty(int(max_depth), dtype=np.float64)
        for d in range(1, int(max_depth) + 1):
            row[d - 1] = gradient_ratio(key, [d], init=init)[0]
            if progress is not None:
                progress((i * int(max_depth) + d) / total)
        table[(key, init)] = row
    return table
