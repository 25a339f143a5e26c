"""Trainer page under AppTest: every dataset and setting path runs, links preset the run, uploads are
validated, Play/Step/Reset drive the real background worker."""

from __future__ import annotations

import time

import numpy as np
import pytest

from relu_viz import datasets
from tests.app.conftest import chart_data, open_page

SLOT = "trainer_run"


def map_traces(at) -> list[dict]:
    """The decision map's traces (the first chart whose first trace is an image)."""
    for traces in chart_data(at):
        if traces and traces[0].get("type") == "image":
            return traces
    raise AssertionError("no decision map on the page")


def trace_names(at) -> set[str]:
    return {t.get("name") for t in map_traces(at)}


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [e.value for e in at.error]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def at():
    page = open_page("trainer")
    yield page
    live = page.session_state[SLOT] if SLOT in page.session_state else None  # noqa: SIM401 (no .get on AppTest state)
    if live is not None:
        live.worker.stop()


def test_default_run_draws_exact_regions_and_boundary(at):
    assert not at.exception
    names = trace_names(at)
    assert {"linear regions", "decision boundary"} <= names
    assert "regions; the most it could have" in texts(at)
    assert at.metric[0].value == "0.0"  # epoch


@pytest.mark.parametrize("name", datasets.names())
def test_every_dataset(at, name):
    at.selectbox(key="ds").set_value(name).run()
    assert not at.exception, name
    traces = map_traces(at)
    n_points = sum(
        len(t["x"]["bdata"]) if isinstance(t.get("x"), dict) else len(t.get("x") or []) for t in traces[1:]
    )
    assert n_points > 0


def test_smooth_activation_falls_back_to_heatmap_with_a_reason(at):
    at.selectbox(key="ds").set_value("circle").run()
    at.selectbox(key="act").set_value("tanh").run()
    assert not at.exception
    assert "decision boundary" not in trace_names(at)
    assert any("piecewise" in i.value.lower() or "smooth" in i.value.lower() for i in at.info)
    at.selectbox(key="act").set_value("relu").run()


def test_extra_features_say_regions_are_not_polygons(at):
    at.multiselect(key="feats").set_value(["x1", "x2", "x1sq"]).run()
    assert not at.exception
    assert any("feature" in i.value.lower() for i in at.info)
    at.multiselect(key="feats").set_value(["x1", "x2"]).run()


def test_architecture_extremes(at):
    at.slider(key="layers").set_value(0).run()
    assert not at.exception
    at.slider(key="layers").set_value(6).run()
    for i in range(1, 7):
        at.number_input(key=f"w{i}").set_value(64)
    at.run()
    assert not at.exception
    at.slider(key="layers").set_value(2).run()
    for i in range(1, 3):
        at.number_input(key=f"w{i}").set_value(8)
    at.run()


def test_step_trains_one_epoch_and_reset_restarts(at):
    at.button(key="step").click().run()
    assert not at.exception
    assert float(at.metric[0].value) == pytest.approx(1.0)
    at.button(key="reset").click().run()
    assert float(at.metric[0].value) == 0.0


def test_play_trains_in_the_background_and_pause_stops(at):
    at.button(key="play").click().run()
    live = at.session_state[SLOT]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and live.worker.snapshot().epoch < 3:
        time.sleep(0.1)
    at.run()
    assert float(at.metric[0].value.replace(",", "")) >= 3
    at.button(key="pause").click().run()
    stopped = live.worker.snapshot().step
    time.sleep(0.5)
    assert live.worker.snapshot().step == stopped
    assert not at.exception


def test_learning_rate_changes_without_reset(at):
    at.button(key="step").click().run()
    before = at.session_state[SLOT]
    epoch = before.worker.snapshot().epoch
    at.select_slider(key="lr").set_value(0.1).run()
    after = at.session_state[SLOT]
    assert after is before and after.worker.snapshot().epoch == epoch
    assert after.worker.snapshot().settings.lr == 0.1


def test_link_presets_the_run():
    at = open_page("trainer", ds="xor", layers="1", w1="4", act="leaky_relu", lr="0.1", seed="7")
    try:
        assert not at.exception
        live = at.session_state[SLOT]
        assert live.run.dataset.name == "xor"
        assert live.run.spec.hidden == (4,) and live.run.spec.activations == ("leaky_relu",)
        assert live.run.spec.seed == 7
        assert live.worker.snapshot().settings.lr == 0.1
    finally:
        at.session_state[SLOT].worker.stop()


