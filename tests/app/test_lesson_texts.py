"""Every lesson says only what its link shows: each test opens the lesson's link (the page builds its run
from the URL exactly as a student's browser would), takes that run's data, network and settings into the
engine, runs the short measurement the text relies on, and checks the text's numbers or direction."""

from __future__ import annotations

import pytest
import torch

from relu_viz import experiment, formula, gradient_flow, lessons, neurons, regions
from relu_viz.experiment import Run
from tests.app.conftest import open_page


def page_run(lesson_id: str, slot: str = "trainer_run", **changes) -> Run:
    """A fresh copy of the run the lesson's link builds in ``slot`` (the page's own run is stopped), with
    ``changes`` applied to its model spec (e.g. ``init="he"``) or train settings (e.g. ``lr=0.03``)."""
    link = lessons.lesson(lesson_id).link
    at = open_page(link.page, **link.query_params())
    assert not at.exception, at.exception
    live = at.session_state[slot]
    live.worker.stop()
    run = live.run
    spec, settings = run.spec, run.trainer.settings
    spec_changes = {k: v for k, v in changes.items() if hasattr(spec, k)}
    settings_changes = {k: v for k, v in changes.items() if k not in spec_changes}
    spec = type(spec)(**{**spec.__dict__, **spec_changes})
    settings = type(settings)(**{**settings.__dict__, **settings_changes})
    share = len(run.train_idx) / len(run.dataset)
    return experiment.start(run.dataset, share, spec, settings)


def dead_units(run: Run) -> tuple[int, int]:
    dead = neurons.layer_masks(run.model, run.x_train).dead
    return sum(int(d.sum()) for d in dead), sum(d.size for d in dead)


def test_what_relu_computes():
    # "Read the curve at -5, -2, 0, 3 and 6: the outputs are 0, 0, 0, 3 and 6. The derivative is 0 on the
    # left and 1 on the right."
    text = lessons.lesson("what_relu_computes").look
    assert "0, 0, 0, 3 and 6" in text and "-5, -2, 0, 3 and 6" in text
    x = torch.tensor([-5.0, -2.0, 0.0, 3.0, 6.0], requires_grad=True)
    y = torch.relu(x)
    assert y.tolist() == [0.0, 0.0, 0.0, 3.0, 6.0]
    (g,) = torch.autograd.grad(y.sum(), x)
    assert g.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_derivative_at_zero():
    # "torch's relu gives 0 ... clamp(x, 0) ... autograd gives 1 ... max(0, x) (gradient split 0.5/0.5)
    # and where(x > 0, x, 0) (gives 0)"
    item = lessons.lesson("derivative_at_zero")
    assert item.link.query["formula"] == "clamp(x, 0)"
    wanted = {"relu(x)": 0.0, "clamp(x, 0)": 1.0, "max(0, x)": 0.5, "where(x > 0, x, 0)": 0.0}
    for text, value in wanted.items():
        t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(formula.parse(text)(t).sum(), t)
        assert float(g) == value, text
        assert text in item.look + item.try_next or text == "relu(x)"
    # the three formulas draw the same curve
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    curves = [formula.parse(t)(x) for t in wanted]
    assert all(torch.equal(curves[0], c) for c in curves)


def test_vanishing_gradients():
    # sigmoid shrinks the gradient through 20 layers, ReLU does not; the default init moves ReLU's line
    link = lessons.lesson("vanishing_gradients").link
    depth = int(link.query["depth"])
    auto = {k: gradient_flow.default_init(k) for k in link.query["vg"]}
    ratio = {k: gradient_flow.gradient_ratio(k, [depth], init=auto[k])[0] for k in auto}
    assert ratio["sigmoid"] < 1e-6 * ratio["relu"]
    relu_default = gradient_flow.gradient_ratio("relu", [depth], init="default")[0]
    assert relu_default < 1e-3 * ratio["relu"]  # "watch ReLU's line move" (down, a long way)


