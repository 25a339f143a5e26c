"""Training a class: N live sessions on one server, three ways, while the server copies their frames.

Run: ``python bench/class_training.py --sessions 30 --seconds 20`` (``--sessions 1,10,30,60,100`` is the
default; ``--ways``, ``--workloads`` pick a subset). Prints, for each way, workload and N: total
epochs/s, per-session epochs/s (min and median), the CPU it took (cores, over the run: the server
process, and helper processes apart) and the frames the server's frame loop got (snapshots a second
per session, aiming at ``--fps``). No asserts: figures and ratios only.

Ways:

- ``threads`` (before): today's design until this change, rebuilt here: one thread per session, taking
  turns through a one-slot first-come-first-served scheduler with a duty cycle (relu_viz.pacing's old
  formula), each turn ``Trainer.run_for``; a frame is the old snapshot (``state_dict`` clones).
- ``processes``: ``--procs`` helper processes (2: the cores) each train their share of the sessions
  (``Trainer.run_for`` in turn, as fast as they can), and every 1/fps s ship every session's θ, step
  and epoch to the server in one message per process (a pipe); the server's frame loop reads them.
  What it leaves out: a page's ``with_trainer`` (settings, region counts, revive) would have to go
  through the pipe too.
- ``batched`` (after): :class:`relu_viz.worker.TrainingWorker` as it is now (one training thread,
  sessions of one batch key stepped as one stacked step, relu_viz.cohort); a frame is a snapshot.
- ``cohort``: the batched step's ceiling: one ``relu_viz.cohort.run_for`` after another, no rests and
  no frame loop.

Workloads: ``circle``, the trainer page's defaults (circle, 500 points, 50% train, [2, 8, 8, 1] ReLU,
He init, SGD 0.03, batch 10, cross-entropy); ``spiral`` ([2, 8, 8, 8, 1] ReLU, batch 10, SGD 0.03,
squared error, 250 training points); ``mixed``: the circle page as a class really uses it (learning
rates across Playground's ladder, a third with batch 30, one in ten with GELU: the autograd path).
Each session has its own data and initialisation seed.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relu_viz import cohort, datasets, experiment, worker
from relu_viz.training import LEARNING_RATES, Trainer, TrainSettings

WAYS = ("threads", "processes", "batched", "cohort")
WORKLOADS = ("circle", "spiral", "mixed")


# -- workloads ---------------------------------------------------------------------------------------


def make_trainer(workload: str, i: int) -> Trainer:
    """Session i of a class on ``workload`` (its own seed)."""
    if workload == "spiral":
        ds = datasets.make("spiral", n=500, noise=0.0, seed=i)
        spec = experiment.ModelSpec(hidden=(8, 8, 8), activations=("relu",) * 3, seed=i)
        settings = TrainSettings(lr=0.03, batch_size=10, loss="squared_error", seed=i)
    else:
        ds = datasets.make("circle", n=500, noise=0.0, seed=i)
        acts = ("relu", "relu")
        settings = TrainSettings(lr=0.03, batch_size=10, seed=i)
        if workload == "mixed":
            if i % 10 == 9:
                acts = ("gelu", "gelu")
            lr = LEARNING_RATES[2 + i % 6]  # 1e-3 .. 0.1
            settings = TrainSettings(lr=lr, batch_size=30 if i % 3 == 2 else 10, seed=i)
        spec = experiment.ModelSpec(hidden=(8, 8), activations=acts, seed=i)
    return experiment.start(ds, 0.5, spec, settings).trainer


# -- (a) per-session threads with a one-slot scheduler (the design before this change) ------------------


def old_pace(n: int) -> tuple[float, float]:
    """(slice seconds, duty) of relu_viz.pacing.pace_for(n) before this change (frames 20 ms, 1 core)."""
    frame = next((r for r in (0.2, 0.25, 0.3, 0.4) if r >= n * 0.02 / 0.7 - 1e-9), 0.4)
    curves = next((r for r in (1.0, 1.5, 2.0, 3.0) if r >= n * 0.015 / 0.15 - 1e-9), 3.0)
    duty = min(0.8, max(0.2, 1.0 - 0.2 - n * (0.008 / frame + 0.015 / curves)))
    return min(0.010, max(0.001, duty / (n * 8.0))), duty


class OneSlot:
    """First come, first served, one holder at a time (the old worker.Scheduler with slots=1)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: collections.deque[threading.Event] = collections.deque()
        self._held = False

    def acquire(self) -> None:
        with self._lock:
            if not self._held and not self._queue:
                self._held = True
                return
            ticket = threading.Event()
            self._queue.append(ticket)
        ticket.wait()

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                self._held = False


