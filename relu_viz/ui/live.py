"""Session-side life of a live training run: one background worker per browser session.

The run and its worker live in ``st.session_state`` (never in a shared cache: a model is mutable and
belongs to one session). While playing, a live panel streams the worker's latest weights every
:func:`frame_interval` seconds from :func:`live_fragment` to the browser renderer
(:mod:`relu_viz.ui.renderer`), which draws them: training never waits for the browser, and the server
never draws a frame.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit import runtime
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from torch import nn

from relu_viz import experiment
from relu_viz.datasets import Dataset
from relu_viz.training import TrainSettings
from relu_viz.ui import background
from relu_viz.worker import SCHEDULER, Snapshot, TrainingWorker

_log = logging.getLogger(__name__)

STREAM_SECONDS = 600.0  # a live page's run streams this long, then starts a fresh run
FRAME_INTERVAL = 0.03  # seconds between frames of one live page: up to 33 a second (some repeat a step)
MAX_FRAMES_PER_SECOND = 600.0  # frames the whole server sends at most (see frame_interval)
# The live fragment's timer: how soon after a page run its frame loop starts. Every tick is a message
# from each browser that the server must queue, so not every frame: after a click the page's own run
# has just drawn a fresh frame anyway.
LOOP_START = 0.4
# The same timer while a frame loop streams: its ticks only wait in Streamlit's queue then (each one a
# message with every widget's value for the server to read), so it slows down until the loop ends.
TICK_WHILE_STREAMING = 5.0


@dataclass
class LiveRun:
    """A run, its worker, and a private copy of the network that frames are computed from."""

    run: experiment.Run
    worker: TrainingWorker
    view_model: nn.Sequential
    key: tuple

    def view(self, snap: Snapshot) -> nn.Sequential:
        """The view model holding the snapshot's weights (cheap: the networks here are tiny)."""
        self.view_model.load_state_dict(snap.state_dict)
        return self.view_model


def ensure_run(
    slot: str,
    dataset: Dataset,
    train_share: float,
    spec: experiment.ModelSpec,
    settings: TrainSettings,
) -> LiveRun:
    """The session's run in ``slot``: rebuilt when the structure changed, else updated in place."""
    key = experiment.structure_key(dataset, train_share, spec, settings)
    live: LiveRun | None = st.session_state.get(slot)
    if live is not None and live.key == key:
        live.worker.with_trainer(lambda t: t.update(settings))
        return live
    if live is not None:
        live.worker.stop()
    run = experiment.start(dataset, train_share, spec, settings)
    worker = TrainingWorker(run.trainer, watched=browser_connected())
    live = LiveRun(run, worker, copy.deepcopy(run.model), key)
    st.session_state[slot] = live
    st.session_state[f"{slot}_playing"] = False
    return live


def browser_connected() -> Callable[[], bool] | None:
    """A probe saying whether this session's browser is still connected (None outside a served app):
    a worker pauses for idleness only once its tab is gone, never because a busy server looked late."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    instance, session_id = runtime.get_instance(), ctx.session_id
    return lambda: instance.is_active_session(session_id)


STEP_WAIT = 0.3  # seconds a Step click waits for its steps before the page streams them instead


def step(slot: str, steps: int) -> None:
    """Train ``steps`` more steps through the training thread, in its turns (a Step never holds the
    server in one piece). Waits up to ``STEP_WAIT`` seconds for them; a longer Step plays on with the
    page streaming it, a progress bar showing how far it is, and Pause cancelling the rest."""
    current: LiveRun | None = st.session_state.get(slot)
    if current is None:
        return
    start = current.worker.snapshot().step
    current.worker.play(steps=steps)
    done = current.worker.wait_paused(STEP_WAIT)
    st.session_state[f"{slot}_playing"] = not done
    st.session_state[f"{slot}_stepping"] = None if done else (start, start + steps)


def stepping(slot: str) -> tuple[int, int] | None:
    """(first step, target step) of the Step in progress, or None."""
    span = st.session_state.get(f"{slot}_stepping")
    return span if span is not None and is_playing(slot) else None


def apply_speed(slot: str, epochs_per_second: float | None) -> None:
    """Cap the run's training speed (None: uncapped); applied only when it changes."""
    live: LiveRun | None = st.session_state.get(slot)
    if live is None or st.session_state.get(f"{slot}_speed", "unset") == (epochs_per_second, live.key):
        return
    steps = None
    if epochs_per_second is not None:
        steps = epochs_per_second * live.worker.with_trainer(lambda t: t.steps_per_epoch)
    live.worker.set_speed(steps)
    st.session_state[f"{slot}_speed"] = (epochs_per_second, live.key)


