"""experiment: a run's widths, split, model and trainer from its settings; reproducibility; restart key."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import datasets, experiment, network
from relu_viz.experiment import ModelSpec
from relu_viz.training import Trainer, TrainSettings


@pytest.fixture(scope="module")
def circle():
    return datasets.make("circle", n=200, noise=0.1, seed=1)


@pytest.fixture(scope="module")
def blobs3():
    return datasets.make("blobs", n=90, noise=0.1, seed=2, k=3)


def linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# -- ModelSpec ------------------------------------------------------------------------------------


def test_widths_two_classes_use_one_logit():
    assert ModelSpec().widths(2) == [2, 8, 8, 1]
    assert ModelSpec(hidden=(3,), activations=("relu",)).widths(2) == [2, 3, 1]


@pytest.mark.parametrize("k", [3, 4, 7])
def test_widths_k_classes_use_k_logits(k):
    assert ModelSpec(hidden=(5, 4, 3), activations=("relu",) * 3).widths(k) == [2, 5, 4, 3, k]


def test_widths_without_hidden_layers():
    assert ModelSpec(hidden=(), activations=()).widths(2) == [2, 1]


def test_build_follows_the_spec():
    spec = ModelSpec(hidden=(6, 4), activations=("tanh", "leaky_relu"), bias_init=0.3, seed=5)
    model = spec.build(3)
    lins = linears(model)
    assert [(m.in_features, m.out_features) for m in lins] == [(2, 6), (6, 4), (4, 3)]
    assert isinstance(model[1], nn.Tanh) and isinstance(model[3], nn.LeakyReLU)
    # bias_init sets the hidden layers' biases, not the output's (He init: output bias 0)
    for lin in lins[:2]:
        np.testing.assert_allclose(lin.bias.detach().numpy(), 0.3)
    np.testing.assert_allclose(lins[2].bias.detach().numpy(), 0.0)


# -- start ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("share", "n_train"), [(0.5, 100), (0.3, 60), (0.9, 180)])
def test_start_split_sizes(circle, share, n_train):
    run = experiment.start(circle, share, ModelSpec(), TrainSettings())
    assert len(run.train_idx) == n_train
    assert len(run.test_idx) == 200 - n_train
    assert np.intersect1d(run.train_idx, run.test_idx).size == 0
    np.testing.assert_array_equal(np.union1d(run.train_idx, run.test_idx), np.arange(200))
    np.testing.assert_array_equal(run.x_train, circle.x[run.train_idx])
    np.testing.assert_array_equal(run.y_test, circle.y[run.test_idx])
    assert run.trainer.n_train == n_train and run.trainer.n_test == 200 - n_train


def test_start_builds_model_and_trainer(circle):
    spec = ModelSpec(hidden=(5,), activations=("relu",), seed=3)
    run = experiment.start(circle, 0.5, spec, TrainSettings(lr=0.1))
    assert isinstance(run.trainer, Trainer)
    assert run.trainer.model is run.model
    assert run.spec == spec and run.dataset is circle
    first, last = linears(run.model)[0], linears(run.model)[-1]
    assert first.in_features == 2
    assert last.out_features == 1
    assert run.trainer.n_classes == 2
    assert run.trainer.settings.lr == 0.1


def test_start_with_features(circle):
    feats = ("x1", "x2", "x1sq", "x2sq", "sinx1")
    run = experiment.start(circle, 0.5, ModelSpec(features=feats), TrainSettings())
    assert isinstance(run.model[0], network.Features)
    assert linears(run.model)[0].in_features == len(feats)
    # the model still takes points of the plane
    with torch.no_grad():
        assert run.model(torch.zeros(4, 2)).shape == (4, 1)


def test_start_k_classes(blobs3):
    run = experiment.start(blobs3, 0.5, ModelSpec(), TrainSettings())
    assert linears(run.model)[-1].out_features == 3
    assert run.trainer.n_classes == 3
    # stratified: every class in both halves
    assert set(np.unique(run.y_train)) == {0, 1, 2} == set(np.unique(run.y_test))


def test_same_spec_and_seed_reproduce_the_run(circle):
    spec = ModelSpec(hidden=(6, 6), seed=7)
    settings = TrainSettings(lr=0.1, batch_size=10, seed=4)
    a = experiment.start(circle, 0.5, spec, settings)
    b = experiment.start(circle, 0.5, spec, settings)
    np.testing.assert_array_equal(a.train_idx, b.train_idx)
    assert same_weights(a.model, b.model)
    before = a.trainer.state_dict()
    assert a.trainer.step(50) == 50 and b.trainer.step(50) == 50
    assert same_weights(a.model, b.model)
    # the steps did change the weights (so the comparison above means something)
    after = a.trainer.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_another_seed_gives_another_run(circle):
    a = experiment.start(circle, 0.5, ModelSpec(seed=1), TrainSettings())
    b = experiment.start(circle, 0.5, ModelSpec(seed=2), TrainSettings())
    assert not same_weights(a.model, b.model)
    assert not np.array_equal(a.train_idx, b.train_idx)


# -- structure_key --------------------------------------------------------------------------------


def test_structure_key_of_equal_inputs_is_equal(circle):
    again = datasets.make("circle", n=200, noise=0.1, seed=1)
    k1 = experiment.structure_key(circle, 0.5, ModelSpec(), TrainSettings())
    k2 = experiment.structure_key(again, 0.5, ModelSpec(), TrainSettings())
    assert k1 == k2
    assert hash(k1) == hash(k2)


@pytest.mark.parametrize(
    "change",
    [
        {"data": datasets.make("circle", n=200, noise=0.1, seed=2)},
        {"data": datasets.make("xor", n=200, noise=0.1, seed=1)},
        {"data": datasets.make("circle", n=200, noise=0.1, seed=1).with_point(0.0, 0.0, 1)},
        {"share": 0.6},
        {"spec": {"hidden": (8, 8, 8), "activations": ("relu",) * 3}},
        {"spec": {"activations": ("tanh", "relu")}},
        {"spec": {"features": ("x1", "x2", "x1sq")}},
        {"spec": {"init": "xavier"}},
        {"spec": {"bias_init": 0.1}},
        {"spec": {"seed": 1}},
        {"settings": {"optimizer": "adam"}},
        {"settings": {"seed": 3}},
    ],
    ids=lambda c: next(iter(c)) + ":" + str(next(iter(c.values())))[:30],
)
def test_structure_key_changes_with_structure(circle, change):
    base = experiment.structure_key(circle, 0.5, ModelSpec(), TrainSettings())
    data = change.get("data", circle)
    share = change.get("share", 0.5)
    spec = dataclasses.replace(ModelSpec(), **change.get("spec", {}))
    settings = dataclasses.replace(TrainSettings(), **change.get("settings", {}))
    assert experiment.structure_key(data, share, spec, settings) != base


@pytest.mark.parametrize(
    "settings",
    [
        {"lr": 0.3},
        {"batch_size": 25},
        {"batch_size": 0},
        {"loss": "squared_error"},
        {"regularization": "l2", "reg_rate": 0.01},
        {"epoch_limit": 100},
    ],
    ids=str,
)
def test_structure_key_ignores_in_place_settings(circle, settings):
    base = experiment.structure_key(circle, 0.5, ModelSpec(), TrainSettings())
    changed = dataclasses.replace(TrainSettings(), **settings)
    assert experiment.structure_key(circle, 0.5, ModelSpec(), changed) == base
