"""Live map pictures drawn in helper processes, so a classroom's frames use every core.

A live frame (the exact partition, :mod:`relu_viz.frame`, then the picture,
:func:`relu_viz.figures.live_image.map_image`) is about 20 ms of pure Python and numpy for the default
network. The server process runs every session's training and all of Streamlit under one GIL, so
frames drawn there share one core with everything else: 30 students at 2.5 frames a second would need
1.5 cores of drawing alone. :class:`RenderPool` sends each frame, as a :class:`FrameJob` of plain
arrays (the weights, the data, the view), to one of ``processes`` spawned helper processes and hands
back a :class:`FramePicture` (JPEG bytes and the region count line).

Each helper has its own pipe, and the page thread that wants a frame talks to a free helper itself:
no dispatcher thread in the server has to win the GIL for every frame. Free helpers go to urgent
frames first (the first frame after a click), then first come, first served. Jobs and pictures cross
the pipe as a JSON header plus raw array bytes (:func:`encode`), never as pickles: nothing a helper
receives can run code.

Nothing here is shared between sessions but the processes: a job carries all its session's state, and
a helper keeps only caches keyed by content (built networks by architecture, drawn points and axes
by dataset), bounded in size. If a helper dies or overruns ``timeout``, it is replaced, the frame
fails with :class:`RenderError`, and the caller may draw in its own process instead (:func:`draw`,
which is also what the helpers run).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import heapq
import json
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection

import numpy as np
import torch

from relu_viz import frame
from relu_viz.experiment import ModelSpec
from relu_viz.figures import curves_image, live_image

MODEL_CACHE = 32  # built networks a helper keeps, by (architecture, classes)
SECONDS_SMOOTHING = 0.1  # weight of the newest frame in the running mean of a frame's cost
GIVE_UP_POLL = 0.05  # how often a frame waiting for a free helper asks whether it is still wanted, s


class RenderError(RuntimeError):
    """A frame could not be drawn in a helper process (it died or failed); draw it in-process."""


class Cancelled(Exception):
    """The frame's caller stopped wanting it while it waited for a free helper (nothing was drawn)."""


