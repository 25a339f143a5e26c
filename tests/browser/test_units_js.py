"""The browser's unit checks (relu_viz/js/forward.js: deadUnits, canDie, unitDifference, pictureGrid) in
Chromium against their Python twins (relu_viz.units, built on relu_viz.neurons).

No streamlit server: the bundle is imported into a blank page (as in test_geometry_js.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import activations, datasets, experiment, maps, network, neurons, units, wire
from relu_viz.training import TrainSettings
from tests.browser.test_geometry_js import bundled_page

BOX = (tuple(maps.DEFAULT_BOX[0]), tuple(maps.DEFAULT_BOX[1]))


@pytest.fixture(scope="module")
def fw(browser):
    yield from bundled_page(browser, ["forward.js"], name="fw")


def training_points(seed: int = 0) -> np.ndarray:
    """The circle's training points as the trainer splits them (float32, as the set-up sends them)."""
    data = datasets.make("circle", n=500, noise=0.1, seed=seed)
    train_idx, _ = data.split(0.5, seed=seed)
    return data.x[train_idx].astype(np.float32)


def js_dead(page, model: nn.Sequential, points: np.ndarray) -> dict:
    return page.evaluate(
        """([s, w, pts]) => {
            const d = fw.deadUnits(fw.unpackNet(s, w), Float64Array.from(pts));
            const arr = (k) => d.layers.map((L) => Array.from(L[k]));
            return { dead: arr("dead"), cutOff: arr("cutOff"), nonfinite: arr("nonfinite"),
                     nDead: d.nDead, nUnits: d.nUnits, canDie: d.canDie, deadLayer: d.deadLayer };
        }""",
        [wire.structure(model), wire.weights(model), points.astype(np.float64).reshape(-1).tolist()],
    )


def check_dead(page, model: nn.Sequential, points: np.ndarray) -> dict:
    """deadUnits equals relu_viz.units.dead_units on the same net and points; returns the JS answer."""
    got = js_dead(page, model, points)
    want = units.dead_units(model, points)
    assert got["dead"] == [m.astype(int).tolist() for m in want.dead]
    assert got["cutOff"] == [m.astype(int).tolist() for m in want.cut_off]
    assert got["nDead"] == want.n_dead and got["nUnits"] == want.n_units
    stats = neurons.unit_stats(model, points)
    assert got["canDie"] == bool(any(m.any() for m in stats.can_die))
    return got


def shifted(model: nn.Sequential, layer: int, shift: float) -> nn.Sequential:
    """``model`` with ``shift`` added to the biases of hidden layer ``layer``."""
    with torch.no_grad():
        network.hidden_layers(model)[layer][0].bias.add_(shift)
    return model


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_dead_units_match_python_on_he_nets_with_some_dead(fw, seed):
    """Negative biases kill some of the units (a mix of dead, alive and cut off)."""
    model = network.build([2, 8, 8, 8, 1], "relu", init="he", seed=seed, bias_std=2.0)
    shifted(model, 0, -3.0)
    got = check_dead(fw, model, training_points(seed))
    assert 0 < got["nDead"] < got["nUnits"], got


def test_all_dead_and_none_dead(fw):
    pts = training_points()
    all_dead = network.build([2, 16, 16, 1], "relu", init="he", seed=4, bias_init=-20.0)
    got = check_dead(fw, all_dead, pts)
    assert got["nDead"] == 16 + 16 and got["deadLayer"] == 1, got
    none_dead = network.build([2, 16, 16, 1], "relu", init="he", seed=4, bias_init=20.0)
    with torch.no_grad():  # z₁ = w·x + 20 > 0 on the circle (|x| ≤ 5.5), then z₂ = |W₂| a₁ + 20 > 0
        none_dead[2].weight.abs_()
    got = check_dead(fw, none_dead, pts)
    assert got["nDead"] == 0 and got["deadLayer"] == -1, got


def test_zero_init_relu_units_are_all_dead(fw):
    """W = 0, b = 0: every z is exactly 0, where autograd's ReLU'(0) = 0."""
    got = check_dead(fw, network.build([2, 8, 1], "relu", init="zeros"), training_points())
    assert got["nDead"] == 8 and got["deadLayer"] == 0, got


