"""Exact linear regions: every claim is checked against the model itself, plane geometry or counting theory.

Ground truth used here, independent of relu_viz.regions:
- the model's own forward pass in float64 (outputs, and each activation's input read by a forward hook);
- the breakpoints of each activation as documented by PyTorch (ReLU at 0, Hardtanh at min/max, ...);
- polygon geometry (shoelace areas, cross products) and line-arrangement counting (Zaslavsky).
"""

from __future__ import annotations

import copy
import math
from itertools import combinations, product

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

from relu_viz import bounds, network, regions

BOX = ((-2.0, 2.0), (-2.0, 2.0))
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------------
# Independent helpers
# --------------------------------------------------------------------------------------------------


def breakpoints_of(module: nn.Module) -> list[float]:
    """Where each activation bends, from PyTorch's documentation of the module."""
    if isinstance(module, nn.Hardtanh):  # ReLU6 is Hardtanh(0, 6)
        return [float(module.min_val), float(module.max_val)]
    if isinstance(module, nn.Hardsigmoid):
        return [-3.0, 3.0]
    if isinstance(module, nn.Softshrink):
        return [-float(module.lambd), float(module.lambd)]
    if isinstance(module, nn.Threshold):
        return [float(module.threshold)]
    return [0.0]  # ReLU, LeakyReLU, PReLU, RReLU


PIECEWISE = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.Hardtanh,
    nn.Hardsigmoid,
    nn.Softshrink,
    nn.Threshold,
)


