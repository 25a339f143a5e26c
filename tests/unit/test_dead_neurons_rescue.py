"""Does Leaky ReLU keep learning where ReLU's units die? The engine's measurement
(:func:`relu_viz.dead_neurons.rescue`, found by bench/leaky_rescue.py) on its seeds: at bias -2 with
Adam, ReLU's units die and it stays at chance while Leaky ReLU learns the circle; with plain SGD at the
same settings Leaky ReLU stalls beside ReLU (its units sit at z <= 0 and its gradient is too weak)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from relu_viz import dead_neurons as dn

CHANCE = math.log(2)


@pytest.fixture(scope="module")
def adam():
    return dn.rescue()


@pytest.fixture(scope="module")
def sgd():
    return dn.rescue(replace(dn.RESCUE_SETTINGS, optimizer="sgd"))


def test_rescue_settings_are_the_page_defaults_but_bias_and_optimizer():
    s, d = dn.RESCUE_SETTINGS, dn.MonitorSettings()
    assert (s.bias, s.optimizer) == (-2.0, "adam")
    assert replace(s, bias=d.bias, optimizer=d.optimizer) == d
    assert s.variant == "leaky_relu"
    # reachable by pressing Play: at most 20 s at the page's speed
    assert dn.RESCUE_STEPS / dn.STEPS_PER_SECOND <= 20


def test_with_adam_relu_dies_at_chance_while_leaky_relu_learns_on_every_seed(adam):
    assert adam.seeds == dn.RESCUE_SEEDS and len(adam.seeds) >= 3
    for relu, leaky in zip(adam.relu, adam.variant, strict=True):
        assert relu.steps == leaky.steps == dn.RESCUE_STEPS
        assert relu.dead > relu.n_units / 2, relu
        assert relu.loss == pytest.approx(CHANCE, abs=0.01) and relu.accuracy <= 0.55, relu
        assert leaky.status == "ok" and leaky.dead == 0
        assert leaky.loss < 0.1 and leaky.accuracy >= 0.95, leaky
        assert relu.loss - leaky.loss >= dn.RESCUE_MIN_GAP
    assert adam.rescued().all()
    assert (adam.loss_gap > 0.5).all()


def test_with_plain_sgd_leaky_relu_stalls_beside_relu(sgd):
    for relu, leaky in zip(sgd.relu, sgd.variant, strict=True):
        assert relu.dead > relu.n_units / 2
        assert leaky.dead == 0  # never dead ...
        assert leaky.negative > leaky.n_units / 2  # ... but most units sit at z <= 0 on every input
        assert leaky.loss == pytest.approx(CHANCE, abs=0.01), leaky  # and it learns nothing either
    assert not sgd.rescued().any()
    assert np.abs(sgd.loss_gap).max() < 0.01


def test_outcome_counts_match_the_page_census_definitions(adam):
    relu = adam.relu[0]
    assert relu.activation == "relu" and relu.seed == adam.seeds[0]
    assert relu.n_units == 24 and relu.negative == relu.dead  # for ReLU dead is z <= 0 everywhere
    assert relu.curve_steps[-1] == dn.RESCUE_STEPS and len(relu.curve_loss) == len(relu.curve_steps)
    assert adam.seconds > 0
