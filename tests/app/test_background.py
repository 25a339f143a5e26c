"""Expensive computations as a user meets them: a progress bar and Cancel at once (the click never
waits for the work), the result when the helper process is done, a message when it fails, and one job
per page slot however many settings a student walks through."""

from __future__ import annotations

import pytest

from relu_viz import compute
from tests.app.conftest import chart_data, open_page, settle
from tests.app.test_dead_neurons_page import stop_workers

SEED = "4242"  # a seed no other test asks a phase diagram for: this test's click is never a cache hit


@pytest.fixture
def page():
    at = settle(open_page("dead_neurons", dn_seed=SEED))
    yield at
    stop_workers(at)


def progress(at) -> list[str]:
    """The phase diagram's progress bars (the theory panel has its own for its Monte-Carlo)."""
    return [el.proto.text for el in at.get("progress") if el.proto.text.startswith("Training the grid")]


def heatmaps(at) -> int:
    return sum(1 for traces in chart_data(at) if traces and traces[0].get("type") == "heatmap")


def test_the_phase_diagram_shows_progress_then_its_heatmaps(page):
    page.button(key="dn_phase").click().run()
    assert not page.exception
    assert len(progress(page)) == 1
    assert page.button(key="cancel_dn_phase")
    assert heatmaps(page) == 0
    settle(page)
    assert heatmaps(page) == 2 and not progress(page)


def test_cancel_drops_the_job_and_the_request(page, monkeypatch):
    page.slider(key="dn_width").set_value(31).run()  # settings nobody asked for yet
    page.button(key="dn_phase").click().run()
    job = compute.HELPER.job_of(background_owner(page, "dn_phase"))
    assert job is not None and job.pending
    page.button(key="cancel_dn_phase").click().run()
    assert job.state == "cancelled"
    assert "dn_phase_args" not in page.session_state
    assert not progress(page) and heatmaps(page) == 0


def test_walking_through_settings_keeps_one_job_per_slot(page):
    page.button(key="dn_phase").click().run()
    jobs = []
    for width in (5, 6, 7):
        page.slider(key="dn_width").set_value(width).run()
        page.button(key="dn_phase").click().run()
        jobs.append(compute.HELPER.job_of(background_owner(page, "dn_phase")))
    assert all(not j.pending for j in jobs[:-1])  # each new request replaced the one before
    assert len({id(j) for j in jobs}) == 3


def test_a_failed_computation_says_so_and_is_not_retried_until_asked(page, monkeypatch):
    strict = compute.ComputeHelper(cpu_limit=0.001)
    monkeypatch.setattr(compute, "HELPER", strict)
    try:
        page.slider(key="dn_width").set_value(29).run()
        page.button(key="dn_phase").click().run()
        settle(page)
        errors = [e.value for e in page.error]  # the phase diagram's and the theory's Monte-Carlo
        assert len(errors) == 2 and all("try smaller settings" in e for e in errors)
        started = strict.started_processes
        page.run()
        assert [e.value for e in page.error] == errors and strict.started_processes == started
        asked = []
        submit = strict.submit
        monkeypatch.setattr(strict, "submit", lambda *a, **k: asked.append(a[1]) or submit(*a, **k))
        page.run()
        assert asked == []  # a failure is shown again, not retried
        page.button(key="retry_dn_phase").click().run()  # asked again: it runs again (and fails again)
        settle(page)
        assert asked == ["phase"] and len(page.error) == 2
    finally:
        strict.shutdown()


def background_owner(at, slot: str) -> tuple[str, str]:
    """The owner name the page used for ``slot``: read back from the job the page is waiting for."""
    waiting = at.session_state["background_waiting"]
    job = waiting[slot]
    return next(iter(job.owners))