def model_truth(model: nn.Sequential, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(outputs (N, K), activation pattern (N, units)) from the model's own float64 forward pass."""
    m = copy.deepcopy(model).double().eval()
    seen: list[tuple[torch.Tensor, list[float]]] = []
    hooks = [
        mod.register_forward_hook(lambda mod, inp, out: seen.append((inp[0], breakpoints_of(mod))))
        for mod in m.modules()
        if isinstance(mod, PIECEWISE)
    ]
    with torch.no_grad():
        out = m(torch.as_tensor(points, dtype=torch.float64)).numpy()
    for h in hooks:
        h.remove()
    cols = [sum((z > b).int() for b in bps).numpy() for z, bps in seen]
    pat = np.concatenate(cols, axis=1) if cols else np.zeros((len(points), 0), dtype=np.int64)
    return out, pat


def predicted(outputs: np.ndarray) -> np.ndarray:
    return (outputs[:, 0] > 0).astype(int) if outputs.shape[1] == 1 else outputs.argmax(axis=1)


def interior_points(part: regions.Partition, per_region: int, rng: np.random.Generator):
    """Random strict convex combinations of each polygon's vertices, and their region index."""
    pts, owner = [], []
    for r, poly in enumerate(part.polygons):
        w = rng.dirichlet(np.ones(len(poly)), size=per_region)
        pts.append(w @ poly)
        owner.append(np.full(per_region, r))
    return np.concatenate(pts), np.concatenate(owner)


def shoelace(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def mlp(widths, act, seed, bias_std=0.5, out_bias_std=0.3) -> nn.Sequential:
    """He-initialised MLP with N(0, bias_std²) hidden biases, built here (not by relu_viz.network)."""
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for i in range(len(widths) - 1):
        lin = nn.Linear(widths[i], widths[i + 1])
        with torch.no_grad():
            lin.weight.normal_(0.0, math.sqrt(2.0 / widths[i]), generator=g)
            std = bias_std if i < len(widths) - 2 else out_bias_std
            lin.bias.normal_(0.0, 1.0, generator=g).mul_(std)
        layers.append(lin)
        if i < len(widths) - 2:
            layers.append(act(widths[i + 1]))
    return nn.Sequential(*layers)


ACTIVATIONS = {
    "relu": lambda n: nn.ReLU(),
    "leaky": lambda n: nn.LeakyReLU(0.1),
    "prelu": lambda n: nn.PReLU(),
    "prelu_channels": lambda n: _prelu_channels(n),
    "rrelu_eval": lambda n: nn.RReLU().eval(),
    "relu6": lambda n: nn.ReLU6(),
    "hardtanh": lambda n: nn.Hardtanh(-0.5, 0.8),
    "hardsigmoid": lambda n: nn.Hardsigmoid(),
    "softshrink": lambda n: nn.Softshrink(0.3),
}


def _prelu_channels(n: int) -> nn.PReLU:
    m = nn.PReLU(n)
    with torch.no_grad():
        m.weight.copy_(torch.linspace(-0.5, 0.7, n))
    return m


def check_partition(model: nn.Sequential, part: regions.Partition, box, seed: int = 0) -> None:
    """The self-checks of the issue, against the model itself."""
    (x0, x1), (y0, y1) = box
    area = (x1 - x0) * (y1 - y0)
    assert not part.truncated
    # Tiling: areas are positive and sum to the box.
    geo = np.array([shoelace(p) for p in part.polygons])
    assert np.all(geo > 0)
    np.testing.assert_allclose(part.areas, geo, rtol=1e-9, atol=1e-15 * area)
    assert geo.sum() == pytest.approx(area, rel=1e-9)
    # Convex and counter-clockwise: every turn is a left turn (up to rounding).
    for p in part.polygons:
        e = np.roll(p, -1, axis=0) - p
        turn = e[:, 0] * np.roll(e[:, 1], -1) - e[:, 1] * np.roll(e[:, 0], -1)
        assert turn.min() >= -1e-9 * (np.abs(e).max() ** 2)
    # Maps and patterns at random interior points.
    rng = np.random.default_rng(seed)
    pts, owner = interior_points(part, 3, rng)
    out, pat = model_truth(model, pts)
    mine = np.einsum("rkd,rd->rk", part.A[owner], pts) + part.c[owner]
    scale = np.abs(out).max(axis=1, keepdims=True) + 1e-12
    assert np.max(np.abs(mine - out) / scale) < 1e-6
    assert np.array_equal(part.patterns[owner], pat)
    # Decision boundary: the predicted class differs on either side of every segment.
    seg = part.boundary
    if len(seg):
        d = seg[:, 1] - seg[:, 0]
        length = np.hypot(d[:, 0], d[:, 1])
        seg, d, length = seg[length > 1e-6], d[length > 1e-6], length[length > 1e-6]
        normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / length[:, None]
        mid = seg.mean(axis=1)
        eps = 1e-7 * max(x1 - x0, y1 - y0)
        left, _ = model_truth(model, mid + eps * normal)
        right, _ = model_truth(model, mid - eps * normal)
        assert np.all(predicted(left) != predicted(right))


# --------------------------------------------------------------------------------------------------
# Self-checks on random nets
# --------------------------------------------------------------------------------------------------


@FAST
@given(
    seed=st.integers(0, 10_000),
    hidden=st.lists(st.integers(1, 12), min_size=0, max_size=3),
    out=st.sampled_from([1, 2, 3, 4]),
    act=st.sampled_from(sorted(ACTIVATIONS)),
)
def test_random_nets_are_exact(seed, hidden, out, act):
    model = mlp([2, *hidden, out], ACTIVATIONS[act], seed)
    part = regions.partition(model, BOX)
    check_partition(model, part, BOX, seed)
    assert part.n_linear_regions <= part.n_activation_regions
    assert part.n_activation_regions <= part.upper_bound


@pytest.mark.parametrize("widths", [[2, 16, 16, 1], [2, 16, 16, 16, 1], [2, 24, 24, 3]])
def test_he_nets_self_check(widths):
    model = network.build(widths, nn.ReLU, init="he", seed=3, bias_std=0.5)
    part = regions.partition(model, BOX)
    check_partition(model, part, BOX)
    assert part.n_activation_regions <= bounds.serra_upper_bound(widths)


def test_grid_sees_only_regions_the_partition_has():
    model = network.build([2, 16, 16, 1], nn.ReLU, init="he", seed=1, bias_std=0.5)
    part = regions.partition(model, BOX)
    xs = np.linspace(-2, 2, 301)
    grid = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)
    _, pat = model_truth(model, grid)
    seen = {row.tobytes() for row in pat.astype(np.int8)}
    mine = {row.tobytes() for row in part.patterns.astype(np.int8)}
    assert seen <= mine
    assert len(mine) == part.n_activation_regions  # patterns identify regions


def test_region_at_points_into_the_containing_polygon():
    model = mlp([2, 10, 10, 2], ACTIVATIONS["relu"], 5)
    part = regions.partition(model, BOX)
    pts = np.random.default_rng(1).uniform(-2, 2, size=(2000, 2)).astype(np.float32)
    idx = part.region_at(pts)
    assert np.all(idx >= 0)
    p64 = pts.astype(np.float64)
    for r in np.unique(idx):
        poly = part.polygons[r]
        e = np.roll(poly, -1, axis=0) - poly
        q = p64[idx == r]
        cross = e[None, :, 0] * (q[:, None, 1] - poly[None, :, 1]) - e[None, :, 1] * (
            q[:, None, 0] - poly[None, :, 0]
        )
        assert cross.min() >= -1e-9
    outside = part.region_at(np.array([[5.0, 0.0], [0.0, -2.5]]))
    assert np.all(outside == -1)


def test_drawing_arrays():
    model = mlp([2, 6, 1], ACTIVATIONS["relu"], 2)
    part = regions.partition(model, BOX)
    x, _ = part.outline_xy()
    assert np.isnan(x).sum() == part.n_activation_regions
    assert np.isfinite(x).sum() == len(part.vertices) + part.n_activation_regions  # closed rings
    bx, by = part.boundary_xy()
    assert part.boundary.shape[1:] == (2, 2)
    assert np.isnan(bx).sum() == len(part.boundary)
    assert np.isfinite(by).sum() == 2 * len(part.boundary)
    mx, _ = part.outline_xy(merged=True)
    assert np.isnan(mx).sum() <= len(part.vertices)
    assert len(part.polygons) == part.n_activation_regions
    assert part.describe().startswith(f"your network: {part.n_linear_regions:,} region")


def linear_regions_brute(part: regions.Partition, eps: float = 1e-9) -> int:
    """Count linear regions from geometry alone: two polygons are neighbours when an edge of one and an
    edge of the other lie on one line with opposite directions and overlap over a positive length;
    neighbours whose maps agree at the box corners are joined (union-find over all pairs)."""
    polys = part.polygons
    (x0, x1), (y0, y1) = part.box
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    vals = np.einsum("rkd,pd->rpk", part.A, corners) + part.c[:, None, :]
    scale = np.abs(vals).max() + 1e-300
    parent = list(range(len(polys)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges = [(p, np.roll(p, -1, axis=0)) for p in polys]
    for a, b in combinations(range(len(polys)), 2):
        if np.abs(vals[a] - vals[b]).max() > 1e-9 * scale:
            continue
        pa, qa = edges[a]
        pb, qb = edges[b]
        for i in range(len(pa)):
            u = qa[i] - pa[i]
            length = np.hypot(*u)
            u = u / length
            # distance of b's edge ends from a's edge line, and their positions along it
            n = np.array([-u[1], u[0]])
            on = (np.abs((pb - pa[i]) @ n) < eps) & (np.abs((qb - pa[i]) @ n) < eps)
            opposite = ((qb - pb) @ u) < 0
            t0, t1 = (qb - pa[i]) @ u, (pb - pa[i]) @ u
            overlap = np.minimum(t1, length) - np.maximum(t0, 0.0)
            if np.any(on & opposite & (overlap > eps)):
                parent[find(a)] = find(b)
                break
    return len({find(i) for i in range(len(polys))})


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["relu", "relu6", "hardsigmoid"]))
def test_linear_regions_match_geometric_merging(seed, act):
    # large negative-leaning biases make many all-off regions with equal (constant) maps
    model = mlp([2, 5, 3, 1], ACTIVATIONS[act], seed, bias_std=1.5)
    part = regions.partition(model, BOX)
    assert part.n_linear_regions == linear_regions_brute(part)


# --------------------------------------------------------------------------------------------------
# Counting theory
# --------------------------------------------------------------------------------------------------


def lines_box(w: np.ndarray, b: np.ndarray, parallel: set[tuple[int, int]] = frozenset()):
    """A square box holding every crossing of the lines w·x + b = 0 (pairs in ``parallel`` excepted),
    or None if they are not in general position (near-parallel, or three nearly through one point)."""
    pairs = [(i, j) for i, j in combinations(range(len(w)), 2) if (i, j) not in parallel]
    pts = []
    for i, j in pairs:
        det = w[i, 0] * w[j, 1] - w[i, 1] * w[j, 0]
        if abs(det) < 1e-3 * np.linalg.norm(w[i]) * np.linalg.norm(w[j]):
            return None
        pts.append(np.linalg.solve(np.array([w[i], w[j]]), -np.array([b[i], b[j]])))
    foot = -b[:, None] * w / (w * w).sum(axis=1, keepdims=True)  # so every line crosses the box
    r = float(np.abs(np.concatenate([np.array(pts).reshape(-1, 2), foot])).max()) * 1.5 + 1.0
    for (i, j), p in zip(pairs, pts, strict=True):
        others = [k for k in range(len(w)) if k not in (i, j)]
        dist = np.abs(w[others] @ p + b[others]) / np.linalg.norm(w[others], axis=1)
        if dist.size and dist.min() < 1e-6 * r:
            return None
    return ((-r, r), (-r, r))


def one_layer(w: np.ndarray, b: np.ndarray, act: nn.Module) -> nn.Sequential:
    lin = nn.Linear(2, len(w), dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(w))
        lin.bias.copy_(torch.from_numpy(b))
    return nn.Sequential(lin, act, nn.Linear(len(w), 1, dtype=torch.float64))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 14))
