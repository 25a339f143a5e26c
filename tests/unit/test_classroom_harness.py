"""The classroom harness's own parts that need no server (``bench/classroom_load.py``): how it reads
the renderer's payloads off Streamlit's wire, and its competing load."""

from __future__ import annotations

import json
import os
import time

import psutil
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.classroom_load import RENDERER, TARGETS, ClassroomResult, SessionStats, Student, stolen_cores

JS = "export default function render() {}"


def _renderer_msg(data: dict, js: str = JS, name: str = RENDERER) -> bytes:
    """A ForwardMsg as the server sends the renderer element: a bidi_component with JSON data."""
    msg = ForwardMsg()
    comp = msg.delta.new_element.bidi_component
    comp.component_name = name
    comp.id = "abc-rv_trainer_run"
    comp.js_content = js
    comp.json = json.dumps(data)
    return msg.SerializeToString()


def _frame(step: int, epoch: float, test_loss: float = 0.5, test_acc: float = 0.75) -> dict:
    last = {"train_loss": 0.4, "test_loss": test_loss, "train_acc": 0.8, "test_acc": test_acc}
    return {"step": step, "epoch": epoch, "w": "AAAA", "playing": True, "last": last}


def _setup(step: int, epoch: float, view: str = "outlines", **last) -> dict:
    return {"kind": "trainer", "id": "trainer_run", "view": view, "structure": {}, "points": {},
            "frame": _frame(step, epoch, **last)}  # fmt: skip


def _update(step: int, epoch: float, view: str = "outlines") -> dict:
    return {"kind": "trainer", "id": "trainer_run", "view": view, "frame": _frame(step, epoch), "rows": {}}


def _finished(status=ForwardMsg.FINISHED_SUCCESSFULLY) -> bytes:
    msg = ForwardMsg()
    msg.script_finished = status
    return msg.SerializeToString()


def _student() -> Student:
    student = Student("http://127.0.0.1:1", 0, "ds=circle&seed=0")
    student.stats.playing_since = 0.0
    return student


def test_a_map_frame_is_a_renderer_payload_with_a_new_step():
    student = _student()
    messages = [_setup(0, 0.0), _update(10, 0.5), _update(10, 0.5), _setup(10, 0.5), _update(25, 1.0)]
    for t, data in enumerate(messages, start=1):
        student.handle(_renderer_msg(data), now=float(t))
    stats = student.stats
    assert stats.map_times == [1.0, 2.0, 5.0]  # the same step again (an update or a set-up) is no frame
    assert [e for _, e in stats.epochs] == [0.0, 0.5, 0.5, 0.5, 1.0]
    assert stats.epochs_advanced() == 1.0
    assert stats.epoch_rate(until=5.0) == 1.0 / 5.0
    assert stats.map_rate(until=5.0) == 3 / 5.0
    assert not stats.errors


def test_bytes_per_frame_are_the_update_messages_and_name_the_inlined_code():
    student = _student()
    setup, update = _renderer_msg(_setup(0, 0.0)), _renderer_msg(_update(10, 0.5), js=JS * 10)
    student.handle(setup, now=1.0)
    student.handle(update, now=2.0)
    other = ForwardMsg()
    other.delta.new_element.markdown.body = "hello"
    student.handle(other.SerializeToString(), now=3.0)
    stats = student.stats
    assert stats.frame_sizes() == [len(update)]
    assert stats.code_sizes() == [len(JS) * 10]
    assert stats.setup_sizes() == [len(setup)]
    assert stats.renderer_bytes_rate(until=4.0) == (len(setup) + len(update)) / 4.0
    assert (
        stats.wire_bytes_rate(until=4.0) == (len(setup) + len(update) + len(other.SerializeToString())) / 4.0
    )


def test_another_component_is_not_the_renderer():
    student = _student()
    student.handle(_renderer_msg(_setup(0, 0.0), name="someone.else"), now=1.0)
    assert not student.stats.map_times and not student.stats.renderer_msgs


def test_an_epoch_or_step_going_back_is_an_error():
    student = _student()
    student.handle(_renderer_msg(_update(10, 0.5)), now=1.0)
    student.handle(_renderer_msg(_update(5, 0.25)), now=2.0)
    assert any("step went back" in e for e in student.stats.errors)
    assert any("epoch went back" in e for e in student.stats.errors)


