"""Trainer speed against TensorFlow Playground's page (about 19 epochs/s on these machines).

Run: ``python bench/trainer.py`` (about two minutes; ``--quick`` for a shorter pass). Prints, for
(a) the spiral workload ([2, 8, 8, 8, 1] ReLU, SGD 0.03, batch 10, squared error, 250 training points)
and (b) Playground's default (circle, [2, 4, 2, 1] tanh, same optimizer and loss):

- ms per step and epochs/s of pure training: a plain torch loop (model, loss, zero_grad, backward,
  torch.optim.SGD.step) against :class:`relu_viz.training.Trainer` on the same run, and their ratio;
- epochs/s with a :class:`relu_viz.worker.TrainingWorker` playing in the background while the
  foreground builds the page's real frame 25 times a second (snapshot, weights and numbers as JSON:
  the browser draws), and that frame's server time and size;
- the frame budget on [2, 16, 16, 1] ReLU (target: at most 8 KB a frame);
- for the spiral, wall time to Playground's test loss 0.05 on three seeds, live (worker + frames).
  Our squared error is Playground's / 4 (see relu_viz.training), so its 0.05 is our 0.0125.

Then the classroom case: 30 sessions playing at once on one process (per-session epochs/s, spread,
the foreground frame rate meanwhile) and the memory each session costs. Timings here are noisy (two
shared cores): each figure is the median of several runs.
"""

from __future__ import annotations

import argparse
import copy
import gc
import math
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import json

from relu_viz import network, regions, stream, worker
from relu_viz.training import Trainer, TrainSettings

PLAYGROUND_PAGE_EPOCHS_PER_SECOND = 19.0
PLAYGROUND_LOSS_TARGET = 0.05  # on Playground's scale
FRAME_HZ = 25.0  # the live page's frame rate (relu_viz.ui.live.FRAME_INTERVAL)


@dataclass(frozen=True)
class Workload:
    name: str
    dataset: str
    widths: tuple[int, ...]
    activation: str


