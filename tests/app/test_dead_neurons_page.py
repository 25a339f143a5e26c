"""Dead-neurons page under AppTest: born dead at a negative bias, killed by a high learning rate,
untouched with Leaky ReLU, revived by the Revive button, extreme settings in a clear state, and the
phase diagram. Training is real: the Step button trains both runs 100 steps with the real trainer."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
import torch

from relu_viz import datasets, network
from relu_viz import dead_neurons as dn
from tests.app.conftest import chart_data, open_page, renderer_data, settle

SLOTS = ("dead_relu", "dead_variant")
FIELDS = ("active_fraction", "positive_fraction", "dead_on_data", "dead_on_plane", "cut_off", "can_die")
CENSUS = re.compile(r"Step \*\*([\d,]+)\*\* · dead \*\*(\d+) of (\d+)\*\*")


def stop_workers(at) -> None:
    for slot in SLOTS:
        if slot in at.session_state:
            at.session_state[slot].worker.stop()


def census(at) -> list[tuple[int, int, int]]:
    """(step, dead, units) of the ReLU run and then the variant, as the page writes them."""
    found = [CENSUS.search(m.value) for m in at.markdown]
    rows = [(int(m[1].replace(",", "")), int(m[2]), int(m[3])) for m in found if m]
    assert len(rows) == 2, f"expected one census line per run, got {rows}"
    return rows


def s0_dead(at) -> int:
    """Dead ReLU units as the census line writes them."""
    return census(at)[0][1]


def alerts(at) -> str:
    return "\n".join(e.value for e in [*at.error, *at.warning, *at.info])


def step(at, times: int = 1) -> None:
    for _ in range(times):
        at.button(key="dn_step").click().run()
        assert not at.exception


def array(value) -> np.ndarray:
    """A plotly JSON array: a list, or numpy's compact {"dtype", "bdata", "shape"} encoding."""
    if not isinstance(value, dict):
        return np.asarray(value, dtype=float)
    flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    shape = value.get("shape")
    if isinstance(shape, str):
        shape = [int(v) for v in shape.split(",")]
    return flat.reshape(shape) if shape else flat


def independent_first_layer_born_dead(bias: float, seed: int = 0) -> tuple[int, int]:
    """First-layer ReLU units with z = w·x + b <= 0 on every standardised training point, computed
    here from the network's first Linear with numpy (not through relu_viz.neurons)."""
    data = datasets.make("circle", n=dn.N_POINTS, seed=seed)
    train, _ = data.split(dn.TRAIN_SHARE, seed=seed)
    x = data.x[train].astype(np.float64)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    model = network.build([2, 8, 8, 8, 1], "relu", init="he", seed=seed, bias_init=bias)
    w = model[0].weight.detach().double().numpy()
    b = model[0].bias.detach().double().numpy()
    dead = ((x @ w.T + b) <= 0).all(axis=0)
    return int(dead.sum()), dead.size


@pytest.fixture(scope="module")
def default_page():
    at = settle(open_page("dead_neurons"))  # the theory's Monte-Carlo comes from the helper process
    yield at
    stop_workers(at)


def test_page_loads_with_defaults(default_page):
    at = default_page
    assert not at.exception
    (s0, _, n0), (s1, d1, n1) = census(at)
    assert (s0, s1) == (0, 0) and n0 == n1 == 24  # 3 hidden layers of 8, both runs
    assert d1 == 0  # Leaky ReLU has no dead unit
    assert any("Inputs standardised, as is usual practice" in c.value for c in at.caption)
    charts = chart_data(at)
    assert len(charts) >= 1 and all(charts)  # the phase diagram and the theory stay plotly
    monitor = [d for d in renderer_data(at) if d.get("kind") == "monitor"]
    assert len(monitor) == 1, "the live grids and curves are one renderer element"
    relu, variant = monitor[0]["runs"]
    assert relu["widths"] == variant["widths"] == [8, 8, 8]
    assert sum(relu["dead"]) == s0_dead(at) and sum(variant["dead"]) == d1 == 0
    assert len(relu["positive"]) == 24 and all(p is None or 0 <= p <= 1 for p in relu["positive"])
    # each layer's share of exact zeros, printed under each grid: ReLU about half at He init, Leaky none
    assert len(relu["zero_share"]) == len(variant["zero_share"]) == 3
    assert all(0.3 <= p <= 0.7 for p in relu["zero_share"]), relu["zero_share"]
    assert variant["zero_share"] == [0.0, 0.0, 0.0]
    # with He init and bias 0 only a few first-layer units start dead: no alarm
    assert "born dead" not in alerts(at)
    assert "z ≤ 0 on every input" not in alerts(at)