def test_a_view_change_ends_at_the_first_payload_of_the_new_view():
    student = _student()
    student.change_sent, student.change_target = 1.0, "regions"
    student.handle(_renderer_msg(_update(10, 0.5, view="outlines")), now=1.2)  # the old loop's frame
    assert student.change_sent is not None and not student.stats.change_latencies
    student.handle(_renderer_msg(_setup(10, 0.5, view="regions")), now=1.3)
    assert student.change_sent is None
    assert [round(x, 6) for x in student.stats.change_latencies] == [0.3]


def test_first_numbers_are_the_loaded_pages_frame():
    student = _student()
    student.handle(_renderer_msg(_setup(0, 0.0, test_loss=0.25, test_acc=0.5)), now=1.0)
    student.handle(_finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY), now=1.1)
    assert student.stats.first_metrics is None  # a fragment's run is not the page's
    student.handle(_finished(), now=1.2)
    assert student.stats.first_metrics == (0.25, 0.5)
    student.handle(_renderer_msg(_setup(10, 0.5, test_loss=0.1, test_acc=0.9)), now=2.0)
    student.handle(_finished(), now=2.1)
    assert student.stats.first_metrics == (0.25, 0.5)  # kept: the first one


def test_an_exception_element_is_an_error():
    student = _student()
    msg = ForwardMsg()
    msg.delta.new_element.exception.type = "ValueError"
    msg.delta.new_element.exception.message = "boom"
    student.handle(msg.SerializeToString(), now=1.0)
    assert student.stats.errors == ["exception: ValueError: boom"]


def _session(index: int, first: tuple | None, frames: int, seconds: float = 10.0) -> SessionStats:
    s = SessionStats(index, first_metrics=first, playing_since=0.0)
    s.map_times = [seconds * (i + 1) / frames for i in range(frames)]
    s.epochs = [(t, 30.0 * t) for t in s.map_times]
    s.renderer_msgs = [(t, 4000, False, 0) for t in s.map_times]
    s.change_latencies = [0.1]
    return s


def test_result_finds_mixups_and_missed_targets():
    sessions = [_session(0, (0.5, 0.75), 200), _session(1, (0.5, 0.75), 200), _session(2, None, 50)]
    refs = [(0.5 + 1e-15, 0.75), (0.6, 0.75), (0.5, 0.75)]  # a float's last bit is no mix-up
    result = ClassroomResult(sessions, 10.0, [(0.0, 500.0, 100.0, 0.0)], refs, end=10.0)
    assert result.mixed_sessions() == [1, 2]
    failures = result.failures()
    assert "1 of 3 students below 10 map frames/s: 2 (5.0)" in failures
    assert not any("epochs/s" in f for f in failures)  # 30 epochs/s each: on target
    assert not any("bytes per frame" in f or "RSS" in f or "p95 widget" in f for f in failures)
    assert result.stalled() == []
    big = _session(3, None, 200)
    big.renderer_msgs = [(t, 90_000, False, 85_000) for t, *_ in big.renderer_msgs]
    result = ClassroomResult([big], 10.0, [], [None], end=10.0)
    assert any(f.startswith("p95 bytes per frame 90000") for f in result.failures(TARGETS))
    assert any(f.startswith("server RSS nan") for f in result.failures())  # not watched: not passed
    assert "inlined JS/CSS/HTML: median 85000" in result.summary()


def _children_cpu_seconds() -> float:
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def test_stolen_cores_takes_its_share_of_every_core_and_stops():
    cores = os.cpu_count() or 1
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    with stolen_cores(0.5):
        time.sleep(1.0)  # the processes start (a spawn takes a moment), then spin half of each 100 ms
        start = _children_cpu_seconds()
        time.sleep(1.0)
        burned = _children_cpu_seconds() - start
        spinning = {c.pid for c in psutil.Process().children(recursive=True)} - before
    assert len(spinning) >= cores
    # half of each core for one second at most; on a shared, busy machine the spinners get less of it
    # (0.45 of 1.0 seen with other work running), so below only "they spin at all" is checked
    assert burned > 0.05 * cores, f"the competing load burned {burned:.2f} CPU s in 1 s on {cores} cores"
    assert burned <= 0.75 * cores, f"the competing load took {burned:.2f} CPU s in 1 s, above its share"
    time.sleep(0.1)
    alive = {c.pid for c in psutil.Process().children(recursive=True) if c.is_running()} & spinning
    assert not alive


def test_no_competing_load_without_a_share():
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    with stolen_cores(0.0):
        now = {c.pid for c in psutil.Process().children(recursive=True)}
    assert now == before