def reset(slot: str) -> None:
    """Forget the session's run so the next page run builds a fresh one from the same settings."""
    live: LiveRun | None = st.session_state.pop(slot, None)
    if live is not None:
        live.worker.stop()
    st.session_state[f"{slot}_playing"] = False


def is_playing(slot: str) -> bool:
    """Whether the page plays the run in ``slot``; False once its worker paused itself (a Step done,
    divergence, the epoch limit, an idle tab), so the page shows Play even when no frame loop saw it."""
    playing = bool(st.session_state.get(f"{slot}_playing", False))
    current: LiveRun | None = st.session_state.get(slot)
    if playing and current is not None and not current.worker.is_playing:
        st.session_state[f"{slot}_playing"] = playing = False
    return playing


def set_playing(slot: str, playing: bool) -> None:
    live: LiveRun | None = st.session_state.get(slot)
    st.session_state[f"{slot}_playing"] = playing
    st.session_state[f"{slot}_stepping"] = None
    if live is None:
        return
    if playing:
        live.worker.play()
    else:
        live.worker.pause()


_streams_lock = threading.Lock()
_streams = 0  # live pages streaming frames in this process right now


def live_sessions() -> int:
    """Sessions live on this server: pages streaming frames, or workers training, whichever is more."""
    with _streams_lock:
        streams = _streams
    return max(streams, SCHEDULER.active())


def frame_interval() -> float:
    """Seconds between two frames of one live page: ``FRAME_INTERVAL`` (25 a second) while few pages
    stream, stretched so that the whole server sends at most ``MAX_FRAMES_PER_SECOND`` (each frame costs
    the server process about half a millisecond to build and send, under the GIL training needs)."""
    return max(FRAME_INTERVAL, live_sessions() / MAX_FRAMES_PER_SECOND)


def served() -> bool:
    """Whether this script run serves a browser (``AppTest`` and bare runs have no HTTP headers)."""
    return runtime.exists() and bool(st.context.headers.get("Host"))


def in_frame_loop() -> bool:
    """Whether this script run is a live panel's frame loop (a fragment run), not a page run."""
    ctx = get_script_run_ctx()
    return ctx is not None and bool(ctx.fragment_ids_this_run)


WATCH_INTERVAL = 0.05  # how often a frame loop looks for a change to its own widgets, s


def _widget_ids() -> frozenset[str]:
    """Ids of the widgets this script run has created so far."""
    ctx = get_script_run_ctx()
    return frozenset(ctx.shared.widget_ids_this_run.snapshot()) if ctx is not None else frozenset()


def _widget_values(ids: frozenset[str]) -> dict[str, bytes | None]:
    """The values the browser sent for the widgets ``ids`` in the request this run answers, serialized
    (None: it has sent none yet, the widget shows its default)."""
    ctx = get_script_run_ctx()
    if ctx is None or not ids:
        return {}
    sent = {w.id: w.SerializeToString() for w in ctx.session_state.get_widget_states() if w.id in ids}
    return {i: sent.get(i) for i in ids}


def _change_waiting(held: dict[str, bytes | None]) -> bool:
    """Whether the browser has asked for a rerun in which one of the widgets in ``held`` has another
    value than this run's.

    Streamlit 1.67 lets a widget inside a fragment rerun only that fragment, but such a rerun waits for
    a running fragment run to end instead of stopping it (only ``st.rerun(scope="fragment")`` preempts).
    A frame loop is one long fragment run, so it must look for the waiting request itself and end.
    This reads Streamlit's private request queue (``ScriptRequests._state`` and ``_rerun_data``,
    pinned with streamlit==1.67.0; tested by the browser and classroom tests): no public API says
    whether a rerun is waiting.
    """
    if not held:
        return False
    ctx = get_script_run_ctx()
    requests = getattr(ctx, "script_requests", None)
    if requests is None or getattr(requests, "_state", None) != ScriptRequestType.RERUN:
        return False
    waiting = getattr(requests, "_rerun_data", None)
    states = getattr(waiting, "widget_states", None)
    if states is None:
        return False
    return any(w.id in held and w.SerializeToString() != held[w.id] for w in states.widgets)


_loop = threading.local()  # the running frame loop's widget values (``held``), per script thread


