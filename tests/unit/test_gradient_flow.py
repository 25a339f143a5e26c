"""relu_viz.gradient_flow: the gradient ratio through depth, checked against a closed form, against the
sigmoid bound; and the per-activation default init. (Its speed is a benchmark: bench/gradient_flow.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from relu_viz import gradient_flow, network


def test_one_hidden_linear_layer_matches_the_closed_form():
    """Identity activation, depth 1: y = W2 (W1 x + b1) + b2 and L = mean_n y_n, so
    dL/dW2 = (W1 x̄ + b1)ᵀ and dL/dW1 = W2ᵀ x̄ᵀ with x̄ the mean input: ratio = ‖W2‖ ‖x̄‖ / ‖W1 x̄ + b1‖."""
    width, n, seed = 16, 32, 5
    ratio = gradient_flow.gradient_ratio("identity", [1], width=width, init="default", seed=seed, n_samples=n)
    x = torch.randn(n, width, generator=torch.Generator().manual_seed(seed)).double()
    model = network.build([width, width, 1], "identity", init="default", seed=seed + 1)  # seed + depth
    w1, b1, w2 = (p.detach().double() for p in (model[0].weight, model[0].bias, model[2].weight))
    x_mean = x.mean(dim=0)
    expected = float(w2.norm() * x_mean.norm() / (w1 @ x_mean + b1).norm())
    assert ratio[0] == pytest.approx(expected, rel=1e-4)


def test_sigmoid_collapses_and_relu_survives():
    depths = range(1, 31)
    sigmoid = gradient_flow.gradient_ratio("sigmoid", depths, init="xavier")
    relu = gradient_flow.gradient_ratio("relu", depths, init="he")
    # σ' <= 1/4: each extra layer shrinks the signal by about 4x or more (with Xavier's small weights).
    per_layer_sigmoid = (sigmoid[-1] / sigmoid[0]) ** (1 / 29)
    per_layer_relu = (relu[-1] / relu[0]) ** (1 / 29)
    assert per_layer_sigmoid < 0.5
    assert per_layer_relu > 0.8
    assert sigmoid[-1] < 1e-10 < 1e-3 < relu[-1]


def test_a_step_passes_no_gradient():
    ratios = gradient_flow.gradient_ratio("step", [1, 5])
    assert np.all(ratios == 0.0)


def test_no_gradient_at_the_last_layer_is_nan():
    # All-zero weights and ReLU: every hidden unit outputs relu(0) = 0, so the last layer sees no signal.
    assert np.isnan(gradient_flow.gradient_ratio("relu", [2], init="zeros")[0])


def test_pure_function_of_its_arguments():
    a = gradient_flow.gradient_ratio("tanh", [1, 4, 9], init="xavier", seed=3)
    b = gradient_flow.gradient_ratio("tanh", [1, 4, 9], init="xavier", seed=3)
    np.testing.assert_array_equal(a, b)
    c = gradient_flow.gradient_ratio("tanh", [1, 4, 9], init="xavier", seed=4)
    assert not np.array_equal(a, c)


def test_accepts_formulas_and_factories():
    by_formula = gradient_flow.gradient_ratio("formula:tanh(x)", [3], init="xavier")
    by_key = gradient_flow.gradient_ratio("tanh", [3], init="xavier")
    by_factory = gradient_flow.gradient_ratio(torch.nn.Tanh, [3], init="xavier")
    assert by_formula[0] == pytest.approx(by_key[0], rel=1e-5)
    assert by_factory[0] == by_key[0]


@pytest.mark.parametrize(
    ("key", "init"),
    [
        ("relu", "he"),
        ("leaky_relu", "he"),
        ("elu", "he"),
        ("gelu", "he"),
        ("sigmoid", "xavier"),
        ("tanh", "xavier"),
        ("hardtanh", "xavier"),
        ("softshrink", "default"),
        ("step", "default"),
        ("formula:max(0, x)", "default"),
    ],
)
def test_default_init(key, init):
    assert gradient_flow.default_init(key) == init
    assert init in network.INIT_SCHEMES


def test_bad_arguments():
    with pytest.raises(ValueError):
        gradient_flow.gradient_ratio("relu", [0])
    with pytest.raises(ValueError):
        gradient_flow.gradient_ratio("relu", [1], width=0)
