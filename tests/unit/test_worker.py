"""The background worker: play, pause, step, stop, idle pause, limits, snapshots, fair scheduling."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import network, worker
from relu_viz.training import Trainer, TrainSettings
from relu_viz.worker import Scheduler, TrainingWorker


def make_trainer(settings: TrainSettings | None = None, seed: int = 0) -> Trainer:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (80, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    model = network.build([2, 8, 8, 1], lambda: nn.ReLU(), init="he", seed=seed)
    return Trainer(model, x[:40], y[:40], x[40:], y[40:], settings or TrainSettings(lr=0.05, batch_size=5))


def wait_until(condition, timeout: float = 15.0) -> bool:
    # generous: it returns as soon as the condition holds, and CI machines are shared and noisy
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def stopper():
    """Stops every worker a test made, even when the test fails."""
    made: list[TrainingWorker] = []
    yield made.append
    for w in made:
        w.stop()


def test_play_trains_in_the_background_and_pause_stops_it(stopper):
    w = TrainingWorker(make_trainer())
    stopper(w)
    assert w.snapshot().step == 0 and not w.is_playing
    time.sleep(0.05)
    assert w.snapshot().step == 0  # nothing happens before Play
    w.play()
    assert wait_until(lambda: w.snapshot().step > 50)
    w.pause()
    frozen = w.snapshot().step
    time.sleep(0.15)
    assert w.snapshot().step == frozen
    assert not w.is_playing and w.pause_reason == "paused"
    w.play()
    assert wait_until(lambda: w.snapshot().step > frozen)


def test_step_once_takes_exactly_n_steps(stopper):
    w = TrainingWorker(make_trainer())
    stopper(w)
    assert w.step_once(7) == 7
    assert w.snapshot().step == 7


def test_stop_ends_the_thread_and_so_does_dropping_the_worker():
    before = worker.live_threads()
    w = TrainingWorker(make_trainer())
    w.play()
    assert worker.live_threads() == before + 1 and w.is_alive
    w.stop()
    assert not w.is_alive
    assert worker.live_threads() == before

    dropped = TrainingWorker(make_trainer())
    dropped.play()
    assert worker.live_threads() == before + 1
    del dropped
    gc.collect()
    assert wait_until(lambda: worker.live_threads() == before, timeout=2.0)


def test_idle_worker_pauses_itself(stopper):
    w = TrainingWorker(make_trainer(), idle_timeout=0.2)
    stopper(w)
    w.play()
    assert wait_until(lambda: not w.is_playing, timeout=2.0)  # nobody looked for 0.2 s
    assert w.pause_reason == "idle"
    frozen = w.snapshot().step
    assert frozen > 0
    time.sleep(0.1)
    assert w.snapshot().step == frozen

    watched = TrainingWorker(make_trainer(), idle_timeout=0.2)
    stopper(watched)
    watched.play()
    end = time.monotonic() + 0.6
    while time.monotonic() < end:  # a page drawing frames keeps it alive
        watched.snapshot()
        time.sleep(0.05)
    assert watched.is_playing


def test_epoch_limit_stops_the_worker(stopper):
    w = TrainingWorker(make_trainer(TrainSettings(lr=0.05, batch_size=5, epoch_limit=30)))
    stopper(w)
    w.play()
    assert wait_until(lambda: not w.is_playing)
    snap = w.snapshot()
    assert snap.epoch == 30.0 and snap.status == "epoch_limit" and snap.pause_reason == "epoch_limit"
    assert snap.step == 30 * 8
    w.play()  # still at the limit: pauses again at once
    assert wait_until(lambda: not w.is_playing)
    assert w.snapshot().step == 30 * 8
    w.with_trainer(lambda t: t.update(TrainSettings(lr=0.05, batch_size=5, epoch_limit=31)))
    w.play()
    assert wait_until(lambda: w.snapshot().epoch == 31.0 and not w.is_playing)


def test_divergence_stops_the_worker(stopper):
    w = TrainingWorker(make_trainer(TrainSettings(lr=10, regularization="l2", reg_rate=1.0)))
    stopper(w)
    w.play()
    assert wait_until(lambda: not w.is_playing)
    snap = w.snapshot()
    assert snap.status == "diverged" and snap.pause_reason == "diverged"
    assert "learning rate 10" in snap.message
    assert all(torch.isfinite(v).all() for v in snap.state_dict.values())


def test_snapshots_are_consistent_copies(stopper):
    settings = TrainSettings(lr=0.05, optimizer="momentum", batch_size=3)
    w = TrainingWorker(make_trainer(settings))
    stopper(w)
    w.play()
    assert wait_until(lambda: w.snapshot().step > 200)
    snap = w.snapshot()
    w.pause()
    # the weights in the snapshot are exactly those after snap.step steps (not torn mid-slice)
    replay = make_trainer(settings)
    replay.step(snap.step)
    for key, value in replay.model.state_dict().items():
        assert torch.equal(snap.state_dict[key], value), key
    assert snap.history["step"][-1] <= snap.step
    # changing the snapshot changes nothing in the run
    live = w.with_trainer(lambda t: t.model[0].weight.detach().clone())
    snap.state_dict["0.weight"].fill_(123.0)
    assert torch.equal(w.with_trainer(lambda t: t.model[0].weight.detach().clone()), live)
    with pytest.raises(ValueError):
        snap.history["train_loss"][0] = 0.0  # history columns are read-only


def test_settings_change_while_playing(stopper):
    w = TrainingWorker(make_trainer())
    stopper(w)
    w.play()
    assert wait_until(lambda: w.snapshot().step > 20)
    w.with_trainer(lambda t: t.update(TrainSettings(lr=0.01, batch_size=40)))
    at = w.snapshot().step
    assert wait_until(lambda: w.snapshot().step > at + 20)
    snap = w.snapshot()
    assert snap.settings.batch_size == 40 and snap.status == "ok" and w.is_playing


def test_speed_cap(stopper):
    w = TrainingWorker(make_trainer(), steps_per_second=200)
    stopper(w)
    w.play()
    time.sleep(0.5)
    steps = w.snapshot().step
    assert 10 <= steps <= 200  # 100 expected, plus at most 0.25 s of burst (fewer on a busy machine)
    w.set_speed(None)
    assert wait_until(lambda: w.snapshot().step > steps + 500)


class SlowReLU(nn.Module):
    """ReLU the numpy fast path doesn't know: this session trains alone, on the autograd path."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def test_one_thread_trains_every_session_and_each_progresses(stopper):
    sched = Scheduler(slice_seconds=0.005)
    batched = [TrainingWorker(make_trainer(seed=i), scheduler=sched) for i in range(4)]
    ref = make_trainer(seed=9)
    lone_model = network.build([2, 8, 8, 1], lambda: SlowReLU(), init="he", seed=9)
    lone = Trainer(lone_model, ref.x_train, ref.y_train, ref.x_test, ref.y_test, ref.settings)
    other = make_trainer(TrainSettings(lr=0.05, batch_size=7, optimizer="adam"))
    workers = [
        *batched,
        TrainingWorker(lone, scheduler=sched),
        TrainingWorker(other, scheduler=sched),
        TrainingWorker(make_trainer(seed=5), scheduler=sched, steps_per_second=100),
    ]
    for w in workers:
        stopper(w)
    for w in workers:
        w.play()
    assert wait_until(lambda: all(w.snapshot().step > 30 for w in workers))
    assert sched.thread is not None and sum(t is sched.thread for t in threading.enumerate()) == 1
    steps = [w.snapshot().step for w in batched]
    assert min(steps) > 0.5 * max(steps), steps  # the batched ones step together
    for w in workers:
        w.stop()
    assert wait_until(lambda: sched.thread is None)  # the thread ends with its last worker