def test_one_layer_in_general_position_attains_zaslavsky(seed, n):
    rng = np.random.default_rng(seed)
    w, b = rng.normal(size=(n, 2)), rng.normal(size=n)
    box = lines_box(w, b)
    assume(box is not None)
    part = regions.partition(one_layer(w, b, nn.ReLU()), box)
    assert part.n_activation_regions == 1 + n + math.comb(n, 2) == bounds.one_layer_max(n)


@pytest.mark.parametrize("seed", [3, 7])
def test_hardtanh_layer_counts_parallel_pairs(seed):
    # Each Hardtanh unit bends on two parallel lines w·x + b = ±1: 2n lines with n parallel pairs
    # make 1 + 2n + C(2n, 2) − n regions in general position.
    rng = np.random.default_rng(seed)
    n = 6
    w, b = rng.normal(size=(n, 2)), rng.normal(size=n)
    box = lines_box(np.concatenate([w, w]), np.concatenate([b + 1, b - 1]), {(i, i + n) for i in range(n)})
    assert box is not None
    part = regions.partition(one_layer(w, b, nn.Hardtanh()), box)
    assert part.n_activation_regions == 1 + 2 * n + math.comb(2 * n, 2) - n


def test_lines_through_one_point():
    # n lines through the origin with distinct directions cut the plane into 2n sectors.
    n = 7
    ang = np.linspace(0, np.pi, n, endpoint=False) + 0.1
    model = one_layer(np.stack([np.cos(ang), np.sin(ang)], axis=1), np.zeros(n), nn.ReLU())
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 2 * n
    check_partition(model, part, BOX)


def test_lines_through_box_corners_and_near_parallel_lines():
    # the diagonal through two corners, the box's own edge x = −2, and two lines 1e-9 apart in angle
    w = np.array([[1.0, -1.0], [1.0, 0.0], [0.3, 1.0], [0.3 + 1e-9, 1.0]])
    b = np.array([0.0, 2.0, 0.1, 0.1])
    model = one_layer(w, b, nn.ReLU())
    part = regions.partition(model, BOX)
    check_partition(model, part, BOX)
    # Three lines in general position would make 7; the two near-parallel ones meet inside the box and
    # their 1e-9 wedge is narrower than the tolerance where the diagonal crosses it.
    assert 4 <= part.n_activation_regions <= 7


