"""Training a small network on points of the plane: the live trainer's engine.

A :class:`Trainer` owns a model, the train and test points and a :class:`TrainSettings`, and takes
mini-batch gradient steps on demand (``step``, ``run_epochs``, ``run_for``). It never draws and never
touches a UI; :mod:`relu_viz.worker` runs one in a background thread for the live page.

Loss, per point, with z the logits (shape (K,), or one logit) and y the class; a batch's loss is the mean:

- ``cross_entropy``, one logit: ℓ = softplus(z) − y·z = −[y log σ(z) + (1 − y) log(1 − σ(z))]
  (binary cross-entropy with logits); K logits: ℓ = logsumexp(z) − z_y (softmax cross-entropy).
- ``squared_error``, one logit: ℓ = ½(σ(z) − y)²; K logits: ℓ = ½‖softmax(z) − onehot(y)‖².
  It is defined on probabilities so that it compares with TensorFlow Playground's loss without changing
  the network's output. Playground's output unit is tanh(u) against targets t = ±1 with error
  ½(tanh u − t)²; since tanh u = 2σ(2u) − 1 and t = 2y − 1, that error is 4·½(σ(2u) − y)²: four times ours,
  with the output squashing steeper by a factor 2 (z = 2u). Divide Playground's loss figures by 4 to
  compare, and expect its gradients at the output to be up to 8 times ours at the same learning rate.

Reported losses (``evaluate``, :class:`History`) are this data loss, without the penalty, like Playground.

Regularization acts on the weights W of every ``nn.Linear`` only, never on biases (like Playground). The
penalty is λ·½‖W‖² (``l2``) or λ·‖W‖₁ (``l1``), so each step's gradient gains λ·W or λ·sign(W)
(a subgradient, sign(0) = 0). With SGD and L2 one step scales the weights by (1 − ηλ), so ηλ > 2 diverges.

Optimizers, with θ all trainable parameters, g the step's gradient (penalty included), η the learning rate:

- ``sgd``: θ ← θ − ηg.
- ``momentum``: v ← 0.9·v + g, θ ← θ − ηv (v₀ = 0; ``torch.optim.SGD(momentum=0.9)``).
- ``adam``: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − η·m̂ / (√v̂ + ε) with m̂ = m/(1 − β₁ᵗ),
  v̂ = v/(1 − β₂ᵗ), β = (0.9, 0.999), ε = 1e-8 (``torch.optim.Adam``; L2 is added to g, not decoupled).

Batches: one epoch is ceil(n_train / b) steps over a permutation of the training points that depends only
on (``settings.seed``, epoch number) (:func:`epoch_permutation`); the last batch of an epoch is the
remainder, so epochs always end on a boundary (it is computed padded to the batch size with points of
weight 0, as :mod:`relu_viz.cohort` computes it, so that a lone and a batched step sum in the same
order). ``epoch`` = points seen / n_train (a float). Batch size,
learning rate, loss, regularization and epoch limit may change between steps without a reset; a batch
size change mid-epoch carries on through the same permutation; a new seed applies from the next epoch.

Speed: on networks this small the fixed cost of an optimizer step dominates (a plain torch loop costs
about 0.4 ms a step for [2, 8, 8, 8, 1]). All trainable parameters are therefore re-pointed at views of
one flat numpy vector θ (the model's tensors share its memory, so the model always shows the current
weights), the optimizer updates θ with a few whole-vector numpy operations, and for the usual MLPs
(``Linear`` layers with ReLU, ReLU6, LeakyReLU, Hardtanh, tanh, sigmoid or identity between them) the
forward and backward passes are written out in numpy, ten times cheaper than autograd at this size.
Any other model (typed formulas, PReLU, ...) takes the autograd path, with the same optimizer code.

Divergence: every ``CHECK_EVERY`` steps (and at the end of each call) θ and the optimizer state are
checked for NaN or ±inf. If the check fails, the last verified state is restored and the steps since
are replayed one by one, checking the loss and θ after each, so the trainer stops at the exact step that
failed, keeps the weights from just before it, sets ``status`` to "diverged" and explains in ``message``
what happened and what to try. It takes no more steps until :meth:`Trainer.update` or
:meth:`Trainer.clear_divergence`.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from relu_viz import network

Optimizer = Literal["sgd", "momentum", "adam"]
Loss = Literal["cross_entropy", "squared_error"]
Regularization = Literal["none", "l1", "l2"]
Status = Literal["ok", "diverged", "epoch_limit"]

OPTIMIZERS: dict[str, str] = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
LOSSES: dict[str, str] = {"cross_entropy": "cross-entropy", "squared_error": "squared error"}
REGULARIZATIONS: dict[str, str] = {"none": "none", "l1": "L1", "l2": "L2"}

# TensorFlow Playground's ladders (src/state.ts); our sliders may allow any value in between.
LEARNING_RATES: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
LEARNING_RATE_RANGE: tuple[float, float] = (1e-5, 10.0)
REG_RATES: tuple[float, ...] = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

MOMENTUM = 0.9
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8

HUGE_WEIGHT = 1e4  # past this the last finite weights are themselves the problem: the message says so
CHECK_EVERY = 25  # steps between finiteness checks: a check costs about as much as a tenth of a step
HISTORY_CAPACITY = 2000
HISTORY_EVERY = 10  # steps between history rows at first; doubles each time the history halves


@dataclass(frozen=True)
class TrainSettings:
    """How to train. Everything here may change mid-training (see :meth:`Trainer.update`).

    ``lr``: learning rate η > 0. ``batch_size``: points per step, 0 (or ≥ n_train) for the full batch.
    ``reg_rate``: λ ≥ 0 (ignored when ``regularization`` is "none"). ``epoch_limit``: stop once this many
    epochs are done, 0 for never. ``seed``: drives the per-epoch shuffling of the training points.
    """

    lr: float = 0.03
    optimizer: Optimizer = "sgd"
    batch_size: int = 10
    loss: Loss = "cross_entropy"
    regularization: Regularization = "none"
    reg_rate: float = 0.0
    epoch_limit: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"The learning rate must be a positive number, got {self.lr}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}; choose from {list(OPTIMIZERS)}.")
        if self.loss not in LOSSES:
            raise ValueError(f"Unknown loss {self.loss!r}; choose from {list(LOSSES)}.")
        if self.regularization not in REGULARIZATIONS:
            raise ValueError(
                f"Unknown regularization {self.regularization!r}; choose from {list(REGULARIZATIONS)}."
            )
        if not (math.isfinite(self.reg_rate) and self.reg_rate >= 0):
            raise ValueError(f"The regularization rate must be ≥ 0, got {self.reg_rate}.")
        if int(self.batch_size) != self.batch_size or self.batch_size < 0:
            raise ValueError(f"The batch size must be a whole number ≥ 0, got {self.batch_size}.")
        if int(self.epoch_limit) != self.epoch_limit or self.epoch_limit < 0:
            raise ValueError(f"The epoch limit must be a whole number ≥ 0, got {self.epoch_limit}.")


@dataclass(frozen=True)
class Metrics:
    """Mean data loss (see the module docstring) and accuracy (share of points whose predicted class,
    z > 0 for one logit or argmax z for K, is right) on the train and test sets; NaN for an empty set."""

    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float


def epoch_permutation(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order (int64 (n,)) in which epoch ``epoch`` visits the n training points: a function of
    (seed, epoch) only, so a run is reproducible whatever the batch size or timing."""
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


