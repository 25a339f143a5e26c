"""The browser's geometry (relu_viz/js: forward.js, partition.js) checked in Chromium against the truth.

Truth: torch's own float64 forward pass for the logits, and the Python engine (relu_viz.regions) for the
exact partition and the decision boundary. No streamlit server: the bundle is imported into a blank page.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import activations, network, regions, wire
from relu_viz.js import bundle

BUNDLE = ["forward.js", "partition.js"]
TIGHT = 1e-9  # float64 twin of torch's float64 forward pass: only rounding differs (the brief asks 1e-4)
TABLE = 1e-3  # of the largest |logit|: a sampled ("table") activation is approximate (h ≈ 0.01, float32)


def load_bundle(page, names=BUNDLE, name: str = "geo") -> None:
    """Import bundle(names) into ``page`` (a blank page, nothing fetched) as ``window[name]``."""
    page.goto("about:blank")
    b64 = base64.b64encode(bundle(names).encode()).decode()
    page.evaluate(
        """async ([b64, name]) => {
            window[name] = await import("data:text/javascript;base64," + b64);
        }""",
        [b64, name],
    )


def bundled_page(browser, names=BUNDLE, name: str = "geo") -> Iterator:
    """A fresh page with bundle(names) imported as ``window[name]``; no page error may occur in it."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    load_bundle(page, names, name)
    yield page
    assert errors == []
    context.close()


@pytest.fixture(scope="module")
def geo(browser):
    yield from bundled_page(browser)


def js_logits(page, model: nn.Sequential, points: np.ndarray) -> np.ndarray:
    out = page.evaluate(
        """([s, w, pts]) => {
            const net = geo.unpackNet(s, w);
            return Array.from(geo.netLogits(net, Float64Array.from(pts)));
        }""",
        [wire.structure(model), wire.weights(model), points.reshape(-1).tolist()],
    )
    return np.asarray(out).reshape(len(points), -1)


def torch_logits(model: nn.Sequential, points: np.ndarray) -> np.ndarray:
    m = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        return m(torch.from_numpy(points)).numpy()


def random_points(n: int = 1000, half: float = 6.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-half, half, size=(n, 2))


# ----------------------------------------------------------------------------------------------------
# Forward pass
# ----------------------------------------------------------------------------------------------------

FORWARD_NETS = [
    ([2, 8, 1], "relu", None),
    ([2, 16, 16, 3], "leaky_relu", None),
    ([2, 8, 8, 8, 8, 1], "hardtanh", None),
    ([2, 8, 8, 1], "relu6", None),
    ([2, 8, 8, 1], "tanh", None),
    ([2, 8, 8, 3], "sigmoid", None),
    ([2, 8, 8, 1], "gelu", None),
    ([2, 8, 8, 8, 1], "elu", None),
    ([2, 16, 3], "silu", None),
    ([2, 8, 8, 1], "relu", ["x1", "x2", "x1sq", "sinx2"]),
    ([2, 6, 6, 2], "tanh", ["x1x2", "x2sq", "sinx1", "x2"]),
    ([2, 16, 16, 16, 1], ["relu", "tanh", "softshrink"], None),
]


@pytest.mark.parametrize(("widths", "act", "features"), FORWARD_NETS)
def test_net_logits_match_torch(geo, widths, act, features):
    model = network.build(widths, act, init="he", seed=len(widths) + 7, bias_std=0.5, features=features)
    pts = random_points(seed=len(widths))
    got, want = js_logits(geo, model, pts), torch_logits(model, pts)
    assert got.shape == want.shape == (1000, widths[-1])
    assert np.abs(got - want).max() <= TIGHT


@pytest.mark.parametrize("name", activations.names())
def test_every_registry_activation_matches_torch(geo, name):
    model = network.build([2, 6, 6, 2], name, init="he", seed=5, bias_std=1.0).eval()  # RReLU: eval
    pts = random_points(seed=11)
    assert np.abs(js_logits(geo, model, pts) - torch_logits(model, pts)).max() <= TIGHT


def test_per_unit_prelu_matches_torch(geo):
    model = network.build([2, 4, 1], lambda: nn.PReLU(4), init="he", seed=2, bias_std=0.5)
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([0.1, -0.3, 0.5, 2.0]))
    pts = random_points(seed=3)
    assert np.abs(js_logits(geo, model, pts) - torch_logits(model, pts)).max() <= TIGHT


