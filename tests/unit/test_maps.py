"""maps: the view grid's layout, class probabilities, unit outputs, first-layer lines, the hidden view.

Every expected value is computed independently: by hand from the grid's definition (cell centres), with
torch on the model's own modules, or from plane geometry.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import maps, network

BOX = ((-1.0, 3.0), (-2.0, 2.0))


def torch_forward(model: nn.Sequential, points: np.ndarray) -> np.ndarray:
    """The model's logits in float64 (a double copy of the model, so no float32 rounding)."""
    import copy

    double = copy.deepcopy(model).double()
    with torch.no_grad():
        return double(torch.tensor(np.asarray(points, dtype=np.float64))).numpy()


def random_points(n: int, seed: int = 0, r: float = 6.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-r, r, size=(n, 2)).astype(np.float32)


# -- grid -----------------------------------------------------------------------------------------


def test_grid_is_cell_centred():
    g = maps.grid(BOX, 4)
    # cells of width 1 over [-1, 3] and [-2, 2]: centres half a cell in from each edge
    np.testing.assert_allclose(g.xs, [-0.5, 0.5, 1.5, 2.5])
    np.testing.assert_allclose(g.ys, [-1.5, -0.5, 0.5, 1.5])
    assert g.res == 4


def test_grid_centres_are_symmetric_and_inside_the_box():
    g = maps.grid(maps.DEFAULT_BOX, 100)
    assert g.res == 100
    assert g.xs[0] == pytest.approx(-6 + 0.06) and g.xs[-1] == pytest.approx(6 - 0.06)
    np.testing.assert_allclose(g.xs, -g.xs[::-1], atol=1e-12)
    np.testing.assert_allclose(np.diff(g.ys), 0.12)


def test_grid_points_shape_dtype_and_row_major_by_y():
    res = 5
    g = maps.grid(BOX, res)
    assert g.points.shape == (res * res, 2)
    assert g.points.dtype == np.float32
    for i, j in itertools.product(range(res), range(res)):
        np.testing.assert_allclose(g.points[i * res + j], [g.xs[j], g.ys[i]], rtol=1e-6)


def test_reshaped_values_align_with_xs_and_ys():
    """A value array computed at the points, reshaped (res, res), has row i at ys[i] and column j at xs[j]."""
    res = 7
    g = maps.grid(BOX, res)
    lin = nn.Linear(2, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.eye(2))  # outputs (x1, x2)
        lin.bias.zero_()
        out = lin(torch.from_numpy(g.points)).numpy()
    x1 = out[:, 0].reshape(res, res)
    x2 = out[:, 1].reshape(res, res)
    for i, j in itertools.product(range(res), range(res)):
        assert x1[i, j] == pytest.approx(g.xs[j], abs=1e-6)
        assert x2[i, j] == pytest.approx(g.ys[i], abs=1e-6)


# -- class probabilities --------------------------------------------------------------------------


@pytest.mark.parametrize("out", [1, 2, 3, 5])
def test_probabilities_rows_sum_to_one(out):
    model = network.build([2, 6, out], "relu", init="he", seed=out)
    p = maps.class_probabilities(model, random_points(50))
    assert p.shape == (50, max(out, 2))
    assert p.dtype == np.float32
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)


def test_one_logit_gives_sigmoid():
    model = network.build([2, 8, 1], "relu", init="he", seed=3)
    pts = random_points(40, seed=1)
    z = torch_forward(model, pts)[:, 0]
    p1 = 1.0 / (1.0 + np.exp(-z))
    p = maps.class_probabilities(model, pts)
    np.testing.assert_allclose(p[:, 1], p1, atol=1e-5)
    np.testing.assert_allclose(p[:, 0], 1.0 - p1, atol=1e-5)


def test_one_logit_known_weights():
    """Logit z = x1: p(class 1) is ½ on the x2 axis, σ(2) at x1 = 2, and near 0 far to the left."""
    model = nn.Sequential(nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0]]))
        model[0].bias.zero_()
    p = maps.class_probabilities(model, np.array([[0.0, 5.0], [2.0, -1.0], [-20.0, 0.0]]))
    assert p[0, 1] == pytest.approx(0.5)
    assert p[1, 1] == pytest.approx(1 / (1 + np.exp(-2.0)), abs=1e-6)
    assert p[2, 0] == pytest.approx(1.0, abs=1e-6)


