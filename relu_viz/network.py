"""Small multilayer perceptrons on the plane, and the initialisation schemes the app compares.

A network is a plain ``torch.nn.Sequential``::

    [Features?] Linear(d, h1) Act Linear(h1, h2) Act ... Linear(hk, out)

``widths = [2, h1, ..., hk, out]`` counts the plane's two coordinates as the input and the logits as the
output; ``out = 1`` is one binary logit (class 1 where it is > 0), ``out = K >= 2`` a softmax over K classes.
Zero hidden layers (``widths = [2, out]``) is a linear model. With extra input features (x1², sin x1, ...)
a :class:`Features` module comes first and the first ``Linear`` takes ``len(features)`` inputs.

Initialisation schemes (weights W of shape (fan_out, fan_in), biases b of shape (fan_out,)):

- ``default``: PyTorch's own ``Linear`` init, kaiming_uniform with a = sqrt(5), i.e.
  W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). It is *not* He init.
- ``he``: He et al. 2015, W ~ N(0, 2/fan_in), b = 0 (keeps the pre-activation variance through ReLU).
- ``xavier``: Glorot & Bengio 2010, W ~ U(-a, a) with a = sqrt(6/(fan_in + fan_out)), b = 0.
- ``zeros``: W = 0, b = 0: every unit of a layer computes the same thing and gets the same gradient, forever.
- ``playground``: TensorFlow Playground's W ~ U(-0.5, 0.5), b = 0.1.
- ``rai``: randomised asymmetric initialisation (Lu, Shin, Su & Karniadakis 2019): each row of
  [W | b] (fan_in + 1 entries) is drawn N(0, sigma²/fan_in) with sigma = 0.6007, then one entry chosen
  uniformly at random is replaced by a draw from Beta(2, 1) > 0, so no unit starts symmetric about zero.

``bias_init`` (a constant) and ``bias_std`` (Gaussian spread) override the scheme's hidden-layer biases:
b = bias_init + bias_std * N(0, 1). The output layer keeps the scheme's bias, so a large negative bias
kills hidden units without also pinning the prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

INIT_SCHEMES: dict[str, str] = {
    "default": "PyTorch default (kaiming_uniform, a=√5)",
    "he": "He / Kaiming normal",
    "xavier": "Xavier / Glorot uniform",
    "zeros": "All zeros",
    "playground": "TensorFlow Playground U(-0.5, 0.5), bias 0.1",
    "rai": "Randomised asymmetric (Lu et al. 2019)",
}

# Input features, TensorFlow Playground's set: key -> (label, function of the (N, 2) input).
FEATURES: dict[str, tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = {
    "x1": ("x₁", lambda p: p[:, 0]),
    "x2": ("x₂", lambda p: p[:, 1]),
    "x1sq": ("x₁²", lambda p: p[:, 0] ** 2),
    "x2sq": ("x₂²", lambda p: p[:, 1] ** 2),
    "x1x2": ("x₁·x₂", lambda p: p[:, 0] * p[:, 1]),
    "sinx1": ("sin x₁", lambda p: torch.sin(p[:, 0])),
    "sinx2": ("sin x₂", lambda p: torch.sin(p[:, 1])),
}
PLAIN_FEATURES: tuple[str, ...] = ("x1", "x2")

RAI_SIGMA = 0.6007  # Lu et al. 2019's choice for the Gaussian part of each row

ActivationSpec = str | Callable[[], nn.Module]


class Features(nn.Module):
    """Map points of the plane, shape (N, 2), to the chosen input features, shape (N, len(keys))."""

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__()
        unknown = [k for k in keys if k not in FEATURES]
        if unknown or not keys:
            raise ValueError(f"Unknown input features {unknown}; choose from {list(FEATURES)}.")
        self.keys = tuple(keys)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return torch.stack([FEATURES[k][1](points) for k in self.keys], dim=1)

    def extra_repr(self) -> str:
        return ", ".join(self.keys)


def activation_module(spec: ActivationSpec) -> nn.Module:
    """A fresh activation module from a registry name, ``"formula:<text>"``, or a zero-argument factory.

    Registry names are those of :func:`relu_viz.activations.names` with their default parameters.
    A typed formula is parsed by :mod:`relu_viz.formula` (a whitelist parser; nothing is evaluated).
    """
    if callable(spec):
        return spec()
    if spec.startswith("formula:"):
        from relu_viz import formula

        return formula.module(spec.removeprefix("formula:"))
    from relu_viz import activations

    return activations.get(spec).make()


def build(
    widths: Sequence[int],
    activation: ActivationSpec | Sequence[ActivationSpec] = "relu",
    init: str = "default",
    seed: int = 0,
    bias_init: float | None = None,
    bias_std: float = 0.0,
    features: Sequence[str] | None = None,
) -> nn.Sequential:
    """Build an MLP ``widths[0] -> ... -> widths[-1]`` with one activation per hidden layer.

    ``activation`` is one spec for every hidden layer or a sequence with one per hidden layer.
    ``features`` (keys of :data:`FEATURES`) expands the 2-D input first; ``None`` means plain (x1, x2).
    The same ``seed`` gives the same weights, independent of torch's global generator.
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise ValueError(f"widths must list at least input and output sizes, all >= 1, got {widths}")
    n_hidden = len(widths) - 2
    if isinstance(activation, str) or callable(activation):
        per_layer = [activation] * n_hidden
    else:
        per_layer = list(activation)
        if len(per_layer) != n_hidden:
            raise ValueError(f"{len(per_layer)} activations given for {n_hidden} hidden layers")
    if init not in INIT_SCHEMES:
        raise ValueError(f"Unknown init {init!r}; choose from {list(INIT_SCHEMES)}")

    layers: list[nn.Module] = []
    sizes = list(widths)
    if features is not None and tuple(features) != PLAIN_FEATURES:
        layers.append(Features(features))
        sizes[0] = len(features)
    generator = torch.Generator().manual_seed(int(seed))
    for i in range(len(sizes) - 1):
        linear = nn.Linear(sizes[i], sizes[i + 1])
        is_hidden = i < n_hidden
        initialise(linear, init, generator, bias_init if is_hidden else None, bias_std if is_hidden else 0.0)
        layers.append(linear)
        if is_hidden:
            layers.append(activation_module(per_layer[i]))
    return nn.Sequential(*layers)