def test_a_batched_session_that_diverges_stops_alone(stopper):
    sched = Scheduler()
    good = [TrainingWorker(make_trainer(seed=i), scheduler=sched) for i in range(3)]
    bad = TrainingWorker(make_trainer(TrainSettings(lr=10, batch_size=5), seed=7), scheduler=sched)
    bad.with_trainer(lambda t: t.model[0].weight.data.mul_(1e18))  # its next steps overflow
    for w in [*good, bad]:
        stopper(w)
        w.play()
    assert wait_until(lambda: not bad.is_playing)
    snap = bad.snapshot()
    assert snap.status == "diverged" and bad.pause_reason == "diverged" and np.isfinite(snap.theta).all()
    at = [w.snapshot().step for w in good]
    assert wait_until(lambda: all(w.snapshot().step > s + 50 for w, s in zip(good, at, strict=True)))
    assert all(w.is_playing for w in good)


def test_play_on_a_diverged_run_pauses_it_again(stopper):
    w = TrainingWorker(make_trainer(TrainSettings(lr=10, regularization="l2", reg_rate=1.0)))
    stopper(w)
    w.play()
    assert wait_until(lambda: not w.is_playing)
    w.play()
    assert wait_until(lambda: not w.is_playing) and w.pause_reason == "diverged"