class History:
    """Bounded record of training curves: at most ``capacity`` rows of

    step, epoch, train_loss, test_loss, train_acc, test_acc, regions

    The trainer appends a row every ``every`` steps. When the table is full it keeps every other row
    (rows 0, 2, 4, ..., i.e. steps 0, 2·every, 4·every, ...) and doubles ``every``, so an hour of training
    still fits in ``capacity`` rows spread evenly over the whole run (memory: capacity × 7 float64).
    ``regions`` is NaN until :meth:`record_regions` fills it (the page counts regions, not the trainer).
    """

    COLUMNS: tuple[str, ...] = (
        "step",
        "epoch",
        "train_loss",
        "test_loss",
        "train_acc",
        "test_acc",
        "regions",
    )

    def __init__(self, capacity: int = HISTORY_CAPACITY, every: int = HISTORY_EVERY) -> None:
        if capacity < 2 or every < 1:
            raise ValueError("History needs capacity ≥ 2 and every ≥ 1.")
        self.capacity = int(capacity)
        self.every = int(every)
        self._rows = np.full((self.capacity, len(self.COLUMNS)), np.nan)
        self._n = 0
        self.version = 0  # bumped on every change, so readers can skip copying an unchanged history

    def __len__(self) -> int:
        return self._n

    def append(self, step: int, epoch: float, metrics: Metrics) -> None:
        """Add one row (halving the table first if it is full)."""
        if self._n == self.capacity:
            kept = self._rows[0 : self.capacity : 2].copy()
            # A region count lives in the row of the frame that measured it; when that row is the one
            # dropped, its kept neighbour inherits the count, so thinning keeps the curve's samples.
            dropped = self._rows[1 : self.capacity : 2, 6]
            inherit = np.isnan(kept[: len(dropped), 6]) & ~np.isnan(dropped)
            kept[: len(dropped), 6][inherit] = dropped[inherit]
            self._rows[:] = np.nan
            self._rows[: len(kept)] = kept
            self._n = len(kept)
            self.every *= 2
        self._rows[self._n, :6] = (
            step,
            epoch,
            metrics.train_loss,
            metrics.test_loss,
            metrics.train_acc,
            metrics.test_acc,
        )
        self._n += 1
        self.version += 1

    def record_regions(self, step: int, count: float) -> None:
        """Store a region count measured at ``step`` in the latest row at or before that step."""
        steps = self._rows[: self._n, 0]
        at = int(np.searchsorted(steps, step, side="right")) - 1
        if at >= 0:
            self._rows[at, 6] = count
            self.version += 1

    def last_step(self) -> int | None:
        return None if self._n == 0 else int(self._rows[self._n - 1, 0])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Each column as its own float64 array of length ``len(self)`` (copies)."""
        return {c: self._rows[: self._n, i].copy() for i, c in enumerate(self.COLUMNS)}

    def to_csv(self) -> str:
        """The rows as CSV text with a header line (step as an integer, NaN as an empty field)."""
        out = io.StringIO()
        out.write(",".join(self.COLUMNS) + "\n")
        for row in self._rows[: self._n]:
            cells = [str(int(row[0]))] + ["" if math.isnan(v) else repr(float(v)) for v in row[1:]]
            out.write(",".join(cells) + "\n")
        return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# Losses. Targets t are float arrays: (B, 1) holding y for one logit, (B, K) one-hot for K logits.


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _np_softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (the logits of one point)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_point_loss(z: np.ndarray, t: np.ndarray, kind: str) -> np.ndarray:
    """Per-point data loss (B,) of logits z (B, K) against targets t (see the module docstring)."""
    if z.shape[1] == 1:
        if kind == "cross_entropy":
            return (np.logaddexp(0.0, z) - t * z)[:, 0]
        return 0.5 * ((_np_sigmoid(z) - t) ** 2)[:, 0]
    if kind == "cross_entropy":
        top = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]
        return lse - (t * z).sum(axis=1)
    return 0.5 * ((_np_softmax(z) - t) ** 2).sum(axis=1)


def _np_loss(z: np.ndarray, t: np.ndarray, kind: str) -> float:
    """Mean data loss of a batch."""
    return float(np.mean(_np_point_loss(z, t, kind))) if len(z) else math.nan


def _np_dloss(z: np.ndarray, t: np.ndarray, kind: str, scale: float | np.ndarray) -> np.ndarray:
    """∂(mean loss)/∂z, shape (B, K): (p − t)/B for cross-entropy; for squared error the same residual
    through the output squashing: r·p(1 − p)/B (sigmoid) or p ⊙ (r − ⟨p, r⟩)/B (softmax), r = p − t.

    ``scale`` is 1/B; :mod:`relu_viz.cohort` passes stacked logits (S, B, K) and a scale (S, B, 1) (1/B_s
    for a session's points, 0 for padding): every operation here is elementwise or over the last axis,
    so each session's numbers are those it would get alone.
    """
    if z.shape[-1] == 1:
        p = _np_sigmoid(z)
        r = p - t
        if kind == "squared_error":
            r *= p * (1.0 - p)
    else:
        p = _np_softmax(z)
        r = p - t
        if kind == "squared_error":
            r = p * (r - (p * r).sum(axis=-1, keepdims=True))
    r *= scale
    return r


def torch_loss(z: torch.Tensor, t: torch.Tensor, kind: str) -> torch.Tensor:
    """The same mean data loss in torch (autograd path): logits z (B, K), float targets t (B, K)."""
    if z.shape[1] == 1:
        if kind == "cross_entropy":
            return F.binary_cross_entropy_with_logits(z, t)
        return 0.5 * (torch.sigmoid(z) - t).square().mean()
    if kind == "cross_entropy":
        return -(t * F.log_softmax(z, dim=1)).sum(dim=1).mean()
    return 0.5 * (torch.softmax(z, dim=1) - t).square().sum(dim=1).mean()


# ---------------------------------------------------------------------------------------------------
# Backends: compute ∂loss/∂θ into the flat gradient vector, and logits for evaluation.

# Activations the numpy path knows. Each derivative is read from the activation's output h, which is
# what autograd does for tanh and sigmoid and gives autograd's conventions at the kinks (ReLU'(0) = 0,
# LeakyReLU'(0) = slope, Hardtanh' = 0 at its limits).
_FAST_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.Hardtanh, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity)

Kernel = Callable[[np.ndarray], None]
BackKernel = Callable[[np.ndarray, np.ndarray], None]
FastLayer = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, nn.Module | None]  # W, b, ∂W, ∂b, act


def _act_signature(act: nn.Module | None) -> tuple:
    """What the numpy path's kernels of ``act`` depend on: equal signatures, equal kernels."""
    if act is None:
        return ("output",)
    if isinstance(act, nn.Hardtanh):
        return ("hardtanh", float(act.min_val), float(act.max_val))
    if isinstance(act, nn.LeakyReLU):
        return ("leaky_relu", float(act.negative_slope))
    return (type(act).__name__,)


def _kernels(act: nn.Module) -> tuple[Kernel | None, BackKernel | None]:
    """(forward z → f(z) in place, backward g → g ⊙ f'(z) in place using h = f(z)); None = identity."""
    if isinstance(act, nn.Hardtanh):  # includes ReLU6
        lo, hi = act.min_val, act.max_val

        def fwd(z: np.ndarray) -> None:
            np.clip(z, lo, hi, out=z)

        def bwd(h: np.ndarray, g: np.ndarray) -> None:
            np.putmask(g, (h <= lo) | (h >= hi), 0)

        return fwd, bwd
    if isinstance(act, nn.ReLU):
        return (
            lambda z: np.maximum(z, 0, out=z),
            lambda h, g: np.putmask(g, h <= 0, 0),
        )
    if isinstance(act, nn.LeakyReLU):
        slope = act.negative_slope
        return (
            lambda z: np.multiply(z, slope, out=z, where=z < 0),
            lambda h, g: np.multiply(g, slope, out=g, where=h <= 0),
        )
    if isinstance(act, nn.Tanh):

        def tanh_bwd(h: np.ndarray, g: np.ndarray) -> None:
            g *= 1 - h * h

        return lambda z: np.tanh(z, out=z), tanh_bwd
    if isinstance(act, nn.Sigmoid):

        def sig_fwd(z: np.ndarray) -> None:
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)

        def sig_bwd(h: np.ndarray, g: np.ndarray) -> None:
            g *= h - h * h

        return sig_fwd, sig_bwd
    return None, None  # nn.Identity


