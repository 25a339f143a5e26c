"""The Fit a function page in AppTest: loads, trains, shows its kinks and hinges, keeps every setting in
the URL, and answers a bad formula with a message, not a traceback."""

from __future__ import annotations

import time

import numpy as np
import pytest

from relu_viz import fit, regions
from tests.app.conftest import open_page, renderer_data

SLOT = "fit_run"


def stop(at) -> None:
    if SLOT in at.session_state:
        at.session_state[SLOT].worker.stop()


@pytest.fixture
def at():
    page = open_page("fit")
    yield page
    stop(page)


def setup_of(at) -> dict:
    (data,) = [d for d in renderer_data(at) if d.get("kind") == "fit"]
    return data


def test_defaults_show_sin_with_one_layer_of_8_and_its_hinges(at):
    assert not at.exception
    data = setup_of(at)
    s = data["setup"]
    assert s["label"] == "sin x" and s["domain"] == [-3.0, 3.0]
    assert s["widths"] == [1, 8, 1] and s["units"] == 8 and s["bound"] == 8
    assert s["one_layer"] and s["pwl"] and s["act_label"] == "ReLU"
    current = at.session_state[SLOT]
    model = current.view(current.worker.snapshot())
    assert s["kinks"] == pytest.approx(regions.kinks(model, -3, 3).tolist())
    assert 1 <= len(s["kinks"]) <= 8  # PyTorch's default init spreads the breakpoints
    assert data["frame"]["step"] == 0 and data["frame"]["loss"] > 0
    assert at.button(key="play").label == "Play"
    assert at.select_slider(key="f_speed").value == 20


def test_play_trains_and_pause_shows_the_trained_kinks(at):
    first = setup_of(at)["frame"]["loss"]
    at.button(key="play").click().run()
    assert at.button(key="pause").label == "Pause"
    current = at.session_state[SLOT]
    deadline = time.monotonic() + 60
    while current.worker.snapshot().step < 400 and time.monotonic() < deadline:
        time.sleep(0.1)
    at.button(key="pause").click().run()
    assert not at.exception and at.button(key="play").label == "Play"
    data = setup_of(at)
    assert data["frame"]["step"] >= 400
    assert data["frame"]["loss"] < first
    assert len(data["setup"]["hist"]["step"]) >= 2
    model = current.view(current.worker.snapshot())
    assert data["setup"]["kinks"] == pytest.approx(regions.kinks(model, -3, 3).tolist())


def test_step_trains_one_epoch(at):
    at.button(key="step").click().run()
    current = at.session_state[SLOT]
    assert current.worker.wait_paused(30)
    assert current.worker.snapshot().step == 10  # 100 points in batches of 10
    assert not at.exception


def test_deeper_nets_show_the_bound_and_smooth_ones_say_why_there_are_no_kinks():
    at = open_page("fit", f_target="sawtooth", f_layers="2", f_w1="16", f_w2="16")
    try:
        s = setup_of(at)["setup"]
        assert s["bound"] == 288 and s["units"] == 32 and not s["one_layer"]
    finally:
        stop(at)
    at = open_page("fit", f_act="tanh")
    try:
        assert not at.exception
        s = setup_of(at)["setup"]
        assert s["pwl"] is False and s["kinks"] is None and "smooth" in s["not_pwl_reason"]
    finally:
        stop(at)


URL = {
    "f_target": "cubic",
    "f_n": "50",
    "f_noise": "10",
    "f_seed": "7",
    "f_layers": "2",
    "f_w1": "5",
    "f_w2": "7",
    "f_act": "leaky_relu",
    "f_init": "he",
    "f_lr": "0.1",
    "f_opt": "adam",
    "f_batch": "all",
    "f_speed": "100",
}


def test_every_setting_round_trips_through_the_url():
    at = open_page("fit", **URL)
    try:
        assert not at.exception and not at.toast
        run = at.session_state[SLOT].run
        assert run.data.target == "cubic" and len(run.data) == 50 and run.data.domain == (-1.5, 1.5)
        assert run.spec == fit.FitSpec((5, 7), "leaky_relu", "he", 7)
        settings = run.trainer.settings
        assert (settings.lr, settings.optimizer, settings.batch_size) == (0.1, "adam", 0)
        for key, value in URL.items():
            assert at.query_params[key] == [value] or at.query_params[key] == value, key
        # a widget changed on the page changes the run (the browser test checks the address bar)
        at.selectbox(key="f_target").set_value("abs").run()
        assert at.session_state[SLOT].run.data.target == "abs"
    finally:
        stop(at)
    again = open_page("fit", **URL)  # the same link: the same points and weights
    try:
        assert np.array_equal(again.session_state[SLOT].run.data.x, fit.make_data("cubic", 50, 0.1, 7).x)
    finally:
        stop(again)


def test_formula_target_and_a_bad_formula_gives_a_message_not_a_traceback():
    at = open_page("fit", f_target="formula", f_formula="abs(x) - 1")
    try:
        assert not at.exception
        assert setup_of(at)["setup"]["label"] == "f(x) = abs(x) - 1"
    finally:
        stop(at)
    for bad in ("sin(x +", "__import__('os').system('ls')", "x ** y", ""):
        at = open_page("fit", f_target="formula", f_formula=bad)
        assert not at.exception, bad
        assert at.error and "formula" in at.error[0].value.lower(), bad
        assert not [d for d in renderer_data(at) if d.get("kind") == "fit"]
        texts = [e.value for e in at.error] + [c.value for c in at.code]
        assert not any("Traceback" in t or 'File "' in t for t in texts)


def test_a_formula_undefined_on_part_of_the_range_keeps_the_rest_and_says_so():
    at = open_page("fit", f_target="formula", f_formula="log(x)")
    try:
        assert not at.exception
        assert any("left out" in w.value for w in at.warning)
        assert all(x > 0 for x in at.session_state[SLOT].run.data.x)
    finally:
        stop(at)


def test_clicked_points():
    at = open_page("fit", f_target="clicked")
    assert not at.exception
    assert any("Click at least 2 points" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 1
    at.session_state["fit_clicked"] = [(-1.0, 1.0), (0.0, 0.0), (1.0, 1.0)]
    at.run()
    try:
        assert not at.exception
        run = at.session_state[SLOT].run
        np.testing.assert_allclose(run.data.x, [-1.0, 0.0, 1.0])
        assert setup_of(at)["setup"]["curve"] is None
        at.button(key="f_clear").click().run()
        assert SLOT not in at.session_state or at.session_state[SLOT] is None
    finally:
        stop(at)
