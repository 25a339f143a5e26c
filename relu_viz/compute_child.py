"""The helper process's side of :mod:`relu_viz.compute`: run one task at a time, say how far it is.

Started by :class:`relu_viz.compute.ComputeHelper` as ``python -m relu_viz.compute_child R W`` with two
pipe descriptors: commands arrive on R, messages leave on W, each a :class:`multiprocessing.connection.
Connection` message (pickled by the standard library; both ends are this package's own processes, and no
user-supplied bytes are ever unpickled: a task's arguments are numbers and short strings from validated
widgets).

Commands: ``("run", job_id, task, kwargs)``, ``("cancel", job_id)``, ``("stop",)``.
Messages: ``("beat",)`` every ``BEAT_SECONDS`` from a thread of its own (the parent's watchdog reads a
silence of ``STALL_SECONDS`` as a stalled process), ``("progress", job_id, fraction)``,
``("done", job_id, result, cpu_seconds)``, ``("failed", job_id, message, cpu_seconds)``,
``("cancelled", job_id, cpu_seconds)``.

A task's CPU time is held to the limit given on the command line: past it, the task's next progress
call raises :class:`TaskTooLong` and the task fails with a message saying so.
"""

from __future__ import annotations

import importlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

BEAT_SECONDS = 0.2
PROGRESS_EVERY = 0.1  # seconds between two progress messages of one task

_log = logging.getLogger("relu_viz.compute_child")


class TaskCancelled(Exception):
    """The parent cancelled the running task."""


class TaskTooLong(Exception):
    """The running task used more CPU time than the limit."""


def resolve(target: str) -> Callable[..., object]:
    """The function named ``"relu_viz.module:function"`` (only this package's modules)."""
    module, _, name = target.partition(":")
    if not module.startswith("relu_viz.") or not name.isidentifier():
        raise ValueError(f"Not a relu_viz task: {target!r}")
    return getattr(importlib.import_module(module), name)


class Child:
    """The command loop: a reader thread takes commands, a beat thread says the process lives, the main
    thread runs the tasks one at a time."""

    def __init__(self, commands: Connection, messages: Connection, cpu_limit: float) -> None:
        self.commands, self.messages = commands, messages
        self.cpu_limit = cpu_limit
        self.send_lock = threading.Lock()
        self.todo: queue.Queue[tuple | None] = queue.Queue()
        self.cancelled: set[int] = set()

    def send(self, *message: object) -> None:
        with self.send_lock:
            self.messages.send(message)

    def read(self) -> None:
        """Commands into ``todo`` (cancels straight into ``cancelled``); the end of the pipe stops us."""
        try:
            while True:
                command = self.commands.recv()
                if command[0] == "run":
                    self.todo.put(command)
                elif command[0] == "cancel":
                    self.cancelled.add(int(command[1]))
                else:
                    break
        except (EOFError, OSError):
            pass
        self.todo.put(None)

    def beat(self) -> None:
        while True:
            try:
                self.send("beat")
            except (OSError, ValueError):
                os._exit(0)  # the parent is gone
            time.sleep(BEAT_SECONDS)

    def run(self) -> None:
        threading.Thread(target=self.read, daemon=True, name="commands").start()
        threading.Thread(target=self.beat, daemon=True, name="beat").start()
        while (command := self.todo.get()) is not None:
            _, job_id, task, kwargs = command
            self.run_task(int(job_id), task, kwargs)

    def run_task(self, job_id: int, task: str, kwargs: dict) -> None:
        start = time.process_time()
        last = [0.0]

        def progress(fraction: float) -> None:
            if job_id in self.cancelled:
                raise TaskCancelled
            used = time.process_time() - start
            if used > self.cpu_limit:
                raise TaskTooLong(f"It needed more than {self.cpu_limit:.0f} s of computing")
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or fraction >= 1.0:
                last[0] = now
                self.send("progress", job_id, float(fraction))

        try:
            if job_id in self.cancelled:
                raise TaskCancelled
            result = resolve(task)(progress=progress, **kwargs)
        except TaskCancelled:
            self.send("cancelled", job_id, time.process_time() - start)
        except TaskTooLong as err:
            self.send("failed", job_id, f"{err}: try smaller settings.", time.process_time() - start)
        except Exception as err:  # the parent shows a message; the details belong in the log
            _log.exception("Task %s failed", task)
            message = f"The computation failed ({type(err).__name__}: {err})."
            self.send("failed", job_id, message, time.process_time() - start)
        else:
            self.send("done", job_id, result, time.process_time() - start)
        self.cancelled.discard(job_id)


def main(argv: list[str]) -> None:
    commands_fd, messages_fd, cpu_limit, niceness = int(argv[0]), int(argv[1]), float(argv[2]), int(argv[3])
    if niceness:
        os.nice(niceness)  # the server's own threads come first on a shared machine
    Child(Connection(commands_fd, writable=False), Connection(messages_fd, readable=False), cpu_limit).run()


if __name__ == "__main__":
    main(sys.argv[1:])
