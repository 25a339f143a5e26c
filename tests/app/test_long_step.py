"""A Step that takes longer than a moment: trained in the training thread's turns, shown with a progress
bar, stoppable with Pause, and exactly one epoch's steps when left to finish."""

from __future__ import annotations

import pytest

from relu_viz.ui import live
from tests.app.conftest import open_page

SLOT = "trainer_run"
# 1,800 steps of a 6 x 64 network: about a second of training here, far more than a click's run
BIG = {"n": "2000", "share": "90", "batch": "1", "layers": "6"} | {f"w{i}": "64" for i in range(1, 7)}


@pytest.fixture
def big(monkeypatch):
    monkeypatch.setattr(live, "STEP_WAIT", 0.0)  # the click never waits: the page always streams the Step
    at = open_page("trainer", **BIG)
    yield at
    at.session_state[SLOT].worker.stop()


def progress_texts(at) -> list[str]:
    return [el.proto.text for el in at.get("progress")]


def test_a_long_step_streams_with_progress_then_pauses_after_one_epoch(big):
    worker = big.session_state[SLOT].worker
    per_epoch = worker.with_trainer(lambda t: t.steps_per_epoch)
    assert per_epoch == 1800  # 90 % of 2,000 points, one point a step
    big.button(key="step").click().run()
    assert not big.exception
    assert [b.key for b in big.button if b.key in ("play", "pause")] == ["pause"]
    texts = progress_texts(big)
    assert len(texts) == 1 and texts[0].startswith("Step: ") and "of 1,800 training steps" in texts[0]
    assert worker.wait_paused(timeout=120.0)
    assert worker.pause_reason == "stepped" and worker.snapshot().step == per_epoch
    big.run()
    assert [b.key for b in big.button if b.key in ("play", "pause")] == ["play"]
    assert progress_texts(big) == []


def test_pause_stops_a_long_step_part_way(big):
    worker = big.session_state[SLOT].worker
    big.button(key="step").click().run()
    big.button(key="pause").click().run()
    assert not big.exception
    stopped = worker.snapshot().step
    assert stopped < 1800 and worker.pause_reason == "paused" and not worker.is_playing
    assert [b.key for b in big.button if b.key in ("play", "pause")] == ["play"]
