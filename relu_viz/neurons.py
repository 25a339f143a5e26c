"""Dead and alive hidden units: dead on the data or the plane, born dead or died, revival, survival theory.

Notation: hidden layer l has pre-activations z_l = W_l a_{l-1} + b_l (shape (N, width_l) for N input
points), outputs a_l = f(z_l) and activation derivative f'(z_l), taken by autograd from the model's own
module so built-ins and typed formulas are treated alike (ReLU'(0) = 0, as torch computes it).

Definitions (all per hidden unit u, over a set of N input points):

- active on a point: f'(z_u) != 0 there, so a gradient reaches the unit's incoming weights and bias.
  For ReLU that is z_u > 0. ``active_fraction`` = share of points where the unit is active.
- positive regime: z_u > 0; ``positive_fraction`` = share of points with z_u > 0.
- dead on the data: f'(z_u) = 0 for every training point. The gradient of the unit's incoming
  weights and bias is f'(z_u)·(...) = 0, so plain gradient descent never changes them; the unit can
  only come back if an earlier layer moves its inputs (or stale momentum moves its weights). For ReLU
  this is z_u <= 0 on all points.
- cut off: alive, but every unit it feeds is dead or cut off, so no gradient reaches it either
  (:func:`cut_off_units`); "no gradient" = dead or cut off. A dead last hidden layer cuts off all
  the layers before it: training stops although the first layers still fire.
- dead on the plane: the same over a 100 x 100 grid of the visible square [-6, 6]² (the whole map).
- rarely active: not dead, but active on fewer than ``rare_threshold`` (1 %) of the points.
- negative regime: z_u <= 0 on every point. For ReLU it is the same as dead; Leaky ReLU, PReLU, ELU,
  SELU, ... have f' != 0 there (slope 0.01, 0.25, alpha·e^z, ...), so their units sit in the negative
  regime yet still learn: they never truly die.
- can die (a property of the activation): f' is exactly 0 on some interval at least
  ``FLAT_MIN_WIDTH`` = 0.5 wide inside [-6, 6], measured in float64 on a 0.01 grid. True for ReLU,
  ReLU6, Hardtanh, Hardsigmoid, Hardswish, Threshold, Hard/Softshrink; false for Leaky ReLU, ELU,
  sigmoid, tanh, GELU, ... A unit whose pre-activations all fall in such a flat piece is dead.
  (Far out, float arithmetic flattens smooth functions too: in float32 tanh'(z) is exactly 0 for
  |z| > 9.02 and ELU'(z) for z < -103.97. ``dead_on_data`` reports what autograd actually returns.)
- non-finite: some z_u is nan or ±inf (a diverged run); dead/alive mean nothing there.
- exact zeros (sparsity): the share of a layer's outputs a_l = f(z_l) that are exactly 0.0 over the
  N points, share_l = #{(i, j): a_lj(x_i) == 0} / (N · width_l) (:func:`exact_zero_share`). About a
  half for ReLU at He init with bias 0 (z is symmetric about 0); 0 for Leaky ReLU, whose output is 0
  only where z is exactly 0.

Born dead versus died: :class:`DeathTracker` compares successive observations during training.

Theory: Lu, Shin, Su & Karniadakis, "Dying ReLU and initialization" (2019): with weights and biases
drawn from symmetric distributions, a fixed input point x != 0 survives L hidden ReLU layers of width N
(no layer outputs all zeros) with probability (1 - 2^-N)^L; see :func:`survival_probability` and
:func:`monte_carlo_survival`.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from relu_viz import network

RARE_THRESHOLD = 0.01
PLANE_RADIUS = 6.0
PLANE_RESOLUTION = 100
FLAT_RANGE = 6.0  # can_die probes f' on [-6, 6]: wide enough for ReLU6/Hardsigmoid, narrow enough
FLAT_STEP = 0.01  # that float64 sigmoid, tanh and tanh-GELU are still visibly non-flat there
FLAT_MIN_WIDTH = 0.5
REVIVE_BIAS = 0.1
REVIVE_STREAM = 0x5EED  # mixed into the seed so revival draws differ from network.build(seed)


def _as_points(model: nn.Module, points: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Points as a tensor of the model's parameter dtype (float32 for network.build)."""
    dtype = next(iter(model.parameters()), torch.empty(0)).dtype
    if isinstance(points, torch.Tensor):
        return points.detach().to(dtype)
    return torch.tensor(np.asarray(points), dtype=dtype)  # a copy: dataset arrays may be read-only