def test_a_real_lr_10_run_matches_python(fw):
    """The issue's case: the trainer's default [2, 8, 8, 1] ReLU net on the circle at learning rate 10."""
    data = datasets.make("circle", n=500, noise=0.0, seed=0)
    run = experiment.start(data, 0.5, experiment.ModelSpec(), TrainSettings(lr=10))
    run.trainer.step(2000)
    got = check_dead(fw, run.model, run.x_train.astype(np.float32))
    assert got["nDead"] >= 4, got


DYING = ["relu", "relu6", "threshold", "hardtanh", "hardsigmoid", "hardswish", "hardshrink", "softshrink"]
SMOOTH = ["leaky_relu", "prelu", "elu", "celu", "selu", "gelu", "silu", "sigmoid", "tanh", "softplus"]


@pytest.mark.parametrize("name", DYING + SMOOTH + ["step", "identity", "tanhshrink"])
def test_every_registry_activation_matches_python(fw, name):
    """Large biases push units into flat pieces; smooth activations report no dead unit (tanh' is 0 in
    float32 far out, but tanh cannot die: can_die is false)."""
    assert name in activations.names()
    pts = training_points(1)
    for shift in (-8.0, 0.0, 8.0):
        model = network.build([2, 6, 6, 1], name, init="he", seed=7, bias_std=1.0).eval()
        got = check_dead(fw, shifted(shifted(model, 0, shift), 1, shift), pts)
        if name in SMOOTH or name in ("identity", "tanhshrink"):
            assert got["nDead"] == 0 and not got["canDie"], (name, shift, got)
        if name == "relu" and shift == -8.0:
            assert got["nDead"] > 0


def test_per_unit_prelu_with_a_zero_slope_can_die(fw):
    model = network.build([2, 4, 1], lambda: nn.PReLU(4), init="he", seed=2, bias_init=-30.0)
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([0.0, 0.25, 0.0, 0.1]))
    got = check_dead(fw, model, training_points())
    assert got["dead"] == [[1, 0, 1, 0]], got


def test_can_die_matches_neurons(fw):
    cases = [nn.Hardtanh(-10, 10), nn.Hardtanh(-1, 1), nn.Threshold(-5.8, 0.0), nn.Threshold(0.5, 2.0)]
    cases += [nn.Softshrink(0.2), nn.Softshrink(0.3), nn.LeakyReLU(0.0), nn.ELU(0.0)]
    for act in cases:
        got = fw.evaluate("a => fw.canDie(a, 0)", wire.activation(act))
        assert got == bool(neurons.can_die(act)[0]), act


def js_difference(page, model: nn.Sequential) -> list:
    return page.evaluate(
        """([s, w, box, T]) => {
            const net = fw.unpackNet(s, w);
            const outs = fw.unitOutputs(net, fw.pictureGrid(box, T));
            return outs.map((v, l) => fw.unitDifference(v, net.widths[l + 1]));
        }""",
        [wire.structure(model), wire.weights(model), [list(BOX[0]), list(BOX[1])], units.THUMB],
    )


def test_picture_grid_matches_python(fw):
    got = fw.evaluate("([box, T]) => Array.from(fw.pictureGrid(box, T))", [[[-6, 6], [-5, 3]], 4])
    want = units.picture_grid(((-6, 6), (-5, 3)), 4)
    assert np.abs(np.asarray(got).reshape(-1, 2) - want).max() <= 1e-12


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid"])
def test_zero_init_units_are_identical(fw, act):
    model = network.build([2, 8, 8, 1], act, init="zeros")
    assert js_difference(fw, model) == [0.0, 0.0] == units.unit_difference(model, BOX)


def test_zero_init_units_stay_identical_after_training(fw):
    data = datasets.make("circle", n=200, noise=0.0, seed=0)
    spec = experiment.ModelSpec(hidden=(8,), activations=("relu",), init="zeros")
    run = experiment.start(data, 0.5, spec, TrainSettings(lr=0.03))
    run.trainer.step(500)
    assert js_difference(fw, run.model) == [0.0] == units.unit_difference(run.model, BOX)


@pytest.mark.parametrize(("widths", "act"), [([2, 8, 8, 1], "relu"), ([2, 4, 6, 1, 1], "tanh")])
def test_he_init_units_differ(fw, widths, act):
    model = network.build(widths, act, init="he", seed=3)
    got, want = js_difference(fw, model), units.unit_difference(model, BOX)
    assert [g is None for g in got] == [w is None for w in want]
    for g, w in zip(got, want, strict=True):
        if w is not None:
            assert g > 0 and abs(g - w) <= 1e-9 * max(1.0, w)