def test_k_logits_give_softmax():
    model = network.build([2, 8, 4], "tanh", init="he", seed=5)
    pts = random_points(30, seed=2)
    z = torch_forward(model, pts)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    expected = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(maps.class_probabilities(model, pts), expected, atol=1e-5)


def test_two_logits_softmax_is_sigmoid_of_the_difference():
    model = network.build([2, 5, 2], "relu", init="he", seed=8)
    pts = random_points(30, seed=4)
    z = torch_forward(model, pts)
    p = maps.class_probabilities(model, pts)
    np.testing.assert_allclose(p[:, 1], 1 / (1 + np.exp(-(z[:, 1] - z[:, 0]))), atol=1e-5)


def test_probabilities_match_torch_and_accept_float64_input():
    model = network.build([2, 8, 8, 3], "leaky_relu", init="he", seed=1)
    pts = random_points(25, seed=9).astype(np.float64)
    with torch.no_grad():
        expected = torch.softmax(model(torch.tensor(pts, dtype=torch.float32)), dim=1).numpy()
    np.testing.assert_allclose(maps.class_probabilities(model, pts), expected, atol=1e-6)


# -- unit outputs ---------------------------------------------------------------------------------


def test_unit_outputs_equal_hand_computed_layers():
    model = network.build([2, 5, 4, 3, 1], ["tanh", "relu", "leaky_relu"], init="he", seed=2)
    pts = random_points(20, seed=3)
    lin1, lin2, lin3 = (m for m in model if isinstance(m, nn.Linear) and m.out_features > 1)
    x = torch.from_numpy(pts)
    with torch.no_grad():
        a1 = torch.tanh(x @ lin1.weight.T + lin1.bias)
        a2 = torch.relu(a1 @ lin2.weight.T + lin2.bias)
        a3 = torch.nn.functional.leaky_relu(a2 @ lin3.weight.T + lin3.bias, 0.01)
    outs = maps.unit_outputs(model, pts)
    assert [o.shape for o in outs] == [(20, 5), (20, 4), (20, 3)]
    for got, want in zip(outs, (a1, a2, a3), strict=True):
        np.testing.assert_allclose(got, want.numpy(), atol=1e-6)


def test_relu_unit_outputs_are_nonnegative_and_match_preactivations():
    model = network.build([2, 8, 8, 1], "relu", init="he", seed=4)
    pts = random_points(100, seed=5)
    outs = maps.unit_outputs(model, pts)
    with torch.no_grad():
        zs = network.preactivations(model, torch.from_numpy(pts))
    assert len(outs) == len(zs) == 2
    for a, z in zip(outs, zs, strict=True):
        np.testing.assert_allclose(a, np.maximum(z.numpy(), 0), atol=1e-6)


def test_unit_outputs_with_input_features():
    model = network.build([2, 4, 1], "relu", init="he", seed=6, features=("x1", "x2", "x1sq", "sinx2"))
    pts = random_points(15, seed=6)
    feats = np.stack([pts[:, 0], pts[:, 1], pts[:, 0] ** 2, np.sin(pts[:, 1])], axis=1)
    lin = model[1]
    want = np.maximum(feats @ lin.weight.detach().numpy().T + lin.bias.detach().numpy(), 0)
    (got,) = maps.unit_outputs(model, pts)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_unit_outputs_of_a_linear_model_is_empty():
    assert maps.unit_outputs(network.build([2, 1], "relu", seed=0), random_points(5)) == []


# -- first-layer lines ----------------------------------------------------------------------------


def test_first_layer_lines_are_the_first_linear_layer():
    model = network.build([2, 6, 3, 1], "relu", init="he", seed=7)
    w, b = maps.first_layer_lines(model)
    assert w.shape == (6, 2) and b.shape == (6,)
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, model[0].weight.detach().numpy())
    np.testing.assert_allclose(b, model[0].bias.detach().numpy())


