"""The live pace: slower frames, shorter training turns and a smaller training duty as a class grows."""

from __future__ import annotations

import itertools

from relu_viz import pacing


def test_a_few_sessions_get_the_full_pace():
    p = pacing.pace_for(1)
    assert p.frame_interval == pacing.FRAME_LADDER[0] and p.curves_interval == pacing.CURVES_LADDER[0]
    assert p.train_duty >= 0.7 and p.slice_seconds == pacing.SLICE_SECONDS
    assert pacing.pace_for(0) == p


def test_the_pace_slows_monotonically_and_stays_on_its_ladders():
    paces = [pacing.pace_for(n, 0.02, 2) for n in range(1, 80)]
    for a, b in itertools.pairwise(paces):
        assert b.frame_interval >= a.frame_interval and b.curves_interval >= a.curves_interval
    assert {p.frame_interval for p in paces} <= set(pacing.FRAME_LADDER)
    assert {p.curves_interval for p in paces} <= set(pacing.CURVES_LADDER)
    assert paces[-1].frame_interval == pacing.FRAME_LADDER[-1]  # never slower than 2.5 frames a second
    assert all(pacing.MIN_DUTY <= p.train_duty <= pacing.MAX_DUTY for p in paces)
    assert all(pacing.MIN_SLICE_SECONDS <= p.slice_seconds <= pacing.SLICE_SECONDS for p in paces)
    # more sessions leave less of the server to training
    assert paces[-1].train_duty < paces[0].train_duty and paces[-1].slice_seconds < paces[0].slice_seconds


def test_a_class_of_thirty_still_gets_several_training_turns_per_frame():
    p = pacing.pace_for(30, 0.02, 2)
    turns_per_second = 1 / (30 * p.slice_seconds / p.train_duty)
    assert turns_per_second >= 2 / p.frame_interval / 2  # at least one turn per frame, with margin
    assert p.frame_interval <= 0.4


def test_costlier_frames_or_fewer_cores_slow_the_frames_sooner():
    assert pacing.pace_for(10, 0.05, 1).frame_interval > pacing.pace_for(10, 0.01, 2).frame_interval