def test_init_schemes():
    # "He keeps ReLU's ratio within a factor of ten of one layer's at 20 layers; the default loses a
    # factor of millions"
    item = lessons.lesson("init_schemes")
    assert item.link.query["init"] == "default"
    he = gradient_flow.gradient_ratio("relu", [1, 20], init="he")
    default = gradient_flow.gradient_ratio("relu", [1, 20], init="default")
    assert he[0] / he[1] < 10
    assert default[0] / default[1] > 1e6
    assert "ten" in item.try_next and "million" in item.try_next


def test_linear_or_not():
    # identity: XOR stays unsolved and the loss stalls; relu: solved
    linear = page_run("linear_or_not")
    losses = []
    for _ in range(4):
        linear.trainer.run_epochs(25)
        losses.append(linear.trainer.evaluate().train_loss)
    assert linear.trainer.evaluate().train_acc <= 0.75
    assert losses[-1] > 0.6 and abs(losses[-1] - losses[1]) < 0.02  # stalled
    relu = page_run("linear_or_not", activations=("relu", "relu"))
    relu.trainer.run_epochs(100)
    assert relu.trainer.evaluate().train_acc >= 0.95


def test_counting_pieces():
    # the count is exact, and one layer of n units has at most 1 + n + n(n-1)/2 regions
    run = page_run("counting_pieces")
    part = regions.partition(run.model)
    assert part.n_linear_regions > 1 and not part.truncated
    areas = part.areas.sum()
    assert areas == pytest.approx(144.0)  # the pieces tile the [-6, 6]² box
    for n in (4, 8, 16):
        one = page_run("counting_pieces", hidden=(n,), activations=("relu",))
        count = regions.partition(one.model).n_linear_regions
        assert 1 < count <= 1 + n + n * (n - 1) // 2


def test_zero_init():
    # all units identical and staying so; He init makes them differ from the first step
    run = page_run("zero_init")
    run.trainer.run_epochs(20)
    first = run.model[0]
    rows = torch.cat([first.weight, first.bias[:, None]], dim=1).detach()
    assert float((rows - rows[0]).abs().max()) == 0.0
    he = page_run("zero_init", init="he")
    rows = torch.cat([he.model[0].weight, he.model[0].bias[:, None]], dim=1).detach()
    assert float((rows - rows[0]).abs().max()) > 0.1


def test_loss_functions():
    # squared error on the probabilities learns more slowly; confidently wrong, cross-entropy pushes back
    # harder: dL/dz for a logit z = -6 when the class is 1
    se = page_run("loss_functions")
    ce = page_run("loss_functions", loss="cross_entropy")
    for run in (se, ce):
        run.trainer.run_epochs(30)
    assert ce.trainer.evaluate().train_acc > se.trainer.evaluate().train_acc
    z = torch.tensor([-6.0], requires_grad=True)
    p = torch.sigmoid(z)
    (g_ce,) = torch.autograd.grad(torch.nn.functional.binary_cross_entropy_with_logits(z, torch.ones(1)), z)
    (g_se,) = torch.autograd.grad(((p - 1) ** 2).sum(), z)
    assert abs(float(g_ce)) > 100 * abs(float(g_se))


def test_dying_high_lr():
    # at learning rate 3 many units die; at 0.03 fewer (the page plays 500 steps a second: 2,000 steps
    # are four seconds of Play)
    fast = page_run("dying_high_lr", "dead_relu")
    slow = page_run("dying_high_lr", "dead_relu", lr=0.03)
    for run in (fast, slow):
        run.trainer.step(2000)
    dead_fast, n = dead_units(fast)
    dead_slow, _ = dead_units(slow)
    assert dead_fast > n / 2 and dead_slow < dead_fast


def test_born_dead():
    # bias -3: most first-layer units dead before training; deep and narrow dies more easily
    run = page_run("born_dead", "dead_relu")
    first = neurons.layer_masks(run.model, run.x_train).dead[0]
    assert first.sum() > first.size / 2
    assert neurons.survival_probability(2, 6) < neurons.survival_probability(8, 3)


def test_sparsity_at_initialisation():
    # "about what share of a ReLU layer's outputs is zero at initialisation": about half; LeakyReLU: none
    relu = page_run("sparsity", "dead_relu")
    leaky = page_run("sparsity", "dead_variant")
    for run, low, high in ((relu, 0.3, 0.7), (leaky, 0.0, 0.0)):
        x = torch.as_tensor(run.x_train)
        h = x
        with torch.no_grad():
            for module in run.model[:-1]:
                h = module(h)
                if not isinstance(module, torch.nn.Linear):
                    share = float((h == 0).double().mean())
                    assert low <= share <= high, (run.spec.activations, share)
    assert "exactly 0" in lessons.lesson("sparsity").look


