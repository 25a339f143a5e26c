"""Exact linear regions of a piecewise-linear network on the plane, and its exact decision boundary.

A network f = L_k ∘ σ_{k-1} ∘ L_{k-1} ∘ ... ∘ σ_1 ∘ L_1 on inputs x ∈ R² (L_l(h) = W_l h + b_l, each σ_l a
continuous scalar function that is affine between finitely many breakpoints, applied per unit) is affine
on each cell of a partition of the plane into convex polygons: on a cell every unit stays on one linear
piece of its activation, so every layer is an affine function of x there, and f(x) = A x + c.

Algorithm (layer by layer, all regions of a layer at once):

1. Start from the box, one region, whose first-layer pre-activations are z = W_1 x + b_1.
2. A layer's unit j with breakpoint t bends on the line a_j·x + c_j = t inside each region of the
   layers before (a_j, c_j: that region's affine map of z_j; straight there). Which (region, unit,
   breakpoint) lines cross which region is settled at once for the whole layer: a disc around each
   region rules most out, the vertices of the region decide the rest. The others only set the unit's
   piece.
3. Cuts go in rounds: in round q every region (descendant of parent p) is cut by the q-th line that
   crosses p. Signed distances d = (a·v + c − t)/|a| of all vertices of all candidates are one array
   operation (normalised, so tolerances are lengths), and all crossed polygons are split in one
   operation (:mod:`relu_viz.polygon_split`). A layer takes max-lines-per-parent rounds, not one per
   unit; the region count is checked after every round.
4. After a layer each region knows every unit's piece; the next layer's maps are
   z' = W_{l+1} (s ⊙ z + o) + b_{l+1}, with s, o the pieces' slopes and intercepts: one matrix product
   for a block of regions.

Maps are kept as (3, regions, units) float64 arrays (rows: coefficient of x1, of x2, constant): memory
grows as 24 bytes × regions × width, capped by ``max_regions`` and :data:`MAX_MAP_BYTES`.

Activation pattern (``Partition.patterns``, int8 per unit, units in layer order): the index of the
unit's linear piece, i.e. how many of its breakpoints lie below its pre-activation z:
ReLU, LeakyReLU, PReLU, RReLU, continuous Threshold: 0 where z <= breakpoint, 1 above;
ReLU6, Hardtanh, Hardsigmoid, Softshrink: 0 lower piece, 1 middle, 2 upper.

Supported modules: ``nn.Linear`` (any number, consecutive ones folded), ``nn.ReLU``, ``nn.LeakyReLU``,
``nn.PReLU`` (one or per-unit slopes), ``nn.RReLU`` in eval mode (slope (lower + upper)/2), ``nn.ReLU6``,
``nn.Hardtanh``, ``nn.Hardsigmoid`` (x/6 + 1/2 clamped to [0, 1], kinks at ±3), ``nn.Softshrink``,
``nn.Threshold`` with value == threshold (that is max(x, t)), ``nn.Identity``, ``nn.Dropout`` in eval
mode, nested ``nn.Sequential``, and ``relu_viz.network.Features`` restricted to (x1, x2). Activations
with jumps (``nn.Threshold`` with value != threshold, ``nn.Hardshrink``, the binary step) are refused:
the output then jumps across lines instead of bending, which this exact picture does not draw. Anything
else (smooth activations, typed formulas, extra input features) raises :class:`NotPiecewiseLinear`
with a message meant to be shown as is.

Linear regions: neighbouring activation regions whose output maps (A, c) agree within
:data:`MERGE_RTOL` are merged (connected components). Neighbours are found exactly, not by geometry:
every polygon edge remembers which unit breakpoint made it, and the region across that edge has the
same pattern with that unit's piece moved by one, looked up by a 64-bit hash of patterns. Where that
lookup fails (degenerate nets, e.g. two units with the same line), a point just across the edge's
midpoint is located instead.

Numerics: float64 throughout (float32 weights are widened). Tolerances are in box units, see the
constants below.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from relu_viz import bounds
from relu_viz import polygon_split as ps

Box = tuple[tuple[float, float], tuple[float, float]]

DISTANCE_RTOL = 1e-10
"""A vertex within DISTANCE_RTOL × (longer box side) of a cut line counts as on it; a polygon is cut only
when some vertex lies farther than that on each side (distances are normalised: (a·v + c − t)/|a|)."""

MIN_AREA_RTOL = 1e-18
"""A cut that would leave a piece smaller than MIN_AREA_RTOL × (box area) is not made: the sliver stays
with the larger piece (whose pattern it takes) and is counted in ``Partition.n_slivers``. Areas still
sum to the box area."""

ZERO_ROW_RTOL = 1e-12
"""A unit whose slope |a_j| in a region is below ZERO_ROW_RTOL × (the layer's largest slope, bounded
within a factor √2) is constant there (e.g. every upstream unit is off): it never cuts that region, and
its piece is read from its constant value."""

MERGE_RTOL = 1e-9
"""Two neighbouring regions are one linear region when their output maps differ by at most MERGE_RTOL ×
(the largest output magnitude) anywhere in the box."""

PROBE_RTOL = 1e-7
"""Fallback neighbour search steps PROBE_RTOL × (longer box side) across an edge's midpoint."""

MAX_MAP_BYTES = 96 * 2**20
"""Carving also stops (``truncated``) rather than hold one layer's maps, 24 bytes × regions × width,
above this size: the memory cap that max_regions alone cannot give for very wide layers."""

_COMPOSE_CHUNK = 2048  # regions per block when composing maps: bounds the temporaries to a few MB
_PRECHECK_ELEMENTS = 1 << 18  # (parent, unit) pairs per block of a layer's pre-check, for the same reason
_HASH_SEED = 0x5EED_2E61


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b through torch, which relu_viz holds to one thread: numpy's OpenBLAS starts one thread per
    core and, on two shared cores, a small product then takes 10x longer waiting for a busy core."""
    return torch.matmul(
        torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(np.ascontiguousarray(b))
    ).numpy()


class NotPiecewiseLinear(ValueError):
    """The model is not a continuous piecewise-linear function of (x1, x2); the message is UI-ready."""


_SUPPORTED = "ReLU, Leaky ReLU, PReLU, RReLU, ReLU6, Hardtanh, Hardsigmoid, Softshrink or identity"
_MSG_FEATURES = (
    "With extra input features (x1², sin x1, …) the regions are no longer polygons of the plane: "
    "exact regions need the plain inputs x1 and x2."
)
_SMOOTH = (
    nn.ELU,
    nn.CELU,
    nn.SELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Softplus,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softsign,
    nn.LogSigmoid,
    nn.Tanhshrink,
    nn.Hardswish,
    nn.Softmax,
    nn.LogSoftmax,
    nn.Softmin,
    nn.GLU,
)


# ----------------------------------------------------------------------------------------------------
# The network as numpy: affine layers and per-unit piecewise-linear activations
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pieces:
    """Per-unit piecewise-linear σ_j(z) = slopes[j, p] z + intercepts[j, p] on piece p.

    ``breaks`` (n, m) ascending per unit (+inf pads units with fewer breakpoints); piece p is
    breaks[j, p-1] < z <= breaks[j, p]; ``slopes``, ``intercepts`` (n, m + 1).
    """

    breaks: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray

    @property
    def n(self) -> int:
        return self.breaks.shape[0]

    @property
    def m(self) -> int:
        return self.breaks.shape[1]

    def apply(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(σ(z), piece) for pre-activations z (N, n)."""
        piece = (z[:, :, None] > self.breaks[None]).sum(axis=2)
        u = np.arange(self.n)
        return self.slopes[u, piece] * z + self.intercepts[u, piece], piece

    def value(self, z: np.ndarray) -> np.ndarray:
        return self.apply(z)[0]


