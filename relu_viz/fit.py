"""Fitting y = f(x) with a small network R → R: the engine of the "Fit a function" page.

The data: ``n`` points x drawn uniformly from the target's domain (seeded), y = f(x) + ε with
ε ~ N(0, σ²) and σ = noise × (max f − min f over the domain), so noise is a share of the target's range
(0 to 0.5). The targets (:data:`TARGETS`) are sin x, |x|, the step (0 for x ≤ 0, 1 for x > 0), x³ − x, a
sawtooth (a continuous one: Telgarsky's zigzag |x − 2·round(x/2)|, corners at every integer), a formula
typed by the user (parsed by :mod:`relu_viz.formula`, the whitelisted parser; never eval) or points
clicked onto the plot.

The network: ``[1, h_1, ..., h_L, 1]`` (0 to 4 hidden layers of 1 to 64 units) built by
:func:`relu_viz.network.build`, trained by :class:`FitTrainer`, the live trainer's engine
(:class:`relu_viz.training.Trainer`: optimizers, mini-batches, divergence handling, bounded history) with
one input and the loss of regression,

    L(θ) = (1/B) Σ_i (f_θ(x_i) − y_i)²   (mean squared error over a batch of B points),

minimised by autograd's gradient ∂L/∂f_θ(x_i) = 2 (f_θ(x_i) − y_i)/B through the network.

What ReLU does to the fit: with one hidden layer f(x) = c + Σ_j a_j relu(w_j x + b_j), a sum of hinges.
Hinge j is 0 on one side of its breakpoint x_j = −b_j / w_j and a line of slope a_j w_j on the other, so
f is piecewise linear with at most one kink per unit (:func:`hinges`, :func:`relu_viz.regions.kinks`); a
deeper network composes such functions and can have up to Π (h_l + 1) − 1 kinks
(:func:`relu_viz.regions.kink_bound`).

This module never imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from relu_viz import formula, network, regions
from relu_viz.training import HISTORY_CAPACITY, HISTORY_EVERY, Metrics, Trainer, TrainSettings, _Autograd

FORMULA = "formula"
CLICKED = "clicked"
DEFAULT_DOMAIN = (-3.0, 3.0)
MAX_HIDDEN_LAYERS = 4
MAX_UNITS = 64
MIN_POINTS = 2
# Activations the page offers: the piecewise-linear ones show kinks; tanh shows what a smooth one does.
ACTIVATIONS = ("relu", "leaky_relu", "hardtanh", "tanh")


def _sawtooth(x: np.ndarray) -> np.ndarray:
    return np.abs(x - 2.0 * np.round(x / 2.0))


@dataclass(frozen=True)
class Target:
    """A function to fit: ``fn`` on float64 arrays, shown as ``label``, sampled on ``domain``."""

    key: str
    label: str
    fn: Callable[[np.ndarray], np.ndarray] | None
    domain: tuple[float, float] = DEFAULT_DOMAIN
    corners: tuple[float, ...] = ()  # where the target itself has a kink (the fewest kinks a fit needs)


TARGETS: dict[str, Target] = {
    "sin": Target("sin", "sin x", np.sin),
    "abs": Target("abs", "|x|", np.abs, corners=(0.0,)),
    "step": Target("step", "step: 0 for x ≤ 0, 1 for x > 0", lambda x: (x > 0).astype(np.float64)),
    "cubic": Target("cubic", "x³ − x", lambda x: x**3 - x, domain=(-1.5, 1.5)),
    "sawtooth": Target(
        "sawtooth",
        "sawtooth |x − 2·round(x/2)|",
        _sawtooth,
        corners=(-2.0, -1.0, 0.0, 1.0, 2.0),
    ),
    FORMULA: Target(FORMULA, "your formula f(x)", None),
    CLICKED: Target(CLICKED, "your points", None),
}
TARGET_KEYS: tuple[str, ...] = tuple(TARGETS)


@dataclass(frozen=True)
class FitData:
    """Points (x, y) to fit, float64 (n,), on ``domain``; ``curve`` the noise-free target on a fine grid
    (None for clicked points); ``notes``: what the page should tell the user (points left out, ...)."""

    target: str
    label: str
    x: np.ndarray
    y: np.ndarray
    domain: tuple[float, float]
    curve: tuple[np.ndarray, np.ndarray] | None = None
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.x)

    def __hash__(self) -> int:
        return hash((self.target, self.x.tobytes(), self.y.tobytes(), self.domain))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FitData) and hash(self) == hash(other)


def target_function(key: str, text: str = "") -> Callable[[np.ndarray], np.ndarray]:
    """The target ``key`` as a function of float64 arrays; for :data:`FORMULA` the typed ``text``
    parsed by :func:`relu_viz.formula.parse` (raises :class:`relu_viz.formula.FormulaError`)."""
    if key == FORMULA:
        if not text.strip():
            raise formula.FormulaError("Type a formula in x, for example sin(2*x) or abs(x) - 1.", 0)
        parsed = formula.parse(text)

        def typed(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return parsed(torch.from_numpy(np.asarray(x, dtype=np.float64))).double().numpy()

        return typed
    fn = TARGETS[key].fn
    if fn is None:
        raise ValueError(f"Target {key!r} has no formula: its points are clicked.")
    return fn


def make_data(
    key: str,
    n: int = 100,
    noise: float = 0.0,
    seed: int = 0,
    text: str = "",
    points: Sequence[tuple[float, float]] = (),
) -> FitData:
    """The points to fit (see the module docstring). ``points``: the clicked (x, y) for :data:`CLICKED`.

    A typed formula that is not finite at some points (log(x) for x ≤ 0, 1/x at 0) keeps the finite ones
    and says so in ``notes``; raises ``ValueError`` when none is left. Raises
    :class:`relu_viz.formula.FormulaError` for a formula that does not parse.
    """
    if key not in TARGETS:
        raise ValueError(f"Unknown target {key!r}; choose from {list(TARGETS)}.")
    if not (0.0 <= noise <= 1.0):
        raise ValueError(f"noise must be in [0, 1], got {noise}")
    target = TARGETS[key]
    lo, hi = target.domain
    if key == CLICKED:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        pts = pts[np.isfinite(pts).all(axis=1)]
        return FitData(key, target.label, pts[:, 0].copy(), pts[:, 1].copy(), (lo, hi))
    fn = target_function(key, text)
    grid = np.linspace(lo, hi, 601)
    with np.errstate(all="ignore"):
        curve = np.broadcast_to(np.asarray(fn(grid), dtype=np.float64), grid.shape).copy()
    rng = np.random.default_rng(int(seed))
    x = np.sort(rng.uniform(lo, hi, int(n)))
    with np.errstate(all="ignore"):
        y = np.broadcast_to(np.asarray(fn(x), dtype=np.float64), x.shape).copy()
    finite_curve = curve[np.isfinite(curve)]
    spread = float(finite_curve.max() - finite_curve.min()) if len(finite_curve) else 0.0
    y = y + rng.normal(0.0, 1.0, len(x)) * (noise * spread)
    notes: list[str] = []
    ok = np.isfinite(y)
    if not ok.all():
        if not ok.any():
            raise ValueError(
                f"f(x) is not a finite number anywhere on [{lo:g}, {hi:g}]: nothing to fit. "
                "Try another formula."
            )
        notes.append(
            f"f(x) is not a finite number at {int((~ok).sum())} of the {len(x)} points on [{lo:g}, {hi:g}] "
            "(for example log of a negative number, or division by 0): those points were left out."
        )
        x, y = x[ok], y[ok]
    curve = np.where(np.isfinite(curve), curve, np.nan)
    label = f"f(x) = {text.strip()}" if key == FORMULA else target.label
    return FitData(key, label, x, y, (lo, hi), (grid, curve), tuple(notes))


@dataclass(frozen=True)
class FitSpec:
    """Architecture and initialisation of the network [1, *hidden, 1]."""

    hidden: tuple[int, ...] = (8,)
    activation: str = "relu"
    init: str = "default"
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.hidden) > MAX_HIDDEN_LAYERS or any(not 1 <= h <= MAX_UNITS for h in self.hidden):
            raise ValueError(
                f"0 to {MAX_HIDDEN_LAYERS} hidden layers of 1 to {MAX_UNITS} units, got {self.hidden}"
            )

    @property
    def widths(self) -> list[int]:
        return [1, *self.hidden, 1]

    @property
    def units(self) -> int:
        """Hidden units in all."""
        return sum(self.hidden)

    def build(self) -> nn.Sequential:
        return network.build(self.widths, self.activation, init=self.init, seed=self.seed)


class _SquaredError(_Autograd):
    """The trainer's autograd backend with the regression loss: mean (f(x) − y)² over the batch."""

    def gradient(
        self, x: np.ndarray, t: np.ndarray, kind: str, want_loss: bool, used: int | None = None
    ) -> float | None:
        if used is not None:
            x, t = x[:used], t[:used]
        z = self.body(torch.from_numpy(x))
        loss = (z - torch.from_numpy(t)).square().mean()
        grads = torch.autograd.grad(loss, self.params, allow_unused=True)
        for view, g in zip(self.grad_views, grads, strict=True):
            if g is None:
                view.zero_()
            else:
                view.copy_(g)
        return float(loss.detach()) if want_loss else None