SPIRAL = Workload("spiral [2,8,8,8,1] ReLU", "spiral", (2, 8, 8, 8, 1), "relu")
CIRCLE = Workload("circle [2,4,2,1] tanh (Playground default)", "circle", (2, 4, 2, 1), "tanh")
SETTINGS = TrainSettings(lr=0.03, optimizer="sgd", batch_size=10, loss="squared_error", seed=0)
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def playground_points(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """500 points of Playground's spiral or circle (noise 0), via relu_viz.datasets when present."""
    try:
        from relu_viz import datasets

        ds = datasets.make(kind, n=500, noise=0.0, seed=seed)
        return np.array(ds.x), np.array(ds.y)
    except ImportError:
        rng = np.random.default_rng(seed)
        if kind == "spiral":
            i = np.arange(250)
            arms = [
                np.stack([5 * i / 250 * np.sin(t), 5 * i / 250 * np.cos(t)], axis=1)
                for t in (1.75 * 2 * np.pi * i / 250, 1.75 * 2 * np.pi * i / 250 + np.pi)
            ]
            x = np.concatenate(arms)
        else:
            r = np.concatenate([rng.uniform(0, 2.5, 250), rng.uniform(3.5, 5, 250)])
            t = rng.uniform(0, 2 * np.pi, 500)
            x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        y = np.repeat([1, 0], 250)
        order = rng.permutation(500)
        return x[order].astype(np.float32), y[order].astype(np.int64)


def setup(w: Workload, seed: int = 0) -> tuple[nn.Sequential, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = playground_points(w.dataset, seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    tr, te = order[:250], order[250:]
    model = network.build(list(w.widths), ACTIVATIONS[w.activation], init="playground", seed=seed)
    return model, x[tr], y[tr], x[te], y[te]


def plain_torch_epochs(model: nn.Module, x: np.ndarray, y: np.ndarray, seconds: float) -> tuple[float, int]:
    """The textbook loop; returns (seconds, steps) for whole epochs run in about ``seconds``."""
    model = copy.deepcopy(model)
    opt = torch.optim.SGD(model.parameters(), lr=SETTINGS.lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).float().unsqueeze(1)
    gen = torch.Generator().manual_seed(0)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        perm = torch.randperm(len(yt), generator=gen)
        for i in range(0, len(yt), SETTINGS.batch_size):
            idx = perm[i : i + SETTINGS.batch_size]
            loss = 0.5 * ((torch.sigmoid(model(xt[idx])) - yt[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
    return time.perf_counter() - start, steps


def trainer_epochs(trainer: Trainer, seconds: float) -> tuple[float, int]:
    start = time.perf_counter()
    steps = 0
    while time.perf_counter() - start < seconds:
        steps += trainer.run_epochs(10)
    return time.perf_counter() - start, steps


class FrameLoop:
    """The page's frame while playing, done as the page does it, every 1/FRAME_HZ s: take a snapshot
    and build the frame the browser draws from (relu_viz.stream.update_payload: weights, numbers, new
    history rows) as JSON. The server draws nothing. Records each frame's server time and bytes."""

    def __init__(self, w: TrainingWorkerLike, model: nn.Module, x: np.ndarray, y: np.ndarray) -> None:
        self.worker = w
        self.view = copy.deepcopy(model)
        self.x, self.y = x, y
        self.costs: list[float] = []
        self.sizes: list[int] = []
        self.last: worker.Snapshot | None = None

    def frame(self) -> worker.Snapshot:
        t0 = time.perf_counter()
        snap = self.worker.snapshot()
        after = -1.0 if self.last is None else float(self.last.history["step"][-1])
        payload = stream.update_payload("bench", "run", snap, snap.theta, "outlines", 480, after)
        size = len(json.dumps(payload))
        self.costs.append(time.perf_counter() - t0)
        self.sizes.append(size)
        self.last = snap
        return snap

    def run(self, seconds: float, until=None) -> float:
        """Draw frames for ``seconds`` (or until ``until(snapshot)``); returns the elapsed time."""
        start = time.perf_counter()
        next_frame = start
        while True:
            snap = self.frame()
            now = time.perf_counter()
            if now - start >= seconds or (until is not None and until(snap)):
                return now - start
            next_frame += 1 / FRAME_HZ
            time.sleep(max(0.0, next_frame - time.perf_counter()))


TrainingWorkerLike = worker.TrainingWorker


def live_epochs(w: Workload, seconds: float, play: bool = True) -> tuple[float, float, float]:
    """(epochs/s, frames/s, median frame cost in ms) with a worker playing (or not) and frames at
    FRAME_HZ."""
    model, *data = setup(w)
    trainer = Trainer(model, *data, SETTINGS)
    tw = worker.TrainingWorker(trainer)
    loop = FrameLoop(tw, model, data[0], data[1])
    if play:
        tw.play()
    elapsed = loop.run(seconds)
    snap = loop.last
    tw.stop()
    assert snap is not None
    frames = len(loop.costs) - 1  # the first frame is drawn at t = 0
    return snap.epoch / elapsed, frames / elapsed, 1e3 * statistics.median(loop.costs)


def time_to_loss(seed: int, limit_s: float) -> tuple[float, float, float]:
    """Live run on the spiral: (seconds, epochs) to our test loss 0.0125 (= Playground's 0.05),
    NaN if not reached within ``limit_s``; and the test loss at the end."""
    model, *data = setup(SPIRAL, seed)
    trainer = Trainer(model, *data, SETTINGS)
    tw = worker.TrainingWorker(trainer)
    loop = FrameLoop(tw, model, data[0], data[1])
    target = PLAYGROUND_LOSS_TARGET / 4

    def reached(snap: worker.Snapshot) -> bool:
        loss = snap.history["test_loss"]
        return len(loss) > 0 and loss[-1] <= target

    tw.play()
    elapsed = loop.run(limit_s, until=reached)
    snap = loop.last
    tw.stop()
    assert snap is not None
    final = float(snap.history["test_loss"][-1])
    if not reached(snap):
        return math.nan, snap.epoch, final
    return elapsed, snap.epoch, final


def frame_budget(repeats: int) -> None:
    """One page frame on [2, 16, 16, 1] ReLU after 100 epochs on the spiral: server time and bytes."""
    model = network.build([2, 16, 16, 1], "relu", init="he", seed=0)
    x, y = playground_points("spiral", 0)
    trainer = Trainer(model, x[:250], y[:250], x[250:], y[250:], SETTINGS)
    trainer.run_epochs(100)
    tw = worker.TrainingWorker(trainer)
    loop = FrameLoop(tw, model, x[:250], y[:250])
    for _ in range(10 * repeats):
        loop.frame()
    tw.stop()
    count = regions.partition(model).n_linear_regions
    print(
        f"\n[2,16,16,1] ReLU frame ({count} linear regions, drawn by the browser): median "
        f"{1e3 * statistics.median(loop.costs):.2f} ms of server time, "
        f"{max(loop.sizes) / 1e3:.1f} KB sent (target ≤ 8)"
    )


def classroom(sessions: int, seconds: float) -> None:
    """``sessions`` workers playing at once while the foreground draws frames for one of them."""
    gc.collect()
    rss0 = rss_mb()
    runs = []
    for s in range(sessions):
        model, *data = setup(SPIRAL, s)
        trainer = Trainer(model, *data, SETTINGS)
        runs.append((worker.TrainingWorker(trainer), model, data[0], data[1]))
    rss1 = rss_mb()
    loop = FrameLoop(*runs[0])
    for tw, *_ in runs:
        tw.play()
    start = time.perf_counter()
    # the other sessions' pages also look now and then, or they would pause as idle
    keepalive = threading.Thread(target=_keep_alive, args=([tw for tw, *_ in runs[1:]], seconds), daemon=True)
    keepalive.start()
    loop.run(seconds)
    elapsed = time.perf_counter() - start
    keepalive.join()
    epochs = [tw.snapshot().epoch / elapsed for tw, *_ in runs]
    rss2 = rss_mb()
    for tw, *_ in runs:
        tw.stop()
    print(
        f"  {sessions} sessions playing: epochs/s per session min {min(epochs):.1f}, median "
        f"{statistics.median(epochs):.1f}, max {max(epochs):.1f} (total {sum(epochs):.0f}); "
        f"frames/s for one page {len(loop.costs) / elapsed:.1f}, frame cost median "
        f"{1e3 * statistics.median(loop.costs):.1f} ms"
    )
    print(
        f"  memory: {(rss1 - rss0) / sessions:.2f} MB per session at start, "
        f"{(rss2 - rss0) / sessions:.2f} MB after {seconds:.0f} s of training (RSS; limit 30 MB)"
    )


def _keep_alive(workers: list[worker.TrainingWorker], seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for tw in workers:
            tw.snapshot()
        time.sleep(1.0)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def median_of(runs: int, fn):
    results = [fn() for _ in range(runs)]
    return statistics.median(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, one repeat")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    seconds = 1.0 if args.quick else 2.0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); medians of {repeats} runs")
    for w in (SPIRAL, CIRCLE):
        model, xtr, ytr, xte, yte = setup(w)
        print(f"\n{w.name}: SGD {SETTINGS.lr}, batch {SETTINGS.batch_size}, squared error, 250 train points")
        plain, ours = [], []
        for _ in range(repeats):
            dt, steps = plain_torch_epochs(model, xtr, ytr, seconds)
            plain.append(dt / steps)
            trainer = Trainer(copy.deepcopy(model), xtr, ytr, xte, yte, SETTINGS)
            dt, steps = trainer_epochs(trainer, seconds)
            ours.append(dt / steps)
        steps_per_epoch = 25
        p, o = statistics.median(plain), statistics.median(ours)
        fast = "numpy fast path" if trainer.uses_fast_path else "autograd path"
        print(
            f"  training only: plain torch loop {1e3 * p:.3f} ms/step = {1 / (p * steps_per_epoch):.0f} "
            f"epochs/s; Trainer ({fast}) {1e3 * o:.3f} ms/step = {1 / (o * steps_per_epoch):.0f} "
            f"epochs/s; {p / o:.1f}x faster"
        )
        live = [live_epochs(w, 2 * seconds) for _ in range(repeats)]
        eps = statistics.median(r[0] for r in live)
        fps = statistics.median(r[1] for r in live)
        cost = statistics.median(r[2] for r in live)
        idle_cost = statistics.median(live_epochs(w, seconds, play=False)[2] for _ in range(repeats))
        print(
            f"  live (worker + {FRAME_HZ:.0f} Hz frames): {eps:.0f} epochs/s at {fps:.1f} frames/s; "
            f"{eps / PLAYGROUND_PAGE_EPOCHS_PER_SECOND:.1f}x Playground's page "
            f"({PLAYGROUND_PAGE_EPOCHS_PER_SECOND:.0f} epochs/s; target ≥ 60)"
        )
        print(f"  page frame: {cost:.1f} ms while training, {idle_cost:.1f} ms with training paused")
    frame_budget(repeats)
    target = PLAYGROUND_LOSS_TARGET
    print(f"\nspiral, live, time to Playground's test loss {target} (ours {target / 4}); Playground's page:")
    print("  19–24 s on two seeds of three")
    limit = 20 if args.quick else 60
    for seed in (0, 1, 2):
        secs, epochs, final = time_to_loss(seed, limit_s=limit)
        if math.isfinite(secs):
            reached = f"{secs:.1f} s ({epochs:.0f} epochs)"
        else:
            reached = f"not within {limit} s ({epochs:.0f} epochs)"
        print(f"  seed {seed}: {reached}; test loss then {final:.4f} (Playground scale {4 * final:.4f})")
    print("\nclassroom:")
    classroom(30, 3.0 if args.quick else 6.0)


if __name__ == "__main__":
    main()
