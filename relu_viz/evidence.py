"""Live measurements behind two popular claims about ReLU (the claims page runs them on request).

- "ReLU networks train faster than sigmoid networks": the same data, architecture, initialisation
  scheme, optimizer and seed, trained with each activation until the training loss reaches a target;
  reported as epochs and seconds (:func:`race`).
- "Sparse activations make ReLU networks cheaper": the measured share of exact zeros in a ReLU layer's
  output, beside the measured time of the next layer's dense matrix product on those sparse activations
  and on dense ones of the same shape (:func:`sparsity_and_cost`). Dense kernels multiply zeros like any
  other number, so sparsity alone saves nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from relu_viz import datasets, network
from relu_viz.training import Trainer, TrainSettings


@dataclass(frozen=True)
class RaceResult:
    """One activation's run: epochs and wall seconds to the target loss (NaN if never reached)."""

    activation: str
    epochs: float
    seconds: float
    final_loss: float


def race(
    activations: tuple[str, ...] = ("relu", "sigmoid"),
    dataset: str = "circle",
    hidden: tuple[int, ...] = (8, 8),
    target_loss: float = 0.1,
    max_epochs: int = 600,
    lr: float = 0.1,
    seed: int = 0,
) -> list[RaceResult]:
    """Train ``[2, *hidden, 1]`` with each activation (He init for ReLU-like, Xavier otherwise; SGD,
    batch 10, cross-entropy, training share 50%) until the training loss is ≤ ``target_loss``."""
    data = datasets.make(dataset, n=500, noise=0.0, seed=seed)
    train, test = data.split(0.5, seed=seed)
    out = []
    for key in activations:
        init = "he" if "relu" in key else "xavier"
        model = network.build([2, *hidden, 1], key, init=init, seed=seed)
        trainer = Trainer(
            model,
            data.x[train],
            data.y[train],
            data.x[test],
            data.y[test],
            TrainSettings(lr=lr, batch_size=10, seed=seed),
        )
        start = time.perf_counter()
        reached = float("nan")
        for _ in range(max_epochs):
            trainer.run_epochs(1)
            loss = trainer.evaluate().train_loss
            if loss <= target_loss:
                reached = trainer.epoch
                break
        elapsed = time.perf_counter() - start
        seconds = elapsed if np.isfinite(reached) else float("nan")
        out.append(RaceResult(key, reached, seconds, float(trainer.evaluate().train_loss)))
    return out


@dataclass(frozen=True)
class SparsityCost:
    """Share of exact zeros after ReLU, and the next layer's matmul time on sparse vs dense inputs."""

    zero_share: float
    sparse_ms: float
    dense_ms: float


def sparsity_and_cost(width: int = 512, batch: int = 4096, repeats: int = 20, seed: int = 0) -> SparsityCost:
    """A random He-initialised layer of ``width`` units on N(0, 1) inputs: h = ReLU(W x + b) has about
    half its entries exactly 0; time ``h @ W2ᵀ`` (float32, one thread) against the same product on
    dense activations of equal shape and scale; best of ``repeats`` runs, milliseconds."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=g)
    w = torch.randn(width, width, generator=g) * (2.0 / width) ** 0.5
    w2 = torch.randn(width, width, generator=g) * (2.0 / width) ** 0.5
    sparse = torch.relu(x @ w.T)
    dense = sparse.abs() + 1e-3  # same scale, no zeros

    def best(h: torch.Tensor) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            h @ w2.T
            times.append(time.perf_counter() - t0)
        return 1000 * min(times)

    best(sparse)  # warm-up
    return SparsityCost(float((sparse == 0).float().mean()), best(sparse), best(dense))
