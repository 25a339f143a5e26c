"""Each claim's demo measures what its verdict says: the verdict the page shows equals the one the
measurement's rule gives, and the numbers the explanation relies on are checked against values worked
out by hand (the definitions of ReLU, LeakyReLU and their derivatives) or against the other side of the
claim (the same experiment with the other activation or setting)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from relu_viz import claims, evidence


@pytest.fixture(scope="module")
def measured() -> dict[str, evidence.Evidence]:
    return {c.id: evidence.measure(c.id) for c in claims.CLAIMS}


def test_every_claim_has_a_measurement():
    assert {c.id for c in claims.CLAIMS} == set(evidence.MEASURES)


# Verdicts whose rule compares two timings: on a busy machine a timing ratio is no fact (two busy loops
# turned efficient's 1.03-1.05x into 3.6x), so here the rule is checked on fixed timings and the page's
# verdict at the ratio bench/efficiency_claim.py measures; the live measurement is only shown.
TIMED = {"efficient"}
MEASURED_STEP_RATIO = 1.05  # sigmoid / ReLU whole training step, bench/efficiency_claim.py, 2-core machine


@pytest.mark.parametrize(
    "claim",
    [c for c in claims.CLAIMS if c.id not in TIMED],
    ids=[c.id for c in claims.CLAIMS if c.id not in TIMED],
)
def test_the_measurement_supports_the_verdict_shown(claim, measured):
    found = measured[claim.id]
    assert found.verdict == claim.verdict, (claim.id, found.finding, found.facts)
    assert found.facts and found.finding and found.setup


def _fixed_timings(monkeypatch, relu_step: float, sigmoid_step: float) -> None:
    steps = {"relu": relu_step, "sigmoid": sigmoid_step}
    monkeypatch.setattr(evidence, "_step_seconds", lambda key, repeats=5, steps_=200: steps[key])
    costs = {"relu": 0.7e-3, "sigmoid": 0.85e-3, "tanh": 3.1e-3}
    monkeypatch.setattr(
        evidence.cost, "measure_cost", lambda keys, n=0, repeats=0, **_: {k: costs[k] for k in keys}
    )


@pytest.mark.parametrize(
    ("ratio", "verdict"), [(1.0, "depends"), (1.49, "depends"), (1.5, "holds"), (3.6, "holds")]
)
def test_efficiency_rule_turns_the_step_ratio_into_the_verdict(monkeypatch, ratio, verdict):
    step = 2.0**-14  # about 61 µs; a power of two, so the ratio 1.5 is exact
    _fixed_timings(monkeypatch, step, step * ratio)
    found = evidence.efficient()
    assert found.verdict == verdict
    assert found.fact("training step, ReLU (µs)") == pytest.approx(1e6 * step)
    assert found.fact("training step, sigmoid (µs)") == pytest.approx(1e6 * step * ratio)
    assert found.fact("ReLU, ms per million elements (forward + backward)") == pytest.approx(0.7)
    assert f"{ratio:.2f}× ReLU's" in found.finding


def test_the_page_shows_the_efficiency_verdict_of_the_measured_ratio(monkeypatch):
    _fixed_timings(monkeypatch, 40e-6, 40e-6 * MEASURED_STEP_RATIO)
    (claim,) = [c for c in claims.CLAIMS if c.id == "efficient"]
    assert evidence.efficient().verdict == claim.verdict == "depends"


def test_relu_linear_numbers(measured):
    e = measured["relu_linear"]
    assert e.fact("f(1 + (−1)) = f(0)") == 0.0 and e.fact("f(1) + f(−1)") == 1.0
    assert e.fact("XOR, ReLU network: training accuracy") >= 0.95
    assert e.fact("XOR, same network with identity: training accuracy") <= 0.75
    assert e.fact("linear regions of the ReLU network on [−6, 6]²") >= 2


def test_definition_numbers_match_the_formula(measured):
    m = measured["max_at_one"]
    assert (m.fact("f(1)"), m.fact("f(10)"), m.fact("f(1000)")) == (1.0, 10.0, 1000.0)
    lv = measured["levels_out"]
    assert lv.fact("ReLU f′(10⁶)") == 1.0
    s = 1 / (1 + math.exp(-10))
    assert lv.fact("sigmoid f′(10)") == pytest.approx(s * (1 - s), rel=1e-9)
    same = measured["same_result"]
    # 201 points of [-5, 5] at step 0.05: 100 negatives (all 0), 0 itself, 100 positives
    assert same.fact("distinct outputs for 201 inputs in [−5, 5]") == 101
    assert same.fact("distinct outputs for the 100 negative inputs") == 1
    leaky = measured["leaky_slope"]
    assert leaky.fact("LeakyReLU f′(−3)") == pytest.approx(0.01)
    assert leaky.fact("LeakyReLU f(−3)") == pytest.approx(-0.03)


def test_negative_inputs_are_all_negative_and_learned(measured):
    e = measured["negative_inputs"]
    assert e.fact("largest input coordinate") < 0
    assert e.fact("test accuracy of a ReLU network on these inputs") >= 0.95


def test_derivative_at_zero_by_formula(measured):
    e = measured["derivative_choice"]
    wanted = {"relu(x)": 0.0, "clamp(x, 0)": 1.0, "max(0, x)": 0.5, "where(x > 0, x, 0)": 0.0}
    for text, value in wanted.items():
        assert e.fact(f"autograd f′(0) for {text}") == value


def test_the_kink_never_matters_in_training(measured):
    e = measured["nondiff_harder"]
    losses = [e.fact(f"final training loss, f′(0) = {v}") for v in ("0", "1", "0.5")]
    assert losses[0] == losses[1] == losses[2] and losses[0] < 0.69  # trained, not stuck at log 2


def test_backprop_trains_and_matches_finite_differences(measured):
    e = measured["backprop_nondiff"]
    assert e.fact("training loss after 50 epochs of backpropagation") < 0.1 < e.fact("training loss before")
    assert e.fact("autograd vs finite differences, largest relative error") < 1e-6


def test_gradient_check_catches_a_wrong_gradient():
    # the check itself must be able to fail: a model whose forward pass autograd cannot see through
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))

    class Detached(torch.nn.Module):
        def forward(self, x):
            return x.detach() * 2 + (x - x.detach())  # value 2x, gradient 1 (autograd) vs 2 (true)

    broken = torch.nn.Sequential(model[0], Detached(), model[2])
    x = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    assert evidence._gradient_check(model, x, y) < 1e-6
    assert evidence._gradient_check(broken, x, y) > 0.1


def test_dead_units_numbers(measured):
    dead = measured["dead_negative"]
    assert dead.fact("dead units before training") > 12  # most of 24: bias −3 kills most first-layer units
    assert dead.fact("largest |output| of a dead unit") == 0.0
    assert dead.fact("lowest output of any ReLU unit") == 0.0
    disc = measured["dead_discontinuity"]
    assert disc.fact("largest jump |f(x + 10⁻⁶) − f(x)|") == pytest.approx(1e-6, rel=1e-6)
    assert disc.fact("closest a dead unit's input comes to the kink") < 0
    vanish = measured["no_vanishing"]
    assert vanish.fact("share of units dead at learning rate 3") > 0.5
    ratio_relu = vanish.fact("first/last layer gradient, 20 ReLU layers")
    assert ratio_relu > 1e6 * vanish.fact("first/last layer gradient, 20 sigmoid layers")


def test_sparsity_numbers(measured):
    cheap = measured["sparse_cheaper"]
    assert 0.45 < cheap.fact("share of exact zeros after ReLU") < 0.55
    over = measured["sparsity_overfit"]
    assert over.fact("training accuracy") - over.fact("test accuracy") >= 0.1
    assert over.fact("hidden outputs exactly 0 on the training points") >= 0.3


def test_training_numbers(measured):
    race = measured["trains_faster"]
    assert math.isfinite(race.fact("deep: ReLU epochs to loss 0.1"))
    assert math.isnan(race.fact("deep: sigmoid epochs to loss 0.1"))
    assert race.fact("shallow, easy data: ReLU epochs to loss 0.1") <= 2
    assert race.fact("shallow, easy data: sigmoid epochs to loss 0.1") <= 2
    assert math.isnan(race.fact("narrow: ReLU epochs to loss 0.1"))
    assert race.fact("narrow: ReLU units dead at the end") >= 1
    zero = measured["zero_init"]
    assert zero.fact("max difference between hidden units after training") == 0.0
    assert zero.fact("training accuracy from zero weights") <= 0.6
    assert zero.fact("training accuracy from He init") >= 0.9
    unstable = measured["unbounded_unstable"]
    assert unstable.fact("learning rate 3: diverged") == 1.0
    assert unstable.fact("learning rate 3: epochs before the loss turned non-finite") < 1
    sig = measured["explosion_use_sigmoid"]
    assert math.isfinite(sig.fact("sigmoid at learning rate 3: training loss"))
    assert sig.fact("first/last layer gradient, 20 sigmoid layers") < 1e-6


def test_efficiency_numbers(measured):
    # timings are shown, not asserted (a shared machine reorders them); the step ratio is far from 1.5
    e = measured["efficient"]
    assert e.fact("ReLU, ms per million elements (forward + backward)") > 0
    assert e.fact("training step, ReLU (µs)") > 0 and e.fact("training step, sigmoid (µs)") > 0


def test_a_race_that_cannot_finish_reports_nan():
    (result,) = evidence.race(
        "circle", (8,), "sgd", 0.1, activations=("relu",), target_loss=0.0, max_epochs=3
    )
    assert math.isnan(result.epochs) and result.final_loss > 0


def test_numbers_are_shown_readably():
    assert evidence._num(1000.0) == "1,000"
    assert evidence._num(4.54e-5) == "4.54 × 10⁻⁵"
    assert evidence._num(-0.0762) == "−0.0762"
    assert evidence._num(float("nan")) == "never"