def test_sliver_below_the_minimum_area_is_not_cut_off():
    # x1 + x2 = 4 − 1e-9 clips the corner (2, 2): 7e-10 deep (beyond the distance tolerance) but only
    # ~5e-19 in area, below MIN_AREA_RTOL × 16: the corner stays with the big piece, counted as a sliver.
    (x0, x1), (y0, y1) = BOX
    assert 1e-9 / math.sqrt(2) > regions.DISTANCE_RTOL * (x1 - x0)
    assert regions.MIN_AREA_RTOL * (x1 - x0) * (y1 - y0) > 0.5e-18
    model = one_layer(np.array([[1.0, 1.0]]), np.array([-4.0 + 1e-9]), nn.ReLU())
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 1
    assert part.n_slivers == 1
    assert part.patterns[0, 0] == 0  # the big piece is below the line
    assert part.areas.sum() == pytest.approx(16.0)


@pytest.mark.parametrize("seed", range(8))
def test_three_lines_through_one_point_make_six_sectors_and_no_sliver(seed):
    # Three distinct lines through one interior point P cut the box into 6 sectors (hand count). P is a
    # generic point, so the crossing of the first two lines is computed with rounding and the third line
    # passes within ~1e-16 of it: that vertex lies within the distance tolerance, so the third line cuts
    # the two sectors it crosses, merely touches the other two, and no cut is ever skipped as a sliver.
    rng = np.random.default_rng(seed)
    p = rng.uniform(-1.0, 1.0, 2)
    ang = rng.uniform(0.0, np.pi) + np.cumsum([0.0, *rng.uniform(0.2, 1.2, 2)])  # 3 distinct directions
    w = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    model = one_layer(w, -(w @ p), nn.ReLU())
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 6
    assert part.n_slivers == 0
    check_partition(model, part, BOX)


@pytest.mark.parametrize(
    ("w", "b", "expected"),
    [
        # y = 0.1 and y = 0.1 + 1e-13: a strip 1e-13 wide, far below the 4e-10 distance tolerance, is
        # not a region; the two units switch together (2 regions). 1e-6 apart (above it): 3 regions.
        ([[0.0, 1.0], [0.0, 1.0]], [-0.1, -0.1 - 1e-13], 2),
        ([[0.0, 1.0], [0.0, 1.0]], [-0.1, -0.1 - 1e-6], 3),
        # the same line, opposite orientations, 1e-13 apart: 2 regions (3 with a 1e-6 gap)
        ([[0.0, 1.0], [0.0, -1.0]], [-0.1, 0.1 + 1e-13], 2),
        ([[0.0, 1.0], [0.0, -1.0]], [-0.1, 0.1 + 1e-6], 3),
        # two lines through (0, -0.1), 1e-12 apart in slope: their wedge is at most 2e-12 wide inside
        # the box, within tolerance: 2 regions; 1e-6 apart in slope: the 4 regions of two crossing lines
        ([[0.3, 1.0], [0.3 + 1e-12, 1.0]], [0.1, 0.1], 2),
        ([[0.3, 1.0], [0.3 + 1e-6, 1.0]], [0.1, 0.1], 4),
    ],
)
def test_near_parallel_lines_within_the_tolerance_are_one_cut(w, b, expected):
    (x0, x1), _ = BOX
    assert 2e-12 < regions.DISTANCE_RTOL * (x1 - x0) < 1e-6  # the cases above sit on both sides of it
    model = one_layer(np.array(w), np.array(b), nn.ReLU())
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == expected
    assert part.n_slivers == 0  # no cut was made and then undone: nothing below the minimum area
    assert part.areas.sum() == pytest.approx(16.0)
    assert part.areas.min() > 1e-6