@pytest.mark.parametrize("formula", ["x*sin(x) + 0.5*x", "x / (1 + exp(-x))", "max(0, x) + 0.1*x*x"])
def test_typed_formula_table_is_close(geo, formula):
    """A table is followed on [lo, hi] only: checked where every pre-activation lies inside it."""
    model = network.build([2, 8, 8, 2], f"formula:{formula}", init="he", seed=1, bias_std=0.5)
    pts = random_points(seed=4)
    lo, hi = wire.TABLE_RANGE
    with torch.no_grad():
        pre = network.preactivations(copy.deepcopy(model).double(), torch.from_numpy(pts))
    inside = np.all([((z >= lo) & (z <= hi)).all(dim=1).numpy() for z in pre], axis=0)
    assert inside.mean() > 0.5
    want = torch_logits(model, pts)[inside]
    err = np.abs(js_logits(geo, model, pts)[inside] - want).max()
    assert err <= TABLE * max(1.0, np.abs(want).max())


def test_erf_is_accurate(geo):
    xs = np.linspace(-8, 8, 3201)
    got = np.asarray(
        geo.evaluate(
            "(xs) => { const g = geo.activationFn({kind: 'gelu', approximate: 'none'});"
            " return xs.map((x) => g(x)); }",
            xs.tolist(),
        )
    )
    want = torch.nn.functional.gelu(torch.from_numpy(xs)).numpy()
    assert np.abs(got - want).max() <= 1e-12


def test_grid_units_and_probabilities(geo):
    model = network.build([2, 5, 4, 3], "relu", init="he", seed=9, bias_std=0.5)
    box, nx, ny = ((-6.0, 4.0), (-1.0, 3.0)), 7, 5
    res = geo.evaluate(
        """([s, w, box, nx, ny]) => {
            const net = geo.unpackNet(s, w);
            const g = geo.gridLogits(net, box, nx, ny);
            const units = geo.unitOutputs(net, Float64Array.from([0.5, -0.25, 1, 2]));
            return {grid: Array.from(g), units: units.map((u) => Array.from(u)),
                    p3: Array.from(geo.classProbabilities(g, 3)),
                    p1: Array.from(geo.classProbabilities(Float64Array.from([0, 2, -1]), 1))};
        }""",
        [wire.structure(model), wire.weights(model), box, nx, ny],
    )
    (x0, x1), (y0, y1) = box
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    ys = y1 - (np.arange(ny) + 0.5) * (y1 - y0) / ny  # row 0 at the top
    pts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    want = torch_logits(model, pts)
    grid = np.asarray(res["grid"]).reshape(ny * nx, 3)
    assert np.abs(grid - want).max() <= TIGHT
    assert np.allclose(np.asarray(res["p3"]).reshape(-1, 3), torch.softmax(torch.from_numpy(want), 1).numpy())
    s = 1 / (1 + np.exp(-np.array([0.0, 2.0, -1.0])))
    assert np.allclose(np.asarray(res["p1"]).reshape(3, 2), np.stack([1 - s, s], axis=1))
    hidden = network.preactivations(
        copy.deepcopy(model).double(), torch.tensor([[0.5, -0.25], [1.0, 2.0]]).double()
    )
    assert len(res["units"]) == 2
    for got, z in zip(res["units"], hidden, strict=True):
        assert np.allclose(np.asarray(got).reshape(2, -1), torch.relu(z).detach().numpy(), atol=TIGHT)


# ----------------------------------------------------------------------------------------------------
# Exact partition
# ----------------------------------------------------------------------------------------------------

SMALL = ((-2.0, 2.0), (-2.0, 2.0))
TRAINER = ((-6.0, 6.0), (-6.0, 6.0))

