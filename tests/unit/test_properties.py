"""relu_viz.properties: measured properties agree with known mathematical facts, and the numerical kink
finder finds exactly the registry's kinks (and typed formulas' kinks) with autograd's value there."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from relu_viz import activations, formula, properties


@pytest.fixture(scope="module")
def measured() -> dict[str, properties.Properties]:
    return {key: properties.measure(activations.get(key).function()) for key in activations.names()}


def test_max_slopes_are_the_known_values(measured):
    assert measured["sigmoid"].max_abs_df == pytest.approx(0.25, abs=1e-9)
    assert measured["sigmoid"].argmax_abs_df == pytest.approx(0.0, abs=1e-3)
    assert measured["tanh"].max_abs_df == pytest.approx(1.0, abs=1e-9)
    # GELU: f'' = φ(x)(2 - x²) vanishes at x = √2, where f' = Φ(√2) + √2 φ(√2).
    root2 = math.sqrt(2.0)
    gelu_max = 0.5 * (1 + math.erf(1.0)) + root2 * math.exp(-1.0) / math.sqrt(2 * math.pi)
    assert measured["gelu"].max_abs_df == pytest.approx(gelu_max, abs=1e-6)
    assert gelu_max == pytest.approx(1.1289, abs=1e-4)
    assert measured["gelu"].argmax_abs_df == pytest.approx(root2, abs=2e-3)
    assert measured["silu"].max_abs_df == pytest.approx(1.0998, abs=1e-4)
    assert measured["mish"].max_abs_df == pytest.approx(1.0885, abs=1e-4)
    assert measured["hardsigmoid"].max_abs_df == pytest.approx(1 / 6, abs=1e-6)


def test_sparsity_is_the_share_of_exact_zeros(measured):
    assert measured["relu"].sparsity == pytest.approx(0.5, abs=0.01)  # P(z <= 0)
    assert measured["step"].sparsity == pytest.approx(0.5, abs=0.01)
    # Hardshrink zeroes |z| <= 0.5: P = erf(0.5 / √2).
    assert measured["hardshrink"].sparsity == pytest.approx(math.erf(0.5 / math.sqrt(2)), abs=0.01)
    # Hardsigmoid is exactly 0 for z <= -3: P = Φ(-3).
    assert measured["hardsigmoid"].sparsity == pytest.approx(0.5 * math.erfc(3 / math.sqrt(2)), abs=5e-4)
    for key in ("sigmoid", "tanh", "gelu", "elu", "softplus", "leaky_relu"):
        assert measured[key].sparsity == 0.0, key


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("relu", "C0"),
        ("relu6", "C0"),
        ("leaky_relu", "C0"),
        ("selu", "C0"),
        ("hardswish", "C0"),
        ("hardtanh", "C0"),
        ("softshrink", "C0"),
        ("threshold", "C0"),
        ("elu", "C1"),
        ("celu", "C1"),
        ("softsign", "C1"),
        ("gelu", "smooth"),
        ("gelu_tanh", "smooth"),
        ("silu", "smooth"),
        ("mish", "smooth"),
        ("softplus", "smooth"),
        ("sigmoid", "smooth"),
        ("tanh", "smooth"),
        ("logsigmoid", "smooth"),
        ("tanhshrink", "smooth"),
        ("identity", "smooth"),
        ("hardshrink", "discontinuous"),
        ("step", "discontinuous"),
    ],
)
def test_continuity_class(measured, key, expected):
    assert measured[key].continuity == expected


def test_continuity_depends_on_parameters():
    elu2 = activations.get("elu").function(alpha=2.0)
    assert properties.continuity_class(elu2) == "C0"  # slopes 2 and 1 meet at 0
    jump = activations.get("threshold").function(threshold=1.0, value=-1.0)
    assert properties.continuity_class(jump) == "discontinuous"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("relu", "[0, ∞)"),
        ("relu6", "[0, 6]"),
        ("sigmoid", "(0, 1)"),
        ("tanh", "(−1, 1)"),
        ("softsign", "(−1, 1)"),
        ("elu", "(−1, ∞)"),
        ("softplus", "(0, ∞)"),
        ("logsigmoid", "(−∞, 0)"),
        ("hardtanh", "[−1, 1]"),
        ("hardsigmoid", "[0, 1]"),
        ("step", "[0, 1]"),
        ("identity", "(−∞, ∞)"),
        ("tanhshrink", "(−∞, ∞)"),
    ],
)
def test_range_in_the_limits(measured, key, expected):
    assert measured[key].limit_range == expected


def test_attained_minimum_of_gelu_and_selu_lower_limit(measured):
    # GELU's minimum is attained where f'(x) = Φ(x) + x φ(x) = 0, near x = -0.7518.
    x = torch.tensor(-0.7518, dtype=torch.float64)
    gelu_min = float(x * 0.5 * (1 + torch.erf(x / math.sqrt(2))))
    assert measured["gelu"].infimum == pytest.approx(gelu_min, abs=1e-6)
    assert measured["gelu"].limit_range.startswith("[")
    selu = measured["selu"]
    assert selu.infimum == pytest.approx(-1.0507009873554805 * 1.6732632423543772, rel=1e-9)
    assert selu.limit_range.startswith("(")


def test_range_on_the_interval(measured):
    assert measured["relu"].range_on_interval == (0.0, 8.0)
    lo, hi = measured["sigmoid"].range_on_interval
    assert lo == pytest.approx(1 / (1 + math.exp(8))) and hi == pytest.approx(1 / (1 + math.exp(-8)))


def test_monotonic(measured):
    assert measured["sigmoid"].monotonic == "increasing"
    assert measured["relu"].monotonic == "non-decreasing"
    assert measured["gelu"].monotonic == "no"
    assert measured["silu"].monotonic == "no"
    assert properties.measure(formula.parse("-x")).monotonic == "decreasing"
    assert properties.measure(formula.parse("-relu(x)")).monotonic == "non-increasing"


def test_zero_centred_and_saturating(measured):
    for key in ("tanh", "selu", "softsign", "identity", "hardtanh"):
        assert measured[key].zero_centred, key
    for key in ("relu", "sigmoid", "softplus", "gelu", "elu"):
        assert not measured[key].zero_centred, key
    # E relu(z) = 1/√(2π) for z ~ N(0, 1).
    assert measured["relu"].mean == pytest.approx(1 / math.sqrt(2 * math.pi), abs=0.01)
    assert measured["sigmoid"].saturating == "at ±∞"
    assert measured["tanh"].saturating == "at ±∞"
    assert measured["relu"].saturating == "at −∞"
    assert measured["logsigmoid"].saturating == "at +∞"
    assert measured["identity"].saturating == "no"
    assert measured["leaky_relu"].saturating == "no"


def test_slope_at_zero_is_autograds_choice(measured):
    assert measured["relu"].df_at_0 == 0.0
    assert measured["leaky_relu"].df_at_0 == pytest.approx(0.01)
    assert measured["sigmoid"].df_at_0 == pytest.approx(0.25)
    # How a formula is written changes the derivative at the kink (design facts).
    slopes = {t: properties.measure(formula.parse(t)).df_at_0 for t in ("relu(x)", "where(x > 0, x, 0)")}
    slopes["clamp(x, 0)"] = properties.measure(formula.parse("clamp(x, 0)")).df_at_0
    slopes["max(0, x)"] = properties.measure(formula.parse("max(0, x)")).df_at_0
    assert slopes == {"relu(x)": 0.0, "where(x > 0, x, 0)": 0.0, "clamp(x, 0)": 1.0, "max(0, x)": 0.5}


@pytest.mark.parametrize("key", activations.names())
def test_kink_finder_finds_exactly_the_registry_kinks(key):
    spec = activations.get(key)
    expected = [k for k in spec.kinks() if -8 <= k <= 8]
    found = properties.find_kinks(spec.function(), -8, 8)
    assert found == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("hardtanh", {"min_val": -0.7, "max_val": 2.3}),
        ("softplus", {"beta": 1.0, "threshold": 2.0}),
        ("hardshrink", {"lambd": 1.3}),
        ("softshrink", {"lambd": 0.0}),
        ("rrelu", {"lower": 0.1, "upper": 0.9}),
    ],
)
def test_kink_finder_follows_parameters(key, params):
    spec = activations.get(key)
    assert properties.find_kinks(spec.function(**params)) == pytest.approx(spec.kinks(**params), abs=1e-6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max(0, x) + 0.1*sin(x)", [0.0]),
        ("abs(x - 0.7)", [0.7]),
        ("relu(x - 1/3)", [1 / 3]),
        ("clamp(x, -2.5, 1.25)", [-2.5, 1.25]),
        ("where(x > 1, 2, 0)", [1.0]),
        ("sqrt(abs(x))", [0.0]),
        ("x*x", []),
        ("tanh(x)", []),
    ],
)
def test_kink_finder_on_formulas(text, expected):
    assert properties.find_kinks(formula.parse(text)) == pytest.approx(expected, abs=1e-9)


def test_short_decimals_are_snapped_exactly():
    assert properties.find_kinks(formula.parse("abs(x - 0.7)")) == [0.7]


def test_breaks_of_the_second_derivative():
    assert properties.find_breaks(activations.get("softsign").function(), order=2) == [0.0]
    assert properties.find_breaks(activations.get("softsign").function(), order=1) == []


def test_second_derivative_against_closed_forms():
    x = np.linspace(-4, 4, 81)
    t = np.tanh(x)
    np.testing.assert_allclose(
        properties.derivatives(torch.tanh, x, order=2), -2 * t * (1 - t**2), atol=1e-12
    )
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(
        properties.derivatives(torch.sigmoid, x, order=2), s * (1 - s) * (1 - 2 * s), atol=1e-12
    )
    assert np.all(properties.derivatives(activations.get("identity").make(), x, order=2) == 0)
    assert np.all(properties.derivatives(activations.get("step").make(), x, order=2) == 0)
    with pytest.raises(ValueError):
        properties.derivatives(torch.tanh, x, order=3)


def test_curve_breaks_lines_only_where_a_function_jumps():
    relu = activations.get("relu").function()
    c = properties.curve(relu, -2, 2, n=41, kinks=[0.0])
    at = np.flatnonzero(c.x == 0.0)
    assert at.size == 1
    assert np.isnan(c.dy[at[0]]) and not np.isnan(c.y[at[0]])  # f' jumps at 0, f does not
    assert np.isnan(c.dy).sum() == 1 and not np.isnan(c.y).any()
    step = properties.curve(activations.get("step").function(), -2, 2, n=41, kinks=[0.0])
    assert np.isnan(step.y).sum() == 1
    assert np.all(np.diff(c.x) > 0)


def test_analyse_reports_autograd_value_at_each_kink():
    spec = activations.get("relu6")
    a = properties.analyse(spec.function(), -8, 8, spec.kinks())
    assert a.kinks == [(0.0, 0.0), (6.0, 0.0)]
    b = properties.analyse(formula.parse("max(0, x)"), -3, 3)
    assert b.kinks == [(0.0, 0.5)]
    assert b.properties.lo == -3 and b.curve.d2y is None


def test_table_row_is_readable(measured):
    row = measured["relu"].row()
    assert row["range over ℝ"] == "[0, ∞)"
    assert row["kinks at x"] == "0"
    assert row["continuity"] == "C0"
