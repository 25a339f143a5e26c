"""The browser's geometry (relu_viz/js: forward.js, partition.js) checked in Chromium against the truth.

Truth: torch's own float64 forward pass for the logits, and the Python engine (relu_viz.regions) for the
exact partition and the decision boundary. No streamlit server: the bundle is imported into a blank page.
"""

from __future__ import annotations

import base64
import copy

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import activations, network, wire
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


@pytest.fixture(scope="module")
def geo(browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    load_bundle(page)
    yield page
    assert errors == []
    context.close()


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