def test_first_layer_unit_is_zero_on_its_line():
    model = network.build([2, 6, 1], "relu", init="he", seed=7, bias_std=1.0)
    w, b = maps.first_layer_lines(model)
    corners = np.array(list(itertools.product((-6.0, 6.0), (-6.0, 6.0))))
    drawn = 0
    for k in range(6):
        seg = maps.line_segment(w[k], b[k])
        side = corners @ w[k] + b[k]  # the line crosses the map iff the corners' signs differ
        assert (seg is not None) == (side.min() < 0 < side.max()), k
        if seg is None:
            continue
        drawn += 1
        ts = np.linspace(0, 1, 5)[:, None]
        on_line = seg[0] + ts * (seg[1] - seg[0])
        with torch.no_grad():
            z = model[0](torch.tensor(on_line, dtype=torch.float32)).numpy()[:, k]
        np.testing.assert_allclose(z, 0.0, atol=1e-5)
    assert drawn >= 4  # seed 7 with bias std 1: most of the six lines cross the map


@pytest.mark.parametrize("features", [("x1", "x2", "x1sq"), ("x2", "x1")])
def test_first_layer_lines_none_with_features_first(features):
    model = network.build([2, 4, 1], "relu", seed=0, features=features)
    assert isinstance(model[0], network.Features)
    assert maps.first_layer_lines(model) is None


def test_first_layer_lines_none_without_hidden_layer():
    assert maps.first_layer_lines(network.build([2, 1], "relu", seed=0)) is None
    assert maps.first_layer_lines(network.build([2, 3], "relu", seed=0)) is None


# -- line segment ---------------------------------------------------------------------------------


def assert_segment_on_line_in_box(seg, w, b, box, tol=1e-9):
    (x0, x1), (y0, y1) = box
    assert seg.shape == (2, 2)
    np.testing.assert_allclose(seg @ np.asarray(w, dtype=np.float64) + b, 0.0, atol=1e-9 * (1 + abs(b)))
    assert np.all(seg[:, 0] >= x0 - tol) and np.all(seg[:, 0] <= x1 + tol)
    assert np.all(seg[:, 1] >= y0 - tol) and np.all(seg[:, 1] <= y1 + tol)
    # each endpoint lies on the box's edge: the segment is the whole chord, not a piece of it
    for x, y in seg:
        assert min(abs(x - x0), abs(x - x1), abs(y - y0), abs(y - y1)) < 1e-9


def test_random_lines_through_the_box():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(200):
        w = rng.normal(size=2)
        b = rng.normal() * 4
        seg = maps.line_segment(w, b, BOX)
        # does the line cross the box? the corners' signs differ (or one is on the line)
        corners = np.array(list(itertools.product(*BOX)))
        s = corners @ w + b
        crosses = s.min() < 0 < s.max()
        if not crosses:
            assert seg is None
            continue
        hits += 1
        assert seg is not None
        assert_segment_on_line_in_box(seg, w, b, BOX)
        assert np.linalg.norm(seg[1] - seg[0]) > 0
    assert hits > 50


def test_vertical_line():
    seg = maps.line_segment(np.array([2.0, 0.0]), -2.0)  # x = 1
    assert seg is not None
    assert sorted(map(tuple, seg)) == [(1.0, -6.0), (1.0, 6.0)]


def test_horizontal_line():
    seg = maps.line_segment(np.array([0.0, 2.0]), 4.0, BOX)  # y = -2: the box's bottom edge
    assert seg is not None
    assert sorted(map(tuple, seg)) == [(-1.0, -2.0), (3.0, -2.0)]


@pytest.mark.parametrize(
    ("w", "b"),
    [
        ((1.0, 0.0), -10.0),  # x = 10
        ((0.0, 1.0), 6.5),  # y = -6.5
        ((1.0, 1.0), -20.0),  # x + y = 20
        ((0.0, 0.0), 1.0),  # no line at all
    ],
)
def test_line_missing_the_box(w, b):
    assert maps.line_segment(np.array(w), b) is None


def test_diagonal_through_two_corners():
    seg = maps.line_segment(np.array([1.0, -1.0]), 0.0)  # x = y
    assert seg is not None
    assert sorted(map(tuple, seg)) == [(-6.0, -6.0), (6.0, 6.0)]


