"""The training thread under trouble: a Step in turns, a late look, a stuck turn, a dead thread, and the
first slice of a run measured rather than assumed."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from torch import nn

from relu_viz import network, training
from relu_viz.training import Trainer
from relu_viz.worker import Scheduler, TrainingWorker
from tests.unit.test_worker import SlowReLU, make_trainer, wait_until


@pytest.fixture
def stopper():
    made: list[TrainingWorker] = []
    yield made.append
    for w in made:
        w.stop()


def test_play_steps_trains_exactly_that_many_then_pauses_as_stepped(stopper):
    w = TrainingWorker(make_trainer(), steps_per_second=1.0)  # the cap would allow 1 step a second
    stopper(w)
    w.step_once(3)
    w.play(steps=500)  # a Step is not held to the speed cap
    assert w.wait_paused(timeout=30.0), "500 steps did not finish"
    assert w.snapshot().step == 503
    assert w.pause_reason == "stepped" and not w.is_playing
    with pytest.raises(ValueError):
        w.play(steps=0)


def test_pause_cancels_a_step_part_way(stopper):
    w = TrainingWorker(make_trainer())
    stopper(w)
    w.play(steps=10**9)
    assert wait_until(lambda: w.snapshot().step > 20)
    w.pause()
    done = w.snapshot().step
    assert 20 < done < 10**9 and w.pause_reason == "paused"
    w.play()  # Play after a cancelled Step plays on, with no target left behind
    assert wait_until(lambda: w.snapshot().step > done + 20)
    assert w.is_playing


def test_a_run_someone_watches_never_pauses_for_a_late_look(stopper):
    sched = Scheduler()
    watched = TrainingWorker(make_trainer(), idle_timeout=0.05, watched=lambda: True, scheduler=sched)
    gone = TrainingWorker(make_trainer(seed=1), idle_timeout=0.05, watched=lambda: False, scheduler=sched)
    stopper(watched)
    stopper(gone)
    watched.play()
    gone.play()
    assert wait_until(lambda: not gone.is_playing), "a run nobody watches must pause"
    assert gone.pause_reason == "idle"
    at = watched._core.trainer.step_count  # read without looking: a look would reset the idle clock
    assert wait_until(lambda: watched._core.trainer.step_count > at + 200)
    assert watched.is_playing


def test_a_failing_probe_counts_as_nobody_watching(stopper):
    def probe() -> bool:
        raise RuntimeError("session manager gone")

    w = TrainingWorker(make_trainer(), idle_timeout=0.05, watched=probe, scheduler=Scheduler())
    stopper(w)
    w.play()
    assert wait_until(lambda: not w.is_playing)
    assert w.pause_reason == "idle"


def stuck_trainer(entered: threading.Event, release: threading.Event) -> Trainer:
    """A trainer on the autograd path (it trains alone) whose next turn blocks until ``release``."""
    ref = make_trainer(seed=3)
    model = network.build([2, 8, 8, 1], lambda: SlowReLU(), init="he", seed=3)
    trainer = Trainer(model, ref.x_train, ref.y_train, ref.x_test, ref.y_test, ref.settings)

    def run_for(seconds: float, max_steps: int | None = None) -> int:
        entered.set()
        release.wait(timeout=60.0)
        return 0

    trainer.run_for = run_for  # type: ignore[method-assign]
    return trainer


def test_a_stuck_turn_gets_the_other_sessions_a_new_thread(stopper):
    sched = Scheduler(slice_seconds=0.005)
    entered, release = threading.Event(), threading.Event()
    stuck = TrainingWorker(stuck_trainer(entered, release), scheduler=sched)
    others = [TrainingWorker(make_trainer(seed=i), scheduler=sched) for i in range(2)]
    for w in (stuck, *others):
        stopper(w)
    try:
        stuck.play()
        assert entered.wait(timeout=30.0), "the stuck session never got a turn"
        first = sched.thread
        for w in others:
            w.play()
        assert wait_until(lambda: all(w.snapshot().step > 50 for w in others)), "the others did not train"
        assert sched.replaced >= 1 and sched.thread is not first
        assert stuck.snapshot().step == 0  # its turn is still stuck; a look does not wait for it
    finally:
        release.set()
    assert wait_until(lambda: not first.is_alive()), "the replaced thread did not end after its turn"


def test_a_dead_training_thread_is_replaced(stopper):
    sched = Scheduler(slice_seconds=0.005)
    w = TrainingWorker(make_trainer(), scheduler=sched)
    stopper(w)
    real_groups = sched._groups
    calls = {"n": 0}

    def failing_once(playing):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug in the scheduler")
        return real_groups(playing)

    sched._groups = failing_once  # type: ignore[method-assign]
    w.play()
    assert wait_until(lambda: w.snapshot().step > 50), "training did not resume on a new thread"
    assert sched.replaced == 1 and calls["n"] > 1


class FakeClock:
    """``time.perf_counter`` advancing ``tick`` seconds per read: a step 'costs' one tick."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_the_first_slice_of_a_run_takes_one_step_to_measure_its_cost(monkeypatch):
    trainer = make_trainer()
    clock = FakeClock(0.004)
    monkeypatch.setattr(training.time, "perf_counter", clock)
    # a 10 ms slice, 4 ms per clock read: one measured step, then the time is up. An assumed
    # 0.1 ms a step would have taken 0.5 * 6 ms / 0.1 ms = 30 steps at once.
    assert trainer.run_for(0.010) == 1
    # measured now at ~4 ms a step: the next slice sizes its batch from that, 0.5 * 6 / 4 -> 1 step
    assert trainer.run_for(0.010) == 1


def test_a_new_batch_size_is_measured_again():
    trainer = make_trainer()
    trainer.run_for(0.01)
    assert trainer._seconds_per_step is not None
    trainer.update(training.TrainSettings(lr=0.05, batch_size=40))
    assert trainer._seconds_per_step is None
    trainer.update(training.TrainSettings(lr=0.01, batch_size=40))  # a new rate costs the same
    trainer.run_for(0.01)
    per = trainer._seconds_per_step
    trainer.update(training.TrainSettings(lr=0.02, batch_size=40))
    assert trainer._seconds_per_step == per
    assert np.isfinite(per)


def test_smooth_model_helper_is_the_autograd_path():
    # guards the stuck-turn test: its trainer must train alone, through Trainer.run_for
    from relu_viz import cohort

    entered, release = threading.Event(), threading.Event()
    release.set()
    assert cohort.batch_key(stuck_trainer(entered, release)) is None
    assert cohort.batch_key(make_trainer()) is not None
    assert isinstance(nn.ReLU(), nn.Module)
