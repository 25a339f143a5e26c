"""Benchmark: exact linear regions (relu_viz.regions.partition) against counting on a 1000 x 1000 grid.

Nets: He-initialised ReLU MLPs with hidden biases N(0, 0.5²) (relu_viz.network.build, fixed seeds) on
the box [-2, 2]². For each net it prints the exact region count, the time of one partition (best and
median of several runs: the machine's two cores are shared, so the best run is the code's own cost), the
regions per second, the number of distinct activation patterns a 1000 x 1000 grid finds and how long
that takes, the speed ratio (grid time / exact time) and the share of regions the grid misses.

Targets (issue #3): >= 100,000 regions/s; [2,16,16,16,1] in <= 10 ms; [2,64,64,64,1] in <= 150 ms;
<= 200 MB of memory at 50,000 regions (peak traced by tracemalloc, which sees numpy's and torch's CPU
allocations), measured on [2,128,128,128,1], whose ~55,000 regions are the most these nets reach.

Run: python bench/regions.py  (add --quick to skip the grid counts)
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
from torch import nn

from relu_viz import network, regions

BOX = ((-2.0, 2.0), (-2.0, 2.0))
NETS = [[2, 8, 8, 1], [2, 16, 16, 1], [2, 16, 16, 16, 1], [2, 32, 32, 32, 1], [2, 64, 64, 64, 1]]
SEED = 0
GRID = 1000
TARGET_MS = {(2, 16, 16, 16, 1): 10.0, (2, 64, 64, 64, 1): 150.0}


def he_net(widths: list[int], seed: int = SEED) -> nn.Sequential:
    return network.build(widths, nn.ReLU, init="he", seed=seed, bias_std=0.5)


def time_partition(model: nn.Sequential, box=BOX, budget_s: float = 1.5, max_runs: int = 50):
    """(partition, best seconds, median seconds) over repeated runs within a time budget."""
    part = regions.partition(model, box)  # warm-up
    times = []
    t_end = time.perf_counter() + budget_s
    while len(times) < 3 or (time.perf_counter() < t_end and len(times) < max_runs):
        t0 = time.perf_counter()
        part = regions.partition(model, box)
        times.append(time.perf_counter() - t0)
    return part, min(times), float(np.median(times))


def grid_count(model: nn.Sequential, box=BOX, res: int = GRID) -> tuple[int, float]:
    """Distinct activation patterns at the centres of a res x res grid, and the seconds it took."""
    (x0, x1), (y0, y1) = box
    t0 = time.perf_counter()
    xs = torch.linspace(x0, x1, res + 1)[:-1] + (x1 - x0) / (2 * res)
    ys = torch.linspace(y0, y1, res + 1)[:-1] + (y1 - y0) / (2 * res)
    pts = torch.cartesian_prod(xs, ys)
    keys = []
    with torch.no_grad():
        for chunk in torch.split(pts, 65_536):
            h, bits = chunk, []
            for mod in model:
                if isinstance(mod, nn.Linear):
                    h = mod(h)
                else:
                    bits.append(h > 0)
                    h = mod(h)
            packed = np.packbits(torch.cat(bits, dim=1).numpy(), axis=1)
            keys.append(packed)
    allk = np.concatenate(keys)
    n = len(np.unique(allk.view(np.dtype((np.void, allk.shape[1]))).ravel()))
    return n, time.perf_counter() - t0


def peak_memory_mb(model: nn.Sequential, box, max_regions: int) -> tuple[float, regions.Partition]:
    tracemalloc.start()
    part = regions.partition(model, box, max_regions=max_regions)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, part


def main(quick: bool = False) -> None:
    print(
        f"torch threads: {torch.get_num_threads()}, box {BOX}, He init, hidden biases N(0, 0.5²), seed {SEED}"
    )
    head = (
        f"{'net':<20}{'regions':>9}{'linear':>9}{'best ms':>9}{'median ms':>11}{'regions/s':>11}"
        f"{'grid count':>12}{'grid s':>8}{'speed ×':>9}{'grid misses':>13}  target"
    )
    print(head)
    print("-" * len(head))
    for widths in NETS:
        model = he_net(widths)
        part, best, med = time_partition(model)
        n = part.n_activation_regions
        row = f"{widths!s:<20}{n:>9,}{part.n_linear_regions:>9,}"
        row += f"{best * 1e3:>9.1f}{med * 1e3:>11.1f}{n / best:>11,.0f}"
        if quick:
            row += f"{'':>12}{'':>8}{'':>9}{'':>13}"
        else:
            g, gt = grid_count(model)
            row += f"{g:>12,}{gt:>8.2f}{gt / best:>9.0f}{100 * (1 - g / n):>12.1f}%"
        target = TARGET_MS.get(tuple(widths))
        if target is not None:
            row += f"  <= {target:.0f} ms: {'met' if best * 1e3 <= target else 'MISSED'}"
        print(row)

    print()
    print("memory (tracemalloc peak during one partition):")
    wide = [2, 128, 128, 128, 1]
    model = he_net(wide)
    for cap in (10**6, 50_000):
        mb, part = peak_memory_mb(model, BOX, max_regions=cap)
        state = (
            f"truncated at {part.n_activation_regions:,}"
            if part.truncated
            else (f"complete, {part.n_activation_regions:,}")
        )
        print(
            f"  {wide} on [-2, 2]², max_regions={cap:,}: {state} regions, peak {mb:.0f} MB (target <= 200 MB)"
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
