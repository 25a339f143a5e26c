"""Frames drawn in helper processes: the same picture as drawn in-process, a safe wire format, and a
pool that survives a helper's death."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from relu_viz import datasets, experiment, render_pool
from relu_viz.training import TrainSettings


def job(view: str = "outlines", seed: int = 0, curves: bool = False) -> render_pool.FrameJob:
    data = datasets.make("circle", n=120, seed=seed)
    run = experiment.start(data, 0.5, experiment.ModelSpec(seed=seed), TrainSettings())
    run.trainer.step(20)
    return render_pool.FrameJob(
        run.spec,
        data.n_classes,
        render_pool.FrameJob.weights(run.model.state_dict()),
        view,
        data.x,
        data.y,
        run.train_idx,
        run.test_idx,
        history=run.trainer.history.to_arrays() if curves else None,
    )


@pytest.fixture(scope="module")
def pool():
    p = render_pool.RenderPool(2)
    yield p
    p.shutdown()


def test_wire_format_round_trips_without_pickle():
    j = job(curves=True)
    message = render_pool.encode_job(j)
    assert b"pickle" not in message and message[8:9] == b"{"  # a JSON header, then raw bytes
    back = render_pool.decode_job(message)
    assert back.spec == j.spec and back.view == j.view and back.size == j.size
    for name, a in j.state.items():
        np.testing.assert_array_equal(back.state[name], a)
    np.testing.assert_array_equal(back.x, j.x)
    np.testing.assert_array_equal(back.test_idx, j.test_idx)
    np.testing.assert_array_equal(back.history["test_loss"], j.history["test_loss"])
    header, arrays = render_pool.decode(render_pool.encode({"a": 1}, {"b": b"xyz", "c": None}))
    assert header == {"a": 1} and arrays == {"b": b"xyz", "c": None}


def test_decode_refuses_object_arrays():
    message = bytearray(render_pool.encode({}, {"x": np.zeros(2)}))
    message = bytes(message).replace(b'"<f8"', b'"|O8"')
    with pytest.raises(ValueError, match="unexpected array type"):
        render_pool.decode(message)


@pytest.mark.parametrize("view", ["outlines", "regions", "probabilities"])
def test_a_helper_draws_exactly_what_the_server_would(pool, view):
    j = job(view, curves=view == "outlines")
    here = render_pool.draw(j)
    there = pool.render(j)
    assert there.jpeg == here.jpeg
    assert (there.region_count, there.note, there.count_text) == (
        here.region_count,
        here.note,
        here.count_text,
    )
    assert there.curves_png == here.curves_png
    assert (there.curves_png is not None) == (view == "outlines")
    if view != "probabilities":
        assert there.region_count and there.region_count > 1


def test_concurrent_sessions_each_get_their_own_frame(pool):
    jobs = [job(seed=s) for s in range(6)]
    expected = [render_pool.draw(j).jpeg for j in jobs]
    got: dict[int, bytes] = {}

    def ask(i: int) -> None:
        for _ in range(3):
            got[i] = pool.render(jobs[i]).jpeg

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(jobs))] == expected
    assert len(set(expected)) == len(expected)


def test_a_dead_helper_is_replaced(pool, monkeypatch):
    j = job()
    pool.render(j)
    for h in pool.idle_helpers():
        h.process.kill()
        h.process.join()
    # a helper found dead when a frame needs it is replaced before the frame is sent
    assert pool.render(j).jpeg == render_pool.draw(j).jpeg
    # one that dies with the frame in flight fails that frame, and is replaced for the next
    victim = pool.idle_helpers()[-1]  # the next one lent out
    victim.process.kill()
    victim.process.join()
    monkeypatch.setattr(type(victim.process), "is_alive", lambda self: True)
    failures = 0
    for _ in range(3):
        try:
            pool.render(j)
        except render_pool.RenderError:
            failures += 1
    monkeypatch.undo()
    assert failures == 1
    assert pool.render(j).jpeg == render_pool.draw(j).jpeg


def test_a_frame_that_fails_in_the_helper_is_an_error_not_a_dead_pool(pool):
    bad = job()
    bad = render_pool.FrameJob(
        bad.spec, bad.n_classes, {"nonsense": np.zeros(3)}, bad.view, bad.x, bad.y, bad.train_idx, None
    )
    with pytest.raises(render_pool.RenderError, match="Drawing the frame failed"):
        pool.render(bad)
    assert pool.render(job()).region_count


def test_zero_processes_draws_in_the_caller():
    p = render_pool.RenderPool(0)
    j = job()
    assert p.render(j).jpeg == render_pool.draw(j).jpeg
    assert p.mean_seconds > 0


def test_urgent_frames_jump_the_queue():
    lender = render_pool._Lender()
    order: list[str] = []

    def wait(name: str, urgent: bool) -> None:
        helper = lender.get(urgent, 10.0)
        order.append(name)
        lender.put(helper)

    streamed = threading.Thread(target=wait, args=("streamed", False))
    streamed.start()
    while not lender._waiting:
        pass
    urgent = threading.Thread(target=wait, args=("urgent", True))
    urgent.start()
    while len(lender._waiting) < 2:
        pass
    lender.put("helper")  # one helper for two waiters: the urgent one, though it came second
    streamed.join(5)
    urgent.join(5)
    assert order == ["urgent", "streamed"]
    assert lender.get(False, 0.01) == "helper" and lender.get(False, 0.01) is None


def test_a_waiter_that_gave_up_leaves_no_trace_and_each_return_wakes_one_waiter():
    lender = render_pool._Lender()
    assert lender.get(False, 0.01) is None  # nobody to lend: gives up after its timeout
    assert not lender._waiting and not lender._events
    got: list[object] = []
    waiters = [threading.Thread(target=lambda: got.append(lender.get(False, 10.0))) for _ in range(3)]
    for w in waiters:
        w.start()
    while len(lender._waiting) < 3:
        pass
    lender.put("a")
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(0.05)
    assert got == ["a"]  # one helper returned, one waiter served; the others still wait
    lender.put("b")
    lender.put("c")
    for w in waiters:
        w.join(5)
    assert sorted(got) == ["a", "b", "c"] and not lender._events and not lender._free


def test_a_frame_no_longer_wanted_stops_waiting_for_a_helper_and_leaves_its_place():
    lender = render_pool._Lender()
    wanted = threading.Event()
    wanted.set()
    result: list[object] = []
    started = time.monotonic()
    waiter = threading.Thread(
        target=lambda: result.append(lender.get(False, 10.0, lambda: not wanted.is_set()))
    )
    waiter.start()
    while not lender._waiting:
        pass
    time.sleep(3 * render_pool.GIVE_UP_POLL)
    assert waiter.is_alive()  # still wanted: still waiting
    wanted.clear()  # e.g. the view changed while this frame waited
    waiter.join(5)
    assert result == [None] and time.monotonic() - started < 2
    assert not lender._waiting and not lender._events
    lender.put("helper")  # the next helper returned goes to the free list, not to the one that left
    assert lender._free == ["helper"]


def test_render_raises_cancelled_not_render_error_when_given_up(monkeypatch):
    pool = render_pool.RenderPool(1)
    monkeypatch.setattr(pool, "start", lambda: None)  # no helper at all: every frame must wait
    with pytest.raises(render_pool.Cancelled):
        pool.render(job(), timeout=5.0, give_up=lambda: True)
    with pytest.raises(render_pool.RenderError):
        pool.render(job(), timeout=0.1, give_up=lambda: False)
