"""Streamlit 1.67's per-session message queue, made safe to share between two threads.

A page's script thread puts each element on its session's ``ForwardMsgQueue`` (``enqueue``) while the
server's event loop takes the queue to send it to the browser (``flush``), with no lock between them.
When an element replaces one still waiting in the queue (an ``st.empty`` slot filled at once, a value
rewritten before the last one was sent), ``enqueue`` finds the waiting one by its index and
overwrites it. A flush in between hands the old list to the browser and starts a new one, so the
overwrite lands in a list already sent (the new element never reaches the browser: a classroom run
saw a page's Epoch metric missing, about one page load in 150) or past the end of the new list (an
IndexError in the page). ``tests/unit/test_message_queue.py`` loses nearly every such element
without the lock below.

One process-wide lock around ``enqueue``, ``clear`` and ``flush`` closes the window; each holds it
for a few list operations. It matters more with the browser renderer: every live frame replaces the
renderer element in its slot, often while the last frame still waits to be sent. Re-check on any
Streamlit upgrade (streamlit is pinned to 1.67.0).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from streamlit.runtime import forward_msg_queue

_LOCK = threading.RLock()  # flush calls clear: the same thread takes it twice


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    wrapper.__relu_viz_locked__ = True  # type: ignore[attr-defined]
    return wrapper


def make_thread_safe() -> None:
    """Put the lock around the queue's methods that read or replace its list (once per process)."""
    queue = forward_msg_queue.ForwardMsgQueue
    for name in ("enqueue", "clear", "flush"):
        method = getattr(queue, name)
        if not getattr(method, "__relu_viz_locked__", False):
            setattr(queue, name, _locked(method))
