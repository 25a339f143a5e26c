"""One trainer run from its settings: data split, network, and trainer, all reproducible from a seed.

The trainer page reads widgets into a :class:`ModelSpec` and a ``TrainSettings``; this module turns them
into objects. Settings that change the data, the architecture or the initialisation need a new run
(:func:`structure_key` tells when); learning rate, batch size, loss and regularisation change in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from torch import nn

from relu_viz import network
from relu_viz.datasets import Dataset, split_sizes
from relu_viz.training import Trainer, TrainSettings


@dataclass(frozen=True)
class ModelSpec:
    """Architecture and initialisation. ``activations`` has one registry key (or ``formula:<text>``)
    per hidden layer; ``bias_init`` None keeps the init scheme's own biases."""

    hidden: tuple[int, ...] = (8, 8)
    activations: tuple[str, ...] = ("relu", "relu")
    features: tuple[str, ...] = network.PLAIN_FEATURES
    init: str = "he"
    bias_init: float | None = None
    seed: int = 0

    def widths(self, n_classes: int) -> list[int]:
        """[2, *hidden, out] with one logit for two classes, K logits for K > 2."""
        return [2, *self.hidden, 1 if n_classes == 2 else n_classes]

    def build(self, n_classes: int) -> nn.Sequential:
        return network.build(
            self.widths(n_classes),
            list(self.activations),
            init=self.init,
            seed=self.seed,
            bias_init=self.bias_init,
            features=self.features,
        )


@dataclass
class Run:
    """Everything a live training session owns: the data, its split, the network and its trainer."""

    dataset: Dataset
    train_idx: np.ndarray
    test_idx: np.ndarray
    model: nn.Sequential
    trainer: Trainer
    spec: ModelSpec
    notes: list[str] = field(default_factory=list)

    @property
    def x_train(self) -> np.ndarray:
        return self.dataset.x[self.train_idx]

    @property
    def y_train(self) -> np.ndarray:
        return self.dataset.y[self.train_idx]

    @property
    def x_test(self) -> np.ndarray:
        return self.dataset.x[self.test_idx]

    @property
    def y_test(self) -> np.ndarray:
        return self.dataset.y[self.test_idx]


def start(dataset: Dataset, train_share: float, spec: ModelSpec, settings: TrainSettings) -> Run:
    """Split the data (seeded by ``spec.seed``), build the network and its trainer.

    A dataset of a few points whose share would leave the training or the test set empty gets one point
    moved across (``Dataset.split``), and the run's ``notes`` say so, with the counts and what to do.
    """
    train_idx, test_idx = dataset.split(train_share, seed=spec.seed)
    model = spec.build(dataset.n_classes)
    x, y = dataset.x, dataset.y
    trainer = Trainer(model, x[train_idx], y[train_idx], x[test_idx], y[test_idx], settings)
    return Run(dataset, train_idx, test_idx, model, trainer, spec, split_notes(len(dataset), train_share))


def split_notes(n: int, train_share: float) -> list[str]:
    """What to tell the user about the split of ``n`` points: nothing, unless the share had to give way."""
    wanted = math.floor(float(train_share) * n + 0.5)
    train = split_sizes(n, train_share)[0]
    if train == wanted:
        return []
    empty = "training" if wanted == 0 else "test"
    return [
        f"{n} points: {train} for training and {n - train} for testing. A training share of "
        f"{train_share:.0%} would leave the {empty} set empty, so one point was moved to it. Add points "
        "(draw or upload more), or move the training share towards 50%."
    ]


def structure_key(dataset: Dataset, train_share: float, spec: ModelSpec, settings: TrainSettings) -> tuple:
    """What forces a fresh run when it changes: the data, split, architecture, init, seed, optimizer."""
    return (hash(dataset), round(float(train_share), 6), spec, settings.optimizer, settings.seed)