def test_bias_minus_3_with_he_init_says_most_first_layer_units_are_born_dead():
    at = open_page("dead_neurons", dn_bias="-3")
    try:
        assert not at.exception
        dead, width = independent_first_layer_born_dead(-3.0)
        assert dead > width / 2, "the claim must hold on the data the page trains on"
        text = alerts(at)
        assert "Most first-layer units are born dead" in text
        assert f"{dead} of {width}" in text
        (_, relu_dead, _), (_, variant_dead, _) = census(at)
        assert relu_dead >= dead  # the deeper layers see mostly zeros and die too
        assert variant_dead == 0
    finally:
        stop_workers(at)


@pytest.fixture(scope="module")
def high_lr():
    at = open_page("dead_neurons", dn_lr="3")
    step(at, 3)
    yield at
    stop_workers(at)


def test_learning_rate_3_kills_most_relu_units_and_no_leaky_unit(high_lr):
    at = high_lr
    (s0, d0, n0), (_, d1, _) = census(at)
    assert s0 == 300
    assert d0 > n0 / 2, f"only {d0} of {n0} ReLU units died at learning rate 3"
    assert d1 == 0 or "No dead units, but training diverged" in alerts(at)
    # the deaths are dated and their killing updates measured
    tracker = at.session_state["dead_relu_monitor"].tracker
    died = [e for e in tracker.events if e.kind == "died"]
    assert died and all(0 < e.step <= 300 for e in died)
    assert all(e.weight_update > 0 or e.bias_update > 0 for e in died)


LOSS = re.compile(r"loss (\d+\.\d+)")


def test_the_rescue_link_opens_the_measured_settings_and_leaky_relu_learns_while_relu_is_stuck():
    """dead_neurons.page_query(RESCUE_SETTINGS) opens exactly those settings; 500 steps later (one
    second of Play) ReLU is at chance with most units dead and Leaky ReLU is far below it."""
    query = dn.page_query(dn.RESCUE_SETTINGS)
    assert query == {"dn_bias": "-2", "dn_opt": "Adam"}
    at = open_page("dead_neurons", **query)
    try:
        assert not at.exception
        for slot in SLOTS:
            trainer = at.session_state[slot].run.trainer
            assert trainer.settings.optimizer == "adam" and trainer.settings.lr == dn.RESCUE_SETTINGS.lr
        assert at.session_state["dead_relu"].run.spec == dn.RESCUE_SETTINGS.spec(dn.RELU)
        step(at, 5)
        (s0, d0, n0), (s1, d1, _) = census(at)
        assert s0 == s1 == 500 and d0 > n0 / 2 and d1 == 0
        lines = [m.value for m in at.markdown if CENSUS.search(m.value)]
        relu_loss, leaky_loss = (float(LOSS.search(line)[1]) for line in lines)
        assert relu_loss == pytest.approx(0.693, abs=0.01)
        assert leaky_loss < relu_loss - dn.RESCUE_MIN_GAP
    finally:
        stop_workers(at)


