"""relu_viz.fit: targets, data, regression training, hinges and kink counts; relu_viz.fit_stream payloads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from relu_viz import cohort, fit, fit_stream, formula, regions
from relu_viz.training import TrainSettings
from relu_viz.worker import TrainingWorker

SGD = TrainSettings(lr=0.03, optimizer="sgd", batch_size=10, loss="squared_error")


def test_targets_are_the_named_functions():
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(fit.target_function("sin")(x), np.sin(x))
    np.testing.assert_allclose(fit.target_function("abs")(x), np.abs(x))
    np.testing.assert_allclose(fit.target_function("step")(x), [0, 0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(fit.target_function("cubic")(x), x**3 - x)
    np.testing.assert_allclose(fit.target_function("sawtooth")(x), [0, 1, 0.5, 0, 0.5, 1, 0])
    np.testing.assert_allclose(fit.target_function(fit.FORMULA, "abs(x) - 1")(x), np.abs(x) - 1)
    assert fit.TARGETS["sawtooth"].corners == (-2.0, -1.0, 0.0, 1.0, 2.0)


def test_data_is_seeded_sorted_in_the_domain_and_noisy_on_request():
    a = fit.make_data("sin", 50, 0.0, seed=3)
    b = fit.make_data("sin", 50, 0.0, seed=3)
    assert a == b and len(a) == 50
    assert np.all(np.diff(a.x) >= 0) and a.x.min() >= -3 and a.x.max() <= 3
    np.testing.assert_allclose(a.y, np.sin(a.x))
    noisy = fit.make_data("sin", 2000, 0.1, seed=3)
    spread = np.std(noisy.y - np.sin(noisy.x))
    assert 0.17 < spread < 0.23  # 10% of the range 2 (sin over [-3, 3] spans about -1..1)
    cubic = fit.make_data("cubic", 20)
    assert cubic.domain == (-1.5, 1.5) and cubic.curve is not None


def test_formula_targets_use_the_safe_parser_and_report_bad_text():
    with pytest.raises(formula.FormulaError):
        fit.make_data(fit.FORMULA, 10, text="__import__('os')")
    with pytest.raises(formula.FormulaError) as err:
        fit.make_data(fit.FORMULA, 10, text="sin(x +")
    assert err.value.position >= 0
    with pytest.raises(formula.FormulaError, match="Type a formula"):
        fit.make_data(fit.FORMULA, 10, text="  ")
    partly = fit.make_data(fit.FORMULA, 100, text="log(x)")  # not finite for x <= 0
    assert 0 < len(partly) < 100 and np.all(partly.x > 0) and "left out" in partly.notes[0]
    with pytest.raises(ValueError, match="nothing to fit"):
        fit.make_data(fit.FORMULA, 10, text="log(-abs(x) - 1)")
    constant = fit.make_data(fit.FORMULA, 10, text="2")
    np.testing.assert_allclose(constant.y, 2.0)


def test_clicked_points():
    data = fit.make_data(fit.CLICKED, points=[(0.5, 1.0), (-1.0, 2.0), (float("nan"), 1.0)])
    np.testing.assert_allclose(data.x, [0.5, -1.0])
    np.testing.assert_allclose(data.y, [1.0, 2.0])
    assert data.curve is None
    with pytest.raises(ValueError, match="At least 2 points"):
        fit.start(fit.make_data(fit.CLICKED, points=[(0.0, 0.0)]), fit.FitSpec(), SGD)


def test_spec_limits():
    assert fit.FitSpec((16, 16)).widths == [1, 16, 16, 1]
    assert fit.FitSpec(()).units == 0
    with pytest.raises(ValueError):
        fit.FitSpec((8,) * 5)
    with pytest.raises(ValueError):
        fit.FitSpec((65,))


def test_training_lowers_the_mean_squared_error_and_is_reproducible():
    data = fit.make_data("sin", 100)
    run = fit.start(data, fit.FitSpec((8,)), SGD)
    before = run.trainer.evaluate().train_loss
    with torch.no_grad():
        pred = run.model(torch.from_numpy(data.x.astype(np.float32)).reshape(-1, 1)).double().numpy()[:, 0]
    assert before == pytest.approx(np.mean((pred - data.y) ** 2), rel=1e-5)
    run.trainer.run_epochs(200)
    after = run.trainer.evaluate().train_loss
    assert after < 0.02 < before
    again = fit.start(data, fit.FitSpec((8,)), SGD)
    again.trainer.run_epochs(200)
    np.testing.assert_array_equal(again.trainer.theta(), run.trainer.theta())
    hist = run.trainer.history.to_arrays()
    assert hist["train_loss"][-1] == pytest.approx(after) and np.isnan(hist["train_acc"]).all()
    assert cohort.batch_key(run.trainer) is None  # never batched with the classifiers


def test_every_optimizer_and_a_deep_net_train():
    data = fit.make_data("abs", 60)
    for opt in ("sgd", "momentum", "adam"):
        run = fit.start(
            data, fit.FitSpec((8, 8)), TrainSettings(lr=0.01, optimizer=opt, loss="squared_error")
        )
        start = run.trainer.evaluate().train_loss
        run.trainer.run_epochs(100)
        assert run.trainer.evaluate().train_loss < 0.5 * start, opt
    linear = fit.start(data, fit.FitSpec(()), SGD)  # no hidden layer: a straight line
    linear.trainer.run_epochs(50)
    assert fit.kink_count(linear.model, data.domain).count == 0


def test_divergence_is_caught_with_the_last_good_weights_kept():
    data = fit.make_data(fit.FORMULA, 50, text="1000*x")
    run = fit.start(data, fit.FitSpec((8,)), TrainSettings(lr=10.0, loss="squared_error"))
    run.trainer.run_epochs(20)
    assert run.trainer.status == "diverged" and "squared error" in run.trainer.message
    assert np.isfinite(run.trainer.theta()).all()


def test_the_training_thread_trains_a_fit():
    run = fit.start(fit.make_data("sin", 50), fit.FitSpec((4,)), SGD)
    worker = TrainingWorker(run.trainer)
    try:
        worker.play(steps=30)
        assert worker.wait_paused(10)
        assert worker.snapshot().step == 30
    finally:
        worker.stop()


def test_hinges_sum_to_the_network_and_bend_at_their_breakpoints():
    run = fit.start(fit.make_data("sin", 50), fit.FitSpec((6,)), SGD)
    run.trainer.run_epochs(20)
    h = fit.hinges(run.model)
    xs = np.linspace(-3, 3, 301)
    np.testing.assert_allclose(h.total(xs), run.trainer.predict(xs), atol=1e-5)
    np.testing.assert_allclose(h.breakpoints, -h.b / h.w)
    values = h.values(xs)
    for j, x0 in enumerate(h.breakpoints):  # zero on one side of the breakpoint
        side = xs * np.sign(h.w[j]) < x0 * np.sign(h.w[j])
        assert np.all(values[j][side] == 0)
    inside = h.breakpoints[(h.breakpoints > -3) & (h.breakpoints < 3) & (h.a != 0)]
    count = fit.kink_count(run.model, (-3, 3))
    np.testing.assert_allclose(count.kinks, np.sort(inside), atol=1e-6)
    assert count.units == 6 and count.bound == 6
    assert count.describe() == f"{count.count} kinks from 6 units (at most 6)"
    assert fit.hinges(fit.FitSpec((4, 4)).build()) is None


def test_kink_count_refuses_smooth_networks():
    with pytest.raises(regions.NotPiecewiseLinear):
        fit.kink_count(fit.FitSpec((4,), "tanh").build(), (-1, 1))


def test_stream_payloads_are_small_json():
    data = fit.make_data("sawtooth", 100)
    run = fit.start(data, fit.FitSpec((16, 16)), SGD)
    worker = TrainingWorker(run.trainer)
    try:
        worker.play(steps=50)
        worker.wait_paused(10)
        snap = worker.snapshot()
    finally:
        worker.stop()
    setup = fit_stream.setup_payload("fit_run", "r1", run, run.model, snap, 480)
    assert setup["setup"]["bound"] == 288 and setup["setup"]["units"] == 32
    assert setup["setup"]["kinks"] == pytest.approx(regions.kinks(run.model, -3, 3).tolist())
    frame = fit_stream.update_payload("fit_run", "r1", snap, fit_stream.last_step(snap.history) - 20)
    assert len(json.dumps(frame)) < 3000 and frame["frame"]["step"] == 50
    assert all(s > 30 for s in frame["frame"]["rows"]["step"])
    smooth = fit.start(data, fit.FitSpec((4,), "tanh"), SGD)
    payload = fit_stream.setup_payload("fit_run", "r2", smooth, smooth.model, worker.snapshot(), 480)
    assert payload["setup"]["pwl"] is False and "smooth" in payload["setup"]["not_pwl_reason"]