class ThreadsWay:
    def __init__(self, trainers: list[Trainer]) -> None:
        self.trainers = trainers
        self.locks = [threading.Lock() for _ in trainers]
        self.slot = OneSlot()
        self.stop = threading.Event()
        slice_seconds, self.duty = old_pace(len(trainers))
        self.slice = slice_seconds
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(len(trainers))
        ]
        self.published = [t.epoch for t in trainers]  # the epoch of each session's last snapshot

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def _run(self, i: int) -> None:
        while not self.stop.is_set():
            self.slot.acquire()
            try:
                start = time.thread_time()
                with self.locks[i]:
                    self.trainers[i].run_for(self.slice)
                busy = time.thread_time() - start
                self.stop.wait(busy * (1 - self.duty) / self.duty)
            finally:
                self.slot.release()

    def frame(self, i: int) -> float | None:
        """The old snapshot: ``state_dict`` clones if the trainer is free, else the last one taken."""
        if self.locks[i].acquire(blocking=False):
            try:
                self.trainers[i].state_dict()
                self.published[i] = self.trainers[i].epoch
            finally:
                self.locks[i].release()
        return self.published[i]

    def epochs(self) -> list[float]:
        out = []
        for lock, t in zip(self.locks, self.trainers, strict=True):
            with lock:
                out.append(t.epoch)
        return out

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(2)


# -- (b) helper processes shipping θ -----------------------------------------------------------------


def _process_main(workload: str, ids: list[int], fps: float, conn, stop) -> None:
    from relu_viz import cohort as _cohort  # noqa: F401 (same imports as the server)

    trainers = [make_trainer(workload, i) for i in ids]
    conn.send("ready")
    conn.recv()  # go
    period, next_ship = 1.0 / fps, time.perf_counter()
    turn = max(0.001, min(0.01, 0.5 / (len(trainers) * fps)))
    while not stop.is_set():
        for t in trainers:
            t.run_for(turn)
            now = time.perf_counter()
            if now >= next_ship:
                conn.send(
                    [(i, t2.theta(), t2.step_count, t2.epoch) for i, t2 in zip(ids, trainers, strict=True)]
                )
                next_ship = max(next_ship + period, now)
    conn.send("done")