def _two_units(w, b, w_out, b_out) -> nn.Sequential:
    lin, out = nn.Linear(2, len(w), dtype=torch.float64), nn.Linear(len(w), 1, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
        lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
        out.weight.copy_(torch.tensor([w_out], dtype=torch.float64))
        out.bias.fill_(b_out)
    return nn.Sequential(lin, nn.ReLU(), out)


def test_pieces_equal_up_to_rounding_merge_into_one_linear_region():
    # f(x) = 3·relu(0.1·x1) − relu(0.3·x1) + 1 is 1 everywhere by hand (3·0.1 = 0.3), but in float64
    # 3 × 0.1 − 0.3 = 5.6e-17 ≠ 0: the two activation regions' maps differ only by rounding.
    assert 3 * 0.1 - 0.3 != 0.0
    model = _two_units([[0.1, 0.0], [0.3, 0.0]], [0.0, 0.0], [3.0, -1.0], 1.0)
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 2
    assert part.n_linear_regions == 1
    assert len(part.boundary) == 0  # f = 1 > 0: one class everywhere
    # The same on a slanted line, with a third unit the output ignores (4 activation regions, 1 map).
    model = _two_units([[0.1, 0.2], [0.3, 0.6], [1.0, -1.0]], [0.05, 0.15, 0.2], [3.0, -1.0, 0.0], 1.0)
    part = regions.partition(model, BOX)
    assert (part.n_activation_regions, part.n_linear_regions) == (4, 1)


def test_pieces_that_really_differ_stay_apart():
    # 3·relu(0.1·x1) − 1.000001·relu(0.3·x1) + 1 has slope −3e-7 for x1 > 0: two linear regions.
    model = _two_units([[0.1, 0.0], [0.3, 0.0]], [0.0, 0.0], [3.0, -1.0 - 1e-6], 1.0)
    part = regions.partition(model, BOX)
    assert (part.n_activation_regions, part.n_linear_regions) == (2, 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_deep_counts_never_exceed_serra(seed):
    widths = [2, 12, 12, 12, 1]
    model = network.build(widths, nn.ReLU, init="he", seed=seed, bias_std=1.0)
    part = regions.partition(model, ((-50.0, 50.0), (-50.0, 50.0)))
    assert part.n_activation_regions <= bounds.serra_upper_bound(widths)


# --------------------------------------------------------------------------------------------------
# Special networks
# --------------------------------------------------------------------------------------------------


def test_several_classes_boundary_is_where_argmax_changes():
    model = mlp([2, 8, 8, 5], ACTIVATIONS["relu"], 11)
    part = regions.partition(model, BOX)
    check_partition(model, part, BOX)
    assert len(part.boundary) > 0


def test_all_units_dead():
    lin = nn.Linear(2, 6)
    with torch.no_grad():
        lin.bias.fill_(-100.0)  # |w·x| < 10 on the box: every unit is off everywhere
    model = nn.Sequential(lin, nn.ReLU(), nn.Linear(6, 1))
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == part.n_linear_regions == 1
    assert np.all(part.patterns == 0)
    np.testing.assert_allclose(part.A, 0.0)
    check_partition(model, part, BOX)


def test_dead_second_layer_merges_everything_into_one_linear_region():
    model = mlp([2, 6, 4, 1], ACTIVATIONS["relu"], 4)
    with torch.no_grad():
        model[2].bias.fill_(-1e3)  # second layer always off: the output is its constant bias
    part = regions.partition(model, BOX)
    assert part.n_activation_regions > 1
    assert part.n_linear_regions == 1
    assert len(part.boundary) == 0
    check_partition(model, part, BOX)


def test_merging_counts_connected_pieces_only():
    # Output depends on unit 0 only: regions of units 1, 2 merge, but the two sides of unit 0 stay apart.
    lin = nn.Linear(2, 3)
    out = nn.Linear(3, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        lin.bias.copy_(torch.tensor([0.0, 0.5, -0.3]))
        out.weight.copy_(torch.tensor([[1.0, 0.0, 0.0]]))
        out.bias.fill_(-0.5)
    model = nn.Sequential(lin, nn.ReLU(), out)
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 7  # three lines in general position inside the box
    assert part.n_linear_regions == 2
    check_partition(model, part, BOX)
    # The merged outline keeps exactly the edges with different linear regions (or the outside) across.
    x, y = part.outline_xy(merged=True)
    seg = np.stack([x, y], axis=1).reshape(-1, 3, 2)[:, :2]
    d = seg[:, 1] - seg[:, 0]
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.hypot(d[:, 0], d[:, 1])[:, None]
    mid = seg.mean(axis=1)
    a, b = part.region_at(mid + 1e-6 * normal), part.region_at(mid - 1e-6 * normal)
    inside = (a >= 0) & (b >= 0)
    assert np.all(part.linear_region[a[inside]] != part.linear_region[b[inside]])
    assert inside.any()
    np.testing.assert_allclose(mid[inside, 0], 0.0, atol=1e-12)  # only unit 0's line x1 = 0 is left


def test_zero_weights():
    model = network.build([2, 8, 8, 1], nn.ReLU, init="zeros")
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 1
    assert len(part.boundary) == 0
    lin = nn.Linear(2, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]))  # two zero rows never cut
        lin.bias.copy_(torch.tensor([0.5, 0.0, -0.5]))
    model = nn.Sequential(lin, nn.ReLU(), nn.Linear(3, 1))
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 2
    check_partition(model, part, BOX)


def test_no_hidden_layer_and_folded_layers():
    model = nn.Sequential(nn.Linear(2, 1))
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 1
    assert part.patterns.shape == (1, 0)
    check_partition(model, part, BOX)
    # consecutive Linear layers, Identity, Dropout in eval mode, nested Sequential, plain Features
    model = nn.Sequential(
        network.Features(["x1", "x2"]),
        nn.Linear(2, 5),
        nn.Linear(5, 5),
        nn.Identity(),
        nn.Sequential(nn.ReLU(), nn.Dropout(0.5)),
        nn.Linear(5, 2),
    ).eval()
    part = regions.partition(model, BOX)
    check_partition(model, part, BOX)


def test_two_activations_in_a_row_compose():
    lin = nn.Linear(2, 4)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.2], [0.3, -1.0], [-0.7, 0.7], [0.1, 0.9]]))
        lin.bias.copy_(torch.tensor([0.1, -0.2, 0.3, -1.4]))
    model = nn.Sequential(lin, nn.LeakyReLU(0.2), nn.Hardtanh(-0.1, 0.5), nn.Linear(4, 1))
    part = regions.partition(model, BOX)
    rng = np.random.default_rng(0)
    pts, owner = interior_points(part, 4, rng)
    out, _ = model_truth(model, pts)
    mine = np.einsum("rkd,rd->rk", part.A[owner], pts) + part.c[owner]
    np.testing.assert_allclose(mine, out, rtol=1e-9, atol=1e-12)
    assert sum(part.areas) == pytest.approx(16.0)


