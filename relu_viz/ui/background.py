"""A computation of :mod:`relu_viz.compute` on a page: a progress bar and Cancel while the helper
process works on it, the result when it is done, a message when it failed.

The page's script never waits for the computation (a click holds the server for a few milliseconds,
whatever the task costs): while it runs, a small fragment looks at it every ``POLL_SECONDS`` and reruns
the page once when it ends. A page whose live panel streams frames holds the session's script thread,
so its frame loop looks instead (:func:`finished_waiting`, called by :mod:`relu_viz.ui.live`).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from relu_viz import compute
from relu_viz.ui.text import plain

POLL_SECONDS = 0.5
_WAITING = "background_waiting"  # session state: {slot: job} still running when the page last ran
_FAILED = "background_failed"  # session state: {slot: (job key, message)}: not retried on a rerun


def owner(slot: str) -> tuple[str, str]:
    """This session's owner name for the page slot ``slot`` (one job at a time per slot)."""
    ctx = get_script_run_ctx()
    return (ctx.session_id if ctx is not None else "local", slot)


def follow(
    slot: str,
    task: str,
    label: str,
    on_cancel: Callable[[], None] | None = None,
    shared: bool = False,
    **kwargs: object,
) -> object | None:
    """The result of ``task(**kwargs)`` if it is ready; else None, after showing how far it is.

    ``label`` names the work in the progress bar ("Training the grid"). ``on_cancel`` runs when the
    user presses Cancel (clear the page's request so the next run does not ask again). ``shared``: a
    job of the server's own (the claims' demos), which no session cancels or replaces.
    """
    who = None if shared else owner(slot)
    key = compute.job_key(task, kwargs)
    failed = st.session_state.setdefault(_FAILED, {})
    if slot in failed and failed[slot][0] == key:
        _show_failure(slot, failed[slot][1])
        return None
    waiting = st.session_state.setdefault(_WAITING, {})
    job = waiting.get(slot)
    if job is None or job.key != key or job.state == "cancelled":
        # (a job this page waited for and saw end is read, not asked for again: a failed one would
        # otherwise be retried on every rerun)
        try:
            job = compute.HELPER.submit(who, task, **kwargs)
        except compute.Busy as err:
            st.warning(plain(str(err)), icon=":material/hourglass_top:")
            return None
    if job.state == "done":
        waiting.pop(slot, None)
        return job.result
    if job.state == "failed":
        waiting.pop(slot, None)
        failed[slot] = (key, job.error)
        _show_failure(slot, job.error)
        return None
    if job.state == "cancelled":
        waiting.pop(slot, None)
        return None
    waiting[slot] = job
    _progress(slot, job, label, who, on_cancel)
    return None


def finished_waiting() -> bool:
    """Whether a computation this session's page waits for has ended since the page last ran."""
    waiting = st.session_state.get(_WAITING) or {}
    return any(not job.pending for job in waiting.values())


def _progress(
    slot: str, job: compute.Job, label: str, who: object, on_cancel: Callable[[], None] | None
) -> None:
    @st.fragment(run_every=POLL_SECONDS)
    def bar() -> None:
        if not job.pending:
            st.rerun(scope="app")  # show the result (or the message) where the page draws it
        if job.state == "queued":
            text = f"{label}: waiting for the computations asked for before it…"
        else:
            text = f"{label}: {job.fraction:.0%}"
        cols = st.columns([5, 1], vertical_alignment="center")
        cols[0].progress(job.fraction, text=text)
        if who is not None:
            cols[1].button(
                "Cancel", key=f"cancel_{slot}", on_click=_cancel, args=(job, who, on_cancel), width="stretch"
            )

    bar()


def _cancel(job: compute.Job, who: object, on_cancel: Callable[[], None] | None) -> None:
    job.cancel(who)
    (st.session_state.get(_WAITING) or {}).pop(who[1], None)
    if on_cancel is not None:
        on_cancel()


def _show_failure(slot: str, message: str) -> None:
    st.error(plain(message), icon=":material/error:")
    st.button("Try again", key=f"retry_{slot}", on_click=_forget_failure, args=(slot,))


def _forget_failure(slot: str) -> None:
    (st.session_state.get(_FAILED) or {}).pop(slot, None)