def test_every_lesson_is_checked_here():
    names = {n.removeprefix("test_") for n in globals() if n.startswith("test_")}
    names |= {"sparsity"}  # test_sparsity_at_initialisation
    missing = [x.id for x in lessons.LESSONS if x.id not in names and x.id != "leaky_and_elu"]
    assert not missing, missing


def fit_run(lesson_id: str, **spec_changes):
    """A fresh copy of the fit the lesson's link builds (the page's own run is stopped), with
    ``spec_changes`` applied to its FitSpec (e.g. ``hidden=(16,)``); ``target`` swaps the points."""
    from relu_viz import fit

    link = lessons.lesson(lesson_id).link
    at = open_page(link.page, **link.query_params())
    assert not at.exception, at.exception
    live = at.session_state["fit_run"]
    live.worker.stop()
    run = live.run
    data = run.data
    target = spec_changes.pop("target", None)
    if target is not None:
        data = fit.make_data(target, len(data), 0.0, run.spec.seed)
    spec = type(run.spec)(**{**run.spec.__dict__, **spec_changes})
    return fit.start(data, spec, run.trainer.settings)


def test_one_kink_per_unit():
    # "4 units make at most 4 kinks. ... |x| needs only one kink, and within 500 epochs the error falls
    # below 0.001" / "sawtooth (5 corners) ... within 1,000 epochs the error stays above 0.05. Then give
    # the layer 16 units: it falls below 0.02."
    from relu_viz import fit

    item = lessons.lesson("one_kink_per_unit")
    assert "4 units make at most 4 kinks" in item.look and "below 0.001" in item.look
    run = fit_run("one_kink_per_unit")
    assert run.spec.hidden == (4,) and run.data.target == "abs"
    assert fit.TARGETS["abs"].corners == (0.0,)
    assert regions.kink_bound(run.model) == 4
    for _ in range(10):
        run.trainer.run_epochs(50)
        assert fit.kink_count(run.model, run.data.domain).count <= 4
    assert run.trainer.evaluate().train_loss < 0.001
    assert len(fit.TARGETS["sawtooth"].corners) == 5
    four = fit_run("one_kink_per_unit", target="sawtooth")
    for _ in range(20):
        four.trainer.run_epochs(50)
        assert fit.kink_count(four.model, four.data.domain).count <= 4
    assert four.trainer.evaluate().train_loss > 0.05
    sixteen = fit_run("one_kink_per_unit", target="sawtooth", hidden=(16,))
    sixteen.trainer.run_epochs(1000)
    assert sixteen.trainer.evaluate().train_loss < 0.02


def test_depth_multiplies_kinks():
    # "the most kinks is 17 x 17 - 1 = 288, against 16 for one layer of 16 ... within 1,000 epochs the
    # fit turns at all 5 corners of the sawtooth (a kink within 0.05 of each) and its error is below
    # 0.001" / "uses about 30 of the 288" / "tanh: ... no kinks to count"
    import numpy as np

    from relu_viz import fit

    run = fit_run("depth_multiplies_kinks")
    assert run.spec.hidden == (16, 16) and run.data.target == "sawtooth"
    assert regions.kink_bound(run.model) == 17 * 17 - 1 == 288
    assert regions.kink_bound(fit.FitSpec((16,)).build()) == 16
    run.trainer.run_epochs(1000)
    assert run.trainer.evaluate().train_loss < 0.001
    found = fit.kink_count(run.model, run.data.domain).kinks
    for corner in fit.TARGETS["sawtooth"].corners:
        assert np.abs(found - corner).min() < 0.05, corner
    assert 20 <= len(found) <= 40  # "about 30"
    smooth = fit_run("depth_multiplies_kinks", activation="tanh")
    with pytest.raises(regions.NotPiecewiseLinear):
        fit.kink_count(smooth.model, smooth.data.domain)
