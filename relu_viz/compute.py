"""Expensive one-off computations, run in a helper process so that no click holds the server.

A phase diagram at depth 6 × width 32 trains for about 11 s, a vanishing-gradient table of every
activation at depth 30 about 7.5 s; run in the server's process they hold the GIL, and every other
student's page stalls meanwhile. Here they run in one helper process (``python -m
relu_viz.compute_child``, at a lower priority): the server's process only sends the task and reads the
answer, a few milliseconds of its time whatever the task costs.

The service, :class:`ComputeHelper`:

- ``submit(owner, task, **kwargs)`` returns a :class:`Job` at once. ``task`` is a name in
  :data:`TASKS`; the keyword arguments are plain numbers, strings and tuples of them. Results are
  cached by (task, arguments) for every session (``cache_entries``, least recently used out); an equal
  job already queued or running is shared, not run twice.
- An ``owner`` (a session and a slot of its page) has at most one job waiting or running: a new one
  cancels the old, so a student (or a link walking through settings) can queue no more than one job
  per slot. Owner None is the server's own (the claims' demos).
- Queued jobs run one at a time, the next one taken from the session served least recently (round
  robin between students: a student who asks for many things waits for their own, not others).
- ``job.cancel(owner)``: the job is dropped when no owner is left (a running task stops at its next
  progress call).
- Each task has ``cpu_limit`` seconds of CPU time (the child fails it past that) and ``wall_limit``
  seconds of wall time (the helper is replaced past that).

Watchdog: the child sends a beat every 0.2 s. A child that died, or has been silent for
``stall_seconds`` without gaining CPU time (stopped, swapped out, hung; a child that is only slow on a
busy machine still gains CPU time and is left to work), is killed and
replaced within about ``stall_seconds``, and its running job is queued again (once; a job that stops
the helper twice fails with a message). Start-up, importing torch, gets ``startup_seconds``.

Never imports streamlit; usable from a notebook or a benchmark as from the app.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

_log = logging.getLogger(__name__)

# What the helper may run: a task name -> "module:function". Each function takes its keyword arguments
# and ``progress(fraction)``, and returns a picklable result.
TASKS: dict[str, str] = {
    "phase": "relu_viz.dead_neurons:phase_task",
    "survival": "relu_viz.dead_neurons:survival",
    "gradient_table": "relu_viz.gradient_flow:ratio_table",
    "cost": "relu_viz.cost:cost_task",
    "claims": "relu_viz.evidence:measure_all",
}

STALL_SECONDS = 2.0
STARTUP_SECONDS = 60.0
CPU_LIMIT = 60.0
WALL_LIMIT = 180.0
CACHE_ENTRIES = 64
MAX_QUEUED = 64  # jobs waiting at once, all sessions together
NICENESS = 10
POLL_SECONDS = 0.05

SERVER = "server"  # the session name of owner None


class Busy(RuntimeError):
    """Too many jobs are waiting; try again later."""


@dataclass(eq=False)
class Job:
    """One computation: its state, progress, and result or message.

    ``state``: "queued", "running", "done", "failed" or "cancelled". ``fraction``: progress in [0, 1].
    ``result`` when done; ``error`` (a sentence for the user) when failed. ``cpu_seconds``: the CPU time
    the helper spent on it; ``waited``: seconds from submission to start.
    """

    id: int
    task: str
    kwargs: dict
    key: tuple
    session: str
    owners: set = field(default_factory=set)
    state: str = "queued"
    fraction: float = 0.0
    result: object = None
    error: str = ""
    cpu_seconds: float = 0.0
    attempts: int = 0
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    _helper: ComputeHelper | None = field(default=None, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    @property
    def pending(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def waited(self) -> float:
        return (self.started or time.monotonic()) - self.submitted

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (done, failed or cancelled); True if it has."""
        return self._done.wait(timeout)

    def cancel(self, owner: object = None) -> None:
        """Give up the job for ``owner``; it stops when nobody else wants it."""
        if self._helper is not None:
            self._helper.cancel(self, owner)


def job_key(task: str, kwargs: dict) -> tuple:
    """The cache key: the task and its arguments in a fixed order (values must be hashable)."""
    items = tuple(sorted(kwargs.items()))
    hash(items)  # a list or dict argument fails here, at submission, not deep in the cache
    return (task, items)


