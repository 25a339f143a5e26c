"""Properties of an activation f: R -> R measured numerically, never typed in.

Everything is computed from f itself in float64: f' and f'' by torch autograd (the derivative torch will
actually use in training, including its convention at kinks), never by a hand-written derivative.
``f`` is any elementwise torch callable: a registry module, a typed formula, ``torch.tanh``.

What is measured, on an interval [lo, hi] (the plotted one) unless said otherwise:

- range on [lo, hi]: (min f, max f) on a grid of ``GRID`` points.
- range over R: inf f and sup f. A side is *unbounded* when f keeps growing by more than 0.5 per decade
  of |x| over the decades 10³..10⁶ (catches linear and logarithmic growth) or reaches ±inf; otherwise the
  bound is the extreme of f over [-10, 10] and the far points. It is *attained* (closed bracket) when f
  reaches it on [-10, 10], else approached only in the limit (open bracket): ReLU "[0, ∞)", sigmoid
  "(0, 1)". Poles are only seen where f is ±inf on a sample point.
- monotonic: the sign of the grid differences f(x_{i+1}) - f(x_i) ("increasing" if all > 0,
  "non-decreasing" if all >= 0, likewise decreasing, else "no"), with a 1e-12 relative tolerance.
- continuity class: "discontinuous" if f jumps, else "C0" if f' jumps, else "C1" if f'' jumps, else
  "smooth" (no jump of f'' found; C² at least). Jumps are found by :func:`find_breaks`.
- kinks: points where f or f' jumps (see :func:`find_kinks`).
- zero-centred: for z ~ N(0, 1) (``N_SAMPLES`` draws, fixed seed), |E f(z)| <= 0.1 · std f(z), i.e. the
  mean output is small next to its spread (tanh yes, ReLU no: mean 0.40, std 0.58).
- saturating: |f'(x)| <= 1e-6 at x = -10⁴ and/or +10⁴ ("at −∞", "at +∞", "at ±∞" or "no"); ReLU
  saturates at −∞ (its slope there is 0), sigmoid at both sides.
- max |f'|: the largest |f'| on the grid and where it is reached (grid step (hi - lo)/(GRID - 1)).
- f'(0): autograd's value at exactly 0, the convention where 0 is a kink.
- sparsity: the share of exact zeros f(z) == 0 for z ~ N(0, 1) (ReLU 0.5).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = [
    "Analysis",
    "Curve",
    "Properties",
    "analyse",
    "continuity_class",
    "curve",
    "derivatives",
    "find_breaks",
    "find_kinks",
    "kink_slopes",
    "measure",
    "values",
]

Fn = Callable[[torch.Tensor], torch.Tensor]

GRID = 16001  # grid points on [lo, hi]: step 0.001 on [-8, 8]
N_SAMPLES = 100_000  # N(0, 1) draws for sparsity and zero-centredness
SEED = 0
LIMIT_WINDOW = 10.0  # a bound reached inside [-10, 10] counts as attained
SATURATION_X = 1e4
SATURATION_SLOPE = 1e-6
ZERO_CENTRED_RATIO = 0.1
JUMP_TOL = 1e-6  # a break must keep a jump of 1e-6 · (1 + max|g|) after bisection
CANDIDATE_TOL = 1e-7  # second-difference screen for where to look
MAX_CANDIDATES = 512
BISECTIONS = 40  # 0.001 / 2⁴⁰ ≈ 1e-15: down to float64 spacing


def as_float64(f: Fn) -> Fn:
    """``f`` ready for float64 input: modules are copied, cast to float64 and put in eval mode
    (PReLU's weight is float32; RReLU is deterministic in eval mode); other callables are used as they are.
    """
    if isinstance(f, nn.Module):
        return copy.deepcopy(f).double().eval()
    return f


def _values(f: Fn, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        return f(t).detach().numpy().astype(np.float64, copy=False)


def _derivatives(f: Fn, x: np.ndarray, order: int) -> np.ndarray:
    t = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    with torch.enable_grad():
        y = f(t)
        if not y.requires_grad:  # f ignores its input's graph: a constant, slope 0
            return np.zeros_like(t.detach().numpy())
        # f is elementwise, so d(Σ f(x_j))/dx_i = f'(x_i): one backward pass gives the whole curve.
        (dy,) = torch.autograd.grad(y.sum(), t, create_graph=order >= 2, allow_unused=True)
        if dy is None:
            return np.zeros_like(t.detach().numpy())
        if order == 1:
            return dy.detach().numpy()
        if not dy.requires_grad:  # f' does not depend on x (identity, step): f'' = 0
            return np.zeros_like(t.detach().numpy())
        (d2y,) = torch.autograd.grad(dy.sum(), t, allow_unused=True)
        return np.zeros_like(t.detach().numpy()) if d2y is None else d2y.detach().numpy()


def values(f: Fn, x: np.ndarray) -> np.ndarray:
    """f(x) elementwise in float64; x any shape, result the same shape."""
    return _values(as_float64(f), x)


def derivatives(f: Fn, x: np.ndarray, order: int = 1) -> np.ndarray:
    """f'(x) (order 1) or f''(x) (order 2) elementwise by torch autograd in float64; same shape as x.

    At a kink this is the value autograd defines there (ReLU'(0) = 0), not a limit. Where f or f' does not
    depend on x through the graph (a constant, the step), the derivative is 0.
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order}")
    return _derivatives(as_float64(f), x, order)


def _level(f: Fn, order: int) -> Callable[[np.ndarray], np.ndarray]:
    """x -> f^(order)(x) for an already float64-ready f."""
    if order == 0:
        return lambda x: _values(f, x)
    return lambda x: _derivatives(f, x, order)


def _snap(x: float) -> float:
    """Round a located break to the shortest decimal within 1e-9 (0.49999999999 -> 0.5)."""
    for digits in range(9):
        r = round(x, digits)
        if abs(r - x) <= 1e-9 * max(1.0, abs(x)):
            return r + 0.0  # -0.0 -> 0.0
    return x


def _breaks(g: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, n: int = GRID) -> list[float]:
    x = np.linspace(lo, hi, n)
    y = g(x)
    finite = np.isfinite(y)
    if not finite.any():
        return []
    scale = 1.0 + float(np.max(np.abs(y[finite])))
    # Where g stops being finite (a pole, an infinite slope, the edge of a NaN region) is a break too,
    # located at the non-finite sample next to the finite one.
    edges = np.flatnonzero(finite[:-1] != finite[1:])
    at_edges = [float(x[i + 1] if finite[i] else x[i]) for i in edges]
    d = np.diff(y)
    # For smooth g the grid steps change slowly, d_i ≈ (d_{i-1} + d_{i+1})/2 up to O(h³ g'''); a jump of
    # size J at interval i stands out by about J. Only these intervals are bisected.
    neighbours = np.empty_like(d)
    neighbours[1:-1] = (d[:-2] + d[2:]) / 2
    neighbours[0], neighbours[-1] = d[min(1, d.size - 1)], d[max(d.size - 2, 0)]
    excess = np.abs(d - neighbours)
    excess[~np.isfinite(excess)] = 0.0
    candidates = np.flatnonzero(excess > CANDIDATE_TOL * scale)
    if candidates.size == 0:
        return [_snap(v) for v in _merge(at_edges)]
    if candidates.size > MAX_CANDIDATES:
        candidates = candidates[np.argsort(excess[candidates])[-MAX_CANDIDATES:]]
    a, b = x[candidates].copy(), x[candidates + 1].copy()
    ya, yb = y[candidates].copy(), y[candidates + 1].copy()
    # Bisect towards the half with the larger change: a jump keeps its size J however short the
    # interval, while a smooth change shrinks with the interval (|g'| · width -> ~1e-15 |g'|).
    for _ in range(BISECTIONS):
        m = (a + b) / 2
        ym = g(m)
        go_left = np.abs(ym - ya) >= np.abs(yb - ym)
        b = np.where(go_left, m, b)
        yb = np.where(go_left, ym, yb)
        a = np.where(go_left, a, m)
        ya = np.where(go_left, ya, ym)
    jump = np.abs(yb - ya)
    found = [float((a[i] + b[i]) / 2) for i in np.flatnonzero(jump > JUMP_TOL * scale)]
    return [_snap(v) for v in _merge(found, at_edges)]


def find_breaks(f: Fn, lo: float = -8.0, hi: float = 8.0, order: int = 0) -> list[float]:
    """Points in [lo, hi] where the order-th derivative of f (0: f itself, 1: f', 2: f'') jumps.

    Method: sample on a grid of ``GRID`` points, screen intervals whose step differs from its neighbours'
    (a jump survives, smooth change does not), bisect each ``BISECTIONS`` times towards the larger
    change, keep those whose change stays above 1e-6 · (1 + max|g|), merge within 1e-6 and snap each to
    the shortest decimal within 1e-9. Jumps smaller than that tolerance, or two breaks closer than the
    grid step, are not resolved. Where g turns non-finite (1/x, the slope of sqrt(|x|) at 0, the edge of
    log's NaN region) the first non-finite sample counts as a break.
    """
    return _breaks(_level(as_float64(f), order), float(lo), float(hi))


def _merge(*lists: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(v for lst in lists for v in lst):
        if not out or v - out[-1] > 1e-6:
            out.append(v)
    return out


def find_kinks(f: Fn, lo: float = -8.0, hi: float = 8.0) -> list[float]:
    """Sorted points in [lo, hi] where f is not differentiable: f or f' jumps (see :func:`find_breaks`)."""
    g = as_float64(f)
    return _merge(_breaks(_level(g, 0), lo, hi), _breaks(_level(g, 1), lo, hi))


def continuity_class(f: Fn, lo: float = -8.0, hi: float = 8.0) -> str:
    """ "discontinuous" (f jumps), "C0" (f' jumps), "C1" (f'' jumps) or "smooth", measured on [lo, hi]."""
    return _continuity(as_float64(f), lo, hi)[0]


def _continuity(g: Fn, lo: float, hi: float) -> tuple[str, list[float]]:
    jumps_f = _breaks(_level(g, 0), lo, hi)
    jumps_df = _breaks(_level(g, 1), lo, hi)
    kinks = _merge(jumps_f, jumps_df)
    if jumps_f:
        return "discontinuous", kinks
    if jumps_df:
        return "C0", kinks
    if _breaks(_level(g, 2), lo, hi):
        return "C1", kinks
    return "smooth", kinks


def kink_slopes(f: Fn, kinks: list[float]) -> list[tuple[float, float]]:
    """(x0, f'(x0)) for each kink x0, f'(x0) being autograd's value exactly at the kink."""
    if not kinks:
        return []
    xs = np.asarray(kinks, dtype=np.float64)
    return list(zip(xs.tolist(), derivatives(f, xs).tolist(), strict=True))


@dataclass(frozen=True)
class Curve:
    """f, f' (and optionally f'') sampled for plotting; NaN marks a break so no false vertical is drawn.

    ``x`` has the grid (minus points on a kink) plus the points kink ± δ (δ = 1e-9 · (hi - lo)); ``x``
    also holds each kink itself, where an array that jumps there is NaN (a plotted line stops on one side
    and restarts on the other) and one that does not holds the mean of its two sides.
    """

    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray
    d2y: np.ndarray | None


def curve(f: Fn, lo: float, hi: float, n: int = 1201, kinks: list[float] = (), second: bool = False) -> Curve:
    """Sample f, f' (autograd) and, if ``second``, f'' on [lo, hi] with n grid points plus kink sides.

    Grid points lying on a kink are dropped (the value autograd picks there belongs on a marker, see
    :func:`kink_slopes`), so the lines show the one-sided limits and a gap.
    """
    g = as_float64(f)
    delta = 1e-9 * (hi - lo)
    inside = [k for k in kinks if lo < k < hi]
    grid = np.linspace(lo, hi, n)
    # A grid point on a kink would draw autograd's one value there as part of the line (a spike to 0.5
    # for max(0, x)); it is left out, and the figure shows that value as a marker instead.
    for k in inside:
        grid = grid[np.abs(grid - k) > 2 * delta]
    x = np.unique(np.concatenate([grid, [k - delta for k in inside], [k + delta for k in inside]]))
    arrays = [_values(g, x), _derivatives(g, x, 1)]
    if second:
        arrays.append(_derivatives(g, x, 2))
    if inside:
        # Insert one NaN row at each kink, between its two sides; keep it only for arrays that jump there.
        right_idx = np.searchsorted(x, [k + delta for k in inside])
        x = np.insert(x, right_idx, inside)
        new_pos = right_idx + np.arange(len(inside))
        out = []
        for arr in arrays:
            left, right = arr[right_idx - 1], arr[right_idx]
            scale = 1.0 + np.nanmax(np.abs(arr)) if np.isfinite(arr).any() else 1.0
            gap = np.where(np.abs(right - left) > 1e-6 * scale, np.nan, (left + right) / 2)
            full = np.insert(arr, right_idx, gap)
            out.append(full)
        arrays = out
        assert np.allclose(x[new_pos], inside)
    return Curve(x, arrays[0], arrays[1], arrays[2] if second else None)


@dataclass(frozen=True)
class Properties:
    """Measured properties of one activation (see the module docstring for each definition)."""

    lo: float
    hi: float
    range_on_interval: tuple[float, float]
    infimum: float  # over R; -inf when unbounded below
    supremum: float  # over R; +inf when unbounded above
    limit_range: str  # e.g. "[0, ∞)"
    monotonic: str
    continuity: str
    kinks: tuple[float, ...]
    zero_centred: bool
    mean: float  # E f(z), z ~ N(0, 1)
    std: float  # std f(z)
    saturating: str
    max_abs_df: float
    argmax_abs_df: float
    df_at_0: float
    sparsity: float

    def row(self) -> dict[str, object]:
        """The properties as one table row of readable strings and numbers."""
        lo_r, hi_r = self.range_on_interval
        return {
            "range on plot": f"[{_num(lo_r)}, {_num(hi_r)}]",
            "range over ℝ": self.limit_range,
            "monotonic": self.monotonic,
            "continuity": self.continuity,
            "kinks at x": ", ".join(_num(k) for k in self.kinks) or "none",
            "zero-centred": "yes" if self.zero_centred else "no",
            "saturates": self.saturating,
            "max |f′|": round(self.max_abs_df, 4),
            "at x": round(self.argmax_abs_df, 3),
            "f′(0) autograd": round(self.df_at_0, 4) + 0.0,  # + 0.0 turns −0.0 into 0.0
            "sparsity": round(self.sparsity, 4),
        }


def _num(v: float) -> str:
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.4g}".replace("-", "−")


def _limits(g: Fn) -> tuple[float, float, str]:
    window = np.linspace(-LIMIT_WINDOW, LIMIT_WINDOW, 4001)
    f_window = _values(g, window)
    decades = [np.logspace(k, k + 1, 41) for k in (3, 4, 5)]  # |x| in [1e3, 1e4], [1e4, 1e5], [1e5, 1e6]
    sides = [[_values(g, s * d) for d in decades] for s in (-1.0, 1.0)]
    far = np.concatenate([v for side in sides for v in side])
    everything = np.concatenate([f_window, far])
    everything = everything[~np.isnan(everything)]
    if everything.size == 0:
        return math.nan, math.nan, "undefined"

    def grows(extreme: Callable[[np.ndarray], float], sign: float) -> bool:
        for side in sides:
            e = [sign * extreme(v) for v in side]
            if any(math.isinf(v) and v > 0 for v in e):
                return True
            if e[1] - e[0] > 0.5 and e[2] - e[1] > 0.5:
                return True
        return False

    def nanmax(v: np.ndarray) -> float:
        return float(np.nanmax(v)) if np.isfinite(v).any() or np.isinf(v).any() else -math.inf

    def nanmin(v: np.ndarray) -> float:
        return float(np.nanmin(v)) if np.isfinite(v).any() or np.isinf(v).any() else math.inf

    sup = math.inf if grows(nanmax, 1.0) else float(np.max(everything))
    inf = -math.inf if grows(nanmin, -1.0) else float(np.min(everything))
    win = f_window[~np.isnan(f_window)]

    def attained(bound: float, best_in_window: float) -> bool:
        # The bound is the extreme over window and far points together, so it equals the window's
        # extreme exactly when it is reached at a finite x; an asymptote is reached (if at all, by
        # rounding) only far out: sigmoid(10) = 0.99995 < sigmoid(1e6) = 1.0.
        return math.isfinite(bound) and best_in_window == bound

    left = "[" if win.size and attained(inf, float(win.min())) else "("
    right = "]" if win.size and attained(sup, float(win.max())) else ")"
    return inf, sup, f"{left}{_num(inf)}, {_num(sup)}{right}"


def _monotonic(y: np.ndarray) -> str:
    d = np.diff(y)
    d = d[~np.isnan(d)]
    finite = y[np.isfinite(y)]
    tol = 1e-12 * (1.0 + (float(np.max(np.abs(finite))) if finite.size else 0.0))
    if np.all(d > tol):
        return "increasing"
    if np.all(d >= -tol):
        return "non-decreasing"
    if np.all(d < -tol):
        return "decreasing"
    if np.all(d <= tol):
        return "non-increasing"
    return "no"


def _saturating(g: Fn) -> str:
    slope_left, slope_right = _derivatives(g, np.array([-SATURATION_X, SATURATION_X]), 1)
    left = bool(abs(slope_left) <= SATURATION_SLOPE)
    right = bool(abs(slope_right) <= SATURATION_SLOPE)
    return {(True, True): "at ±∞", (True, False): "at −∞", (False, True): "at +∞"}.get((left, right), "no")


def normal_samples(n: int = N_SAMPLES, seed: int = SEED) -> np.ndarray:
    """The fixed N(0, 1) sample (float64) used for sparsity and zero-centredness."""
    return np.random.default_rng(seed).standard_normal(n)


def measure(f: Fn, lo: float = -8.0, hi: float = 8.0) -> Properties:
    """Measure the properties of f on [lo, hi] and over R (definitions in the module docstring)."""
    if not lo < hi:
        raise ValueError(f"need lo < hi, got [{lo}, {hi}]")
    g = as_float64(f)
    x = np.linspace(lo, hi, GRID)
    y = _values(g, x)
    dy = _derivatives(g, x, 1)
    continuity, kinks = _continuity(g, lo, hi)
    inf, sup, limit_range = _limits(g)
    abs_dy = np.abs(dy)
    i_max = int(np.nanargmax(abs_dy)) if np.isfinite(abs_dy).any() else 0
    z_out = _values(g, normal_samples())
    mean, std = float(np.mean(z_out)), float(np.std(z_out))
    return Properties(
        lo=float(lo),
        hi=float(hi),
        range_on_interval=(float(np.nanmin(y)), float(np.nanmax(y))),
        infimum=inf,
        supremum=sup,
        limit_range=limit_range,
        monotonic=_monotonic(y),
        continuity=continuity,
        kinks=tuple(kinks),
        zero_centred=bool(abs(mean) <= ZERO_CENTRED_RATIO * std + 1e-12),
        mean=mean,
        std=std,
        saturating=_saturating(g),
        max_abs_df=float(abs_dy[i_max]),
        argmax_abs_df=float(x[i_max]),
        df_at_0=float(_derivatives(g, np.zeros(1), 1)[0]),
        sparsity=float(np.mean(z_out == 0.0)),
    )


@dataclass(frozen=True)
class Analysis:
    """Everything the gallery shows for one function on [lo, hi]: curves, kinks with autograd's slope
    there, and the measured properties."""

    curve: Curve
    kinks: list[tuple[float, float]]
    properties: Properties


def analyse(
    f: Fn,
    lo: float,
    hi: float,
    kinks: list[float] | None = None,
    second: bool = False,
    n: int = 1201,
) -> Analysis:
    """Curves, kinks and properties of f on [lo, hi].

    ``kinks`` are the exact kink locations when known (a registry spec's); ``None`` uses the ones
    :func:`measure` finds numerically (a typed formula). Kinks outside [lo, hi] are dropped.
    """
    props = measure(f, lo, hi)
    found = list(props.kinks) if kinks is None else [k for k in kinks if lo <= k <= hi]
    return Analysis(curve(f, lo, hi, n, found, second), kink_slopes(f, found), props)