class _NumpyMLP:
    """Forward and backward of Linear → act → ... → Linear written out in numpy (the fast path).

    ``layers``: per Linear, (W (out, in), b (out,)) views of θ, (∂W, ∂b) views of the flat gradient, and
    the following activation (None after the output layer). About 40 numpy calls a step of
    [2, 8, 8, 8, 1], each about 1 µs at these sizes, which is why the fixed costs matter so much.
    """

    def __init__(self, layers: list[FastLayer]) -> None:
        self._fwd: list[tuple[np.ndarray, np.ndarray, np.ndarray, Kernel | None]] = []
        self._bwd: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._act_bwd: list[BackKernel | None] = []
        for w, b, gw, gb, act in layers:
            f, back = _kernels(act) if act is not None else (None, None)
            self._fwd.append((w, w.T, b, f))  # w.T is a view: it follows θ's in-place updates
            self._bwd.append((w, gw, gb))
            self._act_bwd.append(back)

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = x
        for _, wt, b, f in self._fwd:
            h = np.dot(h, wt)
            h += b
            if f is not None:
                f(h)
        return h

    def gradient(
        self, x: np.ndarray, t: np.ndarray, kind: str, want_loss: bool, used: int | None = None
    ) -> float | None:
        """∂loss/∂θ into the flat gradient. ``used``: only the first ``used`` points are the batch, the
        rest zero padding (an epoch's last batch, padded to the batch size as :mod:`relu_viz.cohort`
        pads it, so that the two sum in the same order and agree to the last bit)."""
        scale: float | np.ndarray = 1.0 / len(x)
        if used is not None:
            scale = np.zeros((len(x), 1), dtype=x.dtype)
            scale[:used] = 1.0 / used
        inputs = []
        h = x
        for _, wt, b, f in self._fwd:
            inputs.append(h)
            h = np.dot(h, wt)
            h += b
            if f is not None:
                f(h)
        loss = _np_loss(h[:used], t[:used], kind) if want_loss else None
        g = _np_dloss(h, t, kind, scale)
        for k in range(len(self._bwd) - 1, -1, -1):
            w, gw, gb = self._bwd[k]
            a = inputs[k]
            np.dot(g.T, a, out=gw)
            np.add.reduce(g, 0, None, gb)
            if k:
                g = np.dot(g, w)
                back = self._act_bwd[k - 1]
                if back is not None:
                    back(a, g)
        return loss