class ComputeHelper:
    """The helper process and the queue in front of it (see the module docstring)."""

    def __init__(
        self,
        *,
        stall_seconds: float = STALL_SECONDS,
        startup_seconds: float = STARTUP_SECONDS,
        cpu_limit: float = CPU_LIMIT,
        wall_limit: float = WALL_LIMIT,
        cache_entries: int = CACHE_ENTRIES,
        niceness: int = NICENESS,
    ) -> None:
        self.stall_seconds, self.startup_seconds = stall_seconds, startup_seconds
        self.cpu_limit, self.wall_limit, self.niceness = cpu_limit, wall_limit, niceness
        self.cache_entries = cache_entries
        self._cond = threading.Condition()
        self._cache: collections.OrderedDict[tuple, object] = collections.OrderedDict()
        self._jobs: dict[tuple, Job] = {}  # queued or running, by key
        self._owned: dict[object, Job] = {}
        self._served: dict[str, float] = {}  # session -> when its last job started
        self._ids = itertools.count(1)
        self._running: Job | None = None
        self._process: subprocess.Popen | None = None
        self._commands: Connection | None = None
        self._messages: Connection | None = None
        self._heard = 0.0  # when the child last said anything
        self._beating = False  # the child has beaten since it started
        self._cpu_seen: int | None = None  # the child's CPU ticks at the last silence check
        self._broker: threading.Thread | None = None
        self.restarts = 0  # helpers replaced (died or stalled)
        self.started_processes = 0

    # -- the public side ------------------------------------------------------------------------------

    def submit(self, owner: object, task: str, **kwargs: object) -> Job:
        """The job computing ``task(**kwargs)``: cached, shared, or queued (see the module docstring).
        ``owner``: a hashable (session id, slot), or None for the server's own jobs."""
        if task not in TASKS:
            raise ValueError(f"Unknown task {task!r}")
        key = job_key(task, kwargs)
        session = SERVER if owner is None else str(owner[0] if isinstance(owner, tuple) else owner)
        with self._cond:
            if key in self._cache:
                self._cache.move_to_end(key)
                job = Job(next(self._ids), task, kwargs, key, session, state="done", fraction=1.0)
                job.result, job.finished = self._cache[key], time.monotonic()
                job._done.set()
                self._release(owner)
                return job
            job = self._jobs.get(key)
            if job is None:
                if sum(j.state == "queued" for j in self._jobs.values()) >= MAX_QUEUED:
                    raise Busy("The server is busy with other computations; try again in a minute.")
                job = Job(next(self._ids), task, kwargs, key, session, _helper=self)
                self._jobs[key] = job
            if owner is not None:
                if self._owned.get(owner) is not job:
                    self._release(owner)
                    self._owned[owner] = job
                job.owners.add(owner)
            else:
                job.owners.add(None)
            self._ensure_broker()
            self._cond.notify_all()
            return job

    def job_of(self, owner: object) -> Job | None:
        """The owner's latest job (any state), if it has one pending or just finished."""
        with self._cond:
            return self._owned.get(owner)

    def cancel(self, job: Job, owner: object = None) -> None:
        with self._cond:
            job.owners.discard(owner)
            if owner is not None and self._owned.get(owner) is job:
                del self._owned[owner]
            if job.owners or not job.pending:
                return
            self._end(job, "cancelled", error="Cancelled.")
            if self._running is job:
                self._send("cancel", job.id)

    def cached(self, task: str, **kwargs: object) -> object | None:
        """The cached result of ``task(**kwargs)``, or None."""
        with self._cond:
            return self._cache.get(job_key(task, kwargs))

    def shutdown(self) -> None:
        """Stop the helper process (jobs in flight are cancelled)."""
        with self._cond:
            for job in list(self._jobs.values()):
                self._end(job, "cancelled", error="The server is stopping.")
            self._stop_process()
            self._broker = None
            self._cond.notify_all()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    # -- bookkeeping (callers hold _cond) ---------------------------------------------------------------

    def _release(self, owner: object) -> None:
        """Drop the owner's previous job (cancelled if nobody else waits for it)."""
        if owner is None:
            return
        old = self._owned.pop(owner, None)
        if old is not None:
            old.owners.discard(owner)
            if not old.owners and old.pending:
                self._end(old, "cancelled", error="Replaced by a newer request.")
                if self._running is old:
                    self._send("cancel", old.id)

    def _end(self, job: Job, state: str, result: object = None, error: str = "") -> None:
        job.state, job.result, job.error = state, result, error
        job.finished = time.monotonic()
        if state == "done":
            job.fraction = 1.0
        self._jobs.pop(job.key, None)
        job._done.set()

    def _store(self, key: tuple, result: object) -> None:
        self._cache[key] = result
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_entries:
            self._cache.popitem(last=False)

    def _next_job(self) -> Job | None:
        """The queued job of the session served least recently (then the oldest)."""
        queued = [j for j in self._jobs.values() if j.state == "queued"]
        if not queued:
            return None
        return min(queued, key=lambda j: (self._served.get(j.session, 0.0), j.submitted))

    # -- the process -----------------------------------------------------------------------------------

    def _start_process(self) -> None:
        commands_read, commands_write = os.pipe()
        messages_read, messages_write = os.pipe()
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        args = [str(commands_read), str(messages_write), str(self.cpu_limit), str(self.niceness)]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "relu_viz.compute_child", *args],
            pass_fds=(commands_read, messages_write),
            env=env,
            stdin=subprocess.DEVNULL,
        )
        os.close(commands_read)
        os.close(messages_write)
        self._commands = Connection(commands_write, readable=False)
        self._messages = Connection(messages_read, writable=False)
        self._heard, self._beating = time.monotonic(), False
        self.started_processes += 1

    def _stop_process(self) -> None:
        process = self._process
        for conn in (self._commands, self._messages):
            if conn is not None:
                conn.close()
        self._process = self._commands = self._messages = None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def _send(self, *command: object) -> None:
        if self._commands is None:
            return
        with contextlib.suppress(OSError, ValueError):  # a dead child: the broker replaces it
            self._commands.send(command)

    def _ensure_broker(self) -> None:
        if self._broker is None or not self._broker.is_alive():
            self._broker = threading.Thread(target=self._serve, name="relu-viz-compute", daemon=True)
            self._broker.start()

    def _serve(self) -> None:
        """The broker: start the child when there is work, hand it one job at a time, read its
        messages, and replace it when it dies or stalls."""
        while True:
            with self._cond:
                if self._broker is not threading.current_thread():
                    return
                if self._running is None:
                    job = self._next_job()
                    if job is not None:
                        if self._process is None:
                            self._start_process()
                        job.state, job.started, job.attempts = "running", time.monotonic(), job.attempts + 1
                        self._served[job.session] = job.started
                        self._running = job
                        self._send("run", job.id, TASKS[job.task], job.kwargs)
                    elif self._process is None:
                        self._cond.wait()
                        continue
                messages = self._messages
            if messages is None:
                continue
            try:
                ready = messages.poll(POLL_SECONDS)
                message = messages.recv() if ready else None
            except (EOFError, OSError):
                message = None
            with self._cond:
                if message is not None:
                    self._heard = time.monotonic()
                    self._beating = True
                    if self._process is not None and message[0] == "beat":
                        self._cpu_seen = _cpu_ticks(self._process.pid)  # what a silence is compared with
                    self._handle(message)
                self._check_health()

    def _handle(self, message: tuple) -> None:
        kind, job = message[0], self._running
        if kind == "beat" or job is None or message[1] != job.id:
            return
        if kind == "progress":
            job.fraction = max(job.fraction, min(1.0, float(message[2])))
            return
        self._running = None
        job.cpu_seconds = float(message[-1])
        if kind == "done":
            self._store(job.key, message[2])
            if job.pending:
                self._end(job, "done", result=message[2])
            else:  # cancelled while it ran: nobody waits, but the answer is good
                job.result = message[2]
        elif kind == "failed" and job.pending:
            self._end(job, "failed", error=str(message[2]))
        elif kind == "cancelled" and job.pending:
            self._end(job, "cancelled", error="Cancelled.")

    def _check_health(self) -> None:
        """Replace a child that died, stalled or overran its wall limit; queue its job again once."""
        process = self._process
        if process is None:
            return
        now = time.monotonic()
        silent = now - self._heard
        died = process.poll() is not None
        stalled = silent > (self.stall_seconds if self._beating else self.startup_seconds)
        if stalled and self._beating and not died:
            # a child that still gets CPU time is slow (a loaded machine), not stalled: give it time
            cpu = _cpu_ticks(process.pid)
            if cpu is not None and cpu != self._cpu_seen:
                self._cpu_seen, self._heard, stalled = cpu, now, False
        job = self._running
        overran = job is not None and job.started is not None and now - job.started > self.wall_limit
        if not (died or stalled or overran):
            return
        why = "died" if died else ("overran its time" if overran else f"was silent for {silent:.1f} s")
        _log.warning("The compute helper %s; starting a new one", why)
        self._stop_process()
        self.restarts += 1
        self._running = None
        if job is None or not job.pending:
            return
        if overran:
            self._end(job, "failed", error="The computation took too long: try smaller settings.")
        elif job.attempts >= 2:
            self._end(job, "failed", error="The computation stopped the helper twice: try smaller settings.")
        else:
            job.state, job.fraction = "queued", 0.0


def _cpu_ticks(pid: int) -> int | None:
    """The process's CPU time so far in clock ticks (user + system, from /proc), or None if unknown.
    A stopped process (SIGSTOP) gains none; a slow one on a busy machine does."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])


# The process-wide helper every page uses.
HELPER = ComputeHelper()
