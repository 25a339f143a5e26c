"""Background training for the live pages: one process-wide training thread for every session.

A :class:`TrainingWorker` owns a :class:`relu_viz.training.Trainer`; while it plays, the trainer is
trained in the background and the page draws the latest :class:`Snapshot` (a consistent copy:
θ, counters, history). The page never waits for training and training never waits for the browser:
the two only meet at the trainer's lock, held for one short turn of training at a time.

Scheduling (process-wide, :data:`SCHEDULER`): one thread, started when the first worker is made and
ended when the last one stops, trains every playing session, in rounds:

- Each round groups the playing sessions by :func:`relu_viz.cohort.batch_key`: sessions whose steps
  have the same shape (architecture, activations, batch size, optimizer, loss, kind of regularization;
  any data, learning rate and rates) are stepped as ONE batched numpy step (:mod:`relu_viz.cohort`),
  which costs little more than one session's step (30 sessions: ~3 µs a session-step instead of ~90).
  A group of one, or a session on the autograd path (typed formulas, PReLU, ...), trains alone
  (``Trainer.run_for``).
- Every group gets one turn of ``slice`` seconds per round, in turn (a group of 30 and a session alone
  get the same time; the group shares it), so every playing session progresses every round. A group's
  turn only takes the sessions whose lock is free at that moment (a page busy with its trainer skips
  one turn, never waits for training and never blocks it).
- After each turn the thread rests for busy × (1 − duty)/duty, ``busy`` its CPU time in the turn, so
  training holds the GIL at most a share ``duty`` of the time and the server's threads (streaming
  frames, script runs) always get it within a few ms. Duty and slice follow the load
  (:func:`pace_for`): duty 0.8 for one session down to 0.4, 7.5 ms a second per live session being left
  to streaming its frames; the slice shrinks so that each group gets a turn about every
  ``ROUND_SECONDS``.
- A worker may be held to ``steps_per_second`` (a token bucket, at most 0.25 s of burst): its turn
  then takes at most the steps it has tokens for (it still steps in its group's batch); a session that
  asks for slow training uses only what it needs.

Idle safety: a worker that nobody has looked at (``snapshot``, ``with_trainer``, ``play``,
``step_once``) for ``idle_timeout`` seconds pauses itself, unless its ``watched`` probe says someone
still watches it (in the app: the session's browser is still connected), so a closed tab stops training
but a run never pauses because a busy server looked late. ``stop()`` ends the worker; the thread holds
no reference to the worker object, and a finaliser stops it when the worker is garbage collected, so a
dropped session cannot leave training behind it. :func:`live_threads` counts the workers alive in the
process.

Steps to a target: ``play(steps=n)`` trains exactly ``n`` more steps in the same turns as Play (so a Step
of a large epoch never holds the server in one piece), then pauses with the reason "stepped".

Watchdog: a second, light thread checks the training thread every ``WATCH_SECONDS``. A thread that died
(a bug) is replaced; a turn stuck for more than ``STALL_SECONDS`` (a step far slower than its slice)
gets the sessions that are not in it a fresh thread, and the stuck one ends itself after its turn. So a
stalled or dead thread is noticed and replaced within about ``STALL_SECONDS + WATCH_SECONDS``.

Training stops by itself (``is_playing`` becomes False, ``pause_reason`` says why) at the epoch limit
and on divergence (at the exact failing step, batched or not), the trainer's ``status`` and
``message`` telling the rest.
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch

from relu_viz import cohort
from relu_viz.training import StateLayout, Trainer, TrainSettings

T = TypeVar("T")
_log = logging.getLogger(__name__)

IDLE_TIMEOUT = 30.0  # seconds without a look before a playing worker pauses itself
SLICE_SECONDS = 0.010  # one group's turn, when there are few groups
MIN_SLICE_SECONDS = 0.002
ROUND_SECONDS = 0.040  # every group should get a turn about this often (a frame at 25 frames a second)
MAX_DUTY = 0.8  # the share of the time training may hold the GIL, for one session
MIN_DUTY = 0.4
STREAM_SHARE = 0.0075  # of the server's time, left per live session for its frames (25/s × 0.3 ms)
ACTIVE_WINDOW = 2.0  # a worker that trained this recently counts as a live session
BURST_SECONDS = 0.25  # most training a rate-limited worker may catch up on after a stall
PUBLISH_EVERY = 0.1  # seconds: the oldest a snapshot taken while a turn runs can be, plus a turn
POLL_SECONDS = 0.05  # the longest the thread sleeps while sessions wait for speed tokens
STALL_SECONDS = 1.0  # a turn running longer than this counts as a stalled training thread
WATCH_SECONDS = 0.25  # how often the watchdog looks at the training thread
MAX_STUCK_THREADS = 4  # replaced threads still finishing a stuck turn; beyond this, log and wait


@dataclass(frozen=True)
class Pace:
    """How the training thread shares the server: turns of ``slice_seconds`` per group, training at
    most a share ``train_duty`` of the time."""

    train_duty: float
    slice_seconds: float


def pace_for(sessions: int, groups: int = 1) -> Pace:
    """The pace with ``sessions`` live sessions in ``groups`` groups (0 counts as 1).

    duty = MAX_DUTY − (n − 1) · STREAM_SHARE, clipped to [MIN_DUTY, MAX_DUTY]: a session's frames cost the
    server about 25 × 0.3 ms a second, which training must leave free; slice = duty · ROUND_SECONDS /
    groups, clipped to [MIN_SLICE_SECONDS, SLICE_SECONDS], so that a round (every group's turn and
    rest) lasts about ROUND_SECONDS.
    """
    n, g = max(1, int(sessions)), max(1, int(groups))
    duty = min(MAX_DUTY, max(MIN_DUTY, MAX_DUTY - (n - 1) * STREAM_SHARE))
    slice_seconds = min(SLICE_SECONDS, max(MIN_SLICE_SECONDS, duty * ROUND_SECONDS / g))
    return Pace(duty, slice_seconds)


_workers_lock = threading.Lock()
_cores: weakref.WeakSet[_Core] = weakref.WeakSet()


def live_threads() -> int:
    """How many workers are alive (made and not stopped) in this process, all sessions together.
    (Named from when each worker had a thread of its own; they now share :data:`SCHEDULER`'s.)"""
    with _workers_lock:
        return sum(not c.stopped for c in _cores)


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

    def __init__(
        self,
        trainer: Trainer,
        idle_timeout: float,
        steps_per_second: float | None,
        wake: Callable[[], None] = lambda: None,
        watched: Callable[[], bool] | None = None,
    ) -> None:
        self.trainer = trainer
        self.watched = watched  # whether someone still watches the run (None: only looks count)
        self.wake_scheduler = wake  # tells the training thread that something changed
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
        self.until: int | None = None  # the step count at which a Step's training pauses
        self.progress: collections.deque[tuple[float, float]] = collections.deque(maxlen=64)
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

    def set_playing(self, playing: bool, reason: str, until: int | None = None) -> None:
        with self.cond:
            self.playing = playing
            self.pause_reason = "" if playing else reason
            self.until = until if playing else None
            if playing:
                self.tokens, self.token_time = 1.0, time.monotonic()
                self.seen()
            self.cond.notify_all()
        if playing:
            self.wake_scheduler()

    def shutdown(self) -> None:
        with self.cond:
            self.stopped = True
            self.playing = False
            self.cond.notify_all()
        self.wake_scheduler()

    def budget(self) -> tuple[int | None, float]:
        """(steps allowed now or None for unlimited, seconds to wait when none is allowed). A Step's
        steps are not held to the speed cap: the user asked for them now."""
        if self.until is not None:
            return max(1, self.until - self.trainer.step_count), 0.0
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


class Scheduler:
    """The training thread shared by every worker of a process (the policy is in the module docstring).

    ``slice_seconds`` and ``duty`` fix the pace (None: follow the load, :func:`pace_for`).
    """

    def __init__(self, slice_seconds: float | None = None, duty: float | None = None) -> None:
        if (slice_seconds is not None and slice_seconds <= 0) or (duty is not None and not 0 < duty <= 1):
            raise ValueError("Scheduler needs slice_seconds > 0 and 0 < duty ≤ 1.")
        self.fixed_slice = slice_seconds
        self.fixed_duty = duty
        # re-entrant: a dropped worker's finaliser (which wakes the thread) may run in any thread,
        # this one included, at any allocation, even while the lock is held
        self._cond = threading.Condition(threading.RLock())
        self._cores: set[_Core] = set()
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        self._generation = 0  # the serving thread of another generation ends itself at its next round
        self._busy_since: float | None = None  # when the serving thread's turn in progress began
        self._stuck: list[threading.Thread] = []  # replaced threads still inside their stuck turn
        self._last_turn: dict[int, float] = {}  # id(core) -> when it last trained
        self.rounds = 0  # rounds served (tests and benchmarks read it)
        self.replaced = 0  # serving threads replaced by the watchdog (dead or stalled)

    # -- membership ----------------------------------------------------------------------------------

    def add(self, core: _Core) -> None:
        with self._cond:
            self._cores.add(core)
            if self._thread is None or not self._thread.is_alive():
                self._start_thread()
            if self._watchdog is None or not self._watchdog.is_alive():
                self._watchdog = threading.Thread(target=self._watch, name="relu-viz-watchdog", daemon=True)
                self._watchdog.start()
            self._cond.notify_all()

    def _start_thread(self) -> None:
        """A fresh serving thread (caller holds ``_cond``); any older one ends at its next round."""
        self._generation += 1
        self._busy_since = None
        self._thread = threading.Thread(
            target=self._serve, args=(self._generation,), name="relu-viz-trainer", daemon=True
        )
        self._thread.start()

    def _watch(self) -> None:
        """The watchdog: every ``WATCH_SECONDS``, replace a serving thread that died or whose turn has
        run longer than ``STALL_SECONDS``; ends when no worker is left."""
        while True:
            time.sleep(WATCH_SECONDS)
            with self._cond:
                if not any(not c.stopped for c in self._cores):
                    self._watchdog = None
                    return
                thread, busy = self._thread, self._busy_since
                self._stuck = [t for t in self._stuck if t.is_alive()]
                if thread is None or not thread.is_alive():
                    if any(c.playing for c in self._cores):
                        _log.error("The training thread died; starting a new one")
                        self.replaced += 1
                        self._start_thread()
                elif busy is not None and time.monotonic() - busy > STALL_SECONDS:
                    if len(self._stuck) >= MAX_STUCK_THREADS:
                        continue  # something stalls every thread: more threads would not help
                    stalled = time.monotonic() - busy
                    _log.warning("A training turn has run %.1f s; a new thread serves the others", stalled)
                    self.replaced += 1
                    self._stuck.append(thread)
                    self._start_thread()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def active(self) -> int:
        """How many sessions are playing now or trained within the last ``ACTIVE_WINDOW`` seconds."""
        now = time.monotonic()
        with self._cond:
            for who in [w for w, t in self._last_turn.items() if now - t > ACTIVE_WINDOW]:
                del self._last_turn[who]
            playing = {id(c) for c in self._cores if c.playing}
            return len(playing | set(self._last_turn))

    def pace(self, sessions: int, groups: int) -> Pace:
        """The pace of this round: fixed, or :func:`pace_for` the load."""
        pace = pace_for(sessions, groups)
        return Pace(
            pace.train_duty if self.fixed_duty is None else self.fixed_duty,
            pace.slice_seconds if self.fixed_slice is None else self.fixed_slice,
        )

    @staticmethod
    def rest_after(busy_seconds: float, duty: float) -> float:
        """Seconds to rest after training ``busy_seconds``: keeps training's share of the time ≤ duty."""
        return busy_seconds * (1 - duty) / duty

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    # -- the thread ----------------------------------------------------------------------------------

    def _serve(self, generation: int) -> None:
        """Round after round: group the playing sessions, give each group a turn, rest after each.
        Ends when no worker is left, or when the watchdog has replaced this thread."""
        try:
            self._rounds(generation)
        except Exception:  # the watchdog starts a new thread; say why this one ended
            _log.exception("The training thread failed")

    def _current(self, generation: int) -> bool:
        return generation == self._generation

    def _rounds(self, generation: int) -> None:
        while True:
            with self._cond:
                if not self._current(generation):
                    return
                self._cores = {c for c in self._cores if not c.stopped}
                now = time.monotonic()
                for who in [w for w, t in self._last_turn.items() if now - t > ACTIVE_WINDOW]:
                    del self._last_turn[who]
                if not self._cores:
                    self._thread = None  # the next add() starts a fresh thread
                    return
                playing = [c for c in self._cores if c.playing]
                if not playing:
                    self._cond.wait()
                    continue
            groups, wait = self._groups(playing)
            if not groups:
                with self._cond:
                    self._cond.wait(min(wait, POLL_SECONDS))
                continue
            pace = self.pace(len(playing), len(groups))
            self.rounds += 1
            for key, members in groups.items():
                if not self._current(generation):
                    return
                self._busy_since = time.monotonic()
                busy = self._turn(key, members, pace.slice_seconds)
                with self._cond:
                    if self._current(generation):
                        self._busy_since = None
                if busy:
                    time.sleep(self.rest_after(busy, pace.train_duty))

    def _groups(self, playing: list[_Core]) -> tuple[dict[object, list[tuple[_Core, int | None]]], float]:
        """The sessions that may train this round, by batch key, with their step budgets; and how long
        to wait when none may (speed caps)."""
        now = time.monotonic()
        groups: dict[object, list[tuple[_Core, int | None]]] = {}
        wait = POLL_SECONDS
        for core in playing:
            with core.cond:
                if not core.playing or core.stopped:
                    continue
                if core.idle_timeout and now - core.last_seen > core.idle_timeout:
                    if core.watched is not None and _still_watched(core.watched):
                        core.seen()  # a slow server looked late: the run goes on
                    else:
                        core.playing, core.pause_reason, core.until = False, "idle", None
                        core.cond.notify_all()
                        continue
                allowed, until = core.budget()
            if allowed == 0:
                wait = min(wait, until)
                continue
            if not core.lock.acquire(blocking=False):
                wait = 0.001  # the page has the trainer for a moment: try again next round
                continue
            try:
                key = cohort.batch_key(core.trainer)
            finally:
                core.lock.release()
            groups.setdefault(("alone", id(core)) if key is None else key, []).append((core, allowed))
        return groups, wait

    def _turn(self, key: object, members: list[tuple[_Core, int | None]], seconds: float) -> float:
        """One group's turn; returns the CPU seconds it took (0 if nobody could train)."""
        held: list[tuple[_Core, int | None]] = []
        for core, allowed in members:
            if not core.lock.acquire(blocking=False):
                continue
            if core.playing and core.trainer.status != "ok":  # Play on a stopped run: pause it again
                self._after(core, 0, time.monotonic())
                core.lock.release()
                continue
            same = len(members) == 1 or cohort.batch_key(core.trainer) == key  # settings may have changed
            if same and core.playing and not core.stopped:
                held.append((core, allowed))
            else:
                core.lock.release()
        if not held:
            return 0.0
        start = time.thread_time()
        try:
            trainers = [core.trainer for core, _ in held]
            if len(held) == 1:
                done = [trainers[0].run_for(seconds, max_steps=held[0][1])]
            else:
                done = cohort.run_for(trainers, seconds, [a for _, a in held])
            now = time.monotonic()
            for (core, _), steps in zip(held, done, strict=True):
                self._after(core, steps, now)
        except Exception:  # a bug must not stop every session's training: pause these and say so
            _log.exception("A training turn failed; its sessions are paused")
            for core, _ in held:
                core.set_playing(False, "paused")
        finally:
            for core, _ in held:
                core.lock.release()
        return time.thread_time() - start

    def _after(self, core: _Core, steps: int, now: float) -> None:
        """A member's bookkeeping after a turn (its lock held)."""
        trainer = core.trainer
        core.progress.append((now, trainer.epoch))
        with self._cond:
            self._last_turn[id(core)] = now
        if core.rate is not None:
            with core.cond:
                core.tokens -= steps
        status = trainer.status
        if status != "ok":
            core.set_playing(False, status)
        elif core.until is not None and trainer.step_count >= core.until:
            core.set_playing(False, "stepped")
        if core.wanted or status != "ok" or core.published_at < now - PUBLISH_EVERY:
            # a page found the trainer busy, training stopped, or the copy is getting old: copy it
            # out now (not after every turn: a copy costs about as much as a step)
            core.publish()


def _still_watched(probe: Callable[[], bool]) -> bool:
    """The probe's answer; a probe that fails counts as nobody watching (the run pauses, nothing lost)."""
    try:
        return bool(probe())
    except Exception:
        _log.exception("A worker's watched probe failed")
        return False


# The process-wide training thread's scheduler; every worker uses it unless given another.
SCHEDULER = Scheduler()


class TrainingWorker:
    """Trains ``trainer`` in the background; the page plays, pauses and looks at snapshots.

    All access to the trainer goes through this object (``snapshot``, ``with_trainer``, ``step_once``):
    they take the trainer's lock, which the training thread holds for one turn (at most about 10 ms) at
    a time.
    ``steps_per_second`` caps the training speed (None: as fast as the scheduler allows). ``watched``
    says whether someone still watches the run (see the module docstring's idle safety).
    """

    def __init__(
        self,
        trainer: Trainer,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        steps_per_second: float | None = None,
        scheduler: Scheduler | None = None,
        watched: Callable[[], bool] | None = None,
    ) -> None:
        self._scheduler = scheduler or SCHEDULER
        self._core = _Core(trainer, idle_timeout, steps_per_second, self._scheduler.wake, watched)
        with _workers_lock:
            _cores.add(self._core)
        self._scheduler.add(self._core)
        self._finalizer = weakref.finalize(self, self._core.shutdown)

    # -- control -----------------------------------------------------------------------------------

    def play(self, steps: int | None = None) -> None:
        """Start (or resume) training in the background; with ``steps``, train exactly that many more
        steps (the Step button: in turns, at full speed, whatever the speed cap), then pause with the
        reason "stepped". A diverged or finished run pauses again at once: change its settings
        (``with_trainer(lambda t: t.update(...))``) first."""
        if steps is not None and steps < 1:
            raise ValueError("play(steps=n) needs n ≥ 1.")
        until = None if steps is None else self._core.trainer.step_count + int(steps)
        self._core.set_playing(True, "", until)

    def wait_paused(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for training to pause (a Step to finish); True if it has."""
        end = time.monotonic() + timeout
        with self._core.cond:
            while self._core.playing:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._core.cond.wait(left)
        return True

    def pause(self) -> None:
        """Stop training; when this returns no further step will be taken (the turn in flight, at most
        one, has finished; a stuck turn is waited for at most ``STALL_SECONDS``)."""
        self._core.set_playing(False, "paused")
        if self._core.lock.acquire(timeout=STALL_SECONDS):
            self._core.lock.release()

    def step_once(self, n: int = 1) -> int:
        """Take ``n`` steps now, in the caller's thread (the Step button); returns the steps taken."""
        self._core.seen()
        with self._core.lock:
            return self._core.trainer.step(n)

    def stop(self, timeout: float = 2.0) -> None:
        """End the worker: no step is taken after this returns (it waits up to ``timeout`` seconds for
        the turn in flight). The worker can't be restarted."""
        self._core.shutdown()
        if self._core.lock.acquire(timeout=timeout):
            self._core.lock.release()

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
        """Until :meth:`stop` (or the worker is dropped), with the training thread there to serve it."""
        thread = self._scheduler.thread
        return not self._core.stopped and thread is not None and thread.is_alive()

    # -- looking -----------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A consistent copy of the run, without waiting for the slice in flight: taken now if the
        trainer is free, else the latest published one (at most ``PUBLISH_EVERY`` plus a slice old;
        the slice in flight publishes a fresh one when it ends, for the next look)."""
        core = self._core
        core.seen()
        # Once the run has stopped, the slice in flight (if any) is its last: wait for it, so a caller
        # who saw ``is_playing`` turn False never gets the snapshot from before the final slice.
        # (a stuck turn is waited for at most STALL_SECONDS: then the latest copy is all there is)
        got = core.lock.acquire(blocking=False) if core.playing else core.lock.acquire(timeout=STALL_SECONDS)
        if got:
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