@dataclass(frozen=True)
class FrameJob:
    """Everything one live frame needs, as plain picklable data.

    ``state``: the network's parameters by ``state_dict`` name, as numpy arrays. ``view``: one of
    "outlines", "regions", "probabilities". ``x`` (n, 2) points, ``y`` (n,) labels, ``train_idx`` and
    ``test_idx`` (None: test points hidden) index them. ``size``: the plot area's side in pixels.
    ``history``: the run's curves (:meth:`relu_viz.training.History.to_arrays`) when they are due for a
    redraw too, drawn ``curves_size`` (width, height) pixels; None: the map only.
    """

    spec: ModelSpec
    n_classes: int
    state: dict[str, np.ndarray]
    view: str
    x: np.ndarray
    y: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray | None
    size: int = 480
    history: dict[str, np.ndarray] | None = None
    curves_size: tuple[int, int] = (400, 380)

    @staticmethod
    def weights(state_dict: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
        """A ``state_dict``'s tensors as numpy arrays (cheaper to send than tensors)."""
        return {name: t.detach().cpu().numpy() for name, t in state_dict.items()}


@dataclass(frozen=True)
class FramePicture:
    """A drawn frame: ``jpeg`` bytes; ``region_count`` (None when the model is not piecewise linear
    on the plane, ``note`` then says why); ``count_text``, the region count line; ``seconds`` spent
    drawing it in the helper; ``curves_png``, the curves when the job asked for them."""

    jpeg: bytes
    region_count: int | None
    note: str | None
    count_text: str
    seconds: float
    curves_png: bytes | None = None


_models: collections.OrderedDict[tuple, torch.nn.Sequential] = collections.OrderedDict()


def _model(spec: ModelSpec, n_classes: int, state: dict[str, np.ndarray]) -> torch.nn.Sequential:
    """A network of ``spec``'s architecture holding ``state``; built once per architecture."""
    key = (spec, n_classes)
    model = _models.get(key)
    if model is None:
        model = spec.build(n_classes)
        _models[key] = model
        while len(_models) > MODEL_CACHE:
            _models.popitem(last=False)
    else:
        _models.move_to_end(key)
    with torch.no_grad():
        model.load_state_dict({name: torch.from_numpy(np.asarray(a)) for name, a in state.items()})
    return model


def draw(job: FrameJob) -> FramePicture:
    """Compute and draw one frame (what a helper process runs; callable in any process)."""
    started = time.perf_counter()
    model = _model(job.spec, job.n_classes, job.state)
    # a regions view paints the partition's polygons instead of locating every pixel (20x cheaper)
    fr = frame.compute(model, exact=job.view != "probabilities")
    jpeg = live_image.map_image(
        fr,
        job.x,
        job.y,
        job.train_idx,
        job.test_idx,
        outlines=job.view == "outlines",
        regions=job.view == "regions",
        size=job.size,
    )
    curves = None if job.history is None else curves_image.curves_image(job.history, *job.curves_size)
    return FramePicture(
        jpeg,
        fr.region_count,
        fr.regions_note,
        frame.count_text(fr, model),
        time.perf_counter() - started,
        curves,
    )


def encode(header: dict, arrays: dict[str, np.ndarray | bytes | None]) -> bytes:
    """One message: an 8-byte header length, the JSON ``header`` (with each array's dtype, shape and
    place), then the arrays' raw bytes. ``bytes`` values travel as uint8 arrays; None as null."""
    layout, chunks, offset = {}, [], 0
    for name, value in arrays.items():
        if value is None:
            layout[name] = None
            continue
        a = np.frombuffer(value, np.uint8) if isinstance(value, bytes) else np.ascontiguousarray(value)
        layout[name] = [a.dtype.str, list(a.shape), offset, isinstance(value, bytes)]
        chunks.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps({"header": header, "arrays": layout}).encode()
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def decode(message: bytes) -> tuple[dict, dict[str, np.ndarray | bytes | None]]:
    """The inverse of :func:`encode`: (header, arrays). Only plain dtypes are accepted."""
    n = int.from_bytes(message[:8], "little")
    meta = json.loads(message[8 : 8 + n])
    body = memoryview(message)[8 + n :]
    arrays: dict[str, np.ndarray | bytes | None] = {}
    for name, place in meta["arrays"].items():
        if place is None:
            arrays[name] = None
            continue
        dtype, shape, offset, raw = place
        dt = np.dtype(dtype)
        if dt.kind not in "biuf":
            raise ValueError(f"unexpected array type {dtype}")
        size = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        a = np.frombuffer(body[offset : offset + size], dt).reshape(shape)
        arrays[name] = a.tobytes() if raw else a.copy()
    return meta["header"], arrays


def encode_job(job: FrameJob) -> bytes:
    spec = dataclasses.asdict(job.spec)
    header = {
        "spec": spec,
        "n_classes": job.n_classes,
        "view": job.view,
        "size": job.size,
        "curves": job.history is not None,
        "curves_size": list(job.curves_size),
    }
    arrays = {f"state:{name}": a for name, a in job.state.items()}
    arrays |= {f"history:{name}": a for name, a in (job.history or {}).items()}
    arrays |= {"x": job.x, "y": job.y, "train_idx": job.train_idx, "test_idx": job.test_idx}
    return encode(header, arrays)


def decode_job(message: bytes) -> FrameJob:
    header, arrays = decode(message)
    spec = header["spec"]
    spec = ModelSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()})
    state = {name.removeprefix("state:"): a for name, a in arrays.items() if name.startswith("state:")}
    history = {name.removeprefix("history:"): a for name, a in arrays.items() if name.startswith("history:")}
    return FrameJob(
        spec,
        int(header["n_classes"]),
        state,
        str(header["view"]),
        arrays["x"],
        arrays["y"],
        arrays["train_idx"],
        arrays["test_idx"],
        int(header["size"]),
        history if header["curves"] else None,
        (int(header["curves_size"][0]), int(header["curves_size"][1])),
    )


