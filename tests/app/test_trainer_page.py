"""Trainer page under AppTest: every dataset and setting path runs, links preset the run, uploads are
validated, Play/Step/Reset drive the real background worker."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import torch

from relu_viz import datasets, maps, regions, stream, wire
from tests.app.conftest import open_page, renderer_data

SLOT = "trainer_run"


def view(at) -> dict:
    """The trainer's renderer payload: what the browser draws the map, numbers and curves from."""
    found = [d for d in renderer_data(at) if d.get("id") == SLOT]
    assert len(found) == 1, f"expected one trainer renderer, got {len(found)}"
    return found[0]


def points(data: dict) -> tuple[np.ndarray, np.ndarray]:
    p = data["points"]
    xy = np.frombuffer(base64.b64decode(p["xy"]), "<f4").reshape(-1, 2)
    return xy, np.frombuffer(base64.b64decode(p["y"]), np.uint8)


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout:.0f} s: {what}")
        time.sleep(0.05)


def epoch(at) -> float:
    return view(at)["frame"]["epoch"]


@pytest.fixture(scope="module")
def at():
    page = open_page("trainer")
    yield page
    live = page.session_state[SLOT] if SLOT in page.session_state else None  # noqa: SIM401 (no .get on AppTest state)
    if live is not None:
        live.worker.stop()


def test_default_run_sends_the_browser_its_network_points_and_weights(at):
    assert not at.exception
    data = view(at)
    live = at.session_state[SLOT]
    structure = data["structure"]
    assert structure["piecewise_linear"] and structure["region_bound"] > 1
    assert data["bound_text"] == f"{structure['region_bound']:,}"
    xy, y = points(data)
    np.testing.assert_array_equal(xy, live.run.dataset.x.astype(np.float32))
    np.testing.assert_array_equal(y, live.run.dataset.y)
    # the streamed weights are the model's, layer by layer
    decoded = wire.decode_weights(structure, data["frame"]["w"])
    linears = [m for m in live.run.model if isinstance(m, torch.nn.Linear)]
    for (w, b), lin in zip(decoded, linears, strict=True):
        np.testing.assert_array_equal(w, lin.weight.detach().numpy().astype(np.float32))
        np.testing.assert_array_equal(b, lin.bias.detach().numpy().astype(np.float32))
    assert data["frame"]["epoch"] == 0.0 and data["view"] == "outlines"


@pytest.mark.parametrize("name", datasets.names())
def test_every_dataset(at, name):
    at.selectbox(key="ds").set_value(name).run()
    assert not at.exception, name
    data = view(at)
    xy, y = points(data)
    # decoded point for point against the generator called with the sidebar's values, independently
    n, noise, seed = at.slider(key="n").value, at.slider(key="noise").value, at.number_input(key="seed").value
    options = {"k": at.slider(key="k").value} if name == "blobs" else {}
    expected = datasets.make(name, n=n, noise=noise / 100, seed=int(seed), **options)
    assert len(xy) == n == 500
    np.testing.assert_array_equal(xy, expected.x)
    np.testing.assert_array_equal(y, expected.y)
    assert data["points"]["classes"] == list(expected.classes)


def test_smooth_activation_sends_the_reason_there_are_no_exact_regions(at):
    at.selectbox(key="ds").set_value("circle").run()
    at.selectbox(key="act").set_value("tanh").run()
    assert not at.exception
    structure = view(at)["structure"]
    assert not structure["piecewise_linear"]
    assert (
        "piecewise" in structure["not_pwl_reason"].lower() or "smooth" in structure["not_pwl_reason"].lower()
    )
    assert structure["activations"][0]["kind"] == "tanh"
    at.selectbox(key="act").set_value("relu").run()


def test_extra_features_say_regions_are_not_polygons(at):
    at.multiselect(key="feats").set_value(["x1", "x2", "x1sq"]).run()
    assert not at.exception
    structure = view(at)["structure"]
    assert structure["features"] == ["x1", "x2", "x1sq"]
    assert "feature" in structure["not_pwl_reason"].lower()
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
    # a Step runs in the training thread's turns: on a busy machine it may outlast the click's wait
    assert at.session_state[SLOT].worker.wait_paused(timeout=30.0)
    at.run()
    assert epoch(at) == pytest.approx(1.0)
    at.button(key="reset").click().run()
    assert epoch(at) == 0.0


