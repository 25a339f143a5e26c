"""Background training for the live page: one worker thread per session, sharing the CPU fairly.

A :class:`TrainingWorker` owns a :class:`relu_viz.training.Trainer` and trains it in a daemon thread
while the page draws the latest :class:`Snapshot` (a consistent copy: weights, counters, history). The
page never waits for training and training never waits for the browser: the two only meet at a lock
that is held for one short slice of training at a time.

Scheduling policy (process-wide, :data:`SCHEDULER`; the numbers are its defaults):

- At most ``slots`` workers train at the same moment (1: the steps are Python and numpy on tiny
  arrays, so they mostly hold the GIL and a second concurrent trainer adds contention, not throughput;
  the other core is left to the Streamlit server and its script runs, with which the GIL is shared
  turn about, so many pages drawing at once automatically leave training a smaller share).
- A turn is one slice of training (``Trainer.run_for``), after which the worker rests, still holding
  its slot, for busy × (1 − duty)/duty, so training occupies a slot at most a share ``duty`` of the time
  and the server's threads always get the GIL within a few ms. ``busy`` is the thread's CPU time, not
  its wall time: under load a slice's wall time includes other threads' turns with the GIL, and
  resting for those too would pay for their work twice. Slice and duty follow the load
  (:func:`relu_viz.pacing.pace_for` of the workers that asked for a turn in the last
  ``ACTIVE_WINDOW`` seconds): 10 ms at duty 0.8 for a few sessions; for a class of 30, slices of about
  1 ms at duty 0.2, so each session still gets several turns a second and its map has news.
- Waiting workers queue first come, first served and the slot is handed straight to the head of the
  queue, so with n sessions playing each trains one slice in n: 30 students pressing Play at once each
  get 1/30 of the training time, and nobody starves.
- A worker may be held to ``steps_per_second`` (a token bucket, at most 0.25 s of burst): a session
  that asks for slow training uses only what it needs.

Idle safety: a worker that nobody has looked at (``snapshot``, ``with_trainer``, ``play``,
``step_once``) for ``idle_timeout`` seconds (a closed tab) pauses itself. ``stop()`` ends the thread;
the thread holds no reference to the worker object, and a finaliser stops it when the worker is garbage
collected, so a dropped session cannot leave a thread training behind it. :func:`live_threads` counts
the worker threads alive in the process.

Training stops by itself (``is_playing`` becomes False, ``pause_reason`` says why) at the epoch limit
and on divergence, the trainer's ``status`` and ``message`` telling the rest.
"""

from __future__ import annotations

import collections
import functools
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch

from relu_viz import pacing
from relu_viz.training import StateLayout, Trainer, TrainSettings

T = TypeVar("T")

IDLE_TIMEOUT = 30.0  # seconds without a look before a playing worker pauses itself
SLICE_SECONDS = 0.010
ACTIVE_WINDOW = 2.0  # a worker that asked for a turn this recently counts as a live session
BURST_SECONDS = 0.25  # most training a rate-limited worker may catch up on after a stall
PUBLISH_EVERY = 0.1  # seconds: the oldest a snapshot taken while a slice runs can be, plus a slice
POLL_SECONDS = 0.05  # how often a queued worker checks whether it was paused or stopped