class ProcessesWay:
    def __init__(self, workload: str, n: int, procs: int, fps: float) -> None:
        ctx = mp.get_context("fork")
        self.stop = ctx.Event()
        self.n = n
        self.latest: dict[int, float] = {}
        self.start_epochs: dict[int, float] = {}
        self.frames = 0
        self.pipes, self.procs = [], []
        for p in range(min(procs, n)):
            ids = list(range(p, n, procs))
            a, b = ctx.Pipe()
            proc = ctx.Process(target=_process_main, args=(workload, ids, fps, b, self.stop), daemon=True)
            proc.start()
            self.pipes.append(a)
            self.procs.append(proc)
        for a in self.pipes:
            assert a.recv() == "ready"
        self.reader = threading.Thread(target=self._read, daemon=True)
        self._lock = threading.Lock()

    def start(self) -> None:
        self.reader.start()
        for a in self.pipes:
            a.send("go")

    def _read(self) -> None:
        from multiprocessing.connection import wait

        open_pipes = list(self.pipes)
        while open_pipes:
            for a in wait(open_pipes, timeout=0.5):
                msg = a.recv()
                if msg == "done":
                    open_pipes.remove(a)
                    continue
                with self._lock:
                    for i, _theta, _step, epoch in msg:
                        self.latest[i] = epoch
                        self.start_epochs.setdefault(i, epoch)
                        self.frames += 1

    def epochs(self) -> list[float]:
        with self._lock:
            return [self.latest.get(i, 0.0) for i in range(self.n)]

    def child_cpu(self) -> float:
        total = 0.0
        for p in self.procs:
            try:
                with open(f"/proc/{p.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def close(self) -> None:
        self.stop.set()
        self.reader.join(5)
        for p in self.procs:
            p.join(5)


# -- (c) the batched worker ------------------------------------------------------------------------------


class BatchedWay:
    def __init__(self, trainers: list[Trainer]) -> None:
        self.workers = [worker.TrainingWorker(t, idle_timeout=0) for t in trainers]

    def start(self) -> None:
        for w in self.workers:
            w.play()

    def frame(self, i: int) -> float | None:
        return self.workers[i].snapshot().epoch

    def epochs(self) -> list[float]:
        return [w.snapshot().epoch for w in self.workers]

    def close(self) -> None:
        for w in self.workers:
            w.stop()


# -- measuring ------------------------------------------------------------------------------------------


@dataclass
class Result:
    way: str
    workload: str
    n: int
    seconds: float
    per_session: list[float]  # epochs/s
    server_cores: float
    helper_cores: float
    frames_per_session: float  # frames a second each got

    @property
    def total(self) -> float:
        return sum(self.per_session)


def frame_loop(way, n: int, fps: float, stop: threading.Event, counts: list[int]) -> None:
    """The server's frame loop: every 1/fps s, a snapshot of every session."""
    period = 1.0 / fps
    next_tick = time.perf_counter()
    while not stop.is_set():
        for i in range(n):
            if way.frame(i) is not None:
                counts[i] += 1
        next_tick += period
        delay = next_tick - time.perf_counter()
        if delay > 0:
            stop.wait(delay)
        else:
            next_tick = time.perf_counter()


def measure(way_name: str, workload: str, n: int, seconds: float, fps: float, procs: int) -> Result:
    warm = min(1.0, seconds / 4)
    helper = 0.0
    if way_name == "processes":
        way = ProcessesWay(workload, n, procs, fps)
        way.start()
        time.sleep(warm)
        e0, c0, h0, t0 = way.epochs(), time.process_time(), way.child_cpu(), time.perf_counter()
        f0 = way.frames
        time.sleep(seconds)
        e1, c1, h1, t1 = way.epochs(), time.process_time(), way.child_cpu(), time.perf_counter()
        frames = (way.frames - f0) / n / (t1 - t0)
        way.close()
        helper = (h1 - h0) / (t1 - t0)
    elif way_name == "cohort":
        trainers = [make_trainer(workload, i) for i in range(n)]
        groups = cohort._groups(trainers)
        deadline = time.perf_counter() + warm
        e0 = None
        while True:
            for key, members in groups.items():
                ts = [trainers[i] for i in members]
                if key is None or len(ts) == 1:
                    for t in ts:
                        t.run_for(0.01)
                else:
                    cohort.run_for(ts, 0.01)
            now = time.perf_counter()
            if e0 is None and now >= deadline:
                e0, c0, t0 = [t.epoch for t in trainers], time.process_time(), now
                deadline = now + seconds
            elif e0 is not None and now >= deadline:
                break
        e1, c1, t1 = [t.epoch for t in trainers], time.process_time(), time.perf_counter()
        frames = 0.0
    else:
        trainers = [make_trainer(workload, i) for i in range(n)]
        way = ThreadsWay(trainers) if way_name == "threads" else BatchedWay(trainers)
        counts = [0] * n
        stop = threading.Event()
        loop = threading.Thread(target=frame_loop, args=(way, n, fps, stop, counts), daemon=True)
        way.start()
        loop.start()
        time.sleep(warm)
        e0, c0, t0, k0 = way.epochs(), time.process_time(), time.perf_counter(), sum(counts)
        time.sleep(seconds)
        e1, c1, t1, k1 = way.epochs(), time.process_time(), time.perf_counter(), sum(counts)
        stop.set()
        loop.join(2)
        way.close()
        frames = (k1 - k0) / n / (t1 - t0)
    wall = t1 - t0
    per = [(b - a) / wall for a, b in zip(e0, e1, strict=True)]
    return Result(way_name, workload, n, wall, per, (c1 - c0) / wall, helper, frames)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", default="1,10,30,60,100", help="comma-separated class sizes")
    ap.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run")
    ap.add_argument("--ways", default=",".join(WAYS))
    ap.add_argument("--workloads", default="circle,spiral")
    ap.add_argument("--fps", type=float, default=25.0, help="frames a second per session")
    ap.add_argument("--procs", type=int, default=2, help="helper processes for the processes way")
    ap.add_argument("--repeat", type=int, default=1, help="runs per figure (the median is shown)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sessions.split(",")]
    ways = args.ways.split(",")
    loads = args.workloads.split(",")
    load_avg = os.getloadavg()[0]
    print(f"# {os.cpu_count()} cores, load average {load_avg:.2f}; {args.seconds:g}s a run; fps {args.fps:g}")
    print(
        f"{'workload':8} {'N':>4} {'way':10} {'total ep/s':>10} {'min ep/s':>9} {'median':>8} "
        f"{'server cores':>12} {'helpers':>7} {'frames/s each':>13}"
    )
    table: dict[tuple[str, int, str], Result] = {}
    for load in loads:
        for n in sizes:
            for way in ways:
                runs = [measure(way, load, n, args.seconds, args.fps, args.procs) for _ in range(args.repeat)]
                r = sorted(runs, key=lambda r: r.total)[len(runs) // 2]
                table[(load, n, way)] = r
                median = statistics.median(r.per_session)
                print(
                    f"{load:8} {n:>4} {way:10} {r.total:>10.0f} {min(r.per_session):>9.1f} {median:>8.1f} "
                    f"{r.server_cores:>12.2f} {r.helper_cores:>7.2f} {r.frames_per_session:>13.1f}",
                    flush=True,
                )
            base = table.get((load, n, "threads"))
            if base is not None and base.total > 0:
                ratios = ", ".join(
                    f"{w} {table[(load, n, w)].total / base.total:.1f}x"
                    for w in ways
                    if w != "threads" and (load, n, w) in table
                )
                print(f"{'':8} {n:>4} vs threads: {ratios}", flush=True)
    print("# load average after:", f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