def _serve(conn: Connection) -> None:
    """A helper process: draw each job that arrives, answer with the picture or the error message."""
    torch.set_num_threads(1)
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the server closed the pipe: it is gone or replacing this helper
        try:
            pic = draw(decode_job(message))
            header = {
                "ok": True,
                "region_count": pic.region_count,
                "note": pic.note,
                "count_text": pic.count_text,
                "seconds": pic.seconds,
            }
            conn.send_bytes(encode(header, {"jpeg": pic.jpeg, "curves": pic.curves_png}))
        except Exception as err:  # a bad frame must not end the helper
            conn.send_bytes(encode({"ok": False, "error": f"{type(err).__name__}: {err}"}, {}))


@contextlib.contextmanager
def _plain_main() -> Iterator[None]:
    """Make ``sys.modules["__main__"]`` a bare module (no file, no spec) while a child spawns.

    A spawned child first re-imports the parent's ``__main__``; inside a Streamlit script run that is
    the app script itself, which would run the whole app headless in every helper.
    """
    with _main_lock:
        saved = sys.modules.get("__main__")
        bare = types.ModuleType("__main__")
        bare.__spec__ = None
        sys.modules["__main__"] = bare
        try:
            yield
        finally:
            if sys.modules.get("__main__") is bare and saved is not None:
                sys.modules["__main__"] = saved


_main_lock = threading.Lock()


def default_processes() -> int:
    """Helpers for this machine: ``RELU_VIZ_RENDER_PROCESSES`` if set, else one per core, at most 2
    (the server process needs a share of the cores too)."""
    configured = os.environ.get("RELU_VIZ_RENDER_PROCESSES", "").strip()
    if configured.isdigit():
        return int(configured)
    return max(1, min(2, os.cpu_count() or 1))


class _Helper:
    """One helper process and the server's end of its pipe."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), name="relu-viz-drawing", daemon=True)
        with _plain_main():
            self.process.start()
        child.close()

    def close(self) -> None:
        self.conn.close()
        self.process.kill()
        self.process.join(1.0)


class _Lender:
    """Hands free helpers to waiting threads: urgent requests first, then first come, first served.

    A frame somebody is waiting for (the first frame after a click) jumps the queue of streamed
    frames, so a busy class still sees its own changes within a frame's drawing time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: list[_Helper] = []
        self._waiting: list[tuple[int, int]] = []  # heap of (0 urgent / 1 streamed, arrival number)
        # each waiter's own event: a returned helper wakes the one thread it goes to, not all 30 (with
        # one shared condition every return woke every waiting page thread to fight for the GIL)
        self._events: dict[tuple[int, int], threading.Event] = {}
        self._given: dict[tuple[int, int], _Helper] = {}
        self._arrivals = 0

    def put(self, helper: _Helper) -> None:
        with self._lock:
            if self._waiting:
                ticket = heapq.heappop(self._waiting)
                self._given[ticket] = helper
                self._events.pop(ticket).set()
            else:
                self._free.append(helper)

    def get(self, urgent: bool, timeout: float, give_up: Callable[[], bool] | None = None) -> _Helper | None:
        """A free helper, or None after ``timeout`` seconds, or as soon as ``give_up()`` turns true while
        waiting (asked every ``GIVE_UP_POLL`` seconds)."""
        with self._lock:
            if self._free and not self._waiting:
                return self._free.pop()
            ticket = (0 if urgent else 1, self._arrivals)
            self._arrivals += 1
            heapq.heappush(self._waiting, ticket)
            event = self._events[ticket] = threading.Event()
        if give_up is None:
            event.wait(timeout)
        else:
            deadline = time.monotonic() + timeout
            while not event.wait(max(0.0, min(GIVE_UP_POLL, deadline - time.monotonic()))):
                if time.monotonic() >= deadline or give_up():
                    break
        with self._lock:
            if ticket in self._given:  # given, possibly just as the wait timed out
                return self._given.pop(ticket)
            self._events.pop(ticket)
            self._waiting.remove(ticket)
            heapq.heapify(self._waiting)
            return None

    def drain(self, n: int) -> list[_Helper]:
        """Take back ``n`` helpers (waiting for those lent out)."""
        return [h for h in (self.get(True, 3600.0) for _ in range(n)) if h is not None]


