"""relu_viz.sweep: the batched learning-rate x bias phase diagram equals separate plain-torch runs.

Small grids and short runs on moons made here with numpy; the batched result is compared with
hand-written torch training loops of the same models, and with ``run_sequential``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from relu_viz import network, neurons, sweep
from tests.unit import toy_data

WIDTHS = [2, 8, 8, 1]


def moons(n: int = 200, seed: int = 0, scale: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`tests.unit.toy_data.moons` as float32 points."""
    x, y = toy_data.moons(n, seed, scale)
    return x.astype(np.float32), y


def plain_run(x, y, widths, act, lr, bias, steps, init="he", seed=0) -> nn.Sequential:
    """One model trained the textbook way: build, full-batch SGD on the mean BCE, ``steps`` times."""
    model = network.build(widths, act, init=init, seed=seed, bias_init=bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    xt, yt = torch.tensor(x), torch.tensor(y, dtype=torch.float32)
    for _ in range(steps):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(xt)[:, 0], yt).backward()
        opt.step()
    return model


def assert_state_close(result: sweep.PhaseResult, i: int, j: int, model: nn.Sequential, atol=1e-5) -> None:
    got = result.state_dict(i, j)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(got[name], value, atol=atol, rtol=1e-5, msg=f"{name} of model ({i}, {j})")


def test_batched_models_equal_separate_plain_torch_runs():
    x, y = moons()
    lrs, biases = [0.05, 0.3], [-1.0, 0.0, 0.5]
    result = sweep.phase_diagram(x, y, WIDTHS, nn.ReLU, lrs, biases, steps=80)
    assert (
        result.batched
        and result.dead_fraction.shape == (2, 3)
        and result.layer_dead_fraction.shape == (2, 3, 2)
    )
    for i, lr in enumerate(lrs):
        for j, b in enumerate(biases):
            model = plain_run(x, y, WIDTHS, nn.ReLU, lr, b, 80)
            assert_state_close(result, i, j, model)
            stats = neurons.unit_stats(model, x)
            assert result.dead_fraction[i, j] == stats.dead_fraction
            np.testing.assert_array_equal(result.layer_dead_fraction[i, j], stats.layer_dead_fraction)
            with torch.no_grad():
                loss = F.binary_cross_entropy_with_logits(
                    model(torch.tensor(x))[:, 0], torch.tensor(y).float()
                )
            assert result.final_loss[i, j] == pytest.approx(float(loss), rel=1e-5, abs=1e-6)
    # The runs differ from each other, so the comparison above could fail.
    assert not np.allclose(result.state["0.weight"][0], result.state["0.weight"][4])


def test_batched_and_sequential_runs_agree():
    x, y = moons(n=150, seed=1)
    kw = dict(widths=[2, 6, 6, 6, 1], activation=nn.ReLU, learning_rates=[0.02, 0.2], bias_inits=[-0.5, 0.2])
    batched = sweep.phase_diagram(x, y, steps=60, **kw)
    sequential = sweep.run_sequential(x, y, steps=60, **kw)
    assert not sequential.batched
    for k in batched.state:
        np.testing.assert_allclose(batched.state[k], sequential.state[k], atol=1e-5, rtol=1e-5)
    np.testing.assert_array_equal(batched.dead_fraction, sequential.dead_fraction)
    np.testing.assert_array_equal(batched.born_dead_fraction, sequential.born_dead_fraction)
    np.testing.assert_allclose(batched.final_loss, sequential.final_loss, rtol=1e-5)


def test_chunked_training_gives_the_same_result(monkeypatch):
    x, y = moons(n=100, seed=4)
    kw = dict(
        widths=WIDTHS, activation=nn.ReLU, learning_rates=[0.05, 0.2, 1.0], bias_inits=[-0.5, 0.5], steps=25
    )
    whole = sweep.phase_diagram(x, y, **kw)
    monkeypatch.setattr(sweep, "MAX_BATCH_ELEMENTS", 100 * 17 * 2)  # two models per chunk: 3 chunks
    seen: list[float] = []
    chunked = sweep.phase_diagram(x, y, progress=seen.append, **kw)
    for k in whole.state:  # same computation; batch size may only change float rounding
        np.testing.assert_allclose(whole.state[k], chunked.state[k], atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(whole.final_loss, chunked.final_loss, rtol=1e-5)
    np.testing.assert_array_equal(whole.dead_fraction, chunked.dead_fraction)
    assert len(seen) >= 10 and seen[-1] == 1.0 and all(a <= b for a, b in itertools.pairwise(seen))


def test_parametric_activation_keeps_one_prelu_slope_per_model():
    x, y = moons(n=120, seed=2)
    lrs, biases = [0.05, 0.5], [-0.5, 0.5]
    result = sweep.phase_diagram(x, y, [2, 5, 5, 1], nn.PReLU, lrs, biases, steps=40)
    slopes = result.state["1.weight"]
    assert len(np.unique(slopes.round(6))) == 4  # each model learned its own slope
    for i, lr in enumerate(lrs):
        for j, b in enumerate(biases):
            assert_state_close(result, i, j, plain_run(x, y, [2, 5, 5, 1], nn.PReLU, lr, b, 40))


def test_input_features_are_built_and_trained_like_network_build_does():
    x, y = moons(n=120, seed=5)
    feats = ["x1", "x2", "x1sq", "x2sq"]
    result = sweep.phase_diagram(x, y, WIDTHS, nn.ReLU, [0.01], [0.0, -1.0], steps=30, features=feats)
    assert result.state["1.weight"].shape == (2, 8, 4)  # the first Linear reads 4 features
    for j, b in enumerate([0.0, -1.0]):
        model = network.build(WIDTHS, nn.ReLU, init="he", seed=0, bias_init=b, features=feats)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(30):
            opt.zero_grad()
            logits = model(torch.tensor(x))[:, 0]
            F.binary_cross_entropy_with_logits(logits, torch.tensor(y, dtype=torch.float32)).backward()
            opt.step()
        assert_state_close(result, 0, j, model)


def test_multiclass_and_mse_losses_match_plain_runs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 2)).astype(np.float32)
    y = np.argmax(x @ rng.normal(size=(2, 3)), axis=1)
    result = sweep.phase_diagram(x, y, [2, 6, 3], nn.ReLU, [0.1], [0.0, -0.5], steps=30, loss="mse")
    for j, b in enumerate([0.0, -0.5]):
        model = network.build([2, 6, 3], nn.ReLU, init="he", seed=0, bias_init=b)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        target = F.one_hot(torch.tensor(y), 3).float()
        for _ in range(30):
            opt.zero_grad()
            F.mse_loss(model(torch.tensor(x)), target).backward()
            opt.step()
        assert_state_close(result, 0, j, model)
    ce = sweep.phase_diagram(x, y, [2, 6, 3], nn.ReLU, [0.1], [0.0], steps=5)
    with pytest.raises(ValueError, match="loss"):
        sweep.phase_diagram(x, y, [2, 6, 3], nn.ReLU, [0.1], [0.0], steps=5, loss="hinge")
    assert np.isfinite(ce.final_loss).all()