class FitTrainer(Trainer):
    """:class:`relu_viz.training.Trainer` for y = f(x): inputs x (n,), real targets y (n,), loss the mean
    squared error (module docstring), no test set. Everything else is the trainer's own: the optimizers
    (``settings.optimizer``, ``lr``), mini-batches over a seeded permutation per epoch, divergence
    detection with the last good weights kept, the bounded history (its ``train_loss`` column is the mean
    squared error; accuracies are NaN), ``run_for`` and the background worker
    (:mod:`relu_viz.worker`). It always takes the autograd path alone (never batched with other
    sessions: the batched numpy step knows only the classification losses). ``settings.loss`` is not
    read (use "squared_error" so the trainer's messages name the loss rightly)."""

    def __init__(
        self,
        model: nn.Module,
        x: np.ndarray,
        y: np.ndarray,
        settings: TrainSettings | None = None,
        *,
        history_capacity: int = HISTORY_CAPACITY,
        history_every: int = HISTORY_EVERY,
    ) -> None:
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(x) != len(y):
            raise ValueError("x and y must have the same number of points.")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("x and y must be finite numbers.")
        self._values = y
        no_classes = np.zeros(len(y), dtype=np.int64)
        super().__init__(
            model,
            x,
            no_classes,
            x[:0],
            no_classes[:0],
            settings if settings is not None else TrainSettings(loss="squared_error"),
            history_capacity=history_capacity,
            history_every=history_every,
        )

    def _inputs(self, x: np.ndarray | torch.Tensor, dtype: np.dtype) -> np.ndarray:
        values = x.detach().numpy() if torch.is_tensor(x) else x
        return np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1, 1), dtype=dtype)

    def _targets(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        values = self._values if y is self.y_train else np.zeros(len(y))
        return np.asarray(values, dtype=dtype).reshape(-1, 1)

    def _make_backend(self) -> _Autograd:
        self._fast_plan = None  # relu_viz.cohort.batch_key: None, so this trainer steps alone
        grad_views = [torch.from_numpy(g) for g in self._grad_views]
        return _SquaredError(self._body, self._params, grad_views)

    def evaluate(self) -> Metrics:
        """Mean squared error on the points with the current weights (accuracies: NaN)."""
        with np.errstate(all="ignore"):
            z = self._backend.logits(self.x_train)
            mse = float(np.mean((z[:, 0].astype(np.float64) - self._values) ** 2))
        nan = math.nan
        return Metrics(mse, nan, nan, nan)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """f(x) with the current weights, float64 (n,)."""
        return self.logits(np.asarray(x, dtype=np.float64))[:, 0].astype(np.float64)


@dataclass
class FitRun:
    """A fit in progress: the data, the spec, the network and its trainer."""

    data: FitData
    spec: FitSpec
    model: nn.Sequential
    trainer: FitTrainer
    notes: list[str] = field(default_factory=list)


def start(data: FitData, spec: FitSpec, settings: TrainSettings) -> FitRun:
    """Build the network (seeded by ``spec.seed``) and its trainer on all of ``data``'s points."""
    if len(data) < MIN_POINTS:
        raise ValueError(f"At least {MIN_POINTS} points are needed to fit, got {len(data)}.")
    model = spec.build()
    trainer = FitTrainer(model, data.x, data.y, settings)
    return FitRun(data, spec, model, trainer, list(data.notes))


def structure_key(data: FitData, spec: FitSpec, settings: TrainSettings) -> tuple:
    """What forces a fresh run when it changes: the points, architecture, init, seed, optimizer."""
    return (hash(data), spec, settings.optimizer, settings.seed)


@dataclass(frozen=True)
class Hinges:
    """One hidden layer's units as functions of x: unit j contributes a_j σ(w_j x + b_j) to
    f(x) = c + Σ_j a_j σ(w_j x + b_j). ``breakpoints`` x_j = −b_j / w_j (NaN where w_j = 0: that unit is
    constant). For ReLU, hinge j is 0 where w_j x + b_j ≤ 0 and has slope a_j w_j on the other side."""

    a: np.ndarray
    w: np.ndarray
    b: np.ndarray
    c: float
    breakpoints: np.ndarray
    activation: nn.Module

    def values(self, x: np.ndarray) -> np.ndarray:
        """(units, len(x)) float64: each unit's term a_j σ(w_j x + b_j)."""
        z = torch.from_numpy(np.outer(self.w, np.asarray(x, dtype=np.float64)) + self.b[:, None])
        with torch.no_grad():
            h = self.activation(z).double().numpy()
        return self.a[:, None] * h

    def total(self, x: np.ndarray) -> np.ndarray:
        """c + Σ_j a_j σ(w_j x + b_j): the network's output."""
        return self.c + self.values(x).sum(axis=0)


def hinges(model: nn.Sequential) -> Hinges | None:
    """The hinges of a [1, n, 1] network (None for any other depth)."""
    mods = list(regions.flatten(model))
    if len(mods) != 3 or not isinstance(mods[0], nn.Linear) or not isinstance(mods[2], nn.Linear):
        return None
    first, act, last = mods
    if first.in_features != 1 or last.out_features != 1:
        return None
    with torch.no_grad():
        w = first.weight.detach().double().numpy()[:, 0].copy()
        b = first.bias.detach().double().numpy().copy()
        a = last.weight.detach().double().numpy()[0].copy()
        c = float(last.bias.detach().double()[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = np.where(w != 0, -b / np.where(w != 0, w, 1.0), np.nan)
    return Hinges(a, w, b, c, bp, act)


@dataclass(frozen=True)
class KinkCount:
    """The fit's kinks in the domain, how many hidden units made them, and the most the architecture
    can have on the whole line (``bound``)."""

    kinks: np.ndarray
    units: int
    bound: int

    @property
    def count(self) -> int:
        return len(self.kinks)

    def describe(self) -> str:
        """'5 kinks from 8 units (at most 8)', as the page writes it."""
        noun = "kink" if self.count == 1 else "kinks"
        unit = "unit" if self.units == 1 else "units"
        return f"{self.count} {noun} from {self.units} {unit} (at most {self.bound:,})"


def kink_count(model: nn.Sequential, domain: tuple[float, float]) -> KinkCount:
    """The kinks of ``model`` on ``domain``; raises :class:`relu_viz.regions.NotPiecewiseLinear` for a
    smooth activation."""
    lo, hi = domain
    found = regions.kinks(model, lo, hi)
    units = sum(network.hidden_widths(model))
    return KinkCount(found, units, regions.kink_bound(model))