def test_model_is_not_changed():
    model = mlp([2, 5, 1], ACTIVATIONS["prelu"], 0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    regions.partition(model, BOX)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) and after[k].dtype == torch.float32 for k in before)


def test_truncation():
    model = network.build([2, 32, 32, 1], nn.ReLU, init="he", seed=0, bias_std=0.5)
    part = regions.partition(model, BOX, max_regions=60)
    assert part.truncated
    assert 60 < part.n_activation_regions <= 120  # one round at most doubles the count
    assert part.n_linear_regions == part.n_activation_regions
    assert sum(shoelace(p) for p in part.polygons) == pytest.approx(16.0)
    assert np.isnan(part.A).all() and len(part.boundary) == 0
    assert (part.patterns[:, 32:] == -1).all()  # the second layer was not reached
    full = regions.partition(model, BOX)
    assert full.n_activation_regions > part.n_activation_regions
    # pieces of a truncated partition are still located geometrically
    pts = np.random.default_rng(0).uniform(-2, 2, size=(500, 2))
    idx = part.region_at(pts)
    assert np.all(idx >= 0)
    assert "more than" in part.describe()


def test_memory_cap_truncates_between_layers(monkeypatch):
    model = network.build([2, 16, 16, 1], nn.ReLU, init="he", seed=2, bias_std=0.5)
    monkeypatch.setattr(regions, "MAX_MAP_BYTES", 1000)  # the second layer's maps would not fit
    part = regions.partition(model, BOX)
    assert part.truncated
    assert (part.patterns[:, 16:] == -1).all()
    # the first layer was carved completely: its pattern is the model's own in every piece
    pts, owner = interior_points(part, 3, np.random.default_rng(0))
    _, pat = model_truth(model, pts)
    assert np.array_equal(part.patterns[owner, :16], pat[:, :16])
    assert part.n_activation_regions == len({row.tobytes() for row in pat[:, :16].astype(np.int8)})


# --------------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------------


class Squared(nn.Module):  # stands for a typed formula
    def forward(self, x):
        return x * x


class Step(nn.Module):  # the registry's binary step is a custom module named Step
    def forward(self, x):
        return (x > 0).to(x.dtype)


@pytest.mark.parametrize(
    ("act", "words"),
    [
        (nn.GELU(), "smooth"),
        (nn.Tanh(), "smooth"),
        (nn.Sigmoid(), "smooth"),
        (nn.Hardswish(), "curved"),
        (Squared(), "Squared"),
        (Step(), "jumps"),
        (nn.Threshold(0.5, 0.0), "jumps"),
        (nn.Hardshrink(0.5), "jumps"),
        (nn.RReLU(), "eval mode"),  # a fresh module is in training mode: random slopes
    ],
)
def test_refuses_what_is_not_piecewise_linear(act, words):
    model = nn.Sequential(nn.Linear(2, 4), act, nn.Linear(4, 1))
    with pytest.raises(regions.NotPiecewiseLinear, match=words):
        regions.partition(model, BOX)


def test_refuses_extra_input_features():
    with_features = network.build([2, 4, 1], nn.ReLU, features=["x1", "x2", "x1sq", "sinx1"])
    with pytest.raises(regions.NotPiecewiseLinear, match="extra input features"):
        regions.partition(with_features, BOX)
    with pytest.raises(regions.NotPiecewiseLinear, match="extra input features"):
        regions.partition(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)), BOX)
    assert issubclass(regions.NotPiecewiseLinear, ValueError)


def test_continuous_threshold_is_supported():
    model = mlp([2, 5, 1], lambda n: nn.Threshold(0.2, 0.2), 9)  # max(x, 0.2)
    check_partition(model, regions.partition(model, BOX), BOX)


# --------------------------------------------------------------------------------------------------
# Pieces found by mutation testing (bench/mutation.py): each test pins a behaviour no other test saw
# --------------------------------------------------------------------------------------------------


def _compose_model(first: nn.Module, second: nn.Module, seed: int = 3) -> nn.Sequential:
    lin = nn.Linear(2, 4, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0, 0.4], [0.6, -2.0], [-1.4, 1.4], [0.2, 1.8]]))
        lin.bias.copy_(torch.tensor([0.2, -0.4, 0.6, -1.0]))
    out = nn.Linear(4, 1, dtype=torch.float64)
    with torch.no_grad():
        out.weight.copy_(torch.tensor([[1.0, -0.7, 0.5, 1.3]]))
        out.bias.fill_(-0.2)
    return nn.Sequential(lin, first, second, out)