def test_a_leaky_run_stuck_at_z_below_0_says_so():
    """At bias −2 with plain SGD most Leaky ReLU units sit at z ≤ 0 on every input: not dead, and the
    page says why they may not learn anyway."""
    at = open_page("dead_neurons", dn_bias="-2")
    try:
        assert not at.exception
        _, (_, d1, _) = census(at)
        assert d1 == 0
        assert "units have z ≤ 0 on every input" in alerts(at)
        assert "shrinks about 100-fold" in alerts(at)
    finally:
        stop_workers(at)


def test_learning_rate_003_kills_few(default_page):
    at = default_page
    step(at, 3)
    (s0, d0, n0), (_, d1, _) = census(at)
    assert s0 == 300
    assert d0 <= n0 // 4, f"{d0} of {n0} ReLU units died at learning rate 0.03"
    assert d1 == 0


def test_revive_brings_dead_units_back(high_lr):
    at = high_lr
    (_, before, _), _ = census(at)
    assert before > 0
    at.button(key="dn_revive_relu").click().run()
    assert not at.exception
    (_, after, _), _ = census(at)
    assert after < before and after == 0
    assert f"Revived {before}" in alerts(at) or "Revived" in alerts(at)
    # alive on the data means some training input makes each revived unit's z positive
    live = at.session_state["dead_relu"]
    x = torch.tensor(live.run.x_train)
    with torch.no_grad():
        zs = network.preactivations(live.run.model, x)
    assert all(bool((z > 0).any(dim=0).all()) for z in zs)


def test_extreme_settings_end_in_a_clear_state():
    at = open_page("dead_neurons", dn_lr="10", dn_bias="-5", dn_width="1", dn_depth="6")
    try:
        assert not at.exception
        (_, d0, n0), _ = census(at)
        assert n0 == 6 and d0 == 6
        assert "All 6 hidden units are dead" in alerts(at)
        step(at, 2)
        (s0, d0, _), (s1, d1, _) = census(at)
        assert s0 == 200 and d0 == 6
        # the variant either trains on or stops with an explanation, never silently
        assert s1 == 200 or "diverged" in alerts(at)
        assert d1 == 0
    finally:
        stop_workers(at)


def test_phase_diagram_draws_two_heatmaps(default_page):
    at = default_page
    before = len(chart_data(at))
    at.button(key="dn_phase").click().run()
    assert not at.exception
    settle(at)  # trained in the helper process
    charts = chart_data(at)
    assert len(charts) == before + 2
    phase = [c for c in charts if c and c[0].get("type") == "heatmap" and not c[0].get("coloraxis")]
    assert len(phase) == 2
    rows, cols = len(dn.PHASE_LEARNING_RATES), len(dn.PHASE_BIASES)
    dead, loss = (array(traces[0]["z"]) for traces in phase)
    assert dead.shape == loss.shape == (rows, cols)
    finite = dead[np.isfinite(dead)]
    assert finite.size and ((finite >= 0) & (finite <= 1)).all()
    np.testing.assert_array_equal(array(phase[0][0]["x"]), np.array(dn.PHASE_BIASES))
    at.run()  # a later run draws the helper's cached result again, with no progress bar
    assert not at.get("progress")
    assert not at.exception
    assert len(chart_data(at)) == before + 2


def test_reset_starts_both_runs_again_from_the_same_seed(default_page):
    at = default_page
    assert census(at)[0][0] > 0
    before = at.session_state["dead_relu"].run.model[0].weight.detach().clone()
    at.button(key="dn_reset").click().run()
    assert not at.exception
    assert [row[0] for row in census(at)] == [0, 0]
    fresh = at.session_state["dead_relu"].run.model[0].weight.detach()
    spec = dn.MonitorSettings().spec("relu")
    rebuilt = network.build([2, 8, 8, 8, 1], "relu", init=spec.init, seed=spec.seed, bias_init=spec.bias_init)
    assert torch.equal(fresh, rebuilt[0].weight.detach())
    assert not torch.equal(fresh, before)  # the trained weights are gone
