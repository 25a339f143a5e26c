"""Streamlit's per-session message queue under a script thread and the event loop at once: with the
lock of relu_viz.ui.message_queue no element is lost; without it (the queue as Streamlit ships it)
elements that replace a waiting one go missing or raise."""

from __future__ import annotations

import sys
import threading

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

from relu_viz.ui import message_queue

N = 20_000


def _message(i: int, kind: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.delta_path[:] = [0, i]
    if kind == "empty":
        msg.delta.new_element.empty.SetInParent()
    else:
        msg.delta.new_element.metric.label = "Epoch"
        msg.delta.new_element.metric.body = str(i)
    return msg


def _lost(queue: ForwardMsgQueue) -> tuple[int, list[str]]:
    """A script thread fills N slots at once (an empty, then its metric) while another thread flushes
    the queue as the event loop does; returns (slots whose metric never came out, errors raised)."""
    sent: list[ForwardMsg] = []
    errors: list[str] = []
    done = threading.Event()

    def script() -> None:
        try:
            for i in range(N):
                queue.enqueue(_message(i, "empty"))
                queue.enqueue(_message(i, "metric"))
        except Exception as err:  # what a page would show as an exception box
            errors.append(repr(err))
        done.set()

    def event_loop() -> None:
        while not done.is_set():
            sent.extend(queue.flush())
        sent.extend(queue.flush())

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so the window is hit within the test
    try:
        threads = [threading.Thread(target=script), threading.Thread(target=event_loop)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    last = {m.metadata.delta_path[1]: m.delta.new_element.WhichOneof("type") for m in sent}
    return sum(last.get(i) != "metric" for i in range(N)), errors


@pytest.mark.timeout(60)
def test_locked_queue_loses_no_element():
    message_queue.make_thread_safe()  # done on importing relu_viz.ui; twice is harmless
    assert _lost(ForwardMsgQueue()) == (0, [])


@pytest.mark.timeout(60)
def test_the_queue_as_shipped_loses_elements():
    """Why the lock exists. If this fails, Streamlit fixed the race: drop relu_viz.ui.message_queue."""

    class Shipped(ForwardMsgQueue):
        enqueue = ForwardMsgQueue.enqueue.__wrapped__
        clear = ForwardMsgQueue.clear.__wrapped__
        flush = ForwardMsgQueue.flush.__wrapped__

    lost, errors = _lost(Shipped())
    assert lost > 0 or errors