def _uniform(
    n: int, breaks: Sequence[float], slopes: Sequence[float], intercepts: Sequence[float]
) -> _Pieces:
    def rep(v: Sequence[float]) -> np.ndarray:
        return np.tile(np.asarray(v, dtype=np.float64), (n, 1))

    return _Pieces(rep(breaks), rep(slopes), rep(intercepts))


def _leaky(n: int, slope: np.ndarray) -> _Pieces:
    slopes = np.stack([np.broadcast_to(slope, (n,)), np.ones(n)], axis=1)
    return _Pieces(np.zeros((n, 1)), slopes, np.zeros((n, 2)))


def _pieces_of(module: nn.Module, n: int) -> _Pieces | None:
    """The module as per-unit pieces for width n; None for the identity; raises for anything else."""
    name = type(module).__name__
    if isinstance(module, nn.Identity) or (
        isinstance(module, nn.Dropout) and (not module.training or module.p == 0)
    ):
        return None
    if isinstance(module, nn.Dropout) or (isinstance(module, nn.RReLU) and module.training):
        raise NotPiecewiseLinear(
            f"{name} in training mode is random on every call, so the network has no fixed regions: "
            "switch the model to eval mode (model.eval()) to see them."
        )
    if isinstance(module, nn.ReLU):
        return _leaky(n, np.array(0.0))
    if isinstance(module, nn.LeakyReLU):
        return _leaky(n, np.array(float(module.negative_slope)))
    if isinstance(module, nn.RReLU):
        return _leaky(n, np.array((float(module.lower) + float(module.upper)) / 2))
    if isinstance(module, nn.PReLU):
        w = module.weight.detach().to("cpu", torch.float64).numpy().reshape(-1)
        if w.size not in (1, n):
            raise NotPiecewiseLinear(f"PReLU has {w.size} slopes but its layer has {n} units.")
        return _leaky(n, w)
    if isinstance(module, nn.Hardtanh):  # also ReLU6 = Hardtanh(0, 6)
        lo, hi = float(module.min_val), float(module.max_val)
        return _uniform(n, [lo, hi], [0.0, 1.0, 0.0], [lo, 0.0, hi])
    if isinstance(module, nn.Hardsigmoid):
        return _uniform(n, [-3.0, 3.0], [0.0, 1 / 6, 0.0], [0.0, 0.5, 1.0])
    if isinstance(module, nn.Softshrink):
        lam = float(module.lambd)
        return None if lam == 0 else _uniform(n, [-lam, lam], [1.0, 0.0, 1.0], [lam, 0.0, -lam])
    if isinstance(module, nn.Threshold):
        t, v = float(module.threshold), float(module.value)
        if v == t:
            return _uniform(n, [t], [0.0, 1.0], [t, 0.0])
        raise NotPiecewiseLinear(_jump_message(f"Threshold({t:g}, {v:g})"))
    if isinstance(module, nn.Hardshrink):
        if float(module.lambd) == 0:
            return None
        raise NotPiecewiseLinear(_jump_message("Hardshrink"))
    if name in ("Step", "BinaryStep", "Heaviside"):
        raise NotPiecewiseLinear(_jump_message("the binary step"))
    if isinstance(module, nn.Hardswish):
        raise NotPiecewiseLinear(
            "Hardswish is x·ReLU6(x + 3)/6: curved (quadratic) between −3 and 3, so the network bends "
            f"smoothly there and has no flat pieces to draw. Exact regions need {_SUPPORTED}."
        )
    if isinstance(module, _SMOOTH):
        raise NotPiecewiseLinear(
            f"{name} is smooth, so the network is curved everywhere: there are no flat pieces to draw. "
            f"Exact regions need {_SUPPORTED}."
        )
    raise NotPiecewiseLinear(
        f"{name} is not one of the piecewise-linear activations this picture knows (a typed formula can "
        f"curve anywhere), so exact regions can't be drawn. Exact regions need {_SUPPORTED}."
    )


def _jump_message(what: str) -> str:
    return (
        f"{what} jumps, so the network's output jumps across lines instead of bending: exact regions are "
        f"drawn for continuous piecewise-linear activations only ({_SUPPORTED})."
    )


def _compose_pieces(f: _Pieces, g: _Pieces) -> _Pieces:
    """Pieces of g ∘ f (two activations in a row): f's breakpoints plus where f crosses g's breakpoints."""
    per_unit = []
    for j in range(f.n):
        cand = [b for b in f.breaks[j] if np.isfinite(b)]
        fb = np.concatenate([[-np.inf], f.breaks[j], [np.inf]])
        for beta in g.breaks[j][np.isfinite(g.breaks[j])]:
            for p in range(f.m + 1):
                s, o = f.slopes[j, p], f.intercepts[j, p]
                if s != 0:
                    z = (beta - o) / s
                    if fb[p] < z <= fb[p + 1]:
                        cand.append(z)
        per_unit.append(np.unique(np.asarray(cand, dtype=np.float64)))
    m = max((len(b) for b in per_unit), default=0)
    breaks = np.full((f.n, m), np.inf)
    slopes = np.zeros((f.n, m + 1))
    intercepts = np.zeros((f.n, m + 1))
    for j, b in enumerate(per_unit):
        breaks[j, : len(b)] = b
        # Two probe points inside each piece give its slope and intercept exactly (it is affine there);
        # the unbounded end pieces are probed within 2 of their breakpoint.
        edges = np.concatenate([[b[0] - 2.0 if len(b) else -1.0], b, [b[-1] + 2.0 if len(b) else 1.0]])
        lo, hi = edges[:-1], edges[1:]
        z0, z1 = lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3
        col = np.zeros((len(z0), f.n))
        v0 = g.value(_unit_probe(f, j, z0, col)[0])[:, j]
        v1 = g.value(_unit_probe(f, j, z1, col)[0])[:, j]
        s = (v1 - v0) / (z1 - z0)
        slopes[j, : len(b) + 1] = s
        intercepts[j, : len(b) + 1] = v0 - s * z0
        slopes[j, len(b) + 1 :] = s[-1]
        intercepts[j, len(b) + 1 :] = intercepts[j, len(b)]
    return _Pieces(breaks, slopes, intercepts)