def test_same_link_same_weights():
    runs = [open_page("trainer", ds="gauss", seed="3") for _ in range(2)]
    try:
        a, b = (r.session_state[SLOT].run.model.state_dict() for r in runs)
        assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    finally:
        for r in runs:
            r.session_state[SLOT].worker.stop()


def test_upload_bad_csv_keeps_the_dataset_and_names_the_row(at):
    before = at.session_state[SLOT].run.dataset
    at.file_uploader(key="upload").upload("bad.csv", b"x1,x2,label\n1,2,a\n3,abc,b\n", "text/csv").run()
    assert not at.exception
    assert any("Row 3" in e.value and "x2" in e.value for e in at.error)
    assert at.session_state[SLOT].run.dataset is before


def test_upload_good_csv_switches_to_it(at):
    rows = "\n".join(
        f"{x:.3f},{y:.3f},{'red' if x * y > 0 else 'blue'}"
        for x, y in np.random.default_rng(0).uniform(-3, 3, (60, 2))
    )
    at.file_uploader(key="upload").upload("mine.csv", rows.encode(), "text/csv").run()
    assert not at.exception
    data = at.session_state[SLOT].run.dataset
    assert len(data) == 60 and data.classes == ("blue", "red")
    assert at.selectbox(key="ds").value == "custom"


def test_speed_cap_slows_training():
    at = open_page("trainer", ds="circle", speed="5")
    live = at.session_state[SLOT]
    try:
        at.button(key="play").click().run()
        time.sleep(3.0)
        epochs = live.worker.snapshot().epoch
        assert 2 <= epochs <= 5 * 3 * 1.5 + 2, (
            epochs
        )  # about 5 epochs per second, far below the uncapped rate
        at.select_slider(key="speed").set_value(0).run()
        start = live.worker.snapshot().epoch
        time.sleep(2.0)
        assert live.worker.snapshot().epoch - start > 30  # uncapped again
    finally:
        live.worker.stop()


def test_divergence_is_reported_and_the_weights_kept():
    at = open_page("trainer", ds="spiral", layers="2", w1="8", w2="8", act="leaky_relu", lr="3")
    live = at.session_state[SLOT]
    try:
        at.button(key="step").click().run()
        assert not at.exception
        snap = live.worker.snapshot()
        assert snap.status == "diverged"
        assert any("learning rate" in e.value for e in at.error), [e.value for e in at.error]
        assert all(np.isfinite(v.numpy()).all() for v in snap.state_dict.values())
    finally:
        live.worker.stop()


def test_view_change_while_playing_keeps_the_curves_without_redrawing_them(monkeypatch):
    """A view change while training plays shows the map in the new view with the numbers and curves
    of the frame before it: the curves have not changed, and redrawing them doubled the frame's cost."""
    from relu_viz import pacing, render_pool
    from relu_viz.ui import live

    monkeypatch.setattr(live, "pace", lambda: pacing.Pace(0.2, 60.0, 0.5))  # curves due once a minute
    # in the browser the view control reruns the panel alone (a fragment run); AppTest runs the page
    monkeypatch.setattr(live, "in_frame_loop", lambda: True)
    jobs: list[render_pool.FrameJob] = []
    draw = render_pool.draw
    monkeypatch.setattr(render_pool, "draw", lambda job: jobs.append(job) or draw(job))
    at = open_page("trainer")
    try:
        at.button(key="play").click().run()
        assert jobs and jobs[-1].history is not None  # the first live frame draws the curves
        assert at.get("image") and at.metric
        jobs.clear()
        at.button_group(key="view").set_value("regions").run()
        assert [j.view for j in jobs] == ["regions"]
        assert jobs[0].history is None  # not redrawn
        shown = [img for el in at.get("image") for img in el.proto.imgs]
        assert any(img.caption.startswith("Live while training · regions") for img in shown)
        assert any(img.url.startswith("data:image/png") for img in shown)  # the curves are still shown
        assert float(at.metric[0].value.replace(",", "")) >= 0 and not at.exception
    finally:
        at.session_state[SLOT].worker.stop()


def test_fresh_run_curves_show_the_region_count():
    """A paused page draws its curves once: the region count of the frame it shows must be in them (a
    fresh run's Linear regions panel was empty)."""
    import base64

    at = open_page("trainer")
    regions = [t for traces in chart_data(at) for t in traces if t.get("name") == "regions"]
    assert regions, "no regions curve"
    y = regions[0]["y"]
    values = np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]) if isinstance(y, dict) else np.array(y)
    assert len(values) and np.isfinite(values).all() and values[-1] >= 1
    assert f"{int(values[-1])} regions" in texts(at)  # the same count as the line under the map