def test_the_pace_leaves_more_to_streaming_as_a_class_grows():
    one, thirty, many = worker.pace_for(1), worker.pace_for(30, 3), worker.pace_for(200, 40)
    assert one.train_duty == worker.MAX_DUTY and one.slice_seconds == worker.SLICE_SECONDS
    assert worker.MIN_DUTY <= thirty.train_duty < one.train_duty and many.train_duty == worker.MIN_DUTY
    assert many.slice_seconds == worker.MIN_SLICE_SECONDS
    assert worker.pace_for(0) == one


def test_snapshot_theta_is_the_flat_parameters_in_model_order(stopper):
    w = TrainingWorker(make_trainer())
    stopper(w)
    w.step_once(13)
    snap = w.snapshot()
    model = w.with_trainer(lambda t: t.model)
    ordered = [t for i in (0, 2, 4) for t in (model[i].weight, model[i].bias)]  # W1, b1, W2, b2, W3, b3
    expected = np.concatenate([p.detach().numpy().ravel() for p in ordered])
    assert snap.theta.shape == (2 * 8 + 8 + 8 * 8 + 8 + 8 + 1,)
    np.testing.assert_array_equal(snap.theta, expected)
    assert snap.theta.dtype == np.float32 and not snap.theta.flags.writeable
    # state_dict is built from theta on first use, keyed and shaped as the model's own
    state = model.state_dict()
    assert list(snap.state_dict) == list(state)
    for key, value in state.items():
        assert torch.equal(snap.state_dict[key], value), key
    assert snap.state_dict is snap.state_dict  # built once
    w.step_once(5)
    assert not np.array_equal(w.snapshot().theta, snap.theta)  # later steps leave the old copy alone
    np.testing.assert_array_equal(snap.theta, expected)


def test_snapshot_state_dict_keeps_entries_that_are_not_in_theta(stopper):
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("scale", torch.tensor([2.0]))
            self.frozen = nn.Parameter(torch.tensor([0.5]), requires_grad=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x) * self.scale * self.frozen

    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (40, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 4), Scaled(), nn.Linear(4, 1))
    w = TrainingWorker(Trainer(model, x[:20], y[:20], x[20:], y[20:], TrainSettings(batch_size=5)))
    stopper(w)
    w.step_once(3)
    snap = w.snapshot()
    assert snap.theta.shape == (2 * 4 + 4 + 4 + 1,)
    state = model.state_dict()
    assert list(snap.state_dict) == list(state)
    for key, value in state.items():
        assert torch.equal(snap.state_dict[key], value), key


def test_batched_workers_train_exactly_as_their_trainers_would_alone(stopper):
    settings = [TrainSettings(lr=lr, batch_size=5, optimizer="momentum") for lr in (0.05, 0.02, 0.1)]
    sched = Scheduler(slice_seconds=0.003)
    workers = [TrainingWorker(make_trainer(s, seed=i), scheduler=sched) for i, s in enumerate(settings)]
    for w in workers:
        stopper(w)
    workers[1].step_once(3)  # starts mid-epoch
    for w in workers:
        w.play()
    assert wait_until(lambda: all(w.snapshot().step > 300 for w in workers))
    for w in workers:
        w.pause()
    for i, (w, s) in enumerate(zip(workers, settings, strict=True)):
        snap = w.snapshot()
        alone = make_trainer(s, seed=i)
        alone.step(snap.step)
        np.testing.assert_allclose(snap.theta, alone.theta(), rtol=1e-5, atol=1e-5)
        assert snap.epoch == alone.epoch
        history = alone.history.to_arrays()
        for column in ("step", "epoch", "train_loss", "test_acc"):
            np.testing.assert_allclose(snap.history[column], history[column], rtol=1e-5, atol=1e-5)
