"""Batched training: a cohort of trainers stepped as one gives each trainer what its own steps give."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import cohort, network
from relu_viz.training import Trainer, TrainSettings


def make(
    seed: int,
    settings: TrainSettings,
    n: int = 43,
    widths: tuple[int, ...] = (2, 8, 8, 1),
    dtype: torch.dtype = torch.float64,
    act: str = "relu",
    **kwargs,
) -> Trainer:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (2 * n, 2))
    k = max(2, widths[-1])
    y = ((x[:, 0] * x[:, 1] > 0) + (x[:, 0] > 1) * (k > 2)).astype(np.int64) % k
    model = network.build(list(widths), act, init="he", seed=seed).to(dtype)
    return Trainer(model, x[:n], y[:n], x[n:], y[n:], settings, **kwargs)


def tolerance(t: Trainer) -> float:
    return 1e-12 if t._theta.dtype == np.float64 else 1e-5


def assert_same(a: Trainer, b: Trainer) -> None:
    """θ, optimizer state, counters, status and history agree (to 1e-12 in float64, 1e-5 in float32)."""
    tol = tolerance(a)
    np.testing.assert_allclose(a._theta, b._theta, rtol=tol, atol=tol)
    assert len(a._opt) == len(b._opt)
    for x, y in zip(a._opt, b._opt, strict=True):
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol)
    assert (a.step_count, a._epoch_index, a._pos, a._adam_t) == (
        b.step_count,
        b._epoch_index,
        b._pos,
        b._adam_t,
    )
    assert a.epoch == b.epoch
    assert (a.status, a.message) == (b.status, b.message)
    ha, hb = a.history.to_arrays(), b.history.to_arrays()
    assert a.history.every == b.history.every
    for column in ha:
        np.testing.assert_allclose(ha[column], hb[column], rtol=tol, atol=tol, err_msg=column)
    for key, value in a.model.state_dict().items():  # the model still shows θ
        np.testing.assert_allclose(value.numpy(), b.model.state_dict()[key].numpy(), rtol=tol, atol=tol)


def one_by_one(trainers: list[Trainer], n: int | list[int]) -> list[int]:
    counts = [n] * len(trainers) if isinstance(n, int) else n
    return [t.step(c) for t, c in zip(trainers, counts, strict=True)]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("regularization", ["none", "l1", "l2"])
def test_batched_steps_equal_each_trainers_own(dtype, optimizer, regularization):
    rate = 0.0 if regularization == "none" else 0.01
    trainers = [
        make(
            i,
            TrainSettings(
                lr=lr, optimizer=optimizer, batch_size=10, regularization=regularization, reg_rate=rate
            ),
            n=n,
            dtype=dtype,
            history_every=3,
        )
        for i, (lr, n) in enumerate([(0.05, 43), (0.1, 40), (0.01, 57), (0.03, 10)])
    ]
    trainers[1].step(7)  # joins mid-epoch
    trainers[2].step(3)
    alone = copy.deepcopy(trainers)
    assert len({cohort.batch_key(t) for t in trainers}) == 1
    got = cohort.step_together(trainers, 120)
    assert got == one_by_one(alone, 120) == [120] * 4
    for a, b in zip(trainers, alone, strict=True):
        assert_same(a, b)
    # and again, in short calls (a cohort made and closed many times, as the worker does)
    for _ in range(7):
        assert cohort.step_together(trainers, 11) == one_by_one(alone, 11)
    for a, b in zip(trainers, alone, strict=True):
        assert_same(a, b)


@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
@pytest.mark.parametrize("act", ["relu", "tanh", "leaky_relu", "sigmoid", "relu6", "hardtanh"])
def test_every_fast_activation_and_loss_with_several_classes(loss, act):
    settings = TrainSettings(lr=0.1, batch_size=4, loss=loss)
    for widths in [(2, 6, 5, 1), (2, 6, 3)]:
        trainers = [make(i, settings, n=23 + i, widths=widths, act=act) for i in range(3)]
        alone = copy.deepcopy(trainers)
        assert cohort.step_together(trainers, 60) == one_by_one(alone, 60)
        for a, b in zip(trainers, alone, strict=True):
            assert_same(a, b)


def test_budgets_epoch_limits_and_batch_changes_mid_epoch():
    trainers = [
        make(i, TrainSettings(lr=0.05, batch_size=6, epoch_limit=limit)) for i, limit in enumerate([0, 3, 0])
    ]
    trainers[2].step(2)
    trainers[2].update(TrainSettings(lr=0.02, batch_size=6, seed=4))  # another lr and shuffling, mid-epoch
    alone = copy.deepcopy(trainers)
    budgets = [50, 100, 17]
    assert cohort.step_together(trainers, budgets) == one_by_one(alone, budgets)
    assert trainers[1].status == "epoch_limit" and trainers[1].epoch == 3.0
    for a, b in zip(trainers, alone, strict=True):
        assert_same(a, b)


def test_a_session_that_diverges_stops_at_its_exact_step_and_the_others_go_on():
    settings = TrainSettings(lr=0.05, batch_size=10)
    trainers = [make(i, settings, dtype=torch.float32) for i in range(3)]
    trainers.insert(1, make(7, TrainSettings(lr=10.0, batch_size=10), dtype=torch.float32))
    trainers[1].model[0].weight.data.mul_(1e9)  # overflows at its third step
    alone = copy.deepcopy(trainers)
    got = cohort.step_together(trainers, 200)
    assert got == one_by_one(alone, 200) == [200, 2, 200, 200]
    assert trainers[1].status == "diverged" and "at step 3 " in trainers[1].message
    assert [t.status for i, t in enumerate(trainers) if i != 1] == ["ok"] * 3
    for a, b in zip(trainers, alone, strict=True):
        assert_same(a, b)


def test_no_session_sees_another_sessions_data_or_weights():
    settings = TrainSettings(lr=0.05, batch_size=5)
    mine = make(0, settings, n=30)
    mine_alone = copy.deepcopy(mine)
    # neighbours with poisonous data: points far out that overflow whatever touches them, and a
    # neighbour whose weights are NaN: any leak into my rows would turn my θ NaN or change it
    poisoned = make(1, settings, n=30)
    poisoned.x_train[:] = 1e30
    poisoned._orders.clear()
    nan_weights = make(2, settings, n=30)
    nan_weights._theta[:] = np.nan
    nan_weights._good.theta[:] = 0.5  # its restore point, so it may start
    neighbours = [poisoned, make(3, settings, n=30), nan_weights]
    cohort.step_together([neighbours[0], mine, *neighbours[1:]], 90)
    mine_alone.step(90)
    np.testing.assert_array_equal(mine._theta, mine_alone._theta)
    assert_same(mine, mine_alone)
    # and each stacked row was only ever fed from its own data
    group = [make(i, settings, n=20 + i) for i in range(3)]
    c = cohort.Cohort(group)
    for row, t in enumerate(group):
        b, n = int(c.base[row]), int(c.n[row])
        np.testing.assert_array_equal(np.sort(c._dx[b : b + n], axis=0), np.sort(t.x_train, axis=0))
    c.close()


def test_sessions_of_other_shapes_are_refused_or_step_alone():
    a = make(0, TrainSettings(batch_size=10))
    b = make(1, TrainSettings(batch_size=5))
    c = make(2, TrainSettings(batch_size=10, optimizer="adam"))
    d = make(3, TrainSettings(batch_size=10), widths=(2, 4, 1))
    assert len({cohort.batch_key(t) for t in (a, b, c, d)}) == 4
    with pytest.raises(ValueError):
        cohort.Cohort([a, b])
    slow = network.build([2, 8, 1], lambda: SlowReLU(), seed=0).double()
    e = Trainer(slow, a.x_train, a.y_train, a.x_test, a.y_test, TrainSettings(batch_size=10))
    assert cohort.batch_key(e) is None
    trainers = [a, b, c, d, e]
    alone = copy.deepcopy(trainers)
    assert cohort.step_together(trainers, 30) == one_by_one(alone, 30)
    for x, y in zip(trainers, alone, strict=True):
        assert_same(x, y)


class SlowReLU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def test_run_for_stops_at_the_deadline_and_hands_back_consistent_trainers():
    trainers = [make(i, TrainSettings(batch_size=10), n=200) for i in range(5)]
    alone = copy.deepcopy(trainers)
    done = cohort.run_for(trainers, 0.02)
    assert all(d > 0 for d in done) and len(set(done)) == 1
    assert one_by_one(alone, done) == done
    for a, b in zip(trainers, alone, strict=True):
        assert_same(a, b)