class Scheduler:
    """Fair turn-taking among training threads (the policy is in the module docstring).

    ``acquire`` blocks until the caller holds one of ``slots`` slots, first come first served, or
    returns False if ``give_up()`` turns true while waiting. ``release`` hands the slot to the next
    waiter directly, so a worker that releases and re-queues cannot jump the queue.
    """

    def __init__(
        self, slots: int = 1, slice_seconds: float = SLICE_SECONDS, duty: float | None = None
    ) -> None:
        if slots < 1 or slice_seconds <= 0 or (duty is not None and not 0 < duty <= 1):
            raise ValueError("Scheduler needs slots ≥ 1, slice_seconds > 0 and 0 < duty ≤ 1.")
        self.slots = int(slots)
        self.slice_seconds = float(slice_seconds)
        self.fixed_duty = None if duty is None else float(duty)  # None: follow the load
        self._lock = threading.Lock()
        self._queue: collections.deque[threading.Event] = collections.deque()
        self._held = 0
        self._last_turn: dict[object, float] = {}  # worker -> when it last asked for a turn

    def acquire(self, give_up: Callable[[], bool] = lambda: False, who: object = None) -> bool:
        with self._lock:
            if who is not None:
                self._last_turn[who] = time.monotonic()
            if self._held < self.slots and not self._queue:
                self._held += 1
                return True
            ticket = threading.Event()
            self._queue.append(ticket)
        while not ticket.wait(POLL_SECONDS):
            if give_up():
                with self._lock:
                    if not ticket.is_set():
                        self._queue.remove(ticket)
                        return False
                self.release()  # the slot arrived while we were giving up: pass it on
                return False
        return True

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()  # the slot changes hands; _held is unchanged
            else:
                self._held -= 1

    def active(self) -> int:
        """How many workers asked for a turn within the last ``ACTIVE_WINDOW`` seconds (waiting or
        served), or are queued now."""
        now = time.monotonic()
        with self._lock:
            for who in [w for w, t in self._last_turn.items() if now - t > ACTIVE_WINDOW]:
                del self._last_turn[who]
            return max(len(self._last_turn), len(self._queue) + self._held)

    def turn(self) -> tuple[float, float]:
        """(seconds of training in the next turn, the share of a slot's time spent training): fixed, or
        the pace for the current load (one lookup per turn)."""
        if self.fixed_duty is not None:
            return self.slice_seconds, self.fixed_duty
        pace = pacing.pace_for(self.active())
        return min(self.slice_seconds, pace.slice_seconds), pace.train_duty

    @staticmethod
    def rest_after(busy_seconds: float, duty: float) -> float:
        """Seconds to rest, slot held, after training ``busy_seconds``: keeps a slot's duty ≤ ``duty``."""
        return busy_seconds * (1 - duty) / duty

    @property
    def held(self) -> int:
        return self._held

    @property
    def waiting(self) -> int:
        return len(self._queue)


# One slot: measured with 30 sessions playing on 2 cores, two slots gave the same total training
# (about 500 epochs/s of the spiral workload, within noise) since both trainers wait on the GIL.
SCHEDULER = Scheduler(slots=1)

_threads_lock = threading.Lock()
_threads: set[threading.Thread] = set()