@torch.no_grad()
def initialise(
    linear: nn.Linear,
    scheme: str,
    generator: torch.Generator,
    bias_init: float | None = None,
    bias_std: float = 0.0,
) -> None:
    """Initialise one ``Linear`` in place with ``scheme`` (see the module docstring for the formulas)."""
    w, b = linear.weight, linear.bias
    fan_out, fan_in = w.shape
    if scheme == "default":
        bound = 1.0 / fan_in**0.5
        w.uniform_(-bound, bound, generator=generator)
        b.uniform_(-bound, bound, generator=generator)
    elif scheme == "he":
        w.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=generator)
        b.zero_()
    elif scheme == "xavier":
        bound = (6.0 / (fan_in + fan_out)) ** 0.5
        w.uniform_(-bound, bound, generator=generator)
        b.zero_()
    elif scheme == "zeros":
        w.zero_()
        b.zero_()
    elif scheme == "playground":
        w.uniform_(-0.5, 0.5, generator=generator)
        b.fill_(0.1)
    elif scheme == "rai":
        rows = torch.randn(fan_out, fan_in + 1, generator=generator) * (RAI_SIGMA / fan_in**0.5)
        pick = torch.randint(0, fan_in + 1, (fan_out,), generator=generator)
        # Beta(2, 1) is the law of the larger of two U(0, 1) draws: sampled with our generator.
        positive = torch.rand(fan_out, 2, generator=generator).amax(dim=1)
        rows[torch.arange(fan_out), pick] = positive
        w.copy_(rows[:, :fan_in])
        b.copy_(rows[:, fan_in])
    else:
        raise ValueError(f"Unknown init {scheme!r}")
    if bias_init is not None or bias_std:
        base = b if bias_init is None else torch.full_like(b, float(bias_init))
        b.copy_(base + bias_std * torch.randn(b.shape, generator=generator))


def hidden_layers(model: nn.Sequential) -> list[tuple[nn.Linear, nn.Module]]:
    """The (Linear, activation) pairs of the hidden layers, in order (the output Linear is excluded)."""
    mods = list(model)
    return [
        (mods[i], mods[i + 1])
        for i in range(len(mods) - 1)
        if isinstance(mods[i], nn.Linear) and not isinstance(mods[i + 1], nn.Linear)
    ]


def preactivations(model: nn.Sequential, points: torch.Tensor) -> list[torch.Tensor]:
    """Hidden pre-activations z_l = W_l a_{l-1} + b_l for each hidden layer: a list of (N, width_l).

    Runs the model's own modules in order, so any activation (built-in or typed formula) is handled.
    """
    out: list[torch.Tensor] = []
    h = points
    mods = list(model)
    for i, m in enumerate(mods):
        h = m(h)
        if isinstance(m, nn.Linear) and i + 1 < len(mods) and not isinstance(mods[i + 1], nn.Linear):
            out.append(h)
    return out


def hidden_widths(model: nn.Sequential) -> list[int]:
    """Widths of the hidden layers, e.g. [8, 8] for widths [2, 8, 8, 1]."""
    return [lin.out_features for lin, _ in hidden_layers(model)]
