"""The trainer: updates equal torch.optim's, determinism, settings changed mid-run, divergence, history."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from relu_viz import network, training
from relu_viz.training import History, Metrics, Trainer, TrainSettings


class SlowReLU(nn.Module):
    """ReLU that the numpy fast path doesn't know: forces the autograd path with the same maths."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def blobs(n: int, k: int = 2, seed: int = 0, spread: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian blobs on a circle of radius 2: an easy problem."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    angles = 2 * np.pi * y / k
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    x = centres + spread * rng.normal(size=(n, 2))
    return x.astype(np.float32), y.astype(np.int64)


def rings(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Playground's circle: class 1 inside radius 2.5, class 0 in the ring 3.5 to 5."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    r = np.where(y == 1, rng.uniform(0, 2.5, n), rng.uniform(3.5, 5, n))
    t = rng.uniform(0, 2 * np.pi, n)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1).astype(np.float32), y.astype(np.int64)


def make_trainer(
    settings: TrainSettings,
    widths: tuple[int, ...] = (2, 8, 8, 1),
    act=lambda: nn.ReLU(),
    n: int = 60,
    data=rings,
    seed: int = 0,
    **kwargs,
) -> Trainer:
    k = max(2, widths[-1])
    x, y = data(n, seed=seed) if data is rings else data(n, k=k, seed=seed)
    model = network.build(list(widths), act, init="he", seed=seed, bias_init=0.1)
    return Trainer(model, x[: n // 2], y[: n // 2], x[n // 2 :], y[n // 2 :], settings, **kwargs)


def weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


# -- same numbers as torch.optim -------------------------------------------------------------------


def reference_run(
    model: nn.Module, x: np.ndarray, y: np.ndarray, s: TrainSettings, n_steps: int
) -> list[torch.Tensor]:
    """A plain torch loop (autograd + torch.optim) over the same batches as the trainer."""
    model = copy.deepcopy(model)
    linear_weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    others = [p for p in model.parameters() if all(p is not w for w in linear_weights)]
    l2 = s.reg_rate if s.regularization == "l2" else 0.0
    groups = [{"params": linear_weights, "weight_decay": l2}, {"params": others, "weight_decay": 0.0}]
    if s.optimizer == "sgd":
        opt = torch.optim.SGD(groups, lr=s.lr)
    elif s.optimizer == "momentum":
        opt = torch.optim.SGD(groups, lr=s.lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(groups, lr=s.lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = len(y)
    b = n if s.batch_size == 0 else s.batch_size
    batches = []
    epoch = 0
    while len(batches) < n_steps:
        perm = training.epoch_permutation(s.seed, epoch, n)
        batches += [perm[i : i + b] for i in range(0, n, b)]
        epoch += 1
    for idx in batches[:n_steps]:
        z = model(xt[idx])
        target = yt[idx]
        if z.shape[1] == 1:
            p_logit = z[:, 0]
            if s.loss == "cross_entropy":
                loss = F.binary_cross_entropy_with_logits(p_logit, target.float())
            else:
                loss = 0.5 * ((torch.sigmoid(p_logit) - target.float()) ** 2).mean()
        elif s.loss == "cross_entropy":
            loss = F.cross_entropy(z, target)
        else:
            onehot = F.one_hot(target, z.shape[1]).float()
            loss = 0.5 * ((torch.softmax(z, dim=1) - onehot) ** 2).sum(dim=1).mean()
        opt.zero_grad()
        loss.backward()
        if s.regularization == "l1":
            for w in linear_weights:
                w.grad += s.reg_rate * torch.sign(w.detach())
        opt.step()
    return weights(model)


CASES = [
    # optimizer, loss, widths, regularization
    ("sgd", "squared_error", (2, 8, 8, 1), "none"),
    ("sgd", "cross_entropy", (2, 8, 8, 3), "l2"),
    ("momentum", "cross_entropy", (2, 8, 8, 1), "l1"),
    ("momentum", "squared_error", (2, 6, 3), "none"),
    ("adam", "cross_entropy", (2, 8, 8, 1), "none"),
    ("adam", "squared_error", (2, 8, 8, 3), "l2"),
]


@pytest.mark.parametrize("path", ["fast", "autograd"])
@pytest.mark.parametrize(("optimizer", "loss", "widths", "reg"), CASES)
def test_updates_match_torch_optim(path, optimizer, loss, widths, reg):
    s = TrainSettings(
        lr=0.05, optimizer=optimizer, batch_size=7, loss=loss, regularization=reg, reg_rate=0.01, seed=3
    )
    act = (lambda: nn.ReLU()) if path == "fast" else SlowReLU
    k = widths[-1]
    x, y = blobs(40, k=max(2, k), seed=1, spread=1.5)
    model = network.build(list(widths), act, init="he", seed=2, bias_init=0.1)
    start = weights(model)
    expected = reference_run(model, x, y, s, n_steps=20)  # 40 points, batch 7: crosses an epoch boundary
    trainer = Trainer(model, x, y, x[:0], y[:0], s)
    assert trainer.uses_fast_path == (path == "fast")
    assert trainer.step(20) == 20
    got = weights(trainer.model)
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    # and the run really moved the weights: a wrong update could not pass by standing still
    assert any((a - b).abs().max() > 1e-3 for a, b in zip(got, start, strict=True))


def test_fast_path_handles_input_features_and_other_activations():
    x, y = rings(60)
    s = TrainSettings(lr=0.1, batch_size=10, loss="cross_entropy")
    for act in (nn.Tanh, nn.Sigmoid, lambda: nn.LeakyReLU(0.1), nn.ReLU6, nn.Identity):
        model = network.build([2, 5, 4, 1], act, init="xavier", seed=4, features=["x1", "x2", "x1sq", "x2sq"])
        slow = copy.deepcopy(model)
        t_fast = Trainer(model, x, y, x, y, s)
        assert t_fast.uses_fast_path
        t_slow = Trainer(slow, x, y, x, y, s)
        views = [torch.from_numpy(g) for g in t_slow._grad_views]
        t_slow._backend = training._Autograd(t_slow._body, t_slow._params, views)
        t_fast.step(30)
        t_slow.step(30)
        for a, b in zip(weights(model), weights(slow), strict=True):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


# -- determinism -----------------------------------------------------------------------------------


@pytest.mark.parametrize("act", [lambda: nn.ReLU(), SlowReLU])
def test_same_seed_same_weights_different_seed_different(act):
    s = TrainSettings(lr=0.1, optimizer="momentum", batch_size=5, seed=7)
    a = make_trainer(s, act=act)
    b = make_trainer(s, act=act)
    c = make_trainer(TrainSettings(lr=0.1, optimizer="momentum", batch_size=5, seed=8), act=act)
    for t in (a, b, c):
        t.step(50)
    for wa, wb in zip(weights(a.model), weights(b.model), strict=True):
        assert torch.equal(wa, wb)
    assert any(not torch.equal(wa, wc) for wa, wc in zip(weights(a.model), weights(c.model), strict=True))
    np.testing.assert_array_equal(a.history.to_arrays()["train_loss"], b.history.to_arrays()["train_loss"])


def test_chunking_does_not_change_the_trajectory():
    s = TrainSettings(lr=0.1, batch_size=4)
    a, b = make_trainer(s), make_trainer(s)
    a.step(60)
    for _ in range(60):
        b.step(1)
    for wa, wb in zip(weights(a.model), weights(b.model), strict=True):
        assert torch.equal(wa, wb)


def test_epoch_counting_with_a_remainder_batch():
    t = make_trainer(TrainSettings(batch_size=7), n=100)  # 50 training points: 7 batches of 7, then 1
    assert t.steps_per_epoch == 8
    t.step(7)
    assert t.epoch == pytest.approx(49 / 50)
    t.step(1)
    assert t.epoch == 1.0
    assert t.run_epochs(2) == 16
    assert t.epoch == 3.0
    full = make_trainer(TrainSettings(batch_size=0), n=100)
    assert full.batch_size == 50
    full.step(3)
    assert full.epoch == 3.0


# -- learning ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
def test_loss_decreases_on_an_easy_problem(optimizer, loss):
    lr = 0.01 if optimizer == "adam" else 0.3
    t = make_trainer(
        TrainSettings(lr=lr, optimizer=optimizer, loss=loss, batch_size=10),
        widths=(2, 8, 3),
        data=blobs,
        n=300,
    )
    before = t.evaluate()
    t.run_epochs(30)
    after = t.evaluate()
    assert after.train_loss < 0.5 * before.train_loss
    assert after.test_acc > 0.9
    rows = t.history.to_arrays()
    assert rows["step"][0] == 0 and rows["step"][-1] <= t.step_count
    assert np.all(np.diff(rows["step"]) > 0)


def test_metrics_match_a_direct_computation():
    t = make_trainer(TrainSettings(loss="cross_entropy"), widths=(2, 5, 3), data=blobs, n=90)
    t.step(10)
    m = t.evaluate()
    with torch.no_grad():
        z = t.model(torch.from_numpy(blobs(90, k=3)[0][45:]))
    y = torch.from_numpy(t.y_test)
    assert m.test_loss == pytest.approx(F.cross_entropy(z, y).item(), rel=1e-5)
    assert m.test_acc == pytest.approx((z.argmax(1) == y).float().mean().item())
    np.testing.assert_allclose(t.logits(blobs(90, k=3)[0][45:]), z.numpy(), rtol=1e-5, atol=1e-6)


# -- settings change mid-training ------------------------------------------------------------------


def test_learning_rate_change_keeps_the_run_and_takes_effect():
    s = TrainSettings(lr=0.03, batch_size=10)
    a, b = make_trainer(s), make_trainer(s)
    a.step(20)
    b.step(20)
    before = a._theta.copy()
    a.update(TrainSettings(lr=0.3, batch_size=10))
    assert a.step_count == 20 and a.epoch == b.epoch
    np.testing.assert_array_equal(a._theta, before)  # update itself moves nothing
    a.step(1)
    b.step(1)
    # plain SGD from the same weights on the same batch: the step is exactly 10 times longer
    np.testing.assert_allclose(a._theta - before, 10 * (b._theta - before), rtol=1e-4, atol=3e-6)
    assert len(a.history) == len(b.history)


def test_batch_size_and_regularization_change_mid_epoch():
    t = make_trainer(TrainSettings(lr=0.1, batch_size=4), n=100)
    t.step(3)
    assert t.epoch == pytest.approx(12 / 50)
    t.update(TrainSettings(lr=0.1, batch_size=10, regularization="l2", reg_rate=0.3))
    t.step(4)  # carries on through the same epoch: 12 + 38 points = the epoch's end
    assert t.epoch == pytest.approx(1.0)
    assert t.step_count == 7
    w_norm = float(np.abs(t._theta[t._reg_mask == 1]).sum())
    t.run_epochs(20)
    assert float(np.abs(t._theta[t._reg_mask == 1]).sum()) < w_norm  # L2 shrinks the weights


def test_optimizer_change_restarts_its_state():
    t = make_trainer(TrainSettings(lr=0.01, optimizer="adam"))
    t.step(10)
    t.update(TrainSettings(lr=0.01, optimizer="momentum"))
    assert len(t._opt) == 1 and not t._opt[0].any()
    assert t.step(5) == 5 and t.status == "ok"


def test_epoch_limit_stops_and_update_resumes():
    t = make_trainer(TrainSettings(batch_size=8, epoch_limit=3))
    t.run_epochs(10)
    assert t.epoch == 3.0 and t.status == "epoch_limit"
    assert "3 epochs" in t.message
    assert t.step(5) == 0
    assert t.history.last_step() == t.step_count
    t.update(TrainSettings(batch_size=8, epoch_limit=5))
    t.run_epochs(10)
    assert t.epoch == 5.0 and t.status == "epoch_limit"


class _FakeClock:
    """A perf_counter that only moves when the trainer steps: every step costs exactly ``cost`` seconds."""

    def __init__(self, cost: float) -> None:
        self.now, self.cost, self.reads = 1000.0, cost, 0

    def perf_counter(self) -> float:
        self.reads += 1
        return self.now


def _clocked(t: Trainer, monkeypatch, cost: float) -> _FakeClock:
    clock = _FakeClock(cost)
    monkeypatch.setattr(training, "time", clock)  # the module's own `time` name only
    step = t.step

    def timed_step(k: int) -> int:
        got = step(k)
        clock.now += got * clock.cost
        return got

    monkeypatch.setattr(t, "step", timed_step)
    return clock


def test_run_for_respects_its_budget(monkeypatch):
    # No wall clock: with steps of exactly 1/64 s, a 1 s budget is 64 steps (the loop stops once the
    # budget is used, overrunning by less than one step), read off a clock that moves only per step.
    t = make_trainer(TrainSettings(batch_size=5))
    clock = _clocked(t, monkeypatch, 1 / 64)
    assert t.run_for(10.0, max_steps=123) == 123
    assert clock.now - 1000.0 == 123 / 64
    start, reads = clock.now, clock.reads
    assert t.run_for(1.0) == 64
    assert clock.now - start == 1.0
    assert clock.reads - reads <= 20  # batched: a handful of clock reads, not one per step
    assert t.step_count == 123 + 64
    # A budget that is not a whole number of steps ends on the first step past it.
    assert t.run_for(1.0 + 1 / 128) == 65
    assert t.run_for(0.0) == 0 and t.run_for(-1.0) == 0


# -- divergence -------------------------------------------------------------------------------------


@pytest.mark.parametrize("act", [lambda: nn.ReLU(), SlowReLU])
def test_divergence_keeps_the_last_good_weights(act):
    # L2 with η·λ = 10 multiplies every weight by (1 − 10) = −9 per step: float32 overflows for sure.
    s = TrainSettings(lr=10, batch_size=10, regularization="l2", reg_rate=1.0)
    t = make_trainer(s, act=act)
    start = weights(t.model)
    taken = t.step(500)
    assert t.status == "diverged"
    assert taken == t.step_count < 500
    assert all(torch.isfinite(w).all() for w in weights(t.model))
    assert "learning rate 10" in t.message and f"step {t.step_count + 1:,}" in t.message
    assert "Try a smaller L2 rate" in t.message and "a learning rate of 1 or lower" in t.message
    assert "Reset" in t.message  # the last finite weights are astronomically large here
    # the kept weights are exactly those after the last good step
    replay = make_trainer(s, act=act, check_every=1)
    replay.step(taken)
    assert replay.status == "ok"
    for a, b in zip(weights(t.model), weights(replay.model), strict=True):
        assert torch.equal(a, b)
    # the trainer stays put until the user changes something; then it trains again
    assert t.step(10) == 0
    t.update(s)  # the same settings (a page rerun) change nothing
    assert t.status == "diverged" and t.step(10) == 0
    with torch.no_grad():
        for p, w in zip(t.model.parameters(), start, strict=True):
            p.copy_(w)
    t.update(TrainSettings(lr=0.01, batch_size=10))
    assert t.status == "ok" and t.message == ""
    assert t.step(10) == 10


def test_divergence_with_adam_restores_the_optimizer_state_too():
    # Adam's first step moves every weight by about η = 1e13: the next forward pass overflows float32.
    s = TrainSettings(lr=1e13, optimizer="adam", batch_size=10, loss="cross_entropy")
    t = make_trainer(s)
    taken = t.step(100)
    assert t.status == "diverged" and 0 < taken < 100
    assert np.isfinite(t._theta).all() and all(np.isfinite(a).all() for a in t._opt)
    assert "Adam" in t.message and ("NaN" in t.message or "infinite" in t.message)
    replay = make_trainer(s)
    replay.step(taken)
    assert replay._adam_t == t._adam_t == taken
    for a, b in zip([replay._theta, *replay._opt], [t._theta, *t._opt], strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_weight_set_to_nan_outside_training_is_undone():
    t = make_trainer(TrainSettings(lr=0.1))
    t.step(5)
    good = weights(t.model)
    with torch.no_grad():
        t.model[0].weight[0, 0] = math.nan
    assert t.step(5) == 0
    assert t.status == "diverged" and "outside training" in t.message
    for a, b in zip(weights(t.model), good, strict=True):
        assert torch.equal(a, b)
    t.clear_divergence()
    assert t.step(5) == 5


def test_a_replaced_parameter_tensor_is_picked_up():
    t = make_trainer(TrainSettings(lr=0.1))
    t.step(3)
    with torch.no_grad():
        t.model[0].weight.data = torch.zeros_like(t.model[0].weight)
    t.step(1)
    assert t._theta[: t.model[0].weight.numel()].any()  # trained from the new tensor...
    assert np.shares_memory(t.model[0].weight.detach().numpy(), t._theta)  # ...which is bound again


# -- history ----------------------------------------------------------------------------------------


def test_history_stays_bounded_and_even():
    h = History(capacity=16, every=1)
    m = Metrics(1.0, 2.0, 0.5, 0.25)
    for step in range(1000):
        if step % h.every == 0:
            h.append(step, step / 10, m)
    assert 8 <= len(h) <= 16
    steps = h.to_arrays()["step"]
    assert steps[0] == 0
    assert len(set(np.diff(steps))) == 1  # evenly spaced after every halving
    assert steps[-1] > 900  # still covers the whole run
    assert h.every == steps[1] - steps[0]


def test_trainer_history_is_bounded_over_a_long_run():
    t = make_trainer(TrainSettings(batch_size=5), history_capacity=40, history_every=1)
    t.step(3000)
    assert len(t.history) <= 40
    assert t.history.to_arrays()["step"][-1] > 2500


def test_region_counts_and_csv():
    t = make_trainer(TrainSettings(batch_size=5), history_every=5)
    t.step(20)
    t.record_regions(17, step=12)
    rows = t.history.to_arrays()
    assert rows["regions"][rows["step"] == 10][0] == 17
    assert np.isnan(rows["regions"][rows["step"] != 10]).all()
    lines = t.history.to_csv().splitlines()
    assert lines[0] == ",".join(History.COLUMNS)
    assert len(lines) == len(t.history) + 1
    assert lines[3].split(",")[0] == "10" and lines[3].split(",")[-1] == "17.0"
    copy_ = t.history.to_arrays()
    copy_["step"][:] = -1
    assert t.history.to_arrays()["step"][0] == 0


def test_settings_are_validated():
    with pytest.raises(ValueError):
        TrainSettings(lr=0)
    with pytest.raises(ValueError):
        TrainSettings(optimizer="rmsprop")
    with pytest.raises(ValueError):
        TrainSettings(batch_size=-1)
    assert training.LEARNING_RATES[0] == 1e-5 and training.LEARNING_RATES[-1] == 10
    assert training.REG_RATES[0] == 0 and len(training.REG_RATES) == 10


def test_history_thinning_keeps_region_counts():
    h = History(capacity=8, every=1)
    metrics = Metrics(1.0, 1.0, 0.5, 0.5)
    for step in range(8):
        h.append(step, step / 10, metrics)
        if step % 2 == 1:  # frames happen to land on the rows the halving will drop
            h.record_regions(step, 100 + step)
    h.append(8, 0.8, metrics)  # full: halves to rows 0, 2, 4, 6
    regions = h.to_arrays()["regions"]
    assert list(regions[:4]) == [101, 103, 105, 107]


def test_reset_optimizer_rows_zeroes_only_those_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    runs = []
    for reset in (False, True):
        model = network.build([2, 4, 1], "relu", init="he", seed=0)
        trainer = Trainer(model, x, y, x, y, TrainSettings(optimizer="momentum", lr=0.1, batch_size=0))
        trainer.step(5)
        if reset:  # unit 2 of the first layer: its weight row and its bias
            rows = np.array([False, True, False, False])
            trainer.reset_optimizer_rows({0: rows, 1: rows})
        before = model[0].weight.detach().clone()
        trainer.step(1)
        runs.append((model[0].weight.detach() - before, trainer))
    (plain, _), (reset, _) = runs
    keep = [0, 2, 3]
    assert torch.equal(plain[keep], reset[keep])  # other units' momentum untouched
    # with its velocity zeroed, the reset row moves by exactly one plain gradient step, lr * g, which is
    # smaller than the momentum-carrying step of the run without the reset
    assert reset[1].abs().sum() < plain[1].abs().sum()