PARTITION_NETS = [
    ([2, 16, 16, 16, 1], "relu", 0, SMALL),
    ([2, 16, 16, 16, 1], "relu", 1, SMALL),
    ([2, 16, 16, 16, 1], "relu", 2, TRAINER),
    ([2, 32, 32, 1], "relu", 0, TRAINER),
    ([2, 32, 32, 1], "relu", 1, TRAINER),
    ([2, 32, 32, 1], "relu", 3, SMALL),
    ([2, 16, 16, 3], "relu", 4, TRAINER),
    ([2, 16, 1], "relu", 5, SMALL),
    ([2, 6, 6, 6, 2], "relu", 6, TRAINER),
    ([2, 12, 12, 1], "leaky_relu", 0, SMALL),
    ([2, 12, 12, 1], "leaky_relu", 1, TRAINER),
    ([2, 8, 8, 8, 8, 1], "leaky_relu", 5, SMALL),
    ([2, 8, 8, 3], "hardtanh", 0, TRAINER),
    ([2, 8, 8, 3], "hardtanh", 1, TRAINER),
    ([2, 24, 24, 1], "hardtanh", 2, SMALL),
    ([2, 10, 10, 3], "relu6", 0, TRAINER),
    ([2, 10, 10, 3], "relu6", 2, TRAINER),
    ([2, 20, 20, 1], "relu6", 1, TRAINER),
    ([2, 10, 10, 1], "softshrink", 0, TRAINER),
    ([2, 6, 6, 6, 4], "hardsigmoid", 1, TRAINER),
    ([2, 8, 8, 1], "prelu", 7, SMALL),
    ([2, 8, 8, 1], ["relu", "hardtanh"], 8, TRAINER),
]


def js_partition(page, model: nn.Sequential, box, max_regions: int = 20000) -> dict:
    """The JS partition with plain arrays, its boundary length and each polygon's shoelace area."""
    return page.evaluate(
        """([s, w, box, maxR]) => {
            const p = geo.partition(geo.unpackNet(s, w), box, maxR);
            const areas = [];
            for (let r = 0; r < p.nActivation; r++) {
                let a = 0;
                const f = p.offsets[r], e = p.offsets[r + 1];
                for (let i = f; i < e; i++) {
                    const j = i + 1 === e ? f : i + 1;
                    const v = p.vertices;
                    a += v[2 * i] * v[2 * j + 1] - v[2 * j] * v[2 * i + 1];
                }
                areas.push(a / 2);
            }
            const plain = {};
            for (const [k, v] of Object.entries(p)) plain[k] = ArrayBuffer.isView(v) ? Array.from(v) : v;
            return {...plain, areas, length: geo.boundaryLength(p.boundary)};
        }""",
        [wire.structure(model), wire.weights(model), [list(box[0]), list(box[1])], max_regions],
    )


def seg_length(seg: np.ndarray) -> float:
    seg = np.asarray(seg, dtype=np.float64).reshape(-1, 2, 2)
    return float(np.hypot(*(seg[:, 1] - seg[:, 0]).T).sum()) if len(seg) else 0.0


def centroid(poly: np.ndarray) -> np.ndarray:
    """Area centroid of a polygon (k, 2): Σ (v_i + v_{i+1}) cross_i / (3 Σ cross_i)."""
    nxt = np.roll(poly, -1, axis=0)
    cross = poly[:, 0] * nxt[:, 1] - nxt[:, 0] * poly[:, 1]
    return ((poly + nxt) * cross[:, None]).sum(axis=0) / (3 * cross.sum())


def box_area(box) -> float:
    (x0, x1), (y0, y1) = box
    return (x1 - x0) * (y1 - y0)


@pytest.mark.parametrize(("widths", "act", "seed", "box"), PARTITION_NETS)
def test_partition_matches_python(geo, widths, act, seed, box):
    model = network.build(widths, act, init="he", seed=seed, bias_std=0.5)
    py = regions.partition(model, box)
    js = js_partition(geo, model, box)
    assert not js["truncated"] and not py.truncated
    assert js["nActivation"] == py.n_activation_regions
    assert js["nLinear"] == py.n_linear_regions
    want = seg_length(py.boundary)
    assert abs(js["length"] - want) <= 1e-3 * want
    assert seg_length(js["boundary"]) == pytest.approx(js["length"])
    areas = np.asarray(js["areas"])
    assert (areas > 0).all()  # counter-clockwise, none empty
    assert abs(areas.sum() - box_area(box)) <= 1e-9 * box_area(box)
    assert len(js["offsets"]) == js["nActivation"] + 1 and len(js["vertices"]) == 2 * js["offsets"][-1]


@pytest.mark.parametrize(
    ("seed", "bias_init", "widths", "box"),
    [
        (0, -1.0, [2, 16, 16, 16, 1], TRAINER),
        (1, -1.0, [2, 16, 16, 16, 1], TRAINER),
        (0, -0.5, [2, 8, 8, 8, 8, 8, 1], SMALL),
        (0, 1.0, [2, 8, 8, 2], TRAINER),
    ],
)
def test_merged_linear_regions_match_python(geo, seed, bias_init, widths, box):
    """Nets with many dead or saturated units: many neighbours share one map and are merged.

    The boundary is not compared here: where a logit is w·z_u exactly, its zero set runs along a cut
    edge and both engines place it by the sign of rounding noise (~1e-17).
    """
    act = "hardtanh" if widths[-1] == 2 else "relu"
    model = network.build(widths, act, init="he", seed=seed, bias_init=bias_init, bias_std=0.5)
    py = regions.partition(model, box)
    js = js_partition(geo, model, box)
    assert py.n_linear_regions < py.n_activation_regions  # merging really happens
    assert (js["nActivation"], js["nLinear"]) == (py.n_activation_regions, py.n_linear_regions)
    assert max(js["linearRegion"]) + 1 == js["nLinear"]