def test_a_diverging_model_is_flagged_and_does_not_poison_the_others():
    x, y = moons()
    result = sweep.phase_diagram(x, y, WIDTHS, nn.ReLU, [0.1, 1e30], [0.0, 0.3], steps=50)
    assert result.diverged[1].all() and not result.diverged[0].any()
    assert np.isinf(result.final_loss[1]).all() and np.isnan(result.dead_fraction[1]).all()
    assert (result.diverged_step[1] >= 0).all() and (result.diverged_step[0] == -1).all()
    for j, b in enumerate([0.0, 0.3]):
        assert_state_close(result, 0, j, plain_run(x, y, WIDTHS, nn.ReLU, 0.1, b, 50))


def test_leaky_relu_grid_has_no_dead_units_and_relu_grid_does():
    x, y = moons(n=200, seed=3)
    lrs, biases = [0.03, 3.0], [-6.0, 0.0]
    relu = sweep.phase_diagram(x, y, [2, 8, 8, 8, 1], nn.ReLU, lrs, biases, steps=150)
    leaky = sweep.phase_diagram(x, y, [2, 8, 8, 8, 1], lambda: nn.LeakyReLU(0.01), lrs, biases, steps=150)
    assert relu.born_dead_fraction[0, 0] > relu.born_dead_fraction[0, 1]  # the bias axis kills at birth
    assert relu.dead_fraction[1, 1] > relu.dead_fraction[0, 1]  # the learning-rate axis kills in training
    finite = ~leaky.diverged
    assert finite.any() and (leaky.dead_fraction[finite] == 0).all()
    assert (leaky.born_dead_fraction == 0).all()
    assert leaky.negative_fraction[0, 0] > 0.5  # the same units sit in the negative regime instead


def test_progress_is_reported_every_tenth_and_ends_at_one():
    x, y = moons(n=60)
    seen: list[float] = []
    sweep.phase_diagram(x, y, WIDTHS, nn.ReLU, [0.1, 0.2], [0.0], steps=30, progress=seen.append)
    assert seen[0] == pytest.approx(0.1) and seen[-1] == 1.0
    assert len(seen) >= 10 and all(a <= b for a, b in itertools.pairwise(seen))
    seen.clear()
    sweep.run_sequential(x, y, WIDTHS, nn.ReLU, [0.1, 0.2], [0.0], steps=7, progress=seen.append)
    assert len(seen) >= 10 and seen[-1] == 1.0


def test_extreme_settings_never_raise_and_end_in_a_clear_state():
    x, y = moons(n=100)
    deep_narrow = [2, 1, 1, 1, 1, 1, 1, 1]
    result = sweep.phase_diagram(x, y, deep_narrow, nn.ReLU, [10.0, 0.03], [-5.0, 0.0], steps=40)
    ok = ~result.diverged
    assert np.isfinite(result.final_loss[ok]).all() and np.isinf(result.final_loss[~ok]).all()
    assert result.dead_fraction[0, 0] >= 5 / 6 and result.no_gradient_fraction[0, 0] == 1.0
    wide = sweep.phase_diagram(x, y, WIDTHS, nn.ReLU, [10.0], [-5.0, 5.0], steps=40)
    assert (np.isfinite(wide.final_loss) | wide.diverged).all()
    assert (np.isfinite(wide.dead_fraction) | wide.diverged).all()
    with pytest.raises(ValueError):
        sweep.phase_diagram(x, y, WIDTHS, nn.ReLU, [], [0.0])
    with pytest.raises(ValueError):
        sweep.phase_diagram(x, y, WIDTHS, nn.ReLU, [float("nan")], [0.0])
