"""Measured compute cost of activations: forward + backward time per million elements on this machine.

For each activation, x is a float32 vector of n elements drawn from N(0, 1); one timed run is
``y = f(x)`` followed by ``torch.autograd.grad(y, x, ones)`` (the backward pass a training step does).
The cost is the fastest of ``repeats`` runs (after one warm-up run of every activation), scaled to seconds
per 10⁶ elements: the minimum is the least disturbed by other work on a shared server. Timings use the
thread count torch has (``relu_viz`` sets one thread), so they compare activations fairly but are not
absolute benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch

from relu_viz.network import activation_module

__all__ = ["measure_cost", "relative_to"]

Progress = Callable[[int, int, str], None]


def _time_once(module: torch.nn.Module, x: torch.Tensor, ones: torch.Tensor) -> float:
    start = time.perf_counter()
    y = module(x)
    torch.autograd.grad(y, x, ones, allow_unused=True)
    return time.perf_counter() - start


def measure_cost(
    keys: Sequence[str],
    n: int = 1_000_000,
    repeats: int = 5,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Seconds per million elements for forward + backward of each activation, measured here.

    ``keys`` are registry names or "formula:<text>" (default parameters; modules in eval mode).
    ``progress(done, total, key)`` is called after each timed run (total = repeats · len(keys)), e.g. to
    move a progress bar.
    """
    if n < 1 or repeats < 1:
        raise ValueError("n and repeats must be >= 1")
    x = torch.randn(n, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    ones = torch.ones_like(x)
    modules = {key: activation_module(key).eval() for key in keys}
    for module in modules.values():
        _time_once(module, x, ones)  # warm-up: first-call dispatch, allocation, page faults
    best = dict.fromkeys(modules, float("inf"))
    total, done = repeats * len(modules), 0
    # Rounds over all activations rather than all repeats of one at a time: a burst of load from another
    # process then slows one run of many activations instead of every run of one.
    for _ in range(repeats):
        for key, module in modules.items():
            best[key] = min(best[key], _time_once(module, x, ones))
            done += 1
            if progress is not None:
                progress(done, total, key)
    return {key: seconds * 1e6 / n for key, seconds in best.items()}


def relative_to(costs: dict[str, float], reference: str = "relu") -> dict[str, float]:
    """Each cost divided by the reference's (ReLU = 1.0); raises KeyError if the reference is missing."""
    base = costs[reference]
    return {key: value / base for key, value in costs.items()}


def cost_task(keys: Sequence[str], progress: Callable[[float], None] | None = None) -> dict[str, float]:
    """:func:`measure_cost` as the helper process's task, its progress as a fraction: timed in a process
    of its own, so the server's other work neither slows the timings nor waits for them."""
    report = None if progress is None else (lambda done, total, key: progress(done / total))
    return measure_cost(keys, progress=report)