def plane_grid(radius: float = PLANE_RADIUS, res: int = PLANE_RESOLUTION) -> np.ndarray:
    """Cell centres of a res x res grid over [-radius, radius]²: (res², 2) float32, row-major by y."""
    c = -radius + (np.arange(res) + 0.5) * (2.0 * radius / res)
    gx, gy = np.meshgrid(c, c)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def activation_gradient(act: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Elementwise derivative f'(z) of an elementwise activation module, by autograd; same shape as z.

    Computed as d/dz Σ f(z): for an elementwise f that is f'(z_i) at every entry. Works inside
    ``torch.no_grad``/``inference_mode`` callers; a module whose output does not depend on z gives 0.
    """
    with torch.inference_mode(False), torch.enable_grad():
        zz = z.detach().clone().requires_grad_(True)
        out = act(zz)
        if not out.requires_grad:
            return torch.zeros_like(zz).detach()
        (grad,) = torch.autograd.grad(out.sum(), zz, allow_unused=True)
    return torch.zeros_like(zz).detach() if grad is None else grad.detach()


def _longest_zero_run(zero: np.ndarray) -> np.ndarray:
    """Longest run of consecutive True values down each column of a (K, width) bool array."""
    best = np.zeros(zero.shape[1], dtype=np.int64)
    run = np.zeros(zero.shape[1], dtype=np.int64)
    for row in zero:
        run = np.where(row, run + 1, 0)
        best = np.maximum(best, run)
    return best


# Memo for activations without parameters or buffers: nothing but their class and configuration (their
# repr) can change the answer, and measuring it is most of the cost of a live frame's unit census.
_CAN_DIE_MEMO: dict[tuple[str, str, int], np.ndarray] = {}


def can_die(act: nn.Module, width: int = 1) -> np.ndarray:
    """Whether each of ``width`` units with this activation can die: (width,) bool.

    True where f' is exactly 0 on an interval at least ``FLAT_MIN_WIDTH`` wide inside
    [-FLAT_RANGE, FLAT_RANGE] (float64 grid, step 0.01). Per unit because a per-channel PReLU can learn
    slope 0 in one unit only. Falls back to the module's own dtype if it refuses float64. Measured once
    per class, configuration and width for a parameter-free activation (the result is read-only).
    """
    if any(True for _ in act.parameters()) or any(True for _ in act.buffers()):
        return _measure_can_die(act, width)  # PReLU and friends: a learned slope may reach 0
    key = (type(act).__qualname__, repr(act), int(width))
    if key not in _CAN_DIE_MEMO:
        if len(_CAN_DIE_MEMO) > 1024:  # typed formulas make the key space open-ended: stay bounded
            _CAN_DIE_MEMO.clear()
        mask = _measure_can_die(act, width)
        mask.flags.writeable = False
        _CAN_DIE_MEMO[key] = mask
    return _CAN_DIE_MEMO[key]


def _measure_can_die(act: nn.Module, width: int) -> np.ndarray:
    grid = torch.arange(-FLAT_RANGE, FLAT_RANGE + FLAT_STEP / 2, FLAT_STEP, dtype=torch.float64)
    z = grid[:, None].expand(-1, width).contiguous()
    try:
        grad = activation_gradient(copy.deepcopy(act).double(), z)
    except (RuntimeError, TypeError):
        dtype = next(iter(act.parameters()), torch.empty(0)).dtype
        grad = activation_gradient(act, z.to(dtype))
    zero = (grad == 0).numpy()
    min_points = round(FLAT_MIN_WIDTH / FLAT_STEP) + 1
    return _longest_zero_run(zero) >= min_points


class LayerMasks(NamedTuple):
    """Per hidden layer, (width_l,) bool arrays over a set of points.

    ``dead``: f'(z_lu) == 0 at every point; ``negative``: z_lu <= 0 at every point; ``nonfinite``: some
    z_lu is nan or ±inf (the run has diverged; the other two are then meaningless for that unit, since
    autograd passes nan through ReLU's and Leaky ReLU's comparisons as "active").
    """

    dead: list[np.ndarray]
    negative: list[np.ndarray]
    nonfinite: list[np.ndarray]


def layer_masks(model: nn.Sequential, points: np.ndarray | torch.Tensor) -> LayerMasks:
    """Dead / negative-regime / non-finite masks of every hidden unit over ``points`` (N, 2)."""
    x = _as_points(model, points)
    with torch.no_grad():
        zs = network.preactivations(model, x)
    masks = LayerMasks([], [], [])
    for z, (_, act) in zip(zs, network.hidden_layers(model), strict=True):
        masks.dead.append((activation_gradient(act, z) == 0).all(dim=0).numpy())
        masks.negative.append((z <= 0).all(dim=0).numpy())
        masks.nonfinite.append((~torch.isfinite(z)).any(dim=0).numpy())
    return masks


def cut_off_units(model: nn.Sequential, dead: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Units alive but cut off from the output: per hidden layer, (width_l,) bool.

    The gradient reaching unit u of layer l is δ_u = f'(z_u) Σ_v W_{l+1}[v, u] f'(z_v) δ'_v over the
    units v of layer l+1. If every v with W_{l+1}[v, u] != 0 is dead (f'(z_v) = 0 on every point) or is
    itself cut off, δ_u = 0 on every point: u still fires but its weights no longer learn. This is how
    a dead last hidden layer freezes the whole network above the data. Output units are never cut off.
    """
    linears = [m for m in model if isinstance(m, nn.Linear)]
    blocked = np.zeros(linears[-1].out_features, dtype=bool)
    out: list[np.ndarray] = []
    for layer in range(len(dead) - 1, -1, -1):
        weights = linears[layer + 1].weight.detach().cpu().numpy()
        reaches = (weights != 0) & ~blocked[:, None]
        cut = ~np.asarray(dead[layer], dtype=bool) & ~reaches.any(axis=0)
        out.append(cut)
        blocked = cut | np.asarray(dead[layer], dtype=bool)
    return out[::-1]


def share_of_units(masks: Sequence[np.ndarray]) -> float:
    """Share of True entries over all layers' (width_l,) bool masks; 0 when there are no units."""
    n = sum(m.size for m in masks)
    return float(sum(int(m.sum()) for m in masks) / n) if n else 0.0


@dataclass(frozen=True)
class UnitStats:
    """Per-hidden-layer statistics; every field is a list with one array per hidden layer l.

    Arrays of shape (width_l,): ``active_fraction``, ``positive_fraction``, ``zero_output`` (share of
    points where the unit's output f(z) is exactly 0) (shares in [0, 1]);
    ``dead_on_data``, ``dead_on_plane``, ``rarely_active``, ``negative_regime``, ``cut_off`` (alive but
    no gradient reaches it, see :func:`cut_off_units`), ``can_die``, ``nonfinite`` (some pre-activation
    is nan or ±inf: the run has diverged) are bool. ``preactivations``: the data's z_l, (N, width_l).
    """

    active_fraction: list[np.ndarray]
    positive_fraction: list[np.ndarray]
    dead_on_data: list[np.ndarray]
    dead_on_plane: list[np.ndarray]
    rarely_active: list[np.ndarray]
    negative_regime: list[np.ndarray]
    cut_off: list[np.ndarray]
    can_die: list[np.ndarray]
    nonfinite: list[np.ndarray]
    preactivations: list[np.ndarray]
    rare_threshold: float = RARE_THRESHOLD
    zero_output: list[np.ndarray] | None = None

    @property
    def layer_zero_share(self) -> np.ndarray:
        """Share of each layer's outputs exactly 0 over the points: (L,) (see :func:`exact_zero_share`);
        the mean of ``zero_output`` (per unit: share of points where the unit outputs exactly 0), since
        every unit sees the same N points."""
        rows = self.zero_output if self.zero_output is not None else [np.zeros(0)] * len(self.dead_on_data)
        return np.array([m.mean() if m.size else 0.0 for m in rows], dtype=float)

    @property
    def layer_dead_fraction(self) -> np.ndarray:
        """Share of each layer's units dead on the data: (L,)."""
        return np.array([m.mean() if m.size else 0.0 for m in self.dead_on_data], dtype=float)

    @property
    def layer_negative_fraction(self) -> np.ndarray:
        """Share of each layer's units in the negative regime on all data: (L,)."""
        return np.array([m.mean() if m.size else 0.0 for m in self.negative_regime], dtype=float)

    @property
    def n_units(self) -> int:
        """Number of hidden units."""
        return int(sum(m.size for m in self.dead_on_data))

    @property
    def n_dead(self) -> int:
        """Number of hidden units dead on the data."""
        return int(sum(m.sum() for m in self.dead_on_data))

    @property
    def dead_fraction(self) -> float:
        """Share of all hidden units dead on the data (0 for a network without hidden units)."""
        return share_of_units(self.dead_on_data)

    @property
    def negative_fraction(self) -> float:
        """Share of all hidden units with z <= 0 on every data point."""
        return share_of_units(self.negative_regime)

    @property
    def no_gradient_fraction(self) -> float:
        """Share of all hidden units whose incoming weights get no gradient: dead or cut off."""
        return share_of_units([d | c for d, c in zip(self.dead_on_data, self.cut_off, strict=True)])


def unit_stats(
    model: nn.Sequential,
    x_data: np.ndarray | torch.Tensor,
    plane_points: np.ndarray | torch.Tensor | None = None,
    rare_threshold: float = RARE_THRESHOLD,
) -> UnitStats:
    """Alive/dead statistics of every hidden unit on the data ``x_data`` (N, 2) (see the module docstring).

    ``plane_points`` defaults to the 100 x 100 grid over [-6, 6]² (:func:`plane_grid`).
    """
    x = _as_points(model, x_data)
    plane = plane_grid() if plane_points is None else plane_points
    dead_plane = layer_masks(model, plane).dead
    with torch.no_grad():
        zs = network.preactivations(model, x)
    keys = ("active", "positive", "dead", "rare", "neg", "can", "nf", "zero")
    out: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for z, (_, act) in zip(zs, network.hidden_layers(model), strict=True):
        active = activation_gradient(act, z) != 0
        n = max(z.shape[0], 1)
        frac = (active.sum(dim=0) / n).numpy()
        with torch.no_grad():
            out["zero"].append(((act(z) == 0).sum(dim=0) / n).numpy().astype(float))
        dead = ~active.any(dim=0).numpy()
        out["active"].append(frac)
        out["positive"].append(((z > 0).sum(dim=0) / n).numpy())
        out["dead"].append(dead)
        out["rare"].append(~dead & (frac < rare_threshold))
        out["neg"].append((z <= 0).all(dim=0).numpy())
        out["can"].append(can_die(act, z.shape[1]))
        out["nf"].append((~torch.isfinite(z)).any(dim=0).numpy())
    return UnitStats(
        active_fraction=out["active"],
        positive_fraction=out["positive"],
        dead_on_data=out["dead"],
        dead_on_plane=dead_plane,
        rarely_active=out["rare"],
        negative_regime=out["neg"],
        cut_off=cut_off_units(model, out["dead"]),
        can_die=out["can"],
        nonfinite=out["nf"],
        preactivations=[z.numpy().astype(np.float32) for z in zs],
        rare_threshold=rare_threshold,
        zero_output=out["zero"],
    )


def exact_zero_share(model: nn.Sequential, points: np.ndarray | torch.Tensor) -> np.ndarray:
    """Per hidden layer l, the share of its outputs a_l = f(z_l) that are exactly 0.0 over ``points``
    (N, 2): share_l = #{(i, j): a_lj(x_i) == 0} / (N · width_l), a (L,) float array (0 for a layer
    with no points). The outputs are the layer's own activation module applied to z_l, in the model's
    dtype, so 0 means a float exactly 0 (Leaky ReLU's 0.01·z is 0 only where z is exactly 0)."""
    x = _as_points(model, points)
    with torch.no_grad():
        zs = network.preactivations(model, x)
        layers = network.hidden_layers(model)
        shares = [
            float((act(z) == 0).sum()) / z.numel() if z.numel() else 0.0
            for z, (_, act) in zip(zs, layers, strict=True)
        ]
    return np.array(shares, dtype=float)


def preactivation_histograms(
    model: nn.Sequential,
    x: np.ndarray | torch.Tensor,
    bins: int = 40,
    value_range: tuple[float, float] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Histogram of each hidden layer's pre-activations z_l, pooled over units and points.

    Returns one (counts (bins,), edges (bins + 1,)) per hidden layer. All layers share the edges: by
    default [-m, m] with m the largest finite |z| of any layer (at least 1), so layers compare at a
    glance; pass ``value_range`` to keep the axis fixed while training. Values outside the range are
    counted in the end bins (nothing disappears); non-finite values are left out.
    """
    with torch.no_grad():
        zs = [z.double().numpy() for z in network.preactivations(model, _as_points(model, x))]
    finite = [z[np.isfinite(z)] for z in zs]
    if value_range is None:
        m = max([1.0, *(float(np.abs(f).max()) for f in finite if f.size)])
        value_range = (-m, m)
    lo, hi = value_range
    edges = np.linspace(lo, hi, bins + 1)
    return [(np.histogram(np.clip(f, lo, hi), bins=edges)[0], edges) for f in finite]


@dataclass(frozen=True)
class DeathEvent:
    """A unit changing state between two observations.

    ``kind``: "born_dead" (dead at the first observation), "died" (alive before, dead now) or "revived"
    (dead before, alive now). ``weight_update`` = ‖ΔW_u‖₂ (its incoming weight row) and
    ``bias_update`` = |Δb_u| between the previous observation and this one: the update that killed (or
    revived) it. Observing every step makes it exactly one optimiser step; every k steps, k of them.
    """

    step: int
    layer: int
    unit: int
    kind: str
    weight_update: float
    bias_update: float


class DeathTracker:
    """Watches hidden units over training: born dead, died (when, by what update), revived.

    Call :meth:`observe` with the step number, the model and the training points, e.g. at step 0
    (before training) and then every k steps. Memory is bounded: one copy of the hidden layers'
    parameters, per-unit arrays, the last ``max_events`` events and at most ``max_history`` history
    rows (when full, every other row is dropped and rows are then kept at half the rate).
    A model with different hidden widths than the last one observed starts the tracker afresh.
    Once some pre-activation is nan or ±inf the run has diverged: ``diverged_step`` is set, history
    rows are nan and no events are recorded (alive or dead means nothing there).
    """

    HISTORY_KINDS = ("dead", "negative", "no_gradient")

    def __init__(self, max_history: int = 512, max_events: int = 1000) -> None:
        if max_history < 2:
            raise ValueError("max_history must be at least 2")
        self.max_history = int(max_history)
        self.events: deque[DeathEvent] = deque(maxlen=int(max_events))
        self.reset()

    def reset(self) -> None:
        """Forget everything; the next observation counts as the first (born dead)."""
        self.events.clear()
        self.widths: list[int] = []
        self.born_dead: list[np.ndarray] = []
        self.dead: list[np.ndarray] = []
        self.negative: list[np.ndarray] = []
        self.death_step: list[np.ndarray] = []
        self.death_weight_update: list[np.ndarray] = []
        self.death_bias_update: list[np.ndarray] = []
        self.n_deaths: list[np.ndarray] = []
        self.n_revivals: list[np.ndarray] = []
        self.last_step: int | None = None
        self.diverged_step: int | None = None
        self._prev: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._hist_steps: list[int] = []
        self._hist: list[np.ndarray] = []  # rows (3, L): dead, negative, no-gradient shares per layer
        self._stride = 1
        self._n_obs = 0
        self._latest: tuple[int, np.ndarray] | None = None

    def _start(self, dead: list[np.ndarray]) -> None:
        self.born_dead = [d.copy() for d in dead]
        self.dead = [d.copy() for d in dead]
        self.death_step = [np.full(len(d), -1, dtype=np.int64) for d in dead]
        self.death_weight_update = [np.full(len(d), np.nan) for d in dead]
        self.death_bias_update = [np.full(len(d), np.nan) for d in dead]
        self.n_deaths = [np.zeros(len(d), dtype=np.int64) for d in dead]
        self.n_revivals = [np.zeros(len(d), dtype=np.int64) for d in dead]

    def observe(self, step: int, model: nn.Sequential, x_data: np.ndarray | torch.Tensor) -> list[DeathEvent]:
        """Record the state of every hidden unit at ``step``; return the events since the last call."""
        widths = network.hidden_widths(model)
        if widths != self.widths:
            self.reset()
            self.widths = widths
        step = int(step)
        first = self.last_step is None
        self.last_step = step
        masks = layer_masks(model, x_data)
        if any(nf.any() for nf in masks.nonfinite):
            if first:
                self._start([np.zeros_like(d) for d in masks.dead])
            if self.diverged_step is None:
                self.diverged_step = step
            self._record(step, np.full((3, len(widths)), np.nan))
            return []
        dead = masks.dead
        params = [
            (lin.weight.detach().clone(), lin.bias.detach().clone())
            for lin, _ in network.hidden_layers(model)
        ]
        new: list[DeathEvent] = []
        if first:
            self._start(dead)
            for layer, d in enumerate(dead):
                new += [DeathEvent(step, layer, int(u), "born_dead", 0.0, 0.0) for u in np.flatnonzero(d)]
        else:
            for layer, ((w, b), (w0, b0)) in enumerate(zip(params, self._prev, strict=True)):
                dw = torch.linalg.vector_norm(w - w0, dim=1).double().numpy()
                db = (b - b0).abs().double().numpy()
                died = dead[layer] & ~self.dead[layer]
                revived = ~dead[layer] & self.dead[layer]
                for u in np.flatnonzero(died | revived):
                    kind = "died" if died[u] else "revived"
                    new.append(DeathEvent(step, layer, int(u), kind, float(dw[u]), float(db[u])))
                self.death_step[layer][died] = step
                self.death_weight_update[layer][died] = dw[died]
                self.death_bias_update[layer][died] = db[died]
                self.n_deaths[layer] += died
                self.n_revivals[layer] += revived
        self.dead, self.negative, self._prev = dead, masks.negative, params
        self.events.extend(new)
        cut = cut_off_units(model, dead)
        no_grad = [d | c for d, c in zip(dead, cut, strict=True)]
        rows = [[m.mean() if m.size else 0.0 for m in kind] for kind in (dead, masks.negative, no_grad)]
        self._record(step, np.array(rows, dtype=float).reshape(3, len(widths)))
        return new

    def _record(self, step: int, row: np.ndarray) -> None:
        self._latest = (step, row)
        if self._n_obs % self._stride == 0:
            self._hist_steps.append(step)
            self._hist.append(row)
            if len(self._hist_steps) > self.max_history:
                # Halve the resolution instead of dropping the start: the early deaths are the story.
                self._hist_steps = self._hist_steps[::2]
                self._hist = self._hist[::2]
                self._stride *= 2
        self._n_obs += 1

    def dead_fraction_history(self, kind: str = "dead") -> tuple[np.ndarray, np.ndarray]:
        """(steps (T,), fractions (T, L)) over the kept observations, always ending with the latest.

        ``kind`` "dead": share of each layer's units dead on the data; "negative": share in the
        negative regime (the statistic to show for Leaky ReLU and friends); "no_gradient": dead or cut
        off. Rows observed after divergence are nan.
        """
        if kind not in self.HISTORY_KINDS:
            raise ValueError(f"kind must be one of {self.HISTORY_KINDS}, got {kind!r}")
        steps, rows = list(self._hist_steps), list(self._hist)
        if self._latest is not None and (not steps or steps[-1] != self._latest[0]):
            steps.append(self._latest[0])
            rows.append(self._latest[1])
        k = self.HISTORY_KINDS.index(kind)
        fracs = np.array([r[k] for r in rows], dtype=float).reshape(len(steps), len(self.widths))
        return np.array(steps, dtype=np.int64), fracs

    @property
    def died(self) -> list[np.ndarray]:
        """Per layer: units dead now that were alive at some observation and then died."""
        return [d & (s >= 0) for d, s in zip(self.dead, self.death_step, strict=True)]


@torch.no_grad()
def revive(
    model: nn.Sequential,
    dead_mask_per_layer: Sequence[np.ndarray | torch.Tensor | None],
    init: str = "he",
    seed: int = 0,
    bias: float | None = REVIVE_BIAS,
    optimizer: torch.optim.Optimizer | None = None,
    x_data: np.ndarray | torch.Tensor | None = None,
) -> int:
    """Re-initialise the incoming weights and bias of the masked hidden units in place; return how many.

    Weights: a fresh row from ``init`` (a :mod:`relu_viz.network` scheme) drawn from a generator of
    its own, derived from ``seed`` but distinct from ``network.build``'s stream for the same seed (else
    a unit never updated since it was born dead would get its old row back); torch's global generator
    is untouched. Bias: ``bias`` (default 0.1; None keeps the scheme's draw). A small positive bias,
    rather than 0, puts z = w·a + 0.1 above 0 on a little over half the inputs of a fresh symmetric row
    w and, when every input a is 0 (a dead layer upstream), on all of them, so the unit starts active.
    Outgoing weights are kept: the revived unit then feeds the next layer at once, so its incoming
    weights get gradient from the next step on (with zero outgoing weights they would get none until
    those had grown); the price is a jump in the network's output.
    ``optimizer``: per-parameter state tensors shaped like the weight or bias (Adam's moments, SGD's
    momentum buffer, ...) are zeroed on the revived rows, so stale momentum does not push them back.

    With ``x_data`` the result is checked on the data, layer by layer in order: (1) reviving a layer
    changes the next layer's inputs and can kill units there, so units of a later layer dead on the data
    at that point are revived too, masked or not; (2) a revived unit still dead (w·a + b <= 0 at every
    point, so w·a <= -b) gets its weight row negated: then -w·a + b >= 2b > 0 at every point, and a
    ReLU unit is alive on all of it.
    """
    layers = network.hidden_layers(model)
    if len(dead_mask_per_layer) != len(layers):
        raise ValueError(f"{len(dead_mask_per_layer)} masks given for {len(layers)} hidden layers")
    stream = np.random.SeedSequence([int(seed), REVIVE_STREAM]).generate_state(1)[0]
    generator = torch.Generator().manual_seed(int(stream))
    points = None if x_data is None else _as_points(model, x_data)
    total = 0
    for index, ((linear, act), mask) in enumerate(zip(layers, dead_mask_per_layer, strict=True)):
        rows = torch.zeros(linear.out_features, dtype=torch.bool)
        if mask is not None:
            given = torch.as_tensor(np.asarray(mask, dtype=bool)).reshape(-1)
            if given.numel() != linear.out_features:
                raise ValueError(
                    f"layer {index}: mask has {given.numel()} entries, layer {linear.out_features}"
                )
            rows |= given
        if points is not None:
            rows |= _dead_rows(model, points, index, act)
        if not rows.any():
            continue
        fan_in, fan_out, dtype = linear.in_features, linear.out_features, linear.weight.dtype
        fresh = nn.utils.skip_init(nn.Linear, fan_in, fan_out, dtype=dtype)
        network.initialise(fresh, init, generator)
        new_bias = fresh.bias if bias is None else torch.full_like(fresh.bias, float(bias))
        linear.weight[rows] = fresh.weight[rows]
        linear.bias[rows] = new_bias[rows]
        if points is not None:
            still = _dead_rows(model, points, index, act) & rows
            linear.weight[still] = -linear.weight[still]
        if optimizer is not None:
            for param in (linear.weight, linear.bias):
                for value in optimizer.state.get(param, {}).values():
                    if isinstance(value, torch.Tensor) and value.shape == param.shape:
                        value[rows] = 0
        total += int(rows.sum())
    return total


def _dead_rows(model: nn.Sequential, points: torch.Tensor, index: int, act: nn.Module) -> torch.Tensor:
    """Units of hidden layer ``index`` whose activation gradient is 0 at every point: (width,) bool."""
    z = network.preactivations(model, points)[index]
    return (activation_gradient(act, z) == 0).all(dim=0)


def survival_probability(width: int, depth: int) -> float:
    """Lu et al. (2019): P(x != 0 survives L = ``depth`` hidden ReLU layers of N = ``width``) = (1 - 2^-N)^L.

    Why: given the previous layer's output a, each unit's z = w·a + b is symmetric about 0 and
    continuous, so it is <= 0 with probability 1/2, independently across the N units: the whole layer
    outputs zeros with probability 2^-N. Chaining L layers gives (1 - 2^-N)^L.
    """
    if width < 1 or depth < 0:
        raise ValueError(f"need width >= 1 and depth >= 0, got {width}, {depth}")
    return (1.0 - 2.0 ** (-int(width))) ** int(depth)


def monte_carlo_survival(
    widths: Sequence[int],
    init: str = "he",
    bias_init: float | None = 0.0,
    n_nets: int = 200,
    n_points: int = 100,
    seed: int = 0,
    points: np.ndarray | torch.Tensor | None = None,
) -> tuple[float, float]:
    """Monte-Carlo share of (net, point) pairs that survive, and its standard error.

    ``n_nets`` ReLU networks ``network.build(widths, ReLU, init, seed_i, bias_init)`` (seeds derived
    from ``seed``) are evaluated at ``points`` (default ``n_points`` draws of x ~ N(0, I₂), shared by
    all nets). A pair survives when no hidden layer is entirely zero at that point (some z_lu > 0 in
    every layer l), i.e. the output still depends on the point. The estimate is the mean over nets of
    each net's surviving share; the standard error is their standard deviation / sqrt(n_nets) (points
    of one net are not independent, nets are).

    Lu et al.'s assumptions (weights and biases symmetric about 0 and continuous, x != 0) hold for
    ``he`` and ``xavier`` with bias 0 and for ``default``; there the estimate should match
    :func:`survival_probability` within a few standard errors. A negative ``bias_init``, ``playground``
    (bias +0.1) or ``rai`` (asymmetric rows) break them, and the estimate moves away from the formula.
    """
    if n_nets < 2:
        raise ValueError("n_nets must be at least 2 for a standard error")
    if points is None:
        gen = torch.Generator().manual_seed(int(seed))
        pts = torch.randn(int(n_points), int(widths[0]), generator=gen)
    else:
        pts = points.detach() if isinstance(points, torch.Tensor) else torch.tensor(np.asarray(points))
    seeds = np.random.SeedSequence(int(seed)).generate_state(int(n_nets))
    shares = np.empty(int(n_nets))
    for i, s in enumerate(seeds):
        model = network.build(widths, nn.ReLU, init=init, seed=int(s), bias_init=bias_init)
        with torch.no_grad():
            zs = network.preactivations(model, pts.to(next(model.parameters()).dtype))
        alive = torch.ones(pts.shape[0], dtype=torch.bool)
        for z in zs:
            alive &= (z > 0).any(dim=1)
        shares[i] = alive.double().mean().item()
    return float(shares.mean()), float(shares.std(ddof=1) / np.sqrt(len(shares)))