class _Autograd:
    """Any model: autograd for the gradient, copied into the flat gradient vector."""

    def __init__(self, body: nn.Module, params: list[nn.Parameter], grad_views: list[torch.Tensor]) -> None:
        self.body = body
        self.params = params
        self.grad_views = grad_views

    def logits(self, x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self.body(torch.from_numpy(x)).numpy()

    def gradient(
        self, x: np.ndarray, t: np.ndarray, kind: str, want_loss: bool, used: int | None = None
    ) -> float | None:
        if used is not None:
            x, t = x[:used], t[:used]
        loss = torch_loss(self.body(torch.from_numpy(x)), torch.from_numpy(t), kind)
        grads = torch.autograd.grad(loss, self.params, allow_unused=True)
        for view, g in zip(self.grad_views, grads, strict=True):
            if g is None:
                view.zero_()
            else:
                view.copy_(g)
        return float(loss.detach()) if want_loss else None


# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateLayout:
    """Where each entry of a model's ``state_dict`` lies in the trainer's flat θ.

    ``entries``: (name, offset, shape) in ``state_dict`` order; a trainable parameter is
    θ[offset : offset + prod(shape)] reshaped to ``shape`` (θ holds the trainable parameters in
    ``model.parameters()`` order: W1, b1, W2, b2, ... for a plain MLP); offset −1 marks an entry that is
    not in θ (a buffer or a frozen parameter), which a copy must take from the model itself.
    """

    entries: tuple[tuple[str, int, tuple[int, ...]], ...]

    @property
    def others(self) -> tuple[str, ...]:
        """The names of the entries not in θ."""
        return tuple(name for name, offset, _ in self.entries if offset < 0)

    def state_dict(self, theta: np.ndarray, others: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """A ``state_dict`` built from a copy θ (each tensor its own copy) and ``others`` (name → tensor)."""
        out: dict[str, torch.Tensor] = {}
        for name, offset, shape in self.entries:
            if offset < 0:
                out[name] = others[name]
            else:
                size = math.prod(shape)
                out[name] = torch.from_numpy(theta[offset : offset + size].reshape(shape).copy())
        return out


@dataclass
class _State:
    """Everything a divergence restore puts back: θ, optimizer state, and where the run is."""

    theta: np.ndarray
    opt: list[np.ndarray]
    adam_t: int = 0
    step_count: int = 0
    epoch_index: int = 0
    pos: int = 0


def _classes(y: np.ndarray | torch.Tensor) -> np.ndarray:
    return np.array(y.detach().numpy() if torch.is_tensor(y) else y, dtype=np.int64).reshape(-1)


def _ladder_below(lr: float) -> float:
    """A learning rate about ten times smaller, on Playground's ladder when one is there."""
    below = [r for r in LEARNING_RATES if r <= lr / 10 * (1 + 1e-9)]
    return below[-1] if below else lr / 10


class Trainer:
    """Mini-batch training of ``model`` on (x_train, y_train), evaluated on (x_test, y_test).

    ``x_*``: float (n, 2) points (numpy or torch); ``y_*``: int classes (n,). The number of classes is read
    from the model's output size: one logit means two classes (class 1 where z > 0), K ≥ 2 logits K
    classes. The model's parameters are re-pointed at one flat float vector (see the module docstring):
    read the model at any time for the current weights; edit them in place between steps if you like.
    The model is put in eval mode so that stochastic modules (RReLU) are deterministic: a run is then a
    function of its seeds and settings alone. Not thread-safe: :mod:`relu_viz.worker` adds the locking.
    """

    def __init__(
        self,
        model: nn.Module,
        x_train: np.ndarray | torch.Tensor,
        y_train: np.ndarray | torch.Tensor,
        x_test: np.ndarray | torch.Tensor,
        y_test: np.ndarray | torch.Tensor,
        settings: TrainSettings | None = None,
        *,
        history_capacity: int = HISTORY_CAPACITY,
        history_every: int = HISTORY_EVERY,
        check_every: int = CHECK_EVERY,
    ) -> None:
        self.model = model
        self.settings = settings if settings is not None else TrainSettings()
        self.check_every = int(check_every)
        model.eval()
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("The model has no trainable parameters.")
        self._dtype = params[0].dtype
        if any(p.dtype != self._dtype or p.device.type != "cpu" for p in params):
            raise ValueError("All parameters must be CPU tensors of one floating dtype.")
        self._params = params
        self._bind()

        # A parameter-free input map (Playground's features) is the same every step: apply it once.
        self._prefix: nn.Module | None = None
        body: nn.Module = model
        if isinstance(model, nn.Sequential) and len(model) and isinstance(model[0], network.Features):
            self._prefix, body = model[0], model[1:]
        self._body = body

        np_dtype = self._theta.dtype
        self.x_train = self._inputs(x_train, np_dtype)
        self.x_test = self._inputs(x_test, np_dtype)
        self.y_train, self.y_test = _classes(y_train), _classes(y_test)
        if len(self.y_train) != len(self.x_train) or len(self.y_test) != len(self.x_test):
            raise ValueError("x and y must have the same number of points.")
        if len(self.y_train) == 0:
            raise ValueError("The training set is empty.")
        self.n_train = len(self.y_train)
        self.n_test = len(self.y_test)

        self._backend = self._make_backend()
        self.n_outputs = int(self._backend.logits(self.x_train[:1]).shape[1])
        self.n_classes = 2 if self.n_outputs == 1 else self.n_outputs
        for y in (self.y_train, self.y_test):
            if len(y) and (y.min() < 0 or y.max() >= self.n_classes):
                raise ValueError(f"Classes must lie in 0..{self.n_classes - 1} for this model's output.")
        self._t_train = self._targets(self.y_train, np_dtype)
        self._x_all = np.concatenate([self.x_train, self.x_test])
        self._t_all = np.concatenate([self._t_train, self._targets(self.y_test, np_dtype)])
        self._y_all = np.concatenate([self.y_train, self.y_test])

        self.history = History(history_capacity, history_every)
        self.step_count = 0
        self._epoch_index = 0
        self._pos = 0
        self._orders: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.status: Status = "ok"
        self.message = ""
        self._seconds_per_step: float | None = None  # measured by run_for's first step, never assumed
        self._reset_optimizer()
        self._apply_settings()
        self._good = self._capture()
        self._record()

    # -- set-up ------------------------------------------------------------------------------------

    def _bind(self) -> None:
        """Copy the parameters into one flat vector θ and make each parameter a view of it."""
        sizes = [p.numel() for p in self._params]
        np_dtype = torch.empty((), dtype=self._dtype).numpy().dtype
        theta = np.empty(sum(sizes), dtype=np_dtype)
        grad = np.zeros_like(theta)
        mask = np.zeros_like(theta)
        weights = {id(m.weight) for m in self.model.modules() if isinstance(m, nn.Linear)}
        self._theta_views: list[np.ndarray] = []
        self._grad_views: list[np.ndarray] = []
        offset = 0
        for p, size in zip(self._params, sizes, strict=True):
            view = theta[offset : offset + size]
            view[:] = p.detach().reshape(-1).numpy()
            p.data = torch.from_numpy(view).view(p.shape)
            self._theta_views.append(view.reshape(tuple(p.shape)))
            self._grad_views.append(grad[offset : offset + size].reshape(tuple(p.shape)))
            if id(p) in weights:
                mask[offset : offset + size] = 1
            offset += size
        self._theta, self._grad, self._reg_mask = theta, grad, mask
        self._tmp = np.zeros_like(theta)
        self._ptrs = [p.data_ptr() for p in self._params]
        offsets = {id(p): int(np.cumsum([0, *sizes])[i]) for i, p in enumerate(self._params)}
        self._layout = StateLayout(
            tuple(
                (name, offsets.get(id(t), -1), tuple(t.shape))
                for name, t in self.model.state_dict(keep_vars=True).items()
            )
        )

    def _ensure_bound(self) -> None:
        """Re-bind if someone replaced a parameter's storage (``p.data = ...``) since the last step."""
        if all(p.data_ptr() == ptr for p, ptr in zip(self._params, self._ptrs, strict=True)):
            return
        opt = [a.copy() for a in self._opt]
        self._bind()
        self._backend = self._make_backend()
        if all(a.shape == self._theta.shape for a in opt):
            self._opt = opt
        else:
            self._reset_optimizer()
        self._good = self._capture()

    def _inputs(self, x: np.ndarray | torch.Tensor, dtype: np.dtype) -> np.ndarray:
        pts = x.detach() if torch.is_tensor(x) else torch.from_numpy(np.array(x, dtype=np.float64))
        pts = pts.to(self._dtype).reshape(-1, 2)
        if self._prefix is not None:
            with torch.inference_mode():
                pts = self._prefix(pts)
        return np.ascontiguousarray(pts.numpy(), dtype=dtype)

    def _targets(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        if self.n_outputs == 1:
            return y.astype(dtype).reshape(-1, 1)
        t = np.zeros((len(y), self.n_outputs), dtype=dtype)
        t[np.arange(len(y)), y] = 1
        return t

    def _make_backend(self) -> _NumpyMLP | _Autograd:
        self._fast_plan: tuple | None = None  # (W offset, W shape, b offset, activation) per Linear
        layers = self._fast_layers()
        if layers is not None:
            return _NumpyMLP(layers)
        grad_views = [torch.from_numpy(g) for g in self._grad_views]
        return _Autograd(self._body, self._params, grad_views)

    def _fast_layers(self) -> list[FastLayer] | None:
        """The numpy path's layers if the body is Linear (act Linear)* with known activations, else None."""
        body = self._body
        if not isinstance(body, nn.Sequential) or len(body) == 0:
            return None
        mods = list(body)
        linears = mods[0::2]
        acts = mods[1::2]
        if len(mods) % 2 == 0 or not all(type(m) is nn.Linear for m in linears):
            return None
        for a in acts:
            if type(a) not in _FAST_ACTIVATIONS or (isinstance(a, nn.LeakyReLU) and a.negative_slope < 0):
                return None
        trainable = {id(p) for p in self._params}
        if any(id(p) not in trainable for p in body.parameters()) or any(m.bias is None for m in linears):
            return None
        index = {id(p): i for i, p in enumerate(self._params)}
        offsets = np.cumsum([0] + [p.numel() for p in self._params])
        layers: list[FastLayer] = []
        plan = []
        for i, lin in enumerate(linears):
            iw, ib = index[id(lin.weight)], index[id(lin.bias)]
            act = acts[i] if i < len(acts) else None
            tv, gv = self._theta_views, self._grad_views
            layers.append((tv[iw], tv[ib], gv[iw], gv[ib], act))
            plan.append((int(offsets[iw]), tuple(lin.weight.shape), int(offsets[ib]), _act_signature(act)))
        self._fast_plan = tuple(plan)
        return layers

    @property
    def uses_fast_path(self) -> bool:
        """True when the forward and backward passes run in numpy (see the module docstring)."""
        return isinstance(self._backend, _NumpyMLP)

    # -- settings ----------------------------------------------------------------------------------

    def _reset_optimizer(self) -> None:
        kind = self.settings.optimizer
        n = {"sgd": 0, "momentum": 1, "adam": 2}[kind]
        self._opt = [np.zeros_like(self._theta) for _ in range(n)]
        self._adam_t = 0

    def reset_optimizer_rows(self, rows: dict[int, np.ndarray]) -> None:
        """Zero the optimizer state (momentum, Adam's moments) of some rows of some parameters.

        ``rows`` maps a parameter's index in ``list(model.parameters())`` to a boolean mask over its
        first dimension (the units of a Linear's weight or bias). Used after re-initialising units, so
        stale momentum does not push the fresh weights straight back.
        """
        offset = 0
        for i, p in enumerate(self._params):
            size = p.numel()
            if i in rows:
                mask = np.asarray(rows[i], dtype=bool)
                per_row = size // p.shape[0]
                flat = np.repeat(mask, per_row)
                for state in self._opt:
                    state[offset : offset + size][flat] = 0.0
            offset += size

    def _apply_settings(self) -> None:
        s = self.settings
        self._batch = self.n_train if s.batch_size <= 0 else min(int(s.batch_size), self.n_train)
        self._reg_scaled = (
            None if s.regularization == "none" or s.reg_rate == 0 else (s.reg_rate * self._reg_mask)
        )

    def update(self, settings: TrainSettings) -> None:
        """Switch to ``settings`` without a reset: weights, step count, epoch and history carry on.

        A new optimizer kind starts from fresh optimizer state (zero momentum / Adam moments, t = 0),
        since one optimizer's state means nothing to another. A new seed changes the shuffling from the
        next epoch on. New settings clear a divergence or epoch-limit stop (the next step re-checks the
        limit), so the page can resume after the user changed something; the same settings again are a
        no-op, so a page that re-applies its widgets on every rerun doesn't wipe the divergence message.
        """
        old = self.settings
        if settings == old:
            return
        self.settings = settings
        if (settings.batch_size, settings.optimizer) != (old.batch_size, old.optimizer):
            self._seconds_per_step = None  # a step costs something else now: measure it again
        if settings.optimizer != old.optimizer:
            self._reset_optimizer()
            self._good = self._capture()
        self._apply_settings()
        self.clear_divergence()

    def clear_divergence(self) -> None:
        """Allow stepping again after a divergence or an epoch-limit stop."""
        self.status = "ok"
        self.message = ""

    # -- where the run is --------------------------------------------------------------------------

    @property
    def epoch(self) -> float:
        """Points seen / n_train: 2.5 means two full epochs and half of the third."""
        return self._epoch_index + self._pos / self.n_train

    @property
    def epochs_done(self) -> int:
        return self._epoch_index

    @property
    def batch_size(self) -> int:
        """The effective batch size (the full training set for 0 or ≥ n_train)."""
        return self._batch

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.n_train // self._batch)

    def _limit_reached(self) -> bool:
        limit = self.settings.epoch_limit
        return bool(limit) and self._epoch_index >= limit

    # -- state capture for divergence --------------------------------------------------------------

    def _capture(self) -> _State:
        return _State(
            self._theta.copy(),
            [a.copy() for a in self._opt],
            self._adam_t,
            self.step_count,
            self._epoch_index,
            self._pos,
        )

    def _save_good(self) -> None:
        good = self._good
        if len(good.opt) != len(self._opt):
            self._good = self._capture()
            return
        np.copyto(good.theta, self._theta)
        for dst, src in zip(good.opt, self._opt, strict=True):
            np.copyto(dst, src)
        good.adam_t, good.step_count = self._adam_t, self.step_count
        good.epoch_index, good.pos = self._epoch_index, self._pos

    def _restore_good(self) -> None:
        good = self._good
        np.copyto(self._theta, good.theta)
        self._opt = [a.copy() for a in good.opt]
        self._adam_t, self.step_count = good.adam_t, good.step_count
        self._epoch_index, self._pos = good.epoch_index, good.pos

    def _finite(self) -> bool:
        return bool(np.isfinite(self._theta).all()) and all(np.isfinite(a).all() for a in self._opt)

    # -- stepping ----------------------------------------------------------------------------------

    def _order(self) -> tuple[np.ndarray, np.ndarray]:
        """This epoch's (inputs, targets) in visiting order, cached for the current and previous epoch."""
        return self._epoch_order(self._epoch_index, self._pos)

    def _epoch_order(self, e: int, pos: int) -> tuple[np.ndarray, np.ndarray]:
        """Epoch ``e``'s (inputs, targets) in visiting order (``pos``: where the run is in it)."""
        order = self._orders.get(e)
        if order is None:
            if self._batch >= self.n_train and pos == 0:
                order = (self.x_train, self._t_train)  # a full batch is order-free: skip the shuffle
            else:
                perm = epoch_permutation(self.settings.seed, e, self.n_train)
                order = (self.x_train[perm], self._t_train[perm])
            self._orders = {k: v for k, v in self._orders.items() if k == e - 1}
            self._orders[e] = order
        return order

    def _update_params(self) -> None:
        s = self.settings
        g, theta, tmp = self._grad, self._theta, self._tmp
        if self._reg_scaled is not None:
            if s.regularization == "l2":
                np.multiply(theta, self._reg_scaled, out=tmp)
            else:
                np.sign(theta, out=tmp)
                tmp *= self._reg_scaled
            g += tmp
        if s.optimizer == "sgd":
            np.multiply(g, s.lr, out=tmp)
        elif s.optimizer == "momentum":
            (buf,) = self._opt
            buf *= MOMENTUM
            buf += g
            np.multiply(buf, s.lr, out=tmp)
        else:
            m, v = self._opt
            b1, b2 = ADAM_BETAS
            self._adam_t += 1
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom *= 1 / math.sqrt(1 - b2**self._adam_t)
            denom += ADAM_EPS
            np.divide(m, denom, out=tmp)
            tmp *= s.lr / (1 - b1**self._adam_t)
        theta -= tmp

    def _run_raw(self, k: int, want_loss: bool = False) -> tuple[int, float | None]:
        """Up to k steps with no checks; stops early at the epoch limit. Returns (steps, last loss)."""
        n, b = self.n_train, self._batch
        backend, kind = self._backend, self.settings.loss
        done, loss = 0, None
        while done < k and not self._limit_reached():
            xs, ts = self._order()
            start = self._pos
            end = min(start + b, n)
            if end - start == b:
                loss = backend.gradient(xs[start:end], ts[start:end], kind, want_loss)
            else:  # the epoch's remainder, padded to b points of weight 0 (see _NumpyMLP.gradient)
                used = end - start
                x_pad = np.zeros((b, xs.shape[1]), dtype=xs.dtype)
                t_pad = np.zeros((b, ts.shape[1]), dtype=ts.dtype)
                x_pad[:used], t_pad[:used] = xs[start:end], ts[start:end]
                loss = backend.gradient(x_pad, t_pad, kind, want_loss, used)
            self._update_params()
            self.step_count += 1
            done += 1
            if end == n:
                self._epoch_index += 1
                self._pos = 0
            else:
                self._pos = end
        return done, loss

    def step(self, n_steps: int = 1) -> int:
        """Take up to ``n_steps`` mini-batch steps; returns how many were taken (fewer on a divergence,
        at the epoch limit, or none when ``status`` is not "ok")."""
        if n_steps <= 0 or self.status != "ok":
            return 0
        self._ensure_bound()
        done = 0
        with np.errstate(all="ignore"):  # overflow is expected on divergence and handled below
            if not self._finite():
                self._restore_good()
                self._diverge("Weights became NaN or infinite outside training (were they edited?)")
                return 0
            self._save_good()
            while done < n_steps:
                every = self.history.every
                k = min(n_steps - done, self.check_every, every - self.step_count % every)
                got, _ = self._run_raw(k)
                if not self._finite():
                    self._restore_good()
                    done += self._replay_to_failure(got)
                    break
                self._save_good()
                done += got
                if self.step_count % self.history.every == 0 and self.history.last_step() != self.step_count:
                    self._record()  # (no second row for a step: a stop at the epoch limit takes none)
                if got < k:
                    break
            if self.status == "ok" and self._limit_reached():
                self._stop_at_limit()
        return done

    def _replay_to_failure(self, k: int) -> int:
        """From the last good state, redo up to k steps one at a time and stop before the first one that
        makes the loss or θ non-finite. Returns the steps kept."""
        for i in range(k):
            self._save_good()
            epoch = self.epoch
            _, loss = self._run_raw(1, want_loss=True)
            loss_ok = loss is None or math.isfinite(loss)
            if not (loss_ok and self._finite()):
                if not loss_ok:
                    what = f"Loss became {'NaN' if math.isnan(loss) else 'infinite'}"
                else:
                    what = f"Weights became {'NaN' if np.isnan(self._theta).any() else 'infinite'}"
                self._restore_good()
                self._diverge(what, before_step=self.step_count + 1, epoch=epoch)
                return i
        self._save_good()  # the replay did not fail (it only could if someone else changed θ)
        return k

    def _diverge(self, what: str, before_step: int | None = None, epoch: float | None = None) -> None:
        """Set status "diverged" and explain: what went wrong, where, with which settings, what to try.
        ``before_step`` None means the damage was done between calls, not by a step."""
        s = self.settings
        epoch = self.epoch if epoch is None else epoch
        where = f"after step {self.step_count:,}" if before_step is None else f"at step {before_step:,}"
        tips = [f"a learning rate of {_ladder_below(s.lr):g} or lower"]
        if s.regularization == "l2" and s.lr * s.reg_rate > 2:
            # the penalty alone scales the weights by (1 − ηλ) each step: |1 − ηλ| > 1 is certain divergence
            tips.insert(
                0,
                f"a smaller L2 rate: each step scales the weights by 1 − ηλ = {1 - s.lr * s.reg_rate:.3g}, "
                "which must stay between −1 and 1",
            )
        elif s.regularization != "none" and s.reg_rate >= 1:
            tips.append(f"a smaller {REGULARIZATIONS[s.regularization]} rate")
        if s.optimizer != "adam":
            tips.append("switch to Adam (its steps stay near the learning rate in size)")
        if self._batch < 5:
            tips.append("a larger batch (its gradient is less noisy)")
        largest = float(np.abs(self._theta).max())
        huge = (
            f" The kept weights are already huge (largest |w| = {largest:.1e}), so a smaller learning rate "
            "alone may not rescue them: Reset starts again from fresh weights."
            if largest > HUGE_WEIGHT
            else ""
        )
        self.status = "diverged"
        self.message = (
            f"{what} {where} (epoch {epoch:.1f}) with learning rate {s.lr:g} "
            f"({OPTIMIZERS[s.optimizer]}, {LOSSES[s.loss]}). Training paused and the last good weights "
            f"(after step {self.step_count:,}) were kept. Try " + "; or ".join(tips) + "." + huge
        )

    def _stop_at_limit(self) -> None:
        if self.history.last_step() != self.step_count:
            self._record()
        self.status = "epoch_limit"
        self.message = f"Stopped at the epoch limit ({self.settings.epoch_limit:,} epochs)."

    def run_epochs(self, k: float) -> int:
        """Train until ``epoch`` has grown by at least k (exactly k from an epoch boundary); returns steps."""
        target = (self._epoch_index * self.n_train + self._pos) + k * self.n_train
        done = 0
        while self.status == "ok":
            left = target - (self._epoch_index * self.n_train + self._pos)
            if left <= 1e-9:
                break
            want = max(1, math.ceil(left / self._batch - 1e-9))
            got = self.step(want)
            done += got
            if got < want:
                break
        return done

    def run_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about ``seconds`` of wall time (at most ``max_steps`` steps); returns steps taken.

        Steps are taken in batches sized from the measured cost of a step, aiming at half the time left,
        so the clock is read a handful of times rather than every step and the overrun stays small. The
        first call takes one step alone to measure that cost, so a turn overruns by at most one step.
        """
        deadline = time.perf_counter() + seconds
        done = 0
        while self.status == "ok" and (max_steps is None or done < max_steps):
            now = time.perf_counter()
            left = deadline - now
            if left <= 0:
                break
            per_step = self._seconds_per_step
            # the first step of a run is timed alone: one step of a large net with a typed formula can
            # take tens of milliseconds, and an assumed cost would let a slice run far past its time
            k = 1 if per_step is None else int(min(4096, max(1, 0.5 * left / per_step)))
            if max_steps is not None:
                k = min(k, max_steps - done)
            got = self.step(k)
            if got:
                per = (time.perf_counter() - now) / got
                self._seconds_per_step = per if per_step is None else 0.5 * per_step + 0.5 * per
            done += got
            if got < k:
                break
        return done

    # -- measuring ---------------------------------------------------------------------------------

    def logits(self, points: np.ndarray | torch.Tensor) -> np.ndarray:
        """The network's logits (m, n_outputs) at points (m, 2) of the plane, with the current weights."""
        x = self._inputs(points, self._theta.dtype)
        with np.errstate(all="ignore"):
            return np.array(self._backend.logits(x))

    def evaluate(self) -> Metrics:
        """Loss and accuracy on the whole train and test sets with the current weights."""
        n = self.n_train
        with np.errstate(all="ignore"):
            z = self._backend.logits(self._x_all)  # one pass over train and test together
            loss = _np_point_loss(z, self._t_all, self.settings.loss)
            pred = (z[:, 0] > 0) if z.shape[1] == 1 else z.argmax(axis=1)
            right = pred == self._y_all
        nan, m = math.nan, self.n_test
        # np.mean's arithmetic (a sum in the array's dtype, divided in it) without its Python overhead
        return Metrics(
            float(np.add.reduce(loss[:n]) / n),
            float(np.add.reduce(loss[n:]) / m) if m else nan,
            np.count_nonzero(right[:n]) / n,
            np.count_nonzero(right[n:]) / m if m else nan,
        )

    def _record(self) -> None:
        self.history.append(self.step_count, self.epoch, self.evaluate())

    def record_regions(self, count: float, step: int | None = None) -> None:
        """Store a region count (measured by the page at ``step``, default now) in the history."""
        self.history.record_regions(self.step_count if step is None else step, count)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """A copy of the model's current state (safe to keep: later steps don't change it)."""
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def theta(self) -> np.ndarray:
        """A copy of θ: every trainable parameter flattened, in ``model.parameters()`` order (W1, b1, W2,
        b2, ... for a plain MLP); :attr:`state_layout` maps it back to the ``state_dict``."""
        self._ensure_bound()
        return self._theta.copy()

    @property
    def state_layout(self) -> StateLayout:
        """Where the ``state_dict``'s entries lie in :meth:`theta` (see :class:`StateLayout`)."""
        self._ensure_bound()
        return self._layout

    def other_state(self) -> dict[str, torch.Tensor]:
        """Copies of the ``state_dict`` entries that are not in θ (buffers, frozen parameters): usually
        none."""
        names = self._layout.others
        if not names:
            return {}
        state = self.model.state_dict()
        return {name: state[name].detach().clone() for name in names}


def playground_loss(our_squared_error: float) -> float:
    """Our squared error converted to TensorFlow Playground's scale (×4; see the module docstring)."""
    return 4.0 * our_squared_error