def change_waiting() -> bool:
    """Whether the frame loop running in this thread has a change to its own widgets waiting (see
    :func:`_change_waiting`); False outside a frame loop."""
    held = getattr(_loop, "held", None)
    return bool(held) and _change_waiting(held)


def _sleep_until(due: float) -> bool:
    """Sleep until ``time.monotonic()`` reaches ``due``; True (at once) if a change to the running
    frame loop's own widgets is waiting meanwhile (see :func:`change_waiting`)."""
    while True:
        if change_waiting():
            return True
        left = due - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, WATCH_INTERVAL))


def _set_timer(seconds: float) -> None:
    """Ask the browser to rerun the running fragment every ``seconds`` from now on, as
    ``st.fragment(run_every=...)`` does when the page declares it (Streamlit's ``auto_rerun``
    message; the browser replaces the fragment's timer when the interval differs, and drops all
    timers at the next full run, which declares them afresh)."""
    ctx = get_script_run_ctx()
    if ctx is None or len(ctx.fragment_ids_this_run) != 1:
        return
    msg = ForwardMsg()
    msg.auto_rerun.interval = seconds
    msg.auto_rerun.fragment_id = ctx.fragment_ids_this_run[0]
    ctx.enqueue(msg)


def live_fragment(
    playing: bool, interval: float = 0.0
) -> Callable[[Callable[[], Callable[[], bool]]], Callable[[], None]]:
    """Decorator for a live panel: ``build()`` lays the panel out with its first frame and returns
    ``draw()``, which redraws its live elements in place from the latest snapshot (False: nothing new
    to show). The panel runs as a fragment; while training plays, each fragment run calls ``draw``
    frame after frame every :func:`frame_interval` seconds (at least ``interval``).

    How it streams, and why this way:

    - The page's full run draws one frame and ends normally, so Streamlit clears whatever the paused
      page showed and the playing page does not (keyed elements included).
    - The fragment's ``run_every`` timer then starts a fragment run, which loops: draw, sleep until
      the next frame is due. Its later timer ticks wait in Streamlit's queue (a timer rerun never
      preempts a running script), so the loop keeps the session's one script thread for as long as
      it plays, with no rerun per frame and nothing to cancel. (With a fragment *per frame*, Streamlit
      1.67 cancels a frame still being drawn when its next tick arrives: once a busy server needs
      longer than the interval, no frame is ever shown; 30 sessions on 2 cores saw 0.02 a second.)
      While it loops the timer slows to ``TICK_WHILE_STREAMING`` (its ticks are messages the server
      must read, 75 a second for a class of 30 at 0.4 s) and returns to ``LOOP_START`` when the loop
      ends on its own.
    - A click or widget change outside the panel is a full rerun, which stops the loop at its next
      element; so does a closed tab. A change to a widget inside the panel (``build`` may create some)
      reruns the panel alone: the loop sees it waiting and ends, and that rerun starts the next loop
      with the new value. A loop also ends after ``STREAM_SECONDS``; the waiting tick starts the next.
    - Outside a served page (``AppTest``, a notebook) there is no timer: one frame is all.
    """

    def decorate(build: Callable[[], Callable[[], bool]]) -> Callable[[], None]:
        @st.fragment(run_every=LOOP_START if playing else None)
        def panel() -> None:
            global _streams
            before = _widget_ids()
            draw = build()
            if not playing or not served() or not in_frame_loop():
                return  # paused, not served, or the page's full run: the timer starts the loop
            held = _widget_values(_widget_ids() - before)  # the panel's own widgets, as this run has them
            heartbeat = st.empty()
            started = due = time.monotonic()
            with _streams_lock:
                _streams += 1
            _loop.held = held
            _set_timer(TICK_WHILE_STREAMING)
            try:
                while time.monotonic() - started < STREAM_SECONDS:
                    # the next frame is due an interval after the last one began, not after it ended
                    due += max(interval, frame_interval())
                    if _sleep_until(due):
                        return  # the rerun waiting with a new value of the panel's widget takes over
                    due = max(due, time.monotonic())  # a late frame does not make the next ones rush
                    if not draw():
                        heartbeat.empty()  # an element each round: where Streamlit notices a click
                    if background.finished_waiting():
                        st.rerun(scope="app")  # a computation the page waits for has ended: show it
                _set_timer(LOOP_START)  # the next loop starts at the next tick
            finally:
                _loop.held = None
                with _streams_lock:
                    _streams -= 1

        return panel

    return decorate
