"""Benchmark: the 8 x 8 learning-rate x bias phase diagram, batched versus one run after another.

300 full-batch SGD steps on [2, 8, 8, 1] ReLU with 500 points of the circle data set; target: the batched
diagram in at most 5 s on the 2-core machines. Prints the median of ``--repeats`` timings of each and
their ratio. Run: ``python bench/sweep.py [--repeats 3] [--skip-sequential]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relu_viz import datasets, sweep

TARGET_SECONDS = 5.0
LEARNING_RATES = np.geomspace(0.01, 10.0, 8)
BIAS_INITS = np.linspace(-5.0, 1.0, 8)


def circle(n: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Playground's circle data set (class 1 at radius U[0, 2.5), class 0 at U[3.5, 5))."""
    ds = datasets.make("circle", n=n, seed=seed)
    return np.asarray(ds.x), np.asarray(ds.y)


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()
    x, y = circle()
    kw = dict(
        x=x,
        y=y,
        widths=[2, 8, 8, 1],
        activation="relu",
        learning_rates=LEARNING_RATES,
        bias_inits=BIAS_INITS,
        steps=args.steps,
    )
    sweep.phase_diagram(**{**kw, "steps": 2})  # warm-up: first-call imports are not the sweep's cost
    batched = timed(lambda: sweep.phase_diagram(**kw), args.repeats)
    b = statistics.median(batched)
    print(f"batched    8x8 x {args.steps} steps, [2,8,8,1], 500 points: median {b:.2f} s  {fmt(batched)}")
    print(f"           target <= {TARGET_SECONDS:.0f} s: {'OK' if b <= TARGET_SECONDS else 'TOO SLOW'}")
    if not args.skip_sequential:
        seq = timed(lambda: sweep.run_sequential(**kw), args.repeats)
        s = statistics.median(seq)
        print(f"sequential the same 64 runs one after another: median {s:.2f} s  {fmt(seq)}")
        print(f"ratio      sequential / batched = {s / b:.1f}x")


def fmt(times: list[float]) -> str:
    return "(" + ", ".join(f"{t:.2f}" for t in times) + ")"


if __name__ == "__main__":
    main()
