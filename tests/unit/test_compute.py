"""The compute helper: results equal to the direct call, cached and shared, one job per owner, round
robin between sessions, cancel, a CPU limit, and a dead or stopped helper replaced."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from relu_viz import compute, dead_neurons, gradient_flow
from relu_viz.compute import ComputeHelper

SMALL_PHASE = {"dataset": "circle", "seed": 0, "depth": 1, "width": 4, "init": "he"}
# every activation at depth 12: a few seconds of work in the helper, long enough to act on it mid-way
LONG_TABLE = {
    "series": tuple((k, "he") for k in ("relu", "sigmoid", "tanh", "gelu", "mish", "silu")),
    "max_depth": 30,
}


def wait_until(condition, timeout: float = 60.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def helper():
    h = ComputeHelper()
    yield h
    h.shutdown()


def test_a_job_gives_what_the_direct_call_gives(helper):
    job = helper.submit(("s", "phase"), "phase", **SMALL_PHASE)
    assert job.wait(120), job.state
    assert job.state == "done" and job.fraction == 1.0 and job.cpu_seconds > 0
    direct = dead_neurons.phase_task(**SMALL_PHASE)
    np.testing.assert_array_equal(job.result.final_loss, direct.final_loss)
    np.testing.assert_array_equal(job.result.dead_fraction, direct.dead_fraction)


def test_a_second_request_is_served_from_the_cache_and_equal_requests_share_one_job(helper):
    first = helper.submit(("a", "phase"), "phase", **SMALL_PHASE)
    first.wait(120)
    started = helper.started_processes
    again = helper.submit(("b", "phase"), "phase", **SMALL_PHASE)
    assert again.state == "done" and again.result is first.result
    series = {"series": (("relu", "he"),), "max_depth": 3}
    one = helper.submit(("a", "vg"), "gradient_table", **series)
    two = helper.submit(("b", "vg"), "gradient_table", **series)
    assert one is two and one.owners == {("a", "vg"), ("b", "vg")}
    assert one.wait(60) and one.state == "done"
    np.testing.assert_array_equal(one.result[("relu", "he")], gradient_flow.gradient_ratio("relu", [1, 2, 3]))
    assert helper.started_processes == started


def test_unknown_tasks_and_unhashable_arguments_are_refused(helper):
    with pytest.raises(ValueError, match="Unknown task"):
        helper.submit(None, "eval", text="__import__('os')")
    with pytest.raises(TypeError):
        helper.submit(None, "gradient_table", series=[["relu", "he"]], max_depth=3)


def test_an_owner_has_one_job_a_new_request_cancels_the_old(helper):
    old = helper.submit(("c", "vg"), "gradient_table", **LONG_TABLE)
    new = helper.submit(("c", "vg"), "gradient_table", series=(("relu", "he"),), max_depth=2)
    assert old.state == "cancelled" and "newer request" in old.error
    assert new.wait(120) and new.state == "done"
    assert helper.job_of(("c", "vg")) is new


def test_cancel_stops_a_running_job_and_the_helper_goes_on(helper):
    job = helper.submit(("d", "vg"), "gradient_table", **LONG_TABLE)
    wait_until(lambda: job.state == "running" and job.fraction > 0, what="the job to start")
    job.cancel(("d", "vg"))
    assert job.state == "cancelled"
    assert job.result is None
    after = helper.submit(("d", "vg"), "gradient_table", series=(("tanh", "xavier"),), max_depth=2)
    assert after.wait(120) and after.state == "done"
    assert helper.restarts == 0


def test_sessions_take_turns(helper):
    blocker = helper.submit(("e", "vg"), "gradient_table", **LONG_TABLE)
    wait_until(lambda: blocker.state == "running", what="the blocker to start")
    a1 = helper.submit(("A", "one"), "gradient_table", series=(("relu", "he"),), max_depth=4)
    a2 = helper.submit(("A", "two"), "gradient_table", series=(("relu", "he"),), max_depth=5)
    b1 = helper.submit(("B", "one"), "gradient_table", series=(("relu", "he"),), max_depth=6)
    blocker.cancel(("e", "vg"))
    for job in (a1, a2, b1):
        assert job.wait(120) and job.state == "done"
    # A was first in the queue; then B, whose session had not been served, before A's second job
    assert a1.started < b1.started < a2.started


def test_a_task_over_its_cpu_limit_fails_with_a_message():
    h = ComputeHelper(cpu_limit=0.05)
    try:
        job = h.submit(None, "gradient_table", **LONG_TABLE)
        assert job.wait(120)
        assert job.state == "failed" and "try smaller settings" in job.error
    finally:
        h.shutdown()


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGSTOP"])
def test_a_dead_or_stopped_helper_is_replaced_and_its_job_done(signal_name):
    h = ComputeHelper(stall_seconds=1.0)
    try:
        job = h.submit(("f", "vg"), "gradient_table", **LONG_TABLE)
        wait_until(lambda: job.state == "running" and job.fraction > 0, what="the job to start")
        pid = h.pid
        os.kill(pid, getattr(signal, signal_name))
        assert job.wait(180), job.state
        assert job.state == "done" and job.attempts == 2
        assert h.restarts == 1 and h.pid != pid
        expected = gradient_flow.ratio_table(**LONG_TABLE)
        for key, row in expected.items():
            np.testing.assert_array_equal(job.result[key], row)
    finally:
        h.shutdown()


def test_a_job_that_stops_the_helper_twice_fails():
    h = ComputeHelper(stall_seconds=1.0)
    try:
        job = h.submit(None, "gradient_table", **LONG_TABLE)
        for attempt in (1, 2):
            wait_until(lambda a=attempt: job.attempts == a and job.fraction > 0, what=f"attempt {attempt}")
            os.kill(h.pid, signal.SIGKILL)
        assert job.wait(60)
        assert job.state == "failed" and "twice" in job.error
    finally:
        h.shutdown()


def test_the_task_table_names_functions_that_exist():
    from relu_viz.compute_child import resolve

    for target in compute.TASKS.values():
        assert callable(resolve(target))
    with pytest.raises(ValueError):
        resolve("os:system")