class RenderPool:
    """``processes`` helper processes drawing :class:`FrameJob`s (0: draw in the caller's process).

    Helpers are spawned (not forked: the server has many threads) on first use and live as long as the
    pool. ``mean_seconds`` is the running mean cost of a frame in a helper, for pacing.
    """

    def __init__(self, processes: int) -> None:
        self.processes = max(0, int(processes))
        self.mean_seconds = 0.02
        self._lock = threading.Lock()
        self._lender = _Lender()
        self._started = False

    def start(self) -> None:
        """Spawn the helpers now (once; returns at once: they import in the background, about 2 s),
        so the first frame after Play does not wait for them."""
        with self._lock:
            if not self._started:
                for _ in range(self.processes):
                    self._lender.put(_Helper())
                self._started = True

    def render(
        self,
        job: FrameJob,
        timeout: float = 30.0,
        urgent: bool = False,
        give_up: Callable[[], bool] | None = None,
    ) -> FramePicture:
        """Draw ``job`` and return its picture, waiting (without the GIL) for a free helper and for its
        answer, up to ``timeout`` seconds in all. An ``urgent`` frame gets the next free helper before
        any streamed frame waiting for one.

        Raises :class:`Cancelled` if ``give_up()`` turned true while the frame waited for a helper
        (a busy class waits longer for a helper than a helper takes to draw; a frame nobody will look
        at then costs neither the wait nor the drawing). Raises :class:`RenderError` if no helper was
        free in time, or the helper died, overran or failed on the frame.
        """
        if self.processes == 0:
            picture = draw(job)
        else:
            self.start()
            deadline = time.monotonic() + timeout
            helper = self._lender.get(urgent, timeout, give_up)
            if helper is None:
                if give_up is not None and give_up():
                    raise Cancelled("The frame was no longer wanted.")
                raise RenderError(f"No drawing process free within {timeout:g} s.")
            if not helper.process.is_alive():  # died while idle (killed, out of memory): replace it
                helper.close()
                helper = _Helper()
            try:
                helper.conn.send_bytes(encode_job(job))
                if not helper.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(f"no frame within {timeout:g} s")
                header, arrays = decode(helper.conn.recv_bytes())
            except (EOFError, OSError, TimeoutError) as err:
                helper.close()  # dead, or busy with a frame nobody waits for: replace it
                helper = _Helper()
                raise RenderError(f"A drawing process failed ({err}); a new one is starting.") from err
            finally:
                self._lender.put(helper)
            if not header["ok"]:
                raise RenderError(f"Drawing the frame failed: {header['error']}")
            picture = FramePicture(
                arrays["jpeg"],
                header["region_count"],
                header["note"],
                header["count_text"],
                header["seconds"],
                arrays["curves"],
            )
        self.mean_seconds += SECONDS_SMOOTHING * (picture.seconds - self.mean_seconds)
        return picture

    def idle_helpers(self) -> list[_Helper]:
        """The helpers not drawing right now (for tests and diagnostics)."""
        with self._lender._lock:
            return list(self._lender._free)

    def shutdown(self) -> None:
        """Stop the helpers (waits for frames in flight to be handed back first)."""
        with self._lock:
            for helper in self._lender.drain(self.processes if self._started else 0):
                helper.close()
            self._started = False
