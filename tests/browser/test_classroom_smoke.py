"""A small classroom against a real ``streamlit run app.py``: 5 students open the trainer from one link
(each with their own seed), press Play together and keep training for 15 s, flipping the map's view now
and then (``bench/classroom_load.py``, the full harness, runs 30 for 60 s and prints the figures).

Each student reads the live view's renderer payloads off the websocket (relu_viz/stream.py): a frame is
a payload with a new step. The checks are behaviours, not speeds: a regression in per-session cost
shows up as sessions that stall (no new frame for 5 s, or training that does not advance) or that
error, never as a timing threshold.
"""

from __future__ import annotations

from bench.classroom_load import run_classroom
from tests.browser.harness import running_server


def test_five_students_train_at_once_without_stalls_errors_or_mixups():
    with running_server() as (url, proc):
        result = run_classroom(url, proc.pid, sessions=5, seconds=15.0, change_every=5.0)
    print(result.summary())
    errors = [f"student {s.index}: {e}" for s in result.sessions for e in s.errors]
    assert not errors, f"{errors}\n{result.summary()}"
    mixed = {i: (result.sessions[i].first_metrics, result.references[i]) for i in result.mixed_sessions()}
    assert not mixed, f"a student's first frame was not its own: {{student: (first, alone)}} = {mixed}"
    no_frames = [s.index for s in result.sessions if len(s.map_times) < 2]
    assert not no_frames, f"students whose renderer got fewer than 2 frames: {no_frames}\n{result.summary()}"
    assert not result.stalled(), f"stalled students: {result.stalled()}\n{result.summary()}"
    waiting = [s.index for s in result.sessions if not s.change_latencies]
    assert not waiting, f"students whose view change never reached the renderer: {waiting}"
    # while a frame loop streams, the live fragment's timer slows from LOOP_START (2.5 ticks a second)
    # to TICK_WHILE_STREAMING: its ticks would only queue behind the running loop
    assert max(result.tick_rates()) < 1.0, f"timer ticks/s per student: {result.tick_rates()}"
