"""Region-count theory: Zaslavsky's one-layer maximum, Serra et al.'s deep bound, the reference scale."""

from __future__ import annotations

import itertools
from math import comb, prod

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_viz import bounds


def serra_by_enumeration(widths: list[int]) -> int:
    """Theorem 1 of Serra et al. 2018 summed literally over the index set J (independent of the DP)."""
    n0, hidden = widths[0], widths[1:-1]
    total = 0
    for js in itertools.product(*(range(min(n0, n) + 1) for n in hidden)):
        ok = all(j <= min([n0, hidden[i]] + [hidden[k] - js[k] for k in range(i)]) for i, j in enumerate(js))
        if ok:
            total += prod(comb(n, j) for n, j in zip(hidden, js, strict=True))
    return total


def test_one_layer_maximum_known_values():
    assert bounds.one_layer_max(8) == 37
    assert bounds.one_layer_max(16) == 137
    assert bounds.one_layer_max(0) == 1
    assert bounds.one_layer_max(1) == 2
    assert bounds.one_layer_max(2) == 4  # two crossing lines: four quadrants
    assert bounds.one_layer_max(5, d=1) == 6  # five points cut a line into six pieces
    assert bounds.one_layer_max(3, d=3) == 8  # three planes in general position: octants


@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 16, 64])
def test_serra_equals_one_layer_maximum_for_one_hidden_layer(n):
    assert bounds.serra_upper_bound([2, n, 1]) == bounds.one_layer_max(n) == 1 + n + comb(n, 2)


def test_serra_worked_example():
    # n0 = 2, widths 2, 2: j1 = 0 -> 1·(1 + 2 + 1), j1 = 1 -> 2·(1 + 2), j1 = 2 -> 1·1: 4 + 6 + 1 = 11.
    assert bounds.serra_upper_bound([2, 2, 2, 1]) == 11
    # The UI's example: [2, 16, 16, 1] can have at most 137² regions.
    assert bounds.serra_upper_bound([2, 16, 16, 1]) == 137**2 == 18_769


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=4), st.integers(1, 3))
def test_serra_dynamic_programme_matches_the_theorem(hidden, n0):
    widths = [n0, *hidden, 1]
    assert bounds.serra_upper_bound(widths) == serra_by_enumeration(widths)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 20), min_size=1, max_size=4), st.data())
def test_serra_is_monotone_in_width_and_below_the_product_bound(hidden, data):
    layer = data.draw(st.integers(0, len(hidden) - 1))
    wider = list(hidden)
    wider[layer] += 1
    assert bounds.serra_upper_bound([2, *hidden, 1]) <= bounds.serra_upper_bound([2, *wider, 1])
    assert bounds.serra_upper_bound([2, *hidden, 1]) <= bounds.product_upper_bound([2, *hidden, 1])


def test_exact_integers_for_deep_nets():
    big = bounds.serra_upper_bound([2] + [64] * 12 + [1])
    assert isinstance(big, int)
    assert big > 2**53  # float arithmetic would have rounded it
    assert big <= bounds.one_layer_max(64) ** 12


def test_upper_bound_chooses_by_activation():
    widths = [2, 16, 16, 1]
    assert bounds.upper_bound(widths) == bounds.serra_upper_bound(widths)
    # Leaky ReLU: only the product bound, (1 + 16 + 120)² here, which equals Serra for two layers of 16.
    assert bounds.upper_bound(widths, relu_like=False) == bounds.product_upper_bound(widths) == 137**2
    # Hardtanh = two ReLUs per unit: Serra with 32-wide layers, and never above the product bound.
    ht = bounds.upper_bound(widths, breakpoints=2)
    assert ht == min(bounds.serra_upper_bound([2, 32, 32, 1]), bounds.product_upper_bound(widths, 2))


def test_hanin_rolnick_scale():
    assert bounds.hanin_rolnick_scale(32, 16.0) == 32**2 / 2 * 16
    assert bounds.hanin_rolnick_scale(0, 16.0) == 0


def test_describe_count():
    text = bounds.describe_count(391, [2, 16, 16, 1], 16.0)
    assert text == "your network: 391 regions; the most it could have: 18,769"
    assert "more than 20,000 regions" in bounds.describe_count(20_000, [2, 64, 64, 1], 16.0, truncated=True)
    assert "1 region;" in bounds.describe_count(1, [2, 1], 16.0)
    assert "8,192" in bounds.describe_count(391, [2, 16, 16, 1], 16.0, with_scale=True)
    huge = bounds.describe_count(5, [2] + [64] * 12 + [1], 16.0)
    assert "× 10^" in huge


def test_rejects_bad_widths():
    with pytest.raises(ValueError):
        bounds.serra_upper_bound([2])
    with pytest.raises(ValueError):
        bounds.one_layer_max(-1)
    with pytest.raises(ValueError):
        bounds.upper_bound([2, 4, 4, 1], breakpoints=[1])