def _prelu4() -> nn.PReLU:
    m = nn.PReLU(4, dtype=torch.float64)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.0, 0.5, -0.5, 1.0]))  # units cross the second's kinks 2 or 3 times
    return m


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Hardsigmoid's middle piece z/6 + 1/2 has an intercept: it meets Hardtanh's 0.2 and 0.7 at
        # z = −1.8 and 1.2; its kinks at ±3 are 6 apart (wider than the 2 used to probe end pieces).
        (lambda: nn.Hardsigmoid(), lambda: nn.Hardtanh(0.2, 0.7)),
        (lambda: _prelu4(), lambda: nn.Hardtanh(-0.1, 0.5)),
        (lambda: nn.Softshrink(0.3), lambda: nn.Threshold(0.1, 0.1)),
        (lambda: nn.ReLU6(), lambda: nn.Hardsigmoid()),
        (lambda: nn.Hardtanh(-2.5, 4.0), lambda: nn.LeakyReLU(0.1)),
    ],
)
def test_two_piecewise_activations_in_a_row_against_the_model(first, second):
    model = _compose_model(first(), second())
    box = ((-4.0, 4.0), (-4.0, 4.0))
    part = regions.partition(model, box)
    assert not part.truncated and part.areas.sum() == pytest.approx(64.0)
    # (patterns count the composed function's pieces, so check_partition's per-module ones don't apply)
    # every map is the model's own on a dense sample
    pts = np.random.default_rng(2).uniform(-4, 4, (4000, 2))
    idx = part.region_at(pts)
    out, _ = model_truth(model, pts)
    mine = np.einsum("nkd,nd->nk", part.A[idx], pts) + part.c[idx]
    np.testing.assert_allclose(mine, out, rtol=1e-9, atol=1e-9)


def test_a_point_exactly_on_a_kink_takes_the_lower_piece():
    # Documented: piece p is breaks[p-1] < z <= breaks[p]; ReLU is "off" at z = 0, ReLU6 is on its
    # middle piece at z = 6, Hardsigmoid on its lowest at z = -3.
    for act, z, piece in ((nn.ReLU(), 0.0, 0), (nn.ReLU6(), 6.0, 1), (nn.Hardsigmoid(), -3.0, 0)):
        model = one_layer(np.array([[1.0, 0.0]]), np.array([0.0]), act)
        _, pieces = regions._describe(model).forward(np.array([[z, 0.3]]))
        assert pieces.tolist() == [[piece]], act


def test_the_carvers_own_forward_pass_is_the_models():
    model = mlp([2, 6, 5, 3], ACTIVATIONS["hardtanh"], 8)
    pts = np.random.default_rng(3).uniform(-2, 2, (300, 2))
    out, pieces = regions._describe(model).forward(pts)
    truth, pattern = model_truth(model, pts)
    np.testing.assert_allclose(out, truth, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(pieces, pattern)
    # no hidden layer: an empty pattern per point, and every point in the one region
    linear = nn.Sequential(nn.Linear(2, 1))
    _, none = regions._describe(linear).forward(pts)
    assert none.shape == (300, 0)
    part = regions.partition(linear, BOX)
    assert part.region_at(pts).tolist() == [0] * 300


def test_region_at_edges_of_the_box_single_points_and_slivers():
    model = one_layer(np.array([[1.0, 1.0]]), np.array([-4.0 + 1e-9]), nn.ReLU())  # the sliver net
    part = regions.partition(model, BOX)
    assert part.n_activation_regions == 1 and part.n_slivers == 1
    # the box is closed: its four sides and corners belong to it, anything beyond does not
    sides = np.array([[-2.0, 0.3], [2.0, -0.3], [0.3, -2.0], [-0.3, 2.0], [-2.0, -2.0], [2.0, 2.0]])
    got = part.region_at(sides)
    assert got.dtype == np.int64 and got.tolist() == [0] * 6
    beyond = np.array([[-2.0 - 1e-9, 0.0], [2.0 + 1e-9, 0.0], [0.0, -2.0 - 1e-9], [0.0, 2.0 + 1e-9]])
    assert part.region_at(beyond).tolist() == [-1] * 4
    # a point inside the uncut corner sliver has the pattern "on", which no region has: it is located
    # geometrically, in the big piece that kept the sliver (alone, and among other points)
    corner = np.array([[2.0 - 2e-10, 2.0 - 2e-10]])
    _, pieces = regions._describe(model).forward(corner)
    assert pieces.tolist() == [[1]] and part.patterns.tolist() == [[0]]
    assert part.region_at(corner).tolist() == [0]
    assert part.region_at(np.array([[0.0, 0.0], corner[0], [5.0, 5.0]])).tolist() == [0, 0, -1]
    assert part.region_at(np.array([0.5, 0.5])).tolist() == [0]  # one point as a flat pair


def test_pattern_lookup_finds_present_hashes_and_nothing_else():
    lookup = regions._Lookup(np.array([50, 30, 90], dtype=np.uint64))
    got = lookup.find(np.array([30, 90, 50, 91, 0, 40, 2**63], dtype=np.uint64))
    assert got.tolist() == [1, 2, 0, -1, -1, -1, -1]


def test_output_magnitude_is_the_largest_value_over_the_box():
    # |A x + c| is largest at a corner of the box: checked against the four corners, by brute force
    rng = np.random.default_rng(4)
    A, c = rng.normal(size=(20, 3, 2)), rng.normal(size=(20, 3))
    box = ((1.0, 3.5), (-4.0, -2.5))
    corners = np.array(list(product(*box)))
    brute = np.abs(np.einsum("rkd,pd->rkp", A, corners) + c[..., None]).max(axis=2)
    np.testing.assert_allclose(regions._output_magnitude(A, c, box), brute, rtol=1e-12)


def test_outlines_are_each_polygon_closed_then_a_nan():
    model = one_layer(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([-0.5, 0.25]), nn.ReLU())
    part = regions.partition(model, BOX)
    x, y = part.outline_xy()
    assert np.isnan(x[-1]) and np.isnan(y[-1])
    rings = np.split(np.stack([x, y], axis=1), np.flatnonzero(np.isnan(x))[:-1] + 1)
    assert len(rings) == part.n_activation_regions == 4
    for ring, poly in zip(rings, part.polygons, strict=True):
        np.testing.assert_array_equal(ring[:-1], np.vstack([poly, poly[:1]]))  # closed, then the NaN
    # one region: the box's own outline
    single = regions.partition(nn.Sequential(nn.Linear(2, 1)), BOX)
    sx, sy = single.outline_xy()
    assert len(sx) == 6 and np.isnan(sx[-1])
    assert sorted(zip(sx[:4], sy[:4], strict=True)) == [(-2, -2), (-2, 2), (2, -2), (2, 2)]
    assert (sx[0], sy[0]) == (sx[4], sy[4])
    # the boundary of relu(x1 − 0.5) − 0.1: the one segment x1 = 0.6 across the box, then a NaN
    lin, out = nn.Linear(2, 1, dtype=torch.float64), nn.Linear(1, 1, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0]]))
        lin.bias.fill_(-0.5)
        out.weight.fill_(1.0)
        out.bias.fill_(-0.1)
    bx, by = regions.partition(nn.Sequential(lin, nn.ReLU(), out), BOX).boundary_xy()
    assert len(bx) == 3 and np.isnan(bx[2]) and np.isnan(by[2])
    np.testing.assert_allclose(bx[:2], [0.6, 0.6], atol=1e-12)
    np.testing.assert_allclose(sorted(by[:2]), [-2.0, 2.0], atol=1e-12)


