"""Registry of activation functions: every elementwise activation in ``torch.nn`` plus identity and step.

Each entry is an :class:`ActivationSpec`: a display name, a factory for the torch module, the tunable
parameters with slider ranges, the formula f(x) in LaTeX, where it comes from, a one-line teaching note, a
family, and the exact kink locations as a function of the parameters.

A *kink* here is a point where f is not differentiable: f itself jumps (step, Threshold, Hardshrink) or
the one-sided slopes f'(x⁻) ≠ f'(x⁺) (ReLU at 0, Hardtanh at its limits); also a point where autograd's
f' differs from both one-sided slopes (Softshrink with λ = 0 is f(x) = x but reports f'(0) = 0).
Autograd still returns a number at a kink, and which number is a convention of the op: ReLU'(0) = 0,
LeakyReLU'(0) = slope, ELU'(0) = alpha (the left slope), SELU'(0) = λ·α ≈ 1.7581. Points where only f''
jumps (ELU with alpha = 1, CELU, Softsign at 0) are not kinks: f' is continuous there.

All modules act elementwise on tensors of any shape; ``make(**params)`` fills unspecified parameters with
torch's own defaults (Threshold, which has no torch default, uses threshold 0 and value 0, i.e. ReLU).
RReLU is random in training mode (slope drawn from U(lower, upper) per element); evaluated in eval mode,
as the plots do, it is a LeakyReLU with slope (lower + upper)/2, 11/48 at the defaults.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

__all__ = ["ActivationSpec", "Param", "Step", "get", "names", "specs"]


@dataclass(frozen=True)
class Param:
    """One tunable parameter of an activation, with the slider range the UI offers for it."""

    name: str
    label: str
    min: float
    max: float
    default: float
    step: float


class Step(nn.Module):
    """Binary (Heaviside) step H(x) = 1 if x > 0 else 0, elementwise; H(0) = 0.

    The true derivative is 0 away from 0 and undefined at 0. The forward adds ``0 * x`` so the output stays
    attached to the autograd graph: autograd then reports f'(x) = 0 everywhere, including at 0, which is
    exactly why a step cannot be trained by gradient descent.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x > 0).to(x.dtype) + 0 * x


KinkFn = Callable[..., list[float]]


@dataclass(frozen=True)
class ActivationSpec:
    """An activation function of the registry.

    ``factory(**params)`` builds the torch module; ``kink_fn(**params)`` returns the exact points (in x)
    where f or f' is discontinuous, for the full parameter set (defaults filled in).
    """

    key: str
    name: str
    factory: Callable[..., nn.Module]
    params: tuple[Param, ...]
    latex: str
    origin: str
    note: str
    family: str
    kink_fn: KinkFn

    def defaults(self) -> dict[str, float]:
        """The default value of every parameter (torch's defaults)."""
        return {p.name: p.default for p in self.params}

    def _full(self, params: dict[str, Any]) -> dict[str, float]:
        known = {p.name for p in self.params}
        unknown = set(params) - known
        if unknown:
            raise TypeError(f"{self.key} has no parameter(s) {sorted(unknown)}; it takes {sorted(known)}")
        return {**self.defaults(), **params}

    def make(self, **params: float) -> nn.Module:
        """A fresh torch module; unspecified parameters take their default values."""
        return self.factory(**self._full(params))

    def function(self, **params: float) -> nn.Module:
        """The module in eval mode: deterministic (matters only for RReLU), for plotting and measuring."""
        return self.make(**params).eval()

    def kinks(self, **params: float) -> list[float]:
        """Sorted exact x positions where f or f' is discontinuous, for these parameters."""
        return sorted(float(k) for k in self.kink_fn(**self._full(params)))


def _no_kinks(**_: float) -> list[float]:
    return []


def _kink_at_zero_unless_slope_one(slope: float) -> list[float]:
    # A leak of exactly 1 makes the two sides the same line: f = x, no kink.
    return [] if math.isclose(slope, 1.0) else [0.0]