def test_line_through_one_corner_and_the_interior():
    # through the corner (6, 6) and (−6, 0): x − 2y + 6 = 0
    w, b = np.array([1.0, -2.0]), 6.0
    seg = maps.line_segment(w, b)
    assert seg is not None
    assert sorted(map(tuple, seg)) == [(-6.0, 0.0), (6.0, 6.0)]


def test_line_touching_only_a_corner():
    # x + y = 12 meets the box only at (6, 6): a segment of length zero there (nothing is drawn)
    seg = maps.line_segment(np.array([1.0, 1.0]), -12.0)
    assert seg is not None
    np.testing.assert_allclose(seg, [[6.0, 6.0], [6.0, 6.0]])
    # 1e-6 further out it misses the box altogether
    assert maps.line_segment(np.array([1.0, 1.0]), -12.000001) is None


# -- hidden view ----------------------------------------------------------------------------------


def test_hidden_view_data_are_the_chosen_units_outputs():
    model = network.build([2, 6, 5, 1], "relu", init="he", seed=11)
    data = random_points(40, seed=7)
    x = torch.from_numpy(data)
    lins = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        a1 = torch.relu(lins[0](x))
        a2 = torch.relu(lins[1](a1)).numpy()
    view = maps.hidden_view(model, 1, (3, 0), data)
    assert view.data.shape == (40, 2)
    np.testing.assert_allclose(view.data, a2[:, [3, 0]], atol=1e-6)
    view0 = maps.hidden_view(model, 0, (5, 2), data)
    np.testing.assert_allclose(view0.data, a1.numpy()[:, [5, 2]], atol=1e-6)


def test_hidden_view_grid_line_count_and_length():
    model = network.build([2, 4, 1], "relu", init="he", seed=1)
    view = maps.hidden_view(model, 0, (0, 1), random_points(10), n_lines=7, samples=25)
    assert len(view.grid_lines) == 14
    assert all(line.shape == (25, 2) for line in view.grid_lines)


def test_relu_hidden_view_stays_in_the_first_quadrant():
    model = network.build([2, 8, 1], "relu", init="he", seed=2)
    view = maps.hidden_view(model, 0, (1, 4), random_points(30))
    assert np.all(view.data >= 0)
    assert all(np.all(line >= 0) for line in view.grid_lines)


def test_identity_net_maps_grid_lines_to_straight_lines():
    """With f(z) = z the layer is affine: undo it and every grid line is an axis-parallel line that spans
    the box, and the lines x = c, y = c come at evenly spaced c covering the box."""
    model = network.build([2, 3, 1], "identity", init="he", seed=3)
    n_lines, samples = 5, 30
    view = maps.hidden_view(model, 0, (2, 0), random_points(10), box=BOX, n_lines=n_lines, samples=samples)
    W = model[0].weight.detach().double().numpy()[[2, 0]]
    b = model[0].bias.detach().double().numpy()[[2, 0]]
    assert abs(np.linalg.det(W)) > 1e-3
    (x0, x1), (y0, y1) = BOX
    xs_const, ys_const = [], []
    for line in view.grid_lines:
        # straight: every point is collinear with the first and last
        d = line[-1] - line[0]
        cross = (line[:, 0] - line[0, 0]) * d[1] - (line[:, 1] - line[0, 1]) * d[0]
        assert np.abs(cross).max() < 1e-4 * (1 + np.linalg.norm(d) ** 2)
        pre = np.linalg.solve(W, (line - b).T).T  # back in the input plane
        if np.ptp(pre[:, 1]) < 1e-4:  # a line y = const
            ys_const.append(pre[0, 1])
            assert pre[:, 0].min() == pytest.approx(x0, abs=1e-4)
            assert pre[:, 0].max() == pytest.approx(x1, abs=1e-4)
        else:
            assert np.ptp(pre[:, 0]) < 1e-4  # a line x = const
            xs_const.append(pre[0, 0])
            assert pre[:, 1].min() == pytest.approx(y0, abs=1e-4)
            assert pre[:, 1].max() == pytest.approx(y1, abs=1e-4)
    np.testing.assert_allclose(sorted(xs_const), np.linspace(x0, x1, n_lines), atol=1e-4)
    np.testing.assert_allclose(sorted(ys_const), np.linspace(y0, y1, n_lines), atol=1e-4)