def test_play_trains_in_the_background_and_pause_stops(at):
    at.button(key="play").click().run()
    live = at.session_state[SLOT]
    wait_for(lambda: live.worker.snapshot().epoch >= 3, 60, "3 epochs of background training after Play")
    at.run()
    assert epoch(at) >= 3
    at.button(key="pause").click().run()
    # Pause returns once the turn in flight has finished: from then on the step count is fixed. Read it
    # again under the trainer's own lock (which waits for any turn), not after a guessed sleep.
    assert not live.worker.is_playing and live.worker.pause_reason == "paused"
    stopped = live.worker.snapshot().step
    assert live.worker.with_trainer(lambda t: t.step_count) == stopped
    assert live.worker.wait_paused(timeout=0) and live.worker.snapshot().step == stopped
    assert not at.exception


def test_learning_rate_changes_without_reset(at):
    at.button(key="step").click().run()
    before = at.session_state[SLOT]
    assert before.worker.wait_paused(timeout=30.0)
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
    # No speed is assumed: a busy machine only makes training slower, so the cap is checked as an upper
    # bound over however long the wait took, and "uncapped" as the rate rising above the cap.
    at = open_page("trainer", ds="circle", speed="5")
    live = at.session_state[SLOT]
    try:
        started = time.monotonic()
        at.button(key="play").click().run()
        wait_for(lambda: live.worker.snapshot().epoch >= 3, 60, "3 epochs at a cap of 5 epochs/s")
        epochs, elapsed = live.worker.snapshot().epoch, time.monotonic() - started
        assert epochs <= 5 * elapsed * 1.2 + 2, (epochs, elapsed)  # about 5 epochs per second at most
        at.select_slider(key="speed").set_value(0).run()
        start, t0 = live.worker.snapshot().epoch, time.monotonic()
        wait_for(
            lambda: live.worker.snapshot().epoch - start > 5 * (time.monotonic() - t0) * 1.5 + 10,
            60,
            "training faster than the old cap of 5 epochs/s once the cap is removed",
        )
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
        frame = view(at)["frame"]
        assert frame["status"] == "diverged" and "learning rate" in frame["message"], frame["message"]
        assert all(np.isfinite(v.numpy()).all() for v in snap.state_dict.values())
    finally:
        live.worker.stop()


def test_view_change_tells_the_browser_the_new_view():
    at = open_page("trainer")
    try:
        at.button_group(key="view").set_value("regions").run()
        assert not at.exception and view(at)["view"] == "regions"
    finally:
        at.session_state[SLOT].worker.stop()


def test_paused_run_records_its_exact_region_count():
    """The metrics export's regions column: a paused page puts the count of the weights it shows
    into the history (the browser draws its own count curve)."""
    at = open_page("trainer")
    live = at.session_state[SLOT]
    try:
        counts = live.worker.with_trainer(lambda t: t.history.to_arrays()["regions"])
        expected = regions.partition(live.run.model, maps.DEFAULT_BOX).n_linear_regions
        assert counts[-1] == expected >= 1
    finally:
        live.worker.stop()


@pytest.mark.parametrize(
    ("share", "train", "test", "empty"), [("10", 1, 3, "training"), ("90", 3, 1, "test")]
)
def test_four_uploaded_points_train_at_any_share_and_say_how_they_are_split(share, train, test, empty):
    at = open_page("trainer", share=share)
    try:
        at.file_uploader(key="upload").upload(
            "tiny.csv", b"x1,x2,label\n1,1,a\n2,2,a\n-1,-1,b\n-2,-2,b\n", "text/csv"
        )
        at.run()
        assert not at.exception
        run = at.session_state[SLOT].run
        assert (len(run.train_idx), len(run.test_idx)) == (train, test)
        notes = [w.value.replace("\\", "") for w in at.warning]  # shown through text.plain
        (note,) = [n for n in notes if "points:" in n]
        assert f"{train} for training and {test} for testing" in note and f"the {empty} set empty" in note
        assert "training share" in note  # and how to fix it
        at.session_state[SLOT].worker.with_trainer(lambda t: t.run_epochs(2))
        last = stream.latest(at.session_state[SLOT].worker.snapshot().history)
        assert all(np.isfinite(last[k]) for k in ("train_loss", "test_loss", "train_acc", "test_acc"))
    finally:
        at.session_state[SLOT].worker.stop()


def test_an_ordinary_split_says_nothing():
    at = open_page("trainer", ds="circle")
    try:
        assert not [w for w in at.warning if "points\\:" in w.value]
    finally:
        at.session_state[SLOT].worker.stop()
