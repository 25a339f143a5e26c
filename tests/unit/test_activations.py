"""relu_viz.activations: the registry covers torch.nn, matches torch's defaults, its autograd derivatives
agree with finite differences, and its kink list and kink conventions are the real ones."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import activations, cost, properties

EXPECTED_KEYS = [
    "relu",
    "relu6",
    "leaky_relu",
    "prelu",
    "rrelu",
    "threshold",
    "elu",
    "celu",
    "selu",
    "gelu",
    "gelu_tanh",
    "silu",
    "mish",
    "softplus",
    "sigmoid",
    "tanh",
    "softsign",
    "logsigmoid",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "hardshrink",
    "softshrink",
    "tanhshrink",
    "identity",
    "step",
]
NOT_ELEMENTWISE = {"GLU", "Softmax", "Softmin", "LogSoftmax", "Softmax2d", "MultiheadAttention"}

# torch's own constructor with its defaults, per registry key (Threshold has none: 0, 0 is ours).
TORCH_DEFAULT = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "leaky_relu": nn.LeakyReLU,
    "prelu": nn.PReLU,
    "rrelu": nn.RReLU,
    "threshold": lambda: nn.Threshold(0.0, 0.0),
    "elu": nn.ELU,
    "celu": nn.CELU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "softplus": nn.Softplus,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "softsign": nn.Softsign,
    "logsigmoid": nn.LogSigmoid,
    "hardtanh": nn.Hardtanh,
    "hardsigmoid": nn.Hardsigmoid,
    "hardswish": nn.Hardswish,
    "hardshrink": nn.Hardshrink,
    "softshrink": nn.Softshrink,
    "tanhshrink": nn.Tanhshrink,
}


def torch_activation_classes() -> dict[str, type]:
    """Every nn.Module class defined in torch.nn.modules.activation, found by introspection."""
    module = torch.nn.modules.activation
    return {
        name: cls
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, nn.Module) and cls.__module__ == module.__name__
    }


def test_names_are_the_documented_keys():
    assert activations.names() == EXPECTED_KEYS
    assert [s.key for s in activations.specs()] == EXPECTED_KEYS


def test_registry_covers_every_elementwise_torch_activation():
    classes = torch_activation_classes()
    assert set(classes) >= NOT_ELEMENTWISE, "the exclusion list names classes torch no longer has"
    elementwise = {name for name in classes if name not in NOT_ELEMENTWISE}
    assert len(elementwise) == 23
    covered = {type(activations.get(k).make()).__name__ for k in activations.names()}
    assert elementwise <= covered, f"missing: {elementwise - covered}"
    gelu_modes = {activations.get(k).make().approximate for k in ("gelu", "gelu_tanh")}
    assert gelu_modes == {"none", "tanh"}


@pytest.mark.parametrize("name", ["Softmax", "Softmin", "LogSoftmax", "GLU"])
def test_excluded_modules_really_are_not_elementwise(name):
    module = getattr(nn, name)(dim=-1)
    x = torch.tensor([[0.5, -1.0, 2.0, 0.3]])
    y = x.clone()
    y[0, 2] = 3.0  # change one element: an elementwise f leaves the others' outputs alone
    out_x, out_y = module(x), module(y)
    assert not torch.allclose(out_x[0, 0], out_y[0, 0])


def test_softmax2d_is_not_elementwise():
    x = torch.zeros(1, 2, 1, 1)
    y = x.clone()
    y[0, 1] = 1.0
    assert not torch.allclose(nn.Softmax2d()(x)[0, 0], nn.Softmax2d()(y)[0, 0])


@pytest.mark.parametrize("key", list(TORCH_DEFAULT))
def test_defaults_equal_torch_defaults(key):
    ours, theirs = activations.get(key).make().eval(), TORCH_DEFAULT[key]().eval()
    assert type(ours) is type(theirs)
    x = torch.linspace(-9, 9, 1001)
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)
    assert ours.state_dict().keys() == theirs.state_dict().keys()


def test_documented_default_values():
    assert activations.get("leaky_relu").make().negative_slope == 0.01
    assert activations.get("prelu").make().weight.item() == 0.25
    assert activations.get("prelu").make().weight.numel() == 1
    rrelu = activations.get("rrelu").make()
    assert (rrelu.lower, rrelu.upper) == (1 / 8, 1 / 3)
    assert activations.get("hardshrink").make().lambd == 0.5
    threshold = activations.get("threshold").make()
    assert (threshold.threshold, threshold.value) == (0.0, 0.0)


def test_rrelu_eval_slope_is_the_mean_of_its_bounds():
    module = activations.get("rrelu").function()
    x = torch.tensor([-2.0, -1.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(
        module(x.float()).double(), torch.tensor([-2 * 11 / 48, -11 / 48, 3.0]).double()
    )


def test_identity_and_step():
    x = torch.tensor([-1.5, 0.0, 2.0], requires_grad=True)
    assert isinstance(activations.get("identity").make(), nn.Identity)
    step = activations.get("step").make()
    y = step(x)
    assert y.tolist() == [0.0, 0.0, 1.0]
    (g,) = torch.autograd.grad(y.sum(), x)
    assert g.tolist() == [0.0, 0.0, 0.0]


def test_spec_fields_are_filled_and_params_consistent():
    for spec in activations.specs():
        assert spec.name and spec.latex and spec.origin and spec.note, spec.key
        assert spec.family in activations.FAMILIES
        for p in spec.params:
            assert p.min <= p.default <= p.max, (spec.key, p)
            assert p.step > 0
            # slider extremes build a working module
            for value in (p.min, p.max):
                out = spec.function(**{p.name: value})(torch.linspace(-3, 3, 7))
                assert torch.isfinite(out).all(), (spec.key, p.name, value)


def test_parameters_reach_the_module():
    assert activations.get("leaky_relu").make(negative_slope=0.2).negative_slope == 0.2
    assert activations.get("elu").make(alpha=2.0).alpha == 2.0
    ht = activations.get("hardtanh").make(min_val=-2.0, max_val=3.0)
    assert (ht.min_val, ht.max_val) == (-2.0, 3.0)
    sp = activations.get("softplus").make(beta=2.0, threshold=10.0)
    assert (sp.beta, sp.threshold) == (2.0, 10.0)


def test_bad_names_and_params_are_explained():
    with pytest.raises(KeyError, match="Known: relu"):
        activations.get("swishy")
    assert activations.get("ReLU").key == "relu"
    assert activations.get("Leaky-ReLU").key == "leaky_relu"
    with pytest.raises(TypeError, match="no parameter"):
        activations.get("relu").make(alpha=1.0)
    with pytest.raises(ValueError):
        activations.get("hardtanh").make(min_val=1.0, max_val=0.5)


def _finite_difference_points(spec: activations.ActivationSpec, h: float) -> np.ndarray:
    x = np.linspace(-7.9, 7.9, 397)
    for k in spec.kinks():
        x = x[np.abs(x - k) > 10 * h]
    return x


@pytest.mark.parametrize("key", EXPECTED_KEYS)
def test_autograd_derivative_matches_finite_differences_away_from_kinks(key):
    spec = activations.get(key)
    f = spec.function()
    h = 1e-6
    x = _finite_difference_points(spec, h)
    central = (properties.values(f, x + h) - properties.values(f, x - h)) / (2 * h)
    np.testing.assert_allclose(properties.derivatives(f, x), central, atol=2e-6, rtol=1e-6)


@pytest.mark.parametrize("key", ["gelu", "gelu_tanh", "silu", "mish", "softplus", "sigmoid", "tanh", "elu"])
def test_second_derivative_matches_finite_differences_of_the_first(key):
    spec = activations.get(key)
    f = spec.function()
    h = 1e-5
    x = _finite_difference_points(spec, h)
    x = x[np.abs(x) > 10 * h]  # ELU's f'' jumps at 0
    central = (properties.derivatives(f, x + h) - properties.derivatives(f, x - h)) / (2 * h)
    np.testing.assert_allclose(properties.derivatives(f, x, order=2), central, atol=1e-6, rtol=1e-5)


SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


@pytest.mark.parametrize(
    ("key", "params", "x0", "expected"),
    [
        ("relu", {}, 0.0, 0.0),
        ("leaky_relu", {}, 0.0, 0.01),
        ("leaky_relu", {"negative_slope": 0.2}, 0.0, 0.2),
        ("prelu", {}, 0.0, 0.25),
        ("relu6", {}, 0.0, 0.0),
        ("relu6", {}, 6.0, 0.0),
        ("hardtanh", {}, -1.0, 0.0),
        ("hardtanh", {}, 1.0, 0.0),
        ("elu", {"alpha": 2.0}, 0.0, 2.0),
        ("elu", {}, 0.0, 1.0),
        ("celu", {"alpha": 2.0}, 0.0, 1.0),
        ("selu", {}, 0.0, SELU_LAMBDA * SELU_ALPHA),
        ("step", {}, 0.0, 0.0),
    ],
)
def test_autograd_convention_at_kinks(key, params, x0, expected):
    f = activations.get(key).function(**params)
    assert properties.derivatives(f, np.array([x0]))[0] == pytest.approx(expected, rel=1e-6)


def test_selu_slope_at_zero_is_1_7581():
    assert properties.derivatives(activations.get("selu").function(), np.zeros(1))[0] == pytest.approx(
        1.7581, abs=1e-4
    )


KINK_CASES = [(key, {}) for key in EXPECTED_KEYS] + [
    ("hardtanh", {"min_val": -0.7, "max_val": 2.3}),
    ("threshold", {"threshold": 1.0, "value": -1.0}),
    ("softplus", {"beta": 1.0, "threshold": 2.0}),
    ("elu", {"alpha": 2.0}),
    ("leaky_relu", {"negative_slope": 0.5}),
    ("hardshrink", {"lambd": 1.3}),
    ("softshrink", {"lambd": 2.0}),
]


@pytest.mark.parametrize(("key", "params"), KINK_CASES)
def test_every_listed_kink_is_a_real_break(key, params):
    """One-sided finite differences (independent of the kink finder): f jumps, or its slopes differ."""
    spec = activations.get(key)
    f = spec.function(**params)
    h = 1e-7
    for k in spec.kinks(**params):
        if not -8 <= k <= 8:
            continue
        left, right = properties.values(f, np.array([k - h, k + h]))
        far_left, far_right = properties.values(f, np.array([k - 2 * h, k + 2 * h]))
        jump = abs(right - left) > 1e-3
        slope_left, slope_right = (left - far_left) / h, (far_right - right) / h
        assert jump or abs(slope_right - slope_left) > 1e-3, (key, params, k)


def test_kinks_follow_parameters():
    assert activations.get("hardtanh").kinks(min_val=-2.0, max_val=0.5) == [-2.0, 0.5]
    assert activations.get("leaky_relu").kinks(negative_slope=1.0) == []
    assert activations.get("elu").kinks(alpha=1.0) == []
    assert activations.get("elu").kinks(alpha=0.5) == [0.0]
    assert activations.get("softplus").kinks(beta=2.0, threshold=10.0) == [5.0]


def test_every_registry_entry_can_be_timed():
    seen = []
    costs = cost.measure_cost(EXPECTED_KEYS, n=2_000, repeats=1, progress=lambda d, t, k: seen.append((d, t)))
    assert list(costs) == EXPECTED_KEYS
    assert all(v > 0 and math.isfinite(v) for v in costs.values())
    assert seen[-1] == (len(EXPECTED_KEYS), len(EXPECTED_KEYS))
    assert set(cost.relative_to(costs)) == set(EXPECTED_KEYS)


def test_relative_cost_divides_by_the_reference():
    # hand-made timings, so the expected ratios are known without timing anything
    costs = {"relu": 2.0e-6, "tanh": 3.0e-6, "identity": 1.0e-6}
    assert cost.relative_to(costs) == {"relu": 1.0, "tanh": 1.5, "identity": 0.5}
    assert cost.relative_to(costs, reference="tanh") == {"relu": 2 / 3, "tanh": 1.0, "identity": 1 / 3}
    with pytest.raises(KeyError):
        cost.relative_to({"tanh": 1.0})