def _shrink_kinks(lambd: float) -> list[float]:
    # With λ = 0 both shrinks are f(x) = x, yet autograd still reports f'(0) = 0 (the x ≤ λ branch):
    # f' as torch computes it breaks at 0, so it is marked.
    return [0.0] if lambd == 0 else [-lambd, lambd]


def _softplus_kinks(beta: float, threshold: float) -> list[float]:
    # torch switches from log1p(exp(βx))/β to the line x where βx > threshold: a tiny jump of f and f'
    # there (2e-9 at the default threshold 20), visible when the threshold is small.
    return [threshold / beta]


def _make_rrelu(lower: float, upper: float) -> nn.Module:
    if lower > upper:
        raise ValueError(f"RReLU needs lower <= upper, got lower={lower}, upper={upper}")
    return nn.RReLU(lower, upper)


def _make_hardtanh(min_val: float, max_val: float) -> nn.Module:
    if not min_val < max_val:
        raise ValueError(f"Hardtanh needs min_val < max_val, got {min_val}, {max_val}")
    return nn.Hardtanh(min_val, max_val)


def _make_prelu(init: float) -> nn.Module:
    return nn.PReLU(num_parameters=1, init=init)


_RELU_FAMILY = "ReLU family"
_EXPONENTIAL = "exponential linear"
_SMOOTH = "smooth ReLU-like"
_SATURATING = "saturating"
_HARD = "hard (piecewise linear)"
_SHRINK = "shrinkage"
_REFERENCE = "reference"

#: The families, in display order.
FAMILIES: tuple[str, ...] = (_RELU_FAMILY, _EXPONENTIAL, _SMOOTH, _SATURATING, _HARD, _SHRINK, _REFERENCE)