def test_describe_uses_the_activation_aware_bound():
    # Hardtanh bends twice per unit: 3 units draw up to 6 lines, 1 + 6 + C(6, 2) = 22 regions, where
    # the ReLU bound for the same widths would be 1 + 3 + 3 = 7.
    model = one_layer(
        np.array([[1.0, 0.2], [0.3, -1.0], [-0.7, 0.7]]), np.array([0.1, -0.2, 0.3]), nn.Hardtanh()
    )
    part = regions.partition(model, BOX)
    assert part.upper_bound == 1 + 6 + math.comb(6, 2)
    n = part.n_linear_regions
    assert part.describe() == f"your network: {n} regions; the most it could have: 22"


def test_a_network_ending_in_an_activation():
    # The output passes through Hardtanh: the maps are the activation's pieces of the last layer.
    model = mlp([2, 5, 1], ACTIVATIONS["relu"], 6, out_bias_std=0.1)
    model.append(nn.Hardtanh(-0.3, 0.1))
    part = regions.partition(model, BOX)
    check_partition(model, part, BOX, seed=3)
    pts = np.random.default_rng(5).uniform(-2, 2, (2000, 2))
    out, _ = model_truth(model, pts)
    idx = part.region_at(pts)
    np.testing.assert_allclose(np.einsum("nkd,nd->nk", part.A[idx], pts) + part.c[idx], out, atol=1e-12)
    assert {-0.3, 0.1} <= set(np.round(out.ravel(), 12))  # both flat pieces are reached


def test_more_regions_than_one_block_of_maps():
    # Maps are composed in blocks of 2,048 regions: a layer with more regions than that (a last block
    # shorter than the others) must give the same exact maps as the model.
    model = network.build([2, 32, 32, 32, 1], nn.ReLU, init="he", seed=0, bias_std=0.5)
    part = regions.partition(model, BOX)
    assert part.n_activation_regions > 2048 and part.n_activation_regions % 2048 != 0
    check_partition(model, part, BOX, seed=4)


@pytest.mark.parametrize(("k", "seed"), [(2, 5), (3, 11), (4, 2), (5, 7)])
def test_several_classes_boundary_passes_wherever_the_class_changes(k, seed):
    # Completeness, by brute force: on a 200 x 200 grid, wherever the model's argmax differs between
    # two neighbouring grid points, some boundary segment passes within a grid step of them.
    model = mlp([2, 8, 8, k], ACTIVATIONS["relu"], seed)
    part = regions.partition(model, BOX)
    step = 4.0 / 200
    g = -2.0 + step * (np.arange(200) + 0.5)
    gx, gy = np.meshgrid(g, g)
    out, _ = model_truth(model, np.stack([gx.ravel(), gy.ravel()], axis=1))
    cls = out.argmax(axis=1).reshape(200, 200)
    changes = np.concatenate(
        [
            np.stack([(gx[:, :-1] + gx[:, 1:]) / 2, gy[:, :-1]], axis=-1)[cls[:, :-1] != cls[:, 1:]],
            np.stack([gx[:-1], (gy[:-1] + gy[1:]) / 2], axis=-1)[cls[:-1] != cls[1:]],
        ]
    )
    assert len(changes) > 50
    a, b = part.boundary[:, 0], part.boundary[:, 1]
    ab = b - a
    t = np.clip(
        np.einsum("msd,sd->ms", changes[:, None, :] - a[None], ab)
        / np.maximum((ab * ab).sum(axis=1), 1e-300),
        0.0,
        1.0,
    )
    nearest = np.linalg.norm(changes[:, None, :] - (a[None] + t[..., None] * ab[None]), axis=2).min(axis=1)
    assert nearest.max() <= step, f"class changes {nearest.max():.3g} away from any boundary segment"