def test_maps_predictions_and_outline_are_the_networks(geo):
    """Each region's map A x + c equals the model at the region's centroid; predicted is its class there;
    the outline (every edge between two regions, the nets being in general position) is the union of
    the polygons' perimeters minus the box's, each shared edge once."""
    for widths, act, box in [([2, 16, 16, 3], "relu", TRAINER), ([2, 12, 12, 1], "hardtanh", SMALL)]:
        model = network.build(widths, act, init="he", seed=4, bias_std=0.5)
        js = js_partition(geo, model, box)
        K = widths[-1]
        v = np.asarray(js["vertices"]).reshape(-1, 2)
        off = np.asarray(js["offsets"])
        cent = np.array([centroid(v[off[r] : off[r + 1]]) for r in range(len(off) - 1)])
        A = np.asarray(js["A"]).reshape(-1, K, 2)
        c = np.asarray(js["c"]).reshape(-1, K)
        want = torch_logits(model, cent)
        assert np.abs(np.einsum("rkd,rd->rk", A, cent) + c - want).max() <= 1e-9
        cls = (want[:, 0] > 0).astype(int) if K == 1 else want.argmax(axis=1)
        clear = np.abs(want).min(axis=1) > 1e-9 if K == 1 else np.ptp(np.sort(want, 1)[:, -2:], 1) > 1e-9
        assert np.array_equal(np.asarray(js["predicted"])[clear], cls[clear])
        assert js["nLinear"] == js["nActivation"]
        perimeter = sum(
            np.hypot(*(np.roll(v[off[r] : off[r + 1]], -1, axis=0) - v[off[r] : off[r + 1]]).T).sum()
            for r in range(len(off) - 1)
        )
        (x0, x1), (y0, y1) = box
        inner = (perimeter - 2 * (x1 - x0 + y1 - y0)) / 2
        assert seg_length(js["outline"]) == pytest.approx(inner, rel=1e-9)


def test_smooth_and_featured_nets_throw_the_reason(geo):
    for model in (
        network.build([2, 8, 1], "tanh"),
        network.build([2, 8, 1], "gelu"),
        network.build([2, 8, 1], "relu", features=["x1", "x2", "x1sq"]),
        network.build([2, 8, 1], "step"),
    ):
        reason = wire.structure(model)["not_pwl_reason"]
        assert reason
        got = geo.evaluate(
            """([s, w]) => {
                try { geo.partition(geo.unpackNet(s, w), [[-6, 6], [-6, 6]]); return null; }
                catch (e) { return e.message; }
            }""",
            [wire.structure(model), wire.weights(model)],
        )
        assert got == reason


def test_truncation_still_covers_the_box(geo):
    model = network.build([2, 32, 32, 1], "relu", init="he", seed=0, bias_std=0.5)
    js = js_partition(geo, model, TRAINER, max_regions=100)
    assert js["truncated"] and 100 < js["nActivation"] < 2030
    assert js["nLinear"] == js["nActivation"] and js["boundary"] == []
    assert all(a is None or np.isnan(a) for a in js["A"])
    assert abs(sum(js["areas"]) - box_area(TRAINER)) <= 1e-9 * box_area(TRAINER)


def test_no_hidden_layer_and_identity_layers(geo):
    linear = network.build([2, 3], "relu", seed=1)
    js = js_partition(geo, linear, SMALL)
    assert (js["nActivation"], js["nLinear"]) == (1, 1)
    assert abs(js["length"] - seg_length(regions.partition(linear, SMALL).boundary)) <= 1e-12
    mixed = network.build([2, 8, 8, 1], ["identity", "relu"], init="he", seed=2, bias_std=0.5)
    py = regions.partition(mixed, SMALL)
    js = js_partition(geo, mixed, SMALL)
    assert (js["nActivation"], js["nLinear"]) == (py.n_activation_regions, py.n_linear_regions)