def _unit_probe(f: _Pieces, j: int, z: np.ndarray, buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    buf = buf.copy()
    buf[:, j] = z
    return f.apply(buf)


def _check_continuous(p: _Pieces, name: str) -> None:
    """Refuse pieces that disagree at a breakpoint t: |σ(t⁻) − σ(t⁺)| > 1e-12 (1 + |σ(t)|)."""
    t = np.where(np.isfinite(p.breaks), p.breaks, 0.0)
    left = p.slopes[:, :-1] * t + p.intercepts[:, :-1]
    right = p.slopes[:, 1:] * t + p.intercepts[:, 1:]
    if np.any(np.abs(left - right) > 1e-12 * (1 + np.abs(left))):
        raise NotPiecewiseLinear(_jump_message(name))


@dataclass(frozen=True)
class _Layer:
    """h_out = act(W h_in + b); W (n, d), b (n,); act None for the identity."""

    W: np.ndarray
    b: np.ndarray
    act: _Pieces | None


@dataclass(frozen=True)
class _Net:
    layers: tuple[_Layer, ...]

    @property
    def unit_offsets(self) -> list[int]:
        """Column of each layer's first unit in the pattern (layers without activation take none)."""
        out, off = [], 0
        for layer in self.layers:
            out.append(off)
            off += layer.act.n if layer.act is not None else 0
        return out

    @property
    def n_units(self) -> int:
        return sum(layer.act.n for layer in self.layers if layer.act is not None)

    @property
    def max_breaks(self) -> int:
        return max((layer.act.m for layer in self.layers if layer.act is not None), default=0)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(output (N, K), pieces (N, n_units)) in float64."""
        h = x
        pieces = []
        for layer in self.layers:
            h = _matmul(h, layer.W.T) + layer.b
            if layer.act is not None:
                h, p = layer.act.apply(h)
                pieces.append(p)
        pat = np.concatenate(pieces, axis=1) if pieces else np.zeros((len(x), 0), np.int64)
        return h, pat


def flatten(model: nn.Module) -> Iterator[nn.Module]:
    """The modules of ``model`` in order, nested ``nn.Sequential`` opened up."""
    for m in model:
        if isinstance(m, nn.Sequential):
            yield from flatten(m)
        else:
            yield m


def _describe(model: nn.Module, n_inputs: int = 2) -> _Net:
    """Read a Sequential as affine layers with activations, in float64 (weights are copied, not changed).

    ``n_inputs``: the input dimension (2: points of the plane; 1: a network R → R, see :func:`kinks`).
    """
    if not isinstance(model, nn.Sequential):
        raise NotPiecewiseLinear(
            "Exact regions need a torch.nn.Sequential of Linear layers and piecewise-linear activations "
            f"({_SUPPORTED}); got {type(model).__name__}."
        )
    W = np.eye(n_inputs)
    b = np.zeros(n_inputs)
    act: _Pieces | None = None
    layers: list[_Layer] = []
    seen_linear = False
    for mod in flatten(model):
        name = type(mod).__name__
        if name == "Features" and hasattr(mod, "keys"):
            keys = tuple(mod.keys)
            if seen_linear or act is not None or n_inputs != 2 or not set(keys) <= {"x1", "x2"}:
                raise NotPiecewiseLinear(_MSG_FEATURES)
            sel = np.array([[1.0, 0.0] if k == "x1" else [0.0, 1.0] for k in keys])
            W, b = sel @ W, sel @ b
            continue
        if isinstance(mod, nn.Linear):
            Wl = mod.weight.detach().to("cpu", torch.float64).numpy().copy()
            bl = (
                mod.bias.detach().to("cpu", torch.float64).numpy().copy()
                if mod.bias is not None
                else np.zeros(mod.out_features)
            )
            if mod.in_features != W.shape[0]:
                if not seen_linear:
                    raise NotPiecewiseLinear(_MSG_FEATURES)
                raise NotPiecewiseLinear(
                    f"Linear({mod.in_features}, {mod.out_features}) follows a layer of width {W.shape[0]}."
                )
            seen_linear = True
            if act is not None:
                layers.append(_Layer(W, b, act))
                W, b, act = Wl, bl, None
            else:
                W, b = Wl @ W, Wl @ b + bl
            continue
        pieces = _pieces_of(mod, W.shape[0])
        if pieces is None:
            continue
        _check_continuous(pieces, name)
        act = pieces if act is None else _compose_pieces(act, pieces)
    layers.append(_Layer(W, b, act))
    return _Net(tuple(layers))


# ----------------------------------------------------------------------------------------------------
# Carving: the growing set of regions, cut layer by layer
# ----------------------------------------------------------------------------------------------------


class _Carver:
    """Regions as growable flat arrays: a vertex pool (xy, edge tag) and per-region start, count, parent
    (index into the current layer's maps) and pattern. A cut rewrites the cut region as its positive half
    (new vertices appended to the pool) and appends its negative half as a new region."""

    def __init__(self, net: _Net, box: Box, max_regions: int) -> None:
        (x0, x1), (y0, y1) = box
        self.net = net
        self.max_regions = max_regions
        self.tol = DISTANCE_RTOL * max(x1 - x0, y1 - y0)
        self.min_area = MIN_AREA_RTOL * (x1 - x0) * (y1 - y0)
        self.mk = max(net.max_breaks, 1)
        self.xy = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        self.tag = np.full(4, -1, dtype=np.int32)
        self.nv = 4
        self.start = np.zeros(1, dtype=np.int64)
        self.count = np.full(1, 4, dtype=np.int64)
        self.parent = np.zeros(1, dtype=np.int64)
        self.pat = np.zeros((1, net.n_units), dtype=np.int8)
        self.weights = _hash_weights(net.n_units)
        self.hash = np.zeros(1, dtype=np.uint64)  # _pattern_hash of each region's pattern, kept up to date
        self.n = 1
        self.n_slivers = 0
        self.truncated = False
        self.done_layers = 0  # hidden layers carved completely (all of them unless truncated)
        self._ar = np.arange(4096)

    # -- storage ---------------------------------------------------------------------------------------

    def _reserve_vertices(self, extra: int) -> None:
        need = self.nv + extra
        if need > len(self.xy):
            cap = max(need, 2 * len(self.xy))
            xy = np.empty((cap, 2))
            xy[: self.nv] = self.xy[: self.nv]
            tag = np.empty(cap, dtype=np.int32)
            tag[: self.nv] = self.tag[: self.nv]
            self.xy, self.tag = xy, tag

    def _reserve_regions(self, extra: int) -> None:
        need = self.n + extra
        if need > len(self.start):
            cap = max(need, 2 * len(self.start))
            for name in ("start", "count", "parent", "hash"):
                old = getattr(self, name)
                new = np.empty(cap, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
            pat = np.empty((cap, self.pat.shape[1]), dtype=np.int8)
            pat[: self.n] = self.pat[: self.n]
            self.pat = pat

    def compact(self) -> np.ndarray:
        """Gather each region's vertices contiguously in region order (drops cut-away vertices).

        Returns ``first`` (R,), where each region starts; afterwards each region is its own parent.
        """
        idx, first = ps.flat_index(self.start[: self.n], self.count[: self.n])
        self.xy = np.take(self.xy, idx, axis=0)
        self.tag = self.tag.take(idx)
        self.nv = len(idx)
        self.start[: self.n] = first
        self.parent[: self.n] = np.arange(self.n)
        return first

    # -- one layer -------------------------------------------------------------------------------------

    def cut_layer(self, M: np.ndarray, act: _Pieces, unit_off: int) -> None:
        """Cut every region by every breakpoint line of the layer whose pre-activation maps are M.

        M (3, P, n): for unit j on parent region p, z_j(x) = M[0,p,j] x1 + M[1,p,j] x2 + M[2,p,j].
        Cuts go in rounds: round q cuts every region by the q-th line still pending for its parent, so one
        vectorised split serves many units at once and a layer takes max-pending-per-parent rounds.
        """
        first = self.compact()
        P, n = self.n, act.n
        x, y = self.xy[: self.nv, 0], self.xy[: self.nv, 1]
        cnt = self.count[:P]
        # A disc around each parent (centre = vertex mean, radius = farthest vertex) decides cheaply which
        # lines cannot cross it; for those the side is exact, the rest are checked vertex by vertex.
        cx = np.add.reduceat(x, first) / cnt
        cy = np.add.reduceat(y, first) / cnt
        rad = np.sqrt(
            np.maximum.reduceat((x - np.repeat(cx, cnt)) ** 2 + (y - np.repeat(cy, cnt)) ** 2, first)
        )
        block = max(1, _PRECHECK_ELEMENTS // max(1, n * act.m))
        blocks = range(0, P, block)
        # the layer's largest slope, for ZERO_ROW_RTOL (a bound within √2 of max |a_j|, blockwise)
        slope = max(float(np.abs(M[:2, b : b + block]).max(initial=0.0)) for b in blocks) * math.sqrt(2)
        settled = np.zeros((P, n), dtype=np.int8)
        found: list[tuple[np.ndarray, ...]] = []
        for b in blocks:
            a1, a2, a0 = M[:, b : b + block]  # (block, n) each
            norm = np.sqrt(a1 * a1 + a2 * a2)
            flat = norm <= ZERO_ROW_RTOL * slope
            with np.errstate(divide="ignore"):
                invn = np.where(flat, 0.0, 1.0 / norm)
            centre = a1 * cx[b : b + block, None] + a2 * cy[b : b + block, None] + a0  # z at the centre
            reach = (rad[b : b + block] + self.tol)[:, None]
            for k in range(act.m):
                t = act.breaks[:, k]
                fin = np.isfinite(t)
                dist = (centre - np.where(fin, t, 0.0)) * invn
                maybe = (np.abs(dist) < reach) & ~flat & fin
                settled[b : b + block] += (np.where(flat, a0 > t, dist > 0) & fin & ~maybe).astype(np.int8)
                p_b, j_b = np.nonzero(maybe)
                inv = invn[p_b, j_b]
                found.append(
                    (
                        p_b + b,
                        j_b,
                        np.full(len(p_b), k),
                        a1[p_b, j_b] * inv,
                        a2[p_b, j_b] * inv,
                        (a0[p_b, j_b] - t[j_b]) * inv,
                    )
                )

        # Disc-flagged (parent, unit, breakpoint) triples, parent-major, with each one's normalised line;
        # then the exact test on the parent's own vertices keeps only the lines that really cross it.
        p_i, j_i, k_i, c1, c2, c0 = (np.concatenate(f) for f in zip(*found, strict=True))
        order = np.argsort(p_i, kind="stable")
        p_i, j_i, k_i = p_i[order], j_i[order], k_i[order]
        coef = np.stack([c1[order], c2[order], c0[order]])
        if len(p_i) == 0:
            self.pat[:P, unit_off : unit_off + n] = settled
            self._add_hash(np.arange(P), settled, unit_off)
            return
        pc = cnt.take(p_i)
        pend = np.cumsum(pc)
        vidx = np.repeat(first.take(p_i) - (pend - pc), pc)
        vidx += self._arange(int(pend[-1]))
        d = x.take(vidx) * np.repeat(coef[0], pc)
        d += y.take(vidx) * np.repeat(coef[1], pc)
        d += np.repeat(coef[2], pc)
        dmin = np.minimum.reduceat(d, pend - pc)
        dmax = np.maximum.reduceat(d, pend - pc)
        crossing = (dmin < -self.tol) & (dmax > self.tol)
        # not crossing after all: settle on the side of the farthest vertex
        np.add.at(settled, (p_i[~crossing], j_i[~crossing]), (dmax > -dmin)[~crossing].astype(np.int8))
        self.pat[:P, unit_off : unit_off + n] = settled
        self._add_hash(np.arange(P), settled, unit_off)
        if not crossing.any():
            return
        p_i, coef = p_i[crossing], coef[:, crossing]
        col = unit_off + j_i[crossing]
        cut_tag = (col * self.mk + k_i[crossing]).astype(np.int32)
        pending = np.bincount(p_i, minlength=P)
        pair0 = np.cumsum(pending) - pending
        for q in range(int(pending.max())):
            self._cut_round(pending > q, pair0 + q, coef, col, cut_tag)
            if self.n > self.max_regions:
                self.truncated = True
                return

    def _add_hash(self, rows: np.ndarray, pieces: np.ndarray, unit_off: int) -> None:
        """hash[rows] += Σ_j pieces[:, j] · w[unit_off + j] (mod 2^64); the hash is linear in the pattern."""
        n = pieces.shape[1]
        self.hash[rows] += _pattern_hash(pieces, self.weights[unit_off : unit_off + n])

    def _cut_round(
        self,
        active: np.ndarray,
        pair_of: np.ndarray,
        coef: np.ndarray,
        col: np.ndarray,
        cut_tag: np.ndarray,
    ) -> None:
        """Cut each region whose parent p is ``active`` by line ``pair_of[p]`` if that line crosses it.

        coef (3, pairs): the line as a signed distance coef·(x1, x2, 1); col: its unit's pattern column.
        """
        R = self.n
        par = self.parent[:R]
        # array methods rather than np.* functions throughout a round: a round is ~50 calls on small
        # arrays, and a small network's partition is 15 rounds, so numpy's dispatch is the cost
        cand = active.take(par).nonzero()[0]
        if len(cand) == 0:
            return
        pair = pair_of.take(par.take(cand))
        cnt = self.count.take(cand)
        end = cnt.cumsum()
        first = end - cnt
        idx = (self.start.take(cand) - first).repeat(cnt)
        idx += self._arange(int(end[-1]))
        xy = self.xy.take(idx, axis=0)
        pv = pair.repeat(cnt)
        d = xy[:, 0] * coef[0].take(pv)
        d += xy[:, 1] * coef[1].take(pv)
        d += coef[2].take(pv)
        dmin = np.minimum.reduceat(d, first)
        dmax = np.maximum.reduceat(d, first)
        crossed = (dmin < -self.tol) & (dmax > self.tol)
        # The unit's piece goes up by one in the positive halves and in uncrossed regions on the positive
        # side (the side of the farthest vertex, robust when all are within tolerance); applied last.
        up = crossed | (dmax > -dmin)
        ucol = col.take(pair)
        if crossed.any():
            up = self._split_crossed(R, cand, crossed, up, cnt, xy, d, idx, pair, dmin, dmax, cut_tag)
        width = self.pat.shape[1]
        rows, cols = cand[up], ucol[up]
        self.pat.reshape(-1)[rows * width + cols] += 1
        self.hash[rows] += self.weights.take(cols)

    def _split_crossed(
        self,
        R: int,
        cand: np.ndarray,
        crossed: np.ndarray,
        up: np.ndarray,
        cnt: np.ndarray,
        xy: np.ndarray,
        d: np.ndarray,
        idx: np.ndarray,
        pair: np.ndarray,
        dmin: np.ndarray,
        dmax: np.ndarray,
        cut_tag: np.ndarray,
    ) -> np.ndarray:
        """Split the crossed candidates: positive halves stay in place, negative halves become regions
        R, R+1, ... (their pattern rows copied before the round's increment). Returns ``up`` updated for
        cuts skipped as slivers (those regions go to the side of the larger piece)."""
        which = crossed.nonzero()[0]
        if len(which) < len(cand):
            vmask = crossed.repeat(cnt)
            xy, d, idx = xy.compress(vmask, axis=0), d[vmask], idx[vmask]
            cnt, pair = cnt.take(which), pair.take(which)
            dmin, dmax = dmin.take(which), dmax.take(which)
        cut = cand.take(which)
        nc = len(cut)
        first = ps.firsts(cnt)
        ctag = cut_tag.take(pair).repeat(cnt)
        out_xy, out_tag, out_cnt, chord = ps.split(xy, self.tag.take(idx), d, first, cnt, self.tol, ctag)
        # Each half holds the triangle of the chord and its farthest vertex: area >= ½ · chord · depth.
        if chord is None or np.any(0.5 * chord * np.minimum(dmax, -dmin) < self.min_area):
            area = ps.shoelace(out_xy, ps.firsts(out_cnt), out_cnt)
            thin = (area[:nc] < self.min_area) | (area[nc:] < self.min_area)
            if thin.any():
                self.n_slivers += int(thin.sum())
                up = up.copy()
                up[which[thin]] = area[:nc][thin] > area[nc:][thin]
                keep = ~thin
                out_xy, out_tag, out_cnt = ps.select(out_xy, out_tag, out_cnt, np.concatenate([keep, keep]))
                cut = cut[keep]
                nc = len(cut)
                if nc == 0:
                    return up
        out_first = ps.firsts(out_cnt)
        size = len(out_xy)
        self._reserve_vertices(size)
        self._reserve_regions(nc)
        base = self.nv
        self.xy[base : base + size] = out_xy
        self.tag[base : base + size] = out_tag
        self.nv = base + size
        new = slice(R, R + nc)
        self.start[new] = base + out_first[nc:]
        self.count[new] = out_cnt[nc:]
        self.parent[new] = self.parent.take(cut)
        self.hash[new] = self.hash.take(cut)
        self.pat.take(cut, axis=0, out=self.pat[new])
        self.start[cut] = base + out_first[:nc]
        self.count[cut] = out_cnt[:nc]
        self.n = R + nc
        return up

    def _arange(self, size: int) -> np.ndarray:
        if len(self._ar) < size:
            self._ar = np.arange(max(size, 2 * len(self._ar)))
        return self._ar[:size]

    def compose(self, M: np.ndarray, act: _Pieces, unit_off: int, nxt: _Layer | None) -> np.ndarray:
        """Per region: h = s ⊙ z + o through each unit's piece, then z' = W h + b if ``nxt`` is given.

        M (3, P, n) indexed by parent; returns (3, R, n') indexed by region: a block of regions is one
        gather of parent rows and one matrix product (3·block, n) @ (n, n'). Blocks share one buffer:
        fresh multi-MB temporaries per block would page-fault every time.
        """
        R, n = self.n, act.n
        width = nxt.W.shape[0] if nxt is not None else n
        out = np.empty((3, R, width))
        buf = np.empty(3 * min(R, _COMPOSE_CHUNK) * n)
        relu_like = act.m == 1
        no_offset = not act.intercepts.any()
        s0, ds = act.slopes[:, 0], act.slopes[:, -1] - act.slopes[:, 0]
        i0, di = act.intercepts[:, 0], act.intercepts[:, -1] - act.intercepts[:, 0]
        wt = nxt.W.T.copy() if nxt is not None else None
        for s in range(0, R, _COMPOSE_CHUNK):
            e = min(R, s + _COMPOSE_CHUNK)
            piece = self.pat[s:e, unit_off : unit_off + n]
            H = buf[: 3 * (e - s) * n].reshape(3, e - s, n)
            np.take(M, self.parent[s:e], axis=1, out=H, mode="clip")  # mode "raise" would buffer
            if relu_like:
                H *= s0 + ds * piece
                if not no_offset:
                    H[2] += i0 + di * piece
            else:
                piece = piece.astype(np.intp)
                u = np.arange(n)
                H *= act.slopes[u, piece]
                H[2] += act.intercepts[u, piece]
            if wt is None:
                out[:, s:e] = H
            else:
                out[:, s:e] = _matmul(H.reshape(-1, n), wt).reshape(3, e - s, width)
                out[2, s:e] += nxt.b
        return out

    def run(self) -> np.ndarray | None:
        """Carve the whole network; returns the output maps (3, R, K), or None when truncated."""
        layers = self.net.layers
        offs = self.net.unit_offsets
        first = layers[0]
        M = np.empty((3, 1, first.W.shape[0]))
        M[0, 0], M[1, 0], M[2, 0] = first.W[:, 0], first.W[:, 1], first.b
        for i, layer in enumerate(layers):
            if layer.act is None:  # only the last layer can lack an activation (Linears are folded)
                return M
            self.cut_layer(M, layer.act, offs[i])
            self.done_layers += not self.truncated
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            width = nxt.W.shape[0] if nxt is not None else layer.act.n
            if self.truncated or 24 * self.n * width > MAX_MAP_BYTES:
                self.truncated = True
                return None
            M = self.compose(M, layer.act, offs[i], nxt)
        return M


# ----------------------------------------------------------------------------------------------------
# Linear regions (merging neighbours with equal maps) and the decision boundary
# ----------------------------------------------------------------------------------------------------


def _pattern_hash(pat: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """64-bit hash Σ_u piece_u · w_u (mod 2^64) per row; collisions among ~10^5 patterns: ~10^-9.

    Computed as three float64 matrix products with the 21-bit limbs of w: every partial sum is an integer
    below 2^53 (pieces <= 127, <= 2^20 units), hence exact in any summation order, then recombined in
    uint64 (wrapping). Linear in the pattern, so moving unit u by ±1 moves the hash by ±w_u.
    """
    limbs = np.stack([(weights >> np.uint64(s)) & np.uint64(0x1FFFFF) for s in (0, 21, 42)], axis=1)
    sums = _matmul(pat.astype(np.float64), limbs.astype(np.float64)).astype(np.uint64)
    return sums[:, 0] + (sums[:, 1] << np.uint64(21)) + (sums[:, 2] << np.uint64(42))


def _hash_weights(n_units: int) -> np.ndarray:
    """Random 63-bit weights (fixed seed), so the three 21-bit limbs above hold them exactly."""
    rng = np.random.default_rng(_HASH_SEED)
    return rng.integers(1, 2**63, size=n_units, dtype=np.uint64)


class _Lookup:
    """Pattern hash -> region index."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.order = np.argsort(hashes, kind="stable")
        self.sorted = hashes[self.order]

    def find(self, h: np.ndarray) -> np.ndarray:
        if len(self.sorted) == 0:
            return np.full(len(h), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.sorted, h), len(self.sorted) - 1)
        hit = self.sorted[pos] == h
        return np.where(hit, self.order[pos], -1)


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected components of the graph (n nodes, edges u–v): labels 0..C−1 (hook-and-jump union-find)."""
    lab = np.arange(n)
    while len(u):
        lu, lv = lab[u], lab[v]
        diff = lu != lv
        if not diff.any():
            break
        lo = np.minimum(lu[diff], lv[diff])
        np.minimum.at(lab, lu[diff], lo)
        np.minimum.at(lab, lv[diff], lo)
        while True:
            nl = lab[lab]
            if np.array_equal(nl, lab):
                break
            lab = nl
    return np.unique(lab, return_inverse=True)[1]


def _output_magnitude(A: np.ndarray, c: np.ndarray, box: Box) -> np.ndarray:
    """max over the box of |A x + c| per region and output, via centre value + half-widths · |slopes|."""
    (x0, x1), (y0, y1) = box
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    return np.abs(A[..., 0] * cx + A[..., 1] * cy + c) + np.abs(A[..., 0]) * hx + np.abs(A[..., 1]) * hy


def _segments_of(
    xy: np.ndarray, first: np.ndarray, count: np.ndarray, ga: np.ndarray, gc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero sets of g_r(x) = ga[r]·x + gc[r] inside each region r: (region, p0, p1)."""
    d = xy[:, 0] * np.repeat(ga[:, 0], count) + xy[:, 1] * np.repeat(ga[:, 1], count) + np.repeat(gc, count)
    return ps.zero_segments(xy, d, first, count)


def _decision_boundary(
    xy: np.ndarray, first: np.ndarray, count: np.ndarray, A: np.ndarray, c: np.ndarray, min_len: float
) -> np.ndarray:
    """Segments (m, 2, 2) where the predicted class changes.

    One logit: class 1 where A x + c > 0, boundary = {A x + c = 0}. Two logits: the zero set of
    logit1 − logit0. K >= 3: in each region, for each pair i < j the line logit_i = logit_j, clipped to
    where both lead: logit_i >= logit_k for every other k (linear in the position t ∈ [0, 1] along the
    segment, so each k clips the interval [t0, t1] from one end).
    """
    K = A.shape[1]
    pieces = []
    if K <= 2:
        ga = A[:, 0] if K == 1 else A[:, 1] - A[:, 0]
        gc = c[:, 0] if K == 1 else c[:, 1] - c[:, 0]
        _, p0, p1 = _segments_of(xy, first, count, ga, gc)
        pieces.append(np.stack([p0, p1], axis=1))
    else:
        for i in range(K):
            for j in range(i + 1, K):
                reg, p0, p1 = _segments_of(xy, first, count, A[:, i] - A[:, j], c[:, i] - c[:, j])
                if len(reg) == 0:
                    continue
                L0 = np.einsum("skd,sd->sk", A[reg], p0) + c[reg]
                L1 = np.einsum("skd,sd->sk", A[reg], p1) + c[reg]
                g0 = L0[:, i : i + 1] - L0
                g1 = L1[:, i : i + 1] - L1
                other = np.ones(K, dtype=bool)
                other[[i, j]] = False
                g0, g1 = g0[:, other], g1[:, other]
                with np.errstate(divide="ignore", invalid="ignore"):
                    tc = g0 / (g0 - g1)
                lo = np.where((g0 < 0) & (g1 >= 0), tc, np.where((g0 < 0) & (g1 < 0), np.inf, 0.0))
                hi = np.where((g0 >= 0) & (g1 < 0), tc, 1.0)
                t0 = lo.max(axis=1, initial=0.0)
                t1 = hi.min(axis=1, initial=1.0)
                ok = t1 > t0
                d = p1[ok] - p0[ok]
                pieces.append(np.stack([p0[ok] + t0[ok, None] * d, p0[ok] + t1[ok, None] * d], axis=1))
    seg = np.concatenate(pieces, axis=0) if pieces else np.zeros((0, 2, 2))
    length = np.hypot(*(seg[:, 1] - seg[:, 0]).T) if len(seg) else np.zeros(0)
    return seg[length > min_len]


def _nan_separated(points: np.ndarray, breaks_after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN row after each index in ``breaks_after`` (sorted) and return (x, y)."""
    out = np.insert(points, breaks_after + 1, np.nan, axis=0)
    return out[:, 0].copy(), out[:, 1].copy()


# ----------------------------------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Partition:
    """The exact partition of ``box`` into activation regions, with maps, patterns and boundary.

    Polygons: region r is ``vertices[offsets[r]:offsets[r+1]]`` (convex, counter-clockwise, no repeated
    closing vertex). ``A`` (R, K, 2), ``c`` (R, K): on region r the network output is A[r] x + c[r].
    ``patterns`` (R, n_units) int8: each unit's piece (see the module docstring), units in layer order
    (``layer_of_unit`` (n_units,) gives each unit's hidden layer, 0-based). ``areas`` (R,).
    ``linear_region`` (R,): index of the linear region (merged neighbours with equal maps) each region
    belongs to; ``n_linear_regions`` of them. ``boundary`` (m, 2, 2): decision-boundary segments.
    ``n_slivers``: cuts skipped because a piece would have been below ``min_area``.

    When ``truncated`` (more than ``max_regions`` regions, or the next layer's maps would pass
    :data:`MAX_MAP_BYTES`) the carving stopped part-way through a layer or at its end:
    the polygons are unions of true regions, ``n_activation_regions`` is a lower bound of the true count,
    ``n_linear_regions`` equals it (nothing is merged), A and c are NaN, the boundary is empty, and the
    pattern columns of the layers not carved completely are −1.
    """

    box: Box
    vertices: np.ndarray
    offsets: np.ndarray
    A: np.ndarray
    c: np.ndarray
    patterns: np.ndarray
    layer_of_unit: np.ndarray
    areas: np.ndarray
    linear_region: np.ndarray
    n_linear_regions: int
    boundary: np.ndarray
    truncated: bool
    n_slivers: int
    min_area: float
    widths: tuple[int, ...]
    upper_bound: int
    _net: _Net = field(repr=False)
    _lookup: _Lookup = field(repr=False)
    _hash_weights: np.ndarray = field(repr=False)
    _edge_internal: np.ndarray = field(repr=False)

    @property
    def n_activation_regions(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_regions(self) -> int:
        """Alias of ``n_activation_regions``."""
        return self.n_activation_regions

    @property
    def counts(self) -> np.ndarray:
        """Vertices per polygon (R,)."""
        return np.diff(self.offsets)

    @property
    def polygons(self) -> list[np.ndarray]:
        """Each region's vertices (k, 2) as views into ``vertices``."""
        return np.split(self.vertices, self.offsets[1:-1])

    def describe(self) -> str:
        """The one-line count for the UI, e.g. 'your network: 391 regions; the most it could have: 18,769'."""
        (x0, x1), (y0, y1) = self.box
        return bounds.describe_count(
            self.n_linear_regions,
            list(self.widths),
            (x1 - x0) * (y1 - y0),
            upper=self.upper_bound,
            truncated=self.truncated,
        )

    def outline_xy(self, merged: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Polygon outlines as x, y float arrays for one plotly line trace, NaN between polygons.

        ``merged=True`` leaves out edges between regions of the same linear region, drawing linear
        regions instead of activation regions (as separate edges, NaN between edges).
        """
        R = self.n_activation_regions
        if R == 0:
            return np.zeros(0), np.zeros(0)
        first = self.offsets[:-1]
        cnt = self.counts
        if not merged:
            # Close each polygon by repeating its first vertex, then a NaN.
            idx = np.insert(np.arange(len(self.vertices)), self.offsets[1:], first)
            ends = self.offsets[1:] + np.arange(1, R + 1) - 1
            return _nan_separated(self.vertices[idx], ends)
        keep = np.flatnonzero(~self._edge_internal)
        nxt = ps.next_index(first, cnt, len(self.vertices))
        seg = np.stack([self.vertices[keep], self.vertices[nxt[keep]]], axis=1)
        return _segments_xy(seg)

    def boundary_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Decision-boundary segments as x, y float arrays for one plotly line trace, NaN between them."""
        return _segments_xy(self.boundary)

    def region_at(self, points: np.ndarray) -> np.ndarray:
        """Index of the region containing each point (N, 2), −1 outside the box.

        The network's own pattern at each point (float64 forward pass) is looked up among the regions';
        points whose pattern has no region (inside a sliver that was not cut off) are located geometrically.
        """
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        (x0, x1), (y0, y1) = self.box
        inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
        out = np.full(len(p), -1, dtype=np.int64)
        q = p[inside]
        if len(q) == 0:
            return out
        slack = DISTANCE_RTOL * max(x1 - x0, y1 - y0)
        first, cnt = self.offsets[:-1], self.counts
        if self.truncated:
            out[inside] = ps.locate(q, self.vertices, first, cnt, slack)
            return out
        _, pieces = self._net.forward(q)
        found = self._lookup.find(_pattern_hash(pieces, self._hash_weights))
        miss = np.flatnonzero(found < 0)
        if len(miss):
            found[miss] = ps.locate(q[miss], self.vertices, first, cnt, slack)
        out[inside] = found
        return out


def _segments_xy(seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = len(seg)
    xy = np.full((3 * m, 2), np.nan)
    xy[0::3] = seg[:, 0]
    xy[1::3] = seg[:, 1]
    return xy[:, 0].copy(), xy[:, 1].copy()


def _upper_bound(net: _Net) -> int:
    hidden = [layer.act for layer in net.layers if layer.act is not None]
    widths = [2, *(a.n for a in hidden), net.layers[-1].W.shape[0]]
    breaks = [int(np.isfinite(a.breaks).sum(axis=1).max(initial=0)) for a in hidden]
    flat_left = all(bool(np.all(a.slopes[:, 0] == 0)) for a in hidden)
    return bounds.upper_bound(widths, breakpoints=breaks, relu_like=flat_left)


def partition(
    model: nn.Module, box: Box = ((-6.0, 6.0), (-6.0, 6.0)), max_regions: int = 50_000
) -> Partition:
    """The exact partition of ``box`` = ((xmin, xmax), (ymin, ymax)) into the network's affine pieces.

    ``model``: a ``torch.nn.Sequential`` of Linear layers and piecewise-linear activations whose input
    is (x1, x2) and whose output is one logit (class 1 where it is > 0) or K >= 2 logits (argmax).
    Stops with ``truncated=True`` once more than ``max_regions`` regions exist (at most twice that many
    are ever held). Raises :class:`NotPiecewiseLinear` for any other model. The model is not changed.
    """
    net = _describe(model)
    (x0, x1), (y0, y1) = ((float(box[0][0]), float(box[0][1])), (float(box[1][0]), float(box[1][1])))
    if not (x1 > x0 and y1 > y0 and all(map(math.isfinite, (x0, x1, y0, y1)))):
        raise ValueError(f"box must be ((xmin, xmax), (ymin, ymax)) with xmin < xmax, ymin < ymax; got {box}")
    box = ((x0, x1), (y0, y1))
    carver = _Carver(net, box, int(max_regions))
    out = carver.run()
    first = carver.compact()
    R = carver.n
    xy = carver.xy[: carver.nv]  # compact() made it exactly this long: no copy
    tags = carver.tag[: carver.nv]
    cnt = carver.count[:R].copy()
    offsets = np.append(first, carver.nv)
    pat = carver.pat[:R].copy()
    weights = carver.weights
    hashes = carver.hash[:R].copy()
    lookup = _Lookup(hashes)
    areas = ps.shoelace(xy, first, cnt)
    K = net.layers[-1].W.shape[0]
    layer_of_unit = np.concatenate(
        [np.full(layer.act.n, h) for h, layer in enumerate(la for la in net.layers if la.act is not None)]
        or [np.zeros(0, np.int64)]
    ).astype(np.int64)
    hidden_widths = [layer.act.n for layer in net.layers if layer.act is not None]
    widths = (2, *hidden_widths, K)
    internal = np.zeros(len(xy), dtype=bool)

    if out is None:
        A = np.full((R, K, 2), np.nan)
        c = np.full((R, K), np.nan)
        linear = np.arange(R)
        n_linear = R
        boundary = np.zeros((0, 2, 2))
        public_pat = pat.copy()
        public_pat[:, layer_of_unit >= carver.done_layers] = -1
    else:
        A = np.stack([out[0], out[1]], axis=2)
        c = out[2].copy()
        linear, internal = _merge(
            net, box, xy, tags, first, cnt, pat, hashes, weights, lookup, A, c, carver.mk
        )
        n_linear = int(linear.max(initial=-1) + 1)
        boundary = _decision_boundary(xy, first, cnt, A, c, carver.tol)
        public_pat = pat

    return Partition(
        box=box,
        vertices=xy,
        offsets=offsets,
        A=A,
        c=c,
        patterns=public_pat,
        layer_of_unit=layer_of_unit,
        areas=areas,
        linear_region=linear,
        n_linear_regions=n_linear,
        boundary=boundary,
        truncated=carver.truncated,
        n_slivers=carver.n_slivers,
        min_area=carver.min_area,
        widths=widths,
        upper_bound=_upper_bound(net),
        _net=net,
        _lookup=lookup,
        _hash_weights=weights,
        _edge_internal=internal,
    )


def _merge(
    net: _Net,
    box: Box,
    xy: np.ndarray,
    tags: np.ndarray,
    first: np.ndarray,
    cnt: np.ndarray,
    pat: np.ndarray,
    hashes: np.ndarray,
    weights: np.ndarray,
    lookup: _Lookup,
    A: np.ndarray,
    c: np.ndarray,
    mk: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Linear-region labels (R,) and, per edge, whether it lies inside one linear region (V,).

    The region across an edge made by breakpoint k of unit u has the same pattern with that unit's piece
    moved between k and k + 1, so its hash is h ± w_u. Each shared edge is looked up once, from its lower
    side (piece k); edges where that finds nothing are probed just outside instead.
    """
    R = len(cnt)
    region_of = np.repeat(np.arange(R), cnt)
    internal = np.zeros(len(xy), dtype=bool)
    e = np.flatnonzero(tags >= 0)
    if R <= 1 or len(e) == 0:
        return np.zeros(R, dtype=np.int64), internal
    r = region_of.take(e)
    t = tags.take(e)
    unit = t // mk
    k = t - unit * mk
    old = pat.reshape(-1).take(r * pat.shape[1] + unit)
    lower = np.flatnonzero(old == k)
    found = lookup.find(hashes.take(r.take(lower)) + weights.take(unit.take(lower)))
    hit = found >= 0
    edge = e.take(lower[hit])
    nb = found[hit]
    # no region with the flipped pattern (degenerate nets), or a tag inconsistent with the pattern
    odd = np.concatenate([lower[~hit], np.flatnonzero((old != k) & (old != k + 1))])
    if len(odd):
        probed = _probe(net, box, xy, first, cnt, e.take(odd), region_of, lookup, weights)
        edge = np.concatenate([edge, e.take(odd[probed >= 0])])
        nb = np.concatenate([nb, probed[probed >= 0]])
    ra = region_of.take(edge)
    scale = float(_output_magnitude(A, c, box).max(initial=0.0))
    dA = np.take(A, ra, axis=0) - np.take(A, nb, axis=0)
    dc = np.take(c, ra, axis=0) - np.take(c, nb, axis=0)
    dev = _output_magnitude(dA, dc, box).max(axis=1, initial=0.0)
    same = dev <= MERGE_RTOL * scale
    labels = _components(R, ra[same], nb[same])
    if same.any():
        # This side's edge, and the neighbour's edges with the same tag (the other side of the line).
        internal[edge[same]] = True
        key = region_of.take(e) * (int(t.max()) + 1) + t
        order = np.argsort(key, kind="stable")
        want = nb[same] * (int(t.max()) + 1) + tags.take(edge[same])
        lo = np.searchsorted(key, want, sorter=order, side="left")
        hi = np.searchsorted(key, want, sorter=order, side="right")
        internal[e.take(order.take(ps.flat_index(lo, hi - lo)[0]))] = True
    return labels, internal


def _probe(
    net: _Net,
    box: Box,
    xy: np.ndarray,
    first: np.ndarray,
    cnt: np.ndarray,
    edges: np.ndarray,
    region_of: np.ndarray,
    lookup: _Lookup,
    weights: np.ndarray,
) -> np.ndarray:
    """Region just across each given edge (its midpoint stepped outwards), or −1."""
    (x0, x1), (y0, y1) = box
    nxt = ps.next_index(first, cnt, len(xy))
    p, q = xy[edges], xy[nxt[edges]]
    dv = q - p
    length = np.hypot(dv[:, 0], dv[:, 1])
    step = PROBE_RTOL * max(x1 - x0, y1 - y0)
    with np.errstate(invalid="ignore", divide="ignore"):
        normal = np.stack([dv[:, 1], -dv[:, 0]], axis=1) / length[:, None]  # outward for CCW polygons
    pts = (p + q) / 2 + step * normal
    ok = (length > 0) & np.isfinite(pts).all(axis=1)
    ok &= (pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)
    out = np.full(len(edges), -1, dtype=np.int64)
    if ok.any():
        _, pieces = net.forward(pts[ok])
        found = lookup.find(_pattern_hash(pieces, weights))
        found[found == region_of[edges[ok]]] = -1
        out[ok] = found
    return out


def check_piecewise_linear(model: nn.Module) -> None:
    """Raise :class:`NotPiecewiseLinear` (UI-ready message) exactly when :func:`partition` would refuse
    ``model``; return None otherwise. Nothing is carved."""
    _describe(model)


def upper_bound(model: nn.Module) -> int:
    """The upper bound on the region count that :attr:`Partition.upper_bound` reports for ``model``,
    without carving; raises :class:`NotPiecewiseLinear` like :func:`partition`."""
    return _upper_bound(_describe(model))


# ----------------------------------------------------------------------------------------------------
# Networks of one variable: the exact kinks of f: R -> R
# ----------------------------------------------------------------------------------------------------

KINK_XTOL = 1e-9
"""Breakpoints closer than KINK_XTOL × (hi − lo) are one point: two units with the same breakpoint −b/w
(written differently, e.g. (w, b) and (2w, 2b)) differ by rounding only, and count once."""

KINK_SLOPE_RTOL = 1e-9
"""A breakpoint is a kink of the output only when the output's slope changes there by more than
KINK_SLOPE_RTOL × the gross slope on either side (see :func:`kinks`): changes that cancel to rounding
error are not kinks."""


def _line_net(model: nn.Module) -> _Net:
    """``model`` read as a network R → R (one input, one output); raises like :func:`partition`."""
    first = (
        next((m for m in flatten(model) if isinstance(m, nn.Linear)), None)
        if isinstance(model, nn.Sequential)
        else None
    )
    if first is not None and first.in_features != 1:
        raise ValueError(f"kinks needs a network with one input; this one takes {first.in_features}.")
    net = _describe(model, n_inputs=1)
    if net.layers[-1].W.shape[0] != 1:
        raise ValueError(f"kinks needs a network with one output; this one has {net.layers[-1].W.shape[0]}.")
    return net


def _inside_point(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """A point inside each interval (left_i, right_i) of the real line (ends may be ±inf)."""
    out = (left + right) / 2
    lo_inf, hi_inf = ~np.isfinite(left), ~np.isfinite(right)
    out[lo_inf] = right[lo_inf] - np.maximum(1.0, np.abs(right[lo_inf]))
    out[hi_inf] = left[hi_inf] + np.maximum(1.0, np.abs(left[hi_inf]))
    out[lo_inf & hi_inf] = 0.0
    return out


def _merge_close(points: np.ndarray, tol: float) -> np.ndarray:
    """Sorted ``points`` with runs closer than ``tol`` (gap by gap) replaced by their first point."""
    points = np.sort(points[np.isfinite(points)])
    if len(points) < 2:
        return points
    keep = np.concatenate([[True], np.diff(points) > tol])
    return points[keep]


def line_pieces(model: nn.Module, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network R → R as exact affine pieces of the whole line: (breaks (k,), slopes (k+1,), gross (k+1,)).

    Piece i is breaks[i−1] < x < breaks[i] (−∞ and +∞ at the ends), where f(x) = slopes[i]·x + c_i.
    ``gross[i]`` is the same slope computed with every weight and activation slope replaced by its
    absolute value: the sum of the sizes of the terms that add up to slopes[i], so the rounding error of
    slopes[i] is a tiny multiple of it. ``breaks`` are all the points where some unit of some layer
    changes piece (breakpoints closer than ``tol`` merged), whether or not the output's slope changes
    there.

    Layer by layer: on each piece the pre-activations are affine, z_j(x) = s_j x + c_j; a unit with
    breakpoint t splits the piece at x = (t − c_j)/s_j when that lies strictly inside it (a unit with
    |s_j| ≤ 1e-12 × its gross slope is constant there and splits nothing); the new pieces read each
    unit's activation piece at an interior point, so the next layer's maps are exact compositions (no
    sampling).
    """
    net = _line_net(model)
    breaks = np.zeros(0)
    S = np.ones((1, 1))  # per piece: slope, intercept and gross slope of each unit of the current layer
    C = np.zeros((1, 1))
    G = np.ones((1, 1))
    for layer in net.layers:
        zs = _matmul(S, layer.W.T)
        zc = _matmul(C, layer.W.T) + layer.b
        zg = _matmul(G, np.abs(layer.W).T)
        act = layer.act
        if act is None:
            S, C, G = zs, zc, zg
            continue
        left = np.concatenate([[-np.inf], breaks])[:, None, None]
        right = np.concatenate([breaks, [np.inf]])[:, None, None]
        t = act.breaks[None, :, :]  # (1, n, m), +inf pads
        s = zs[:, :, None]
        moving = np.abs(s) > ZERO_ROW_RTOL * zg[:, :, None]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = (t - zc[:, :, None]) / np.where(moving, s, 1.0)
        inside = moving & np.isfinite(t) & np.isfinite(x) & (x > left + tol) & (x < right - tol)
        before = breaks
        breaks = _merge_close(np.concatenate([before, x[inside]]), tol)
        probe = _inside_point(np.concatenate([[-np.inf], breaks]), np.concatenate([breaks, [np.inf]]))
        parent = np.searchsorted(before, probe)  # the piece of the layer before that holds the probe
        zp = zs[parent] * probe[:, None] + zc[parent]
        _, piece = act.apply(zp)
        u = np.arange(act.n)
        slope, intercept = act.slopes[u, piece], act.intercepts[u, piece]
        S = slope * zs[parent]
        C = slope * zc[parent] + intercept
        G = np.abs(slope) * zg[parent]
    return breaks, S[:, 0], G[:, 0]


def kinks(model: nn.Module, lo: float, hi: float) -> np.ndarray:
    """The sorted exact x in [lo, hi] where a piecewise-linear network f: R → R changes slope.

    ``model``: a ``torch.nn.Sequential`` of Linear layers and the activations :func:`partition` accepts,
    with one input and one output (e.g. ``network.build([1, 8, 1], "relu")``). Smooth activations raise
    :class:`NotPiecewiseLinear` (UI-ready message) as :func:`partition` does; other shapes ``ValueError``.

    The maths: f is affine between consecutive breakpoints of its units (:func:`line_pieces`, exact
    compositions in float64). With one hidden layer, f(x) = b + Σ_j a_j σ(w_j x + b_j) and unit j's
    breakpoint is x_j = −b_j / w_j (ReLU: where w_j x + b_j = 0). A breakpoint x is a kink when the slopes
    of f on the two sides differ:

        |f'(x⁺) − f'(x⁻)| > KINK_SLOPE_RTOL · max(g(x⁻), g(x⁺)),

    g the gross slope (the slope with every term made positive: Σ_j |a_j w_j| over the active units for
    one hidden layer). So a unit whose line is crossed but whose output weight is 0, or two units with the
    same breakpoint whose slope changes cancel (a_1 w_1 = −a_2 w_2), make no kink: their change is 0 up
    to rounding, far below the bound. Breakpoints closer than ``KINK_XTOL · (hi − lo)`` are one point
    (two units with the same breakpoint count once). A kink at lo or hi is included (the pieces cover
    the whole line, so the slope just outside the range is known).

    With one hidden layer of n units there are at most n kinks on the whole line (ReLU: one breakpoint
    per unit); deeper networks can have many more (:func:`kink_bound`).
    """
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"kinks needs finite lo < hi, got {lo}, {hi}.")
    tol = KINK_XTOL * (hi - lo)
    breaks, slopes, gross = line_pieces(model, tol)
    if len(breaks) == 0:
        return np.zeros(0)
    change = np.abs(np.diff(slopes))
    scale = np.maximum(gross[:-1], gross[1:])
    found = breaks[change > KINK_SLOPE_RTOL * scale]
    found = found[(found >= lo - tol) & (found <= hi + tol)]
    return np.clip(found, lo, hi)


def kink_bound(model: nn.Module) -> int:
    """The most kinks any network R → R of this architecture and activation can have on the whole line:
    the most linear pieces of the line minus one (:func:`relu_viz.bounds.upper_bound` with one input:
    for one hidden ReLU layer of n units that is n; for [1, n_1, ..., n_L, 1] ReLU it is
    Π (n_l + 1) − 1 (Serra et al. 2018 with n0 = 1), e.g. 16 for [1, 16, 1], 288 for [1, 16, 16, 1]).
    Raises :class:`NotPiecewiseLinear` like :func:`kinks`."""
    net = _line_net(model)
    hidden = [layer.act for layer in net.layers if layer.act is not None]
    widths = [1, *(a.n for a in hidden), 1]
    breaks = [int(np.isfinite(a.breaks).sum(axis=1).max(initial=0)) for a in hidden]
    flat_left = all(bool(np.all(a.slopes[:, 0] == 0)) for a in hidden)
    return bounds.upper_bound(widths, breakpoints=breaks, relu_like=flat_left) - 1
