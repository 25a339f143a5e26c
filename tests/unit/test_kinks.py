"""relu_viz.regions.kinks: the exact x where a network R -> R changes slope."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import network, regions


def one_layer(w, b, a, c=0.0, act: nn.Module | None = None) -> nn.Sequential:
    """f(x) = c + sum_j a_j act(w_j x + b_j), written by hand."""
    n = len(w)
    first, last = nn.Linear(1, n), nn.Linear(n, 1)
    with torch.no_grad():
        first.weight.copy_(torch.tensor(w, dtype=torch.float32).reshape(n, 1))
        first.bias.copy_(torch.tensor(b, dtype=torch.float32))
        last.weight.copy_(torch.tensor(a, dtype=torch.float32).reshape(1, n))
        last.bias.fill_(c)
    return nn.Sequential(first, act if act is not None else nn.ReLU(), last)


def test_one_hidden_layer_kinks_are_the_breakpoints_inside_the_range():
    # breakpoints -b/w: -0.5, 0.5, 0.25, 3 (outside [-2, 2])
    model = one_layer([1.0, 2.0, -4.0, 1.0], [0.5, -1.0, 1.0, -3.0], [1.0, -1.0, 2.0, 1.0])
    found = regions.kinks(model, -2, 2)
    np.testing.assert_allclose(found, [-0.5, 0.25, 0.5], atol=1e-12)
    np.testing.assert_allclose(regions.kinks(model, -5, 5), [-0.5, 0.25, 0.5, 3.0], atol=1e-12)
    assert regions.kink_bound(model) == 4


def test_two_units_with_the_same_breakpoint_count_once():
    # (w, b) = (1, -0.5) and (3, -1.5): both bend at 0.5 (computed in different order), slopes add
    model = one_layer([1.0, 3.0, -1.0], [-0.5, -1.5, -1.0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(regions.kinks(model, -2, 2), [-1.0, 0.5], atol=1e-9)


def test_a_crossed_unit_whose_slope_change_cancels_is_not_a_kink():
    # units 1 and 2 bend at 0.5 with a1 w1 = 2, a2 w2 = -2: the output's slope does not change there
    model = one_layer([1.0, 2.0, -1.0], [-0.5, -1.0, 0.3], [2.0, -1.0, 1.0])
    np.testing.assert_allclose(regions.kinks(model, -2, 2), [0.3], atol=1e-7)
    # a unit with output weight 0 is crossed but adds nothing
    silent = one_layer([1.0, 1.0], [0.0, -1.0], [1.0, 0.0])
    np.testing.assert_allclose(regions.kinks(silent, -2, 2), [0.0], atol=1e-12)
    # f(x) = relu(x) - relu(-x) - x = 0 everywhere: no kink at all
    flat = one_layer([1.0, -1.0], [0.0, 0.0], [1.0, -1.0])
    flat[2].bias.data.zero_()
    line = nn.Sequential(nn.Linear(1, 1))
    assert len(regions.kinks(nn.Sequential(*flat, *line), -1, 1)) == 0


def test_kinks_at_the_ends_of_the_range_are_included():
    model = one_layer([1.0, 1.0], [1.0, -1.0], [1.0, 1.0])
    np.testing.assert_allclose(regions.kinks(model, -1, 1), [-1.0, 1.0], atol=1e-12)
    assert len(regions.kinks(model, -0.5, 0.5)) == 0


def test_dead_units_and_constant_networks_have_no_kinks():
    dead = one_layer([1.0, -1.0], [-10.0, -10.0], [1.0, 1.0])  # never active on [-3, 3]
    assert len(regions.kinks(dead, -3, 3)) == 0
    linear = nn.Sequential(nn.Linear(1, 1))
    assert len(regions.kinks(linear, -3, 3)) == 0
    assert regions.kink_bound(linear) == 0


def test_leaky_relu_and_hardtanh_units():
    leaky = one_layer([1.0], [-0.5], [1.0], act=nn.LeakyReLU(0.1))
    np.testing.assert_allclose(regions.kinks(leaky, -2, 2), [0.5], atol=1e-12)
    clamp = one_layer([2.0], [0.0], [1.0], act=nn.Hardtanh())  # bends where 2x = -1 and 2x = 1
    np.testing.assert_allclose(regions.kinks(clamp, -2, 2), [-0.5, 0.5], atol=1e-12)
    assert regions.kink_bound(clamp) == 2


def test_deep_bounds():
    assert regions.kink_bound(network.build([1, 16, 1], "relu")) == 16
    assert regions.kink_bound(network.build([1, 16, 16, 1], "relu")) == 288
    assert regions.kink_bound(network.build([1, 2, 2, 2, 1], "relu")) == 26


def _second_difference_kinks(model: nn.Sequential, lo: float, hi: float, n: int) -> tuple[np.ndarray, float]:
    xs = np.linspace(lo, hi, n)
    with torch.no_grad():
        y = model.double()(torch.from_numpy(xs[:, None])).numpy()[:, 0]
    model.float()
    d2 = np.abs(np.diff(y, 2))
    scale = max(np.abs(np.diff(y)).max(), 1e-300)
    return xs[1:-1][d2 > 1e-8 * scale], xs[1] - xs[0]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("widths", [[1, 8, 8, 1], [1, 16, 16, 1], [1, 6, 6, 6, 1]])
def test_deeper_networks_agree_with_dense_sampling_of_second_differences(widths, seed):
    model = network.build(widths, "relu", init="he", seed=seed, bias_std=0.5)
    lo, hi = -3.0, 3.0
    found = regions.kinks(model, lo, hi)
    bent, h = _second_difference_kinks(model, lo, hi, 400_001)
    # every bend the samples see is within two grid steps of an exact kink ...
    if len(bent):
        assert np.abs(bent[:, None] - found[None, :]).min(axis=1).max() <= 2 * h
    # ... and every exact kink more than 4 steps from another kink and from the ends bends the samples
    others = np.r_[found, lo, hi]
    for k in found:
        gaps = np.abs(others - k)
        if gaps[gaps > 0].min() > 4 * h:
            assert np.abs(bent - k).min() <= 2 * h, k
    assert len(found) <= regions.kink_bound(model)


def test_random_one_layer_nets_have_at_most_one_kink_per_unit():
    for seed in range(20):
        model = network.build([1, 5, 1], "relu", init="default", seed=seed)
        found = regions.kinks(model, -1e6, 1e6)
        assert len(found) <= 5
        w = model[0].weight.detach().double().numpy()[:, 0]
        b = model[0].bias.detach().double().numpy()
        a = model[2].weight.detach().double().numpy()[0]
        expected = sorted(-b[j] / w[j] for j in range(5) if w[j] != 0 and a[j] != 0)
        np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "gelu", "softplus"])
def test_smooth_activations_raise_not_piecewise_linear(act):
    with pytest.raises(regions.NotPiecewiseLinear, match="smooth"):
        regions.kinks(network.build([1, 4, 1], act), -1, 1)
    with pytest.raises(regions.NotPiecewiseLinear):
        regions.kink_bound(network.build([1, 4, 1], act))


def test_wrong_shapes_and_ranges_are_refused():
    with pytest.raises(ValueError, match="one input"):
        regions.kinks(network.build([2, 4, 1], "relu"), -1, 1)
    with pytest.raises(ValueError, match="one output"):
        regions.kinks(network.build([1, 4, 2], "relu"), -1, 1)
    with pytest.raises(ValueError, match="lo < hi"):
        regions.kinks(network.build([1, 4, 1], "relu"), 1, 1)