_SPECS: tuple[ActivationSpec, ...] = (
    ActivationSpec(
        "relu",
        "ReLU",
        lambda: nn.ReLU(),
        (),
        r"\mathrm{ReLU}(x) = \max(0,\, x)",
        "Hahnloser et al. 2000 (Nature); Nair & Hinton 2010; Glorot, Bordes & Bengio 2011",
        "Slope 1 for x > 0 and 0 for x < 0; torch picks ReLU'(0) = 0 at the kink.",
        _RELU_FAMILY,
        lambda: [0.0],
    ),
    ActivationSpec(
        "relu6",
        "ReLU6",
        lambda: nn.ReLU6(),
        (),
        r"\mathrm{ReLU6}(x) = \min(\max(0,\, x),\, 6)",
        "Krizhevsky 2010 (convolutional deep belief nets on CIFAR-10); MobileNets",
        "ReLU capped at 6 (friendly to low-precision arithmetic); two kinks, autograd gives 0 at both.",
        _RELU_FAMILY,
        lambda: [0.0, 6.0],
    ),
    ActivationSpec(
        "leaky_relu",
        "LeakyReLU",
        lambda negative_slope: nn.LeakyReLU(negative_slope),
        (Param("negative_slope", "negative slope a", 0.0, 1.0, 0.01, 0.01),),
        r"f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}",
        "Maas, Hannun & Ng 2013",
        "A small slope a for x < 0 keeps some gradient flowing, so units cannot die; f'(0) = a in torch.",
        _RELU_FAMILY,
        lambda negative_slope: _kink_at_zero_unless_slope_one(negative_slope),
    ),
    ActivationSpec(
        "prelu",
        "PReLU",
        _make_prelu,
        (Param("init", "initial slope a", 0.0, 1.0, 0.25, 0.01),),
        r"f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases},\ a \text{ learned}",
        "He et al. 2015 (also He initialisation)",
        "LeakyReLU whose slope a is a trained parameter (one shared a here, starting at 0.25).",
        _RELU_FAMILY,
        lambda init: _kink_at_zero_unless_slope_one(init),
    ),
    ActivationSpec(
        "rrelu",
        "RReLU",
        _make_rrelu,
        (
            Param("lower", "lower bound l", 0.0, 1 / 3, 1 / 8, 0.005),
            Param("upper", "upper bound u", 1 / 3, 1.0, 1 / 3, 0.005),
        ),
        r"f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases},\ "
        r"a \sim U(l, u) \text{ (train)},\ a = \tfrac{l+u}{2} \text{ (eval)}",
        "Xu et al. 2015 (empirical evaluation of rectified activations)",
        "Random leak in training; plotted in eval mode, where the slope is (l+u)/2 = 11/48 at the defaults.",
        _RELU_FAMILY,
        lambda lower, upper: _kink_at_zero_unless_slope_one((lower + upper) / 2),
    ),
    ActivationSpec(
        "threshold",
        "Threshold",
        lambda threshold, value: nn.Threshold(threshold, value),
        (
            Param("threshold", "threshold θ", -3.0, 3.0, 0.0, 0.1),
            Param("value", "replacement value v", -3.0, 3.0, 0.0, 0.1),
        ),
        r"f(x) = \begin{cases} x & x > \theta \\ v & x \le \theta \end{cases}",
        "classic thresholding (no single paper)",
        "With θ = v = 0 it is ReLU; any v ≠ θ makes f jump at θ, where no derivative exists.",
        _RELU_FAMILY,
        lambda threshold, value: [threshold],
    ),
    ActivationSpec(
        "elu",
        "ELU",
        lambda alpha: nn.ELU(alpha),
        (Param("alpha", "alpha α", 0.0, 3.0, 1.0, 0.05),),
        r"f(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases}",
        "Clevert, Unterthiner & Hochreiter 2015",
        "Smooth negative side saturating at −α pushes mean activations towards 0; torch's ELU'(0) = α.",
        _EXPONENTIAL,
        lambda alpha: [] if math.isclose(alpha, 1.0) else [0.0],
    ),
    ActivationSpec(
        "celu",
        "CELU",
        lambda alpha: nn.CELU(alpha),
        (Param("alpha", "alpha α", 0.1, 3.0, 1.0, 0.05),),
        r"f(x) = \max(0, x) + \min\!\big(0,\ \alpha\,(e^{x/\alpha} - 1)\big)",
        "Barron 2017",
        "ELU rescaled so the slope is 1 on both sides of 0 for every α: continuously differentiable.",
        _EXPONENTIAL,
        _no_kinks,
    ),
    ActivationSpec(
        "selu",
        "SELU",
        lambda: nn.SELU(),
        (),
        r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases},"
        r"\ \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        "Klambauer et al. 2017 (self-normalising networks)",
        "Chosen so activations keep mean 0 and variance 1 through depth; slope λα ≈ 1.758 left of 0.",
        _EXPONENTIAL,
        lambda: [0.0],
    ),
    ActivationSpec(
        "gelu",
        "GELU",
        lambda: nn.GELU(approximate="none"),
        (),
        r"f(x) = x\,\Phi(x) = \tfrac{x}{2}\big(1 + \operatorname{erf}(x/\sqrt{2})\big)",
        "Hendrycks & Gimpel 2016",
        "x weighted by the chance a standard normal is below x; smooth, dips to −0.17, max slope 1.129.",
        _SMOOTH,
        _no_kinks,
    ),
    ActivationSpec(
        "gelu_tanh",
        "GELU (tanh approx.)",
        lambda: nn.GELU(approximate="tanh"),
        (),
        r"f(x) = \tfrac{x}{2}\Big(1 + \tanh\!\big(\sqrt{2/\pi}\,(x + 0.044715\,x^{3})\big)\Big)",
        "Hendrycks & Gimpel 2016 (tanh approximation)",
        "The tanh approximation of GELU used by BERT and GPT-2; within 5e-4 of the exact erf form.",
        _SMOOTH,
        _no_kinks,
    ),
    ActivationSpec(
        "silu",
        "SiLU / Swish",
        lambda: nn.SiLU(),
        (),
        r"f(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}",
        "Elfwing, Uchibe & Doya 2017 (SiLU); Ramachandran, Zoph & Le 2017 (Swish)",
        "Self-gated: x times its own sigmoid; smooth, non-monotonic, max slope about 1.0998.",
        _SMOOTH,
        _no_kinks,
    ),
    ActivationSpec(
        "mish",
        "Mish",
        lambda: nn.Mish(),
        (),
        r"f(x) = x \tanh\!\big(\ln(1 + e^{x})\big)",
        "Misra 2019",
        "Like SiLU with a softplus-tanh gate; smooth and non-monotonic, max slope about 1.0885.",
        _SMOOTH,
        _no_kinks,
    ),
    ActivationSpec(
        "softplus",
        "Softplus",
        lambda beta, threshold: nn.Softplus(beta, threshold),
        (
            Param("beta", "beta β", 0.25, 5.0, 1.0, 0.05),
            Param("threshold", "linear above βx =", 1.0, 30.0, 20.0, 1.0),
        ),
        r"f(x) = \tfrac{1}{\beta}\ln\!\big(1 + e^{\beta x}\big)"
        r"\ \ (\text{and } f(x) = x \text{ once } \beta x > \text{threshold})",
        "Dugas et al. 2001",
        "A smooth ReLU whose slope is the sigmoid; torch switches to x above the threshold (a tiny jump).",
        _SMOOTH,
        _softplus_kinks,
    ),
    ActivationSpec(
        "sigmoid",
        "Sigmoid",
        lambda: nn.Sigmoid(),
        (),
        r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        "logistic function (Verhulst 1838); backpropagation era (Rumelhart, Hinton & Williams 1986)",
        "Squashes to (0, 1); slope at most 0.25, so gradients shrink at least 4× per layer.",
        _SATURATING,
        _no_kinks,
    ),
    ActivationSpec(
        "tanh",
        "Tanh",
        lambda: nn.Tanh(),
        (),
        r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1",
        "classic; recommended over sigmoid by LeCun et al. 1998 (Efficient BackProp)",
        "Zero-centred sigmoid with slope 1 at 0, but it still saturates: slope → 0 for large |x|.",
        _SATURATING,
        _no_kinks,
    ),
    ActivationSpec(
        "softsign",
        "Softsign",
        lambda: nn.Softsign(),
        (),
        r"f(x) = \frac{x}{1 + |x|}",
        "Bergstra et al. 2009; studied by Glorot & Bengio 2010",
        "Tanh-like but approaches ±1 polynomially, not exponentially; f'' jumps at 0 (C¹, not smooth).",
        _SATURATING,
        _no_kinks,
    ),
    ActivationSpec(
        "logsigmoid",
        "LogSigmoid",
        lambda: nn.LogSigmoid(),
        (),
        r"f(x) = \ln \sigma(x) = -\ln\!\big(1 + e^{-x}\big)",
        "log of the logistic function (the log-likelihood in logistic regression)",
        "Minus softplus(−x): linear for x → −∞, saturating at 0 for x → +∞.",
        _SATURATING,
        _no_kinks,
    ),
    ActivationSpec(
        "hardtanh",
        "Hardtanh",
        _make_hardtanh,
        (
            Param("min_val", "min", -4.0, 0.0, -1.0, 0.1),
            Param("max_val", "max", 0.5, 6.0, 1.0, 0.1),
        ),
        r"f(x) = \min\!\big(\max(x,\, \mathrm{min}),\, \mathrm{max}\big)",
        "piecewise-linear tanh of the Torch library",
        "Identity clipped to [min, max]; autograd gives slope 0 at both corners (min 0, max 6 is ReLU6).",
        _HARD,
        lambda min_val, max_val: [min_val, max_val],
    ),
    ActivationSpec(
        "hardsigmoid",
        "Hardsigmoid",
        lambda: nn.Hardsigmoid(),
        (),
        r"f(x) = \min\!\big(\max(0,\ x/6 + 1/2),\ 1\big)",
        "Howard et al. 2019 (MobileNetV3)",
        "Piecewise-linear sigmoid with slope 1/6 on [−3, 3]: cheap on phones, kinks at ±3.",
        _HARD,
        lambda: [-3.0, 3.0],
    ),
    ActivationSpec(
        "hardswish",
        "Hardswish",
        lambda: nn.Hardswish(),
        (),
        r"f(x) = x \cdot \frac{\mathrm{ReLU6}(x + 3)}{6}",
        "Howard et al. 2019 (MobileNetV3)",
        "SiLU with the sigmoid replaced by Hardsigmoid: piecewise quadratic, kinks at ±3.",
        _HARD,
        lambda: [-3.0, 3.0],
    ),
    ActivationSpec(
        "hardshrink",
        "Hardshrink",
        lambda lambd: nn.Hardshrink(lambd),
        (Param("lambd", "lambda λ", 0.0, 3.0, 0.5, 0.05),),
        r"f(x) = \begin{cases} x & |x| > \lambda \\ 0 & |x| \le \lambda \end{cases}",
        "hard thresholding: Donoho & Johnstone 1994 (wavelet shrinkage)",
        "Zeroes small inputs and keeps large ones: f jumps at ±λ, where no derivative exists.",
        _SHRINK,
        lambda lambd: _shrink_kinks(lambd),
    ),
    ActivationSpec(
        "softshrink",
        "Softshrink",
        lambda lambd: nn.Softshrink(lambd),
        (Param("lambd", "lambda λ", 0.0, 3.0, 0.5, 0.05),),
        r"f(x) = \begin{cases} x - \lambda & x > \lambda \\ x + \lambda & x < -\lambda \\ 0 & \text{else}"
        r"\end{cases}",
        "soft thresholding: Donoho & Johnstone 1994 (wavelet shrinkage)",
        "Moves inputs λ towards 0 and zeroes the band [−λ, λ]: continuous, with kinks at ±λ.",
        _SHRINK,
        lambda lambd: _shrink_kinks(lambd),
    ),
    ActivationSpec(
        "tanhshrink",
        "Tanhshrink",
        lambda: nn.Tanhshrink(),
        (),
        r"f(x) = x - \tanh(x)",
        "Torch library (no paper)",
        "What tanh takes away: flat (cubic, x³/3) near 0 and linear for large |x|.",
        _SHRINK,
        _no_kinks,
    ),
    ActivationSpec(
        "identity",
        "Identity (linear)",
        lambda: nn.Identity(),
        (),
        r"f(x) = x",
        "no activation: a stack of linear layers is one linear map",
        "The baseline: without a non-linearity depth adds nothing, the network stays linear.",
        _REFERENCE,
        _no_kinks,
    ),
    ActivationSpec(
        "step",
        "Binary step",
        lambda: Step(),
        (),
        r"H(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        "McCulloch & Pitts 1943; Rosenblatt 1958 (perceptron)",
        "The original neuron: autograd sees slope 0 everywhere, so gradient descent cannot train it.",
        _REFERENCE,
        lambda: [0.0],
    ),
)

_BY_KEY: dict[str, ActivationSpec] = {s.key: s for s in _SPECS}


def names() -> list[str]:
    """The registry keys (snake_case), in display order: the 23 torch.nn activations (GELU twice,
    once per approximation), then identity and step."""
    return [s.key for s in _SPECS]


def specs() -> list[ActivationSpec]:
    """All specs, in the order of :func:`names`."""
    return list(_SPECS)


def get(name: str) -> ActivationSpec:
    """The spec for registry key ``name`` (case-insensitive; ``-`` reads as ``_``).

    Unknown names raise ``KeyError`` listing the valid ones.
    """
    # Display spellings ("ReLU", "leaky-relu") are accepted: the key is what they normalise to.
    normalised = str(name).strip().lower().replace("-", "_")
    try:
        return _BY_KEY[normalised]
    except KeyError:
        close = [k for k in _BY_KEY if normalised and normalised in k]
        hint = f" Did you mean {close}?" if close else ""
        raise KeyError(
            f"Unknown activation {name!r}.{hint} Known: {', '.join(_BY_KEY)} "
            "(a typed formula goes through relu_viz.network.activation_module('formula:...'))."
        ) from None