def live_threads() -> int:
    """How many worker threads are alive in this process (all sessions)."""
    with _threads_lock:
        return sum(t.is_alive() for t in _threads)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A consistent copy of a run at one instant; nothing in it changes when training goes on.

    ``theta``: a read-only copy of the trainer's flat θ, every trainable parameter flattened in
    ``model.parameters()`` order (W1, b1, W2, b2, ... for a plain MLP): what a frame streams.
    ``state_dict``: the model's tensors, built from ``theta`` on first use (each tensor its own copy,
    safe to change). ``history``: :meth:`History.to_arrays` columns (read-only copies, shared by
    snapshots taken while the history did not change). ``epochs_per_second``: the measured training
    speed over about the last second of wall time. ``pause_reason``: "" while playing or never started,
    else "paused", "idle", "diverged" or "epoch_limit".
    """

    theta: np.ndarray
    step: int
    epoch: float
    status: str
    message: str
    playing: bool
    pause_reason: str
    settings: TrainSettings
    history: dict[str, np.ndarray]
    epochs_per_second: float
    history_version: int = 0  # changes whenever ``history`` does
    layout: StateLayout | None = None  # where the state_dict's entries lie in theta
    other_state: dict[str, torch.Tensor] = field(default_factory=dict)  # entries not in theta (rare)

    @functools.cached_property
    def state_dict(self) -> dict[str, torch.Tensor]:
        if self.layout is None:
            raise ValueError("This snapshot has no state layout.")
        return self.layout.state_dict(self.theta, self.other_state)


class _Core:
    """The state shared by a worker and its thread. It never refers to the worker, so the worker can be
    garbage collected (and its finaliser stop the thread) while the thread runs."""

    def __init__(self, trainer: Trainer, idle_timeout: float, steps_per_second: float | None) -> None:
        self.trainer = trainer
        self.lock = threading.RLock()  # guards the trainer
        self.cond = threading.Condition()  # guards the fields below
        self.playing = False
        self.stopped = False
        self.pause_reason = ""
        self.idle_timeout = idle_timeout
        self.last_seen = time.monotonic()
        self.rate = steps_per_second
        self.tokens = 0.0
        self.token_time = time.monotonic()
        self.progress: collections.deque[tuple[float, float]] = collections.deque(maxlen=64)
        self.wake = threading.Event()  # interrupts rests on stop
        self._history: tuple[int, dict[str, np.ndarray]] = (-1, {})
        self.wanted = False  # a snapshot was asked for while a slice held the trainer
        self.latest = self.publish()

    def publish(self) -> Snapshot:
        """Copy the run into a new :class:`Snapshot` (caller holds ``lock``) and keep it as ``latest``.
        History columns are copied only when the history changed, and shared read-only until then."""
        t = self.trainer
        version, history = self._history
        if version != t.history.version:
            history = t.history.to_arrays()
            for column in history.values():
                column.flags.writeable = False
            version = t.history.version
            self._history = (version, history)
        with self.cond:
            playing, reason = self.playing, self.pause_reason
        theta = t.theta()
        theta.flags.writeable = False
        snap = Snapshot(
            theta,
            t.step_count,
            t.epoch,
            t.status,
            t.message,
            playing,
            reason,
            t.settings,
            history,
            self.speed(),
            version,
            t.state_layout,
            t.other_state(),
        )
        self.latest = snap
        self.wanted = False
        self.published_at = time.monotonic()
        return snap

    def seen(self) -> None:
        self.last_seen = time.monotonic()

    def set_playing(self, playing: bool, reason: str) -> None:
        with self.cond:
            self.playing = playing
            self.pause_reason = "" if playing else reason
            if playing:
                self.tokens, self.token_time = 1.0, time.monotonic()
                self.seen()
            self.cond.notify_all()

    def shutdown(self) -> None:
        with self.cond:
            self.stopped = True
            self.playing = False
            self.cond.notify_all()
        self.wake.set()

    def budget(self) -> tuple[int | None, float]:
        """(steps allowed now or None for unlimited, seconds to wait when none is allowed)."""
        if self.rate is None:
            return None, 0.0
        now = time.monotonic()
        cap = max(1.0, self.rate * BURST_SECONDS)
        self.tokens = min(cap, self.tokens + (now - self.token_time) * self.rate)
        self.token_time = now
        allowed = int(self.tokens)
        return allowed, 0.0 if allowed else (1.0 - self.tokens) / self.rate

    def speed(self) -> float:
        """Epochs per second over about the last second of progress records."""
        now = time.monotonic()
        recent = [(t, e) for t, e in self.progress if now - t <= 1.0]
        if len(recent) < 2 or recent[-1][0] <= recent[0][0]:
            return 0.0
        (t0, e0), (t1, e1) = recent[0], recent[-1]
        return (e1 - e0) / (t1 - t0)


def _run(core: _Core, scheduler: Scheduler) -> None:
    """The worker thread: wait for Play, then train slice after slice, taking turns."""
    trainer = core.trainer
    try:
        while True:
            with core.cond:
                while not core.stopped and not core.playing:
                    core.cond.wait()
                if core.stopped:
                    return
                if core.idle_timeout and time.monotonic() - core.last_seen > core.idle_timeout:
                    core.playing, core.pause_reason = False, "idle"
                    continue
                allowed, wait = core.budget()
                if allowed == 0:
                    core.cond.wait(wait)
                    continue
            if not scheduler.acquire(lambda: core.stopped or not core.playing, who=id(core)):
                continue
            try:
                slice_seconds, duty = scheduler.turn()
                # CPU time, not wall time: under load the slice's wall time includes the time other
                # threads held the GIL, and resting for that too would pay for their work twice
                start = time.thread_time()
                status, done = None, 0
                with core.lock:
                    if core.playing and not core.stopped:
                        done = trainer.run_for(slice_seconds, max_steps=allowed)
                        status = trainer.status
                        core.progress.append((time.monotonic(), trainer.epoch))
                        if status != "ok":
                            core.set_playing(False, status)
                        if (
                            core.wanted
                            or status != "ok"
                            or core.published_at < time.monotonic() - PUBLISH_EVERY
                        ):
                            # a page found the trainer busy, training stopped, or the copy is getting
                            # old: copy it out now (not after every slice: a copy costs a few steps)
                            core.publish()
                busy = time.thread_time() - start
                if status is not None and core.rate is not None:
                    with core.cond:
                        core.tokens -= done
                if not core.wake.is_set():
                    core.wake.wait(scheduler.rest_after(busy, duty))
            finally:
                scheduler.release()
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


class TrainingWorker:
    """Trains ``trainer`` in a background thread; the page plays, pauses and looks at snapshots.

    All access to the trainer goes through this object (``snapshot``, ``with_trainer``, ``step_once``):
    they take the trainer's lock, which the thread holds for one slice (about 10 ms) at a time.
    ``steps_per_second`` caps the training speed (None: as fast as the scheduler allows).
    """

    def __init__(
        self,
        trainer: Trainer,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        steps_per_second: float | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self._core = _Core(trainer, idle_timeout, steps_per_second)
        self._thread = threading.Thread(
            target=_run, args=(self._core, scheduler or SCHEDULER), name="relu-viz-trainer", daemon=True
        )
        with _threads_lock:
            _threads.add(self._thread)
        self._thread.start()
        self._finalizer = weakref.finalize(self, self._core.shutdown)

    # -- control -----------------------------------------------------------------------------------

    def play(self) -> None:
        """Start (or resume) training in the background. A diverged or finished run pauses again at
        once: change its settings (``with_trainer(lambda t: t.update(...))``) first."""
        self._core.set_playing(True, "")

    def pause(self) -> None:
        """Stop training; when this returns no further step will be taken (the slice in flight, at most
        one, has finished)."""
        self._core.set_playing(False, "paused")
        with self._core.lock:
            pass

    def step_once(self, n: int = 1) -> int:
        """Take ``n`` steps now, in the caller's thread (the Step button); returns the steps taken."""
        self._core.seen()
        with self._core.lock:
            return self._core.trainer.step(n)

    def stop(self, timeout: float = 2.0) -> None:
        """End the thread (waits up to ``timeout`` seconds for it). The worker can't be restarted."""
        self._core.shutdown()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def set_speed(self, steps_per_second: float | None) -> None:
        """Cap the training speed in steps per second (None: no cap)."""
        with self._core.cond:
            self._core.rate = None if steps_per_second is None else max(1e-3, float(steps_per_second))
            self._core.tokens, self._core.token_time = 1.0, time.monotonic()
            self._core.cond.notify_all()

    @property
    def is_playing(self) -> bool:
        return self._core.playing

    @property
    def pause_reason(self) -> str:
        return self._core.pause_reason

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- looking -----------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A consistent copy of the run, without waiting for the slice in flight: taken now if the
        trainer is free, else the latest published one (at most ``PUBLISH_EVERY`` plus a slice old;
        the slice in flight publishes a fresh one when it ends, for the next look)."""
        core = self._core
        core.seen()
        # Once the run has stopped, the slice in flight (if any) is its last: wait for it, so a caller
        # who saw ``is_playing`` turn False never gets the snapshot from before the final slice.
        if core.lock.acquire(blocking=not core.playing):
            try:
                return core.publish()
            finally:
                core.lock.release()
        core.wanted = True
        return core.latest

    def with_trainer(self, fn: Callable[[Trainer], T]) -> T:
        """Run ``fn(trainer)`` under the trainer's lock (count regions, change settings, ...)."""
        self._core.seen()
        with self._core.lock:
            return fn(self._core.trainer)
