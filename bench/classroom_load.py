"""A classroom on one server: N concurrent live trainer sessions against one ``streamlit run app.py``.

Each simulated student is a websocket client that speaks Streamlit's own protocol (the ``BackMsg`` /
``ForwardMsg`` protobufs shipped in the streamlit package) exactly as the browser's frontend does: it
opens the trainer from a link, waits for the page, presses Play (a button trigger), answers the
``auto_rerun`` timers of the page's live fragments with fragment reruns, and now and then changes a
widget (the map's view) and times the rerun until the renderer shows the new view. The live view is a
Streamlit component (``relu_viz.renderer``, see relu_viz/ui/renderer.py) whose data the server re-sends
for every frame: a ``bidi_component`` element carrying JSON (relu_viz/stream.py), a set-up payload at
each page or panel run and an update payload per frame after it. The browser draws the map from that
data; this harness only reads it. A client costs a fraction of a millisecond per message, so 30 (or
100) of them leave the 2 cores to the server; 30 headless Chromium pages would take those cores
themselves and measure the client, not the server (bench/trainer_page.py measures one real page).

Per session it records map frames per second (a renderer payload with a new frame step), epochs per
second (the frames' ``epoch``), the bytes on the wire (the ForwardMsgs carrying renderer payloads, and
all ForwardMsgs), widget-change-to-new-view times (to the first renderer payload whose ``view`` is the
new one) and errors (exception elements, dropped connections, an epoch going backwards); for the
server, its RSS and CPU. It also checks that no session shows another's state: each student opens the
link with its own seed, and the test loss and accuracy of its first frame must equal those the same
link shows when opened alone (read before the class starts).

    python bench/classroom_load.py                        # 30 sessions for 60 s on a fresh server
    python bench/classroom_load.py --sessions 5 --seconds 15
    python bench/classroom_load.py --sessions 100 --seconds 45
    python bench/classroom_load.py --views probabilities --change-every 0   # a class on one view
    python bench/classroom_load.py --soak --seconds 1800  # one session, RSS every 10 s
    python bench/classroom_load.py --url http://127.0.0.1:8501 --pid 1234   # attach to a server
    python bench/classroom_load.py --steal 0.3            # a slower machine: 30 % of each core taken

Targets at N = 30 on a 2-core machine (``TARGETS``): every session >= 10 map frames a second and >= 20
epochs a second; p95 widget change to the new view <= 0.5 s; no errors, no mix-ups; server RSS <= 1.5
GB; a frame (an update payload's ForwardMsg) <= 8 KB; soak growth <= 50 MB over 30 minutes. The server
streams at most ``relu_viz.ui.live.MAX_FRAMES_PER_SECOND`` frames a second in all, so above 60
students the frame-rate target cannot be met by design; runs with more students report against the
same targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.harness import running_server

T = TypeVar("T")
PAGE = "trainer"
# The link a teacher hands out: the trainer at its defaults ("seed" is set per student below).
LINK = "ds=circle"
RENDERER = "relu_viz.renderer"  # the live view's component (relu_viz/ui/renderer.py NAME)
VIEWS = ("outlines", "regions")  # the map's view at the link (the page's default), and the one flipped to
CHANGE_EVERY = 5.0  # seconds between one student's widget changes


@dataclass(frozen=True)
class Targets:
    """The issue's targets for a class of 30 on 2 cores."""

    map_rate: float = 10.0  # map frames a second, every session
    epoch_rate: float = 20.0  # epochs a second, every session
    p95_change: float = 0.5  # widget change to the new view, s
    rss_mb: float = 1536.0  # server RSS, children included
    frame_bytes: float = 8192.0  # one update payload's ForwardMsg, p95 over the class


TARGETS = Targets()


def renderer_payload(el) -> dict | None:
    """The JSON data of a ``bidi_component`` element of the renderer (None: another element)."""
    if el.WhichOneof("type") != "bidi_component":
        return None
    comp = el.bidi_component
    if RENDERER not in comp.component_name:
        return None
    which = comp.WhichOneof("data")
    text = comp.json if which == "json" else comp.mixed.json if which == "mixed" else ""
    return json.loads(text) if text else None


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by rank (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _same(a: float | None, b: float | None) -> bool:
    """The same number (JSON nulls equal), allowing a float's last bits."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@dataclass
class SessionStats:
    """What one simulated student saw. Times are ``time.monotonic()`` seconds."""

    index: int
    map_times: list[float] = field(default_factory=list)  # arrival of each renderer frame with a new step
    epochs: list[tuple[float, float]] = field(default_factory=list)  # (arrival, frame's epoch)
    change_latencies: list[float] = field(default_factory=list)  # widget change -> new view, s
    errors: list[str] = field(default_factory=list)
    # (test loss, test accuracy) of the loaded page's frame (epoch 0): the frame's ``last``
    first_metrics: tuple[float | None, float | None] | None = None
    playing_since: float | None = None
    tick_times: list[float] = field(default_factory=list)  # each fragment timer tick sent to the server
    # (arrival, ForwardMsg bytes, a set-up payload, bytes of the component's code inlined in it: its
    # JS, CSS and HTML, which Streamlit repeats in every element) of every message carrying a payload
    renderer_msgs: list[tuple[float, int, bool, int]] = field(default_factory=list)
    wire: list[tuple[float, int]] = field(default_factory=list)  # (arrival, bytes) of every ForwardMsg

    def _span(self, until: float) -> float:
        if self.playing_since is None or until <= self.playing_since:
            return 0.0
        return until - self.playing_since

    def _since_play(self, times: list[float], until: float) -> float:
        """Events at ``times`` per second from Play being pressed until ``until``."""
        span = self._span(until)
        return sum(self.playing_since <= t <= until for t in times) / span if span else 0.0

    def map_rate(self, until: float) -> float:
        """Renderer frames with a new step received per second since Play was pressed."""
        return self._since_play(self.map_times, until)

    def tick_rate(self, until: float) -> float:
        """Fragment timer ticks sent per second since Play was pressed (each one a message the server
        must read and queue)."""
        return self._since_play(self.tick_times, until)

    def epochs_advanced(self) -> float:
        return self.epochs[-1][1] - self.epochs[0][1] if self.epochs else 0.0

    def epoch_rate(self, until: float) -> float:
        """Epochs a second since Play: the last frame's epoch minus the one shown when Play was pressed."""
        span = self._span(until)
        if not span or not self.epochs:
            return 0.0
        before = [e for t, e in self.epochs if t <= self.playing_since]
        start = before[-1] if before else self.epochs[0][1]
        shown = [e for t, e in self.epochs if t <= until]
        return (shown[-1] - start) / span if shown else 0.0

    def frame_sizes(self) -> list[int]:
        """ForwardMsg bytes of each update payload (a frame after the set-up) since Play."""
        start = self.playing_since if self.playing_since is not None else float("inf")
        return [n for t, n, setup, _ in self.renderer_msgs if t >= start and not setup]

    def code_sizes(self) -> list[int]:
        """Bytes of the component's own code (JS, CSS, HTML) in each update payload's ForwardMsg."""
        start = self.playing_since if self.playing_since is not None else float("inf")
        return [c for t, _, setup, c in self.renderer_msgs if t >= start and not setup]

    def setup_sizes(self) -> list[int]:
        return [n for _, n, setup, _ in self.renderer_msgs if setup]

    def renderer_bytes_rate(self, until: float) -> float:
        """Bytes a second of the ForwardMsgs carrying renderer payloads, since Play."""
        span = self._span(until)
        return (
            sum(n for t, n, *_ in self.renderer_msgs if self.playing_since <= t <= until) / span
            if span
            else 0.0
        )

    def wire_bytes_rate(self, until: float) -> float:
        """Bytes a second of all ForwardMsgs, since Play."""
        span = self._span(until)
        return sum(n for t, n in self.wire if self.playing_since <= t <= until) / span if span else 0.0


def connect(base_url: str) -> websockets.ClientConnection:
    """A websocket to the server's session endpoint, as the browser opens it (uncompressed: the
    server has websocket compression off, so each message's size is its ForwardMsg's)."""
    ws_url = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    return websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, compression=None)


class Student:
    """One browser tab on the trainer, reduced to the messages it exchanges with the server."""

    def __init__(self, base_url: str, index: int, query: str, views: tuple[str, str] = VIEWS) -> None:
        self.base_url = base_url
        self.query = query
        self.views = views
        self.stats = SessionStats(index)
        self.page_script_hash = ""
        self.widget_ids: dict[str, str] = {}  # widget key -> element id
        self.widget_fragments: dict[str, str] = {}  # widget key -> the fragment it lives in ("" none)
        self.widget_values: dict[str, WidgetState] = {}  # what the frontend would resend every run
        self.timers: dict[str, asyncio.Task] = {}  # fragment id -> auto-rerun loop
        self.intervals: dict[str, float] = {}  # fragment id -> its timer's period, s
        self.last_step: int | None = None  # the newest frame step the renderer was sent
        self.frame: dict | None = None  # the newest frame the renderer was sent
        self.finished = asyncio.Event()  # a full script run finished
        self.change_sent: float | None = None  # a view change waiting for its map
        self.change_target = ""  # the view it asked for
        self.ws = None
        self.loaded = False

    # --- sending -------------------------------------------------------------------------------
    async def rerun(self, fragment_id: str = "", trigger: str | None = None, auto: bool = True) -> None:
        """Send ``rerun_script`` as the frontend does: every widget value, plus a one-shot trigger.
        With ``fragment_id``, a rerun of that fragment alone: its timer's tick (``auto``) or a change
        of a widget inside it."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_name = PAGE
        state.page_script_hash = self.page_script_hash
        state.widget_states.widgets.extend(self.widget_values.values())
        if trigger is not None:
            state.widget_states.widgets.append(WidgetState(id=self.widget_ids[trigger], trigger_value=True))
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = auto
        await self.ws.send(msg.SerializeToString())

    async def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.stats.tick_times.append(time.monotonic())
            await self.rerun(fragment_id)

    async def change_view(self) -> None:
        """Flip the map's view (a segmented control), as a click in the browser would: a rerun of the
        fragment it lives in (of the whole page if it lives in none); timed until the renderer is
        sent a payload of the new view."""
        current = self.widget_values.get("view")
        now_showing = current.string_array_value.data[0] if current else self.views[0]
        target = self.views[1] if now_showing == self.views[0] else self.views[0]
        self.widget_values["view"] = WidgetState(id=self.widget_ids["view"])
        self.widget_values["view"].string_array_value.data.append(target)
        self.change_sent, self.change_target = time.monotonic(), target
        # the view is bound to the URL: the browser rewrites its query string, which every rerun sends
        params = dict(parse_qsl(self.query))
        params["view"] = target
        self.query = urlencode(params)
        await self.rerun(self.widget_fragments.get("view", ""), auto=False)

    # --- receiving -----------------------------------------------------------------------------
    def handle(self, raw: bytes, now: float | None = None) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        now = time.monotonic() if now is None else now
        self.stats.wire.append((now, len(raw)))
        if kind == "navigation":  # st.navigation resolved the page: later reruns name it by its hash
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            # as the frontend: one setInterval per fragment, replaced only when the interval changes
            fid, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            if self.intervals.get(fid) != interval:
                if fid in self.timers:
                    self.timers[fid].cancel()
                self.timers[fid] = asyncio.ensure_future(self._auto_rerun(fid, interval))
                self.intervals[fid] = interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.intervals.pop(fid, None)
                task = self.timers.pop(fid, None)
                if task:
                    task.cancel()
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:  # not a fragment, not cut short
                if self.stats.first_metrics is None and self.frame and self.frame.get("epoch") == 0:
                    # the numbers the loaded page shows, taken once its run has finished
                    last = self.frame.get("last") or {}
                    self.stats.first_metrics = (last.get("test_loss"), last.get("test_acc"))
                self.finished.set()
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, now, msg.delta.fragment_id, len(raw))

    def _element(self, el, now: float, fragment_id: str, size: int = 0) -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            self.stats.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
        elif kind == "bidi_component":
            data = renderer_payload(el)
            if data is not None and data.get("kind") == "trainer":
                comp = el.bidi_component
                code = len(comp.js_content) + len(comp.css_content) + len(comp.html_content)
                self._payload(data, now, size, code)
        elif kind in ("button", "button_group"):
            widget = getattr(el, kind)
            key = widget.id.rsplit("-", 1)[-1]
            self.widget_ids[key] = widget.id
            self.widget_fragments[key] = fragment_id

    def _payload(self, data: dict, now: float, size: int, code: int = 0) -> None:
        """A renderer payload (``size`` bytes on the wire, ``code`` of them the component's code): a
        set-up (with ``structure``) or a frame's update."""
        self.stats.renderer_msgs.append((now, size, "structure" in data, code))
        frame = data.get("frame")
        if frame:
            self.frame = frame
            step, epoch = int(frame["step"]), float(frame["epoch"])
            if step != self.last_step:
                if self.last_step is not None and step < self.last_step:
                    self.stats.errors.append(f"frame step went back from {self.last_step} to {step}")
                self.last_step = step
                self.stats.map_times.append(now)
            if self.stats.epochs and epoch < self.stats.epochs[-1][1]:
                self.stats.errors.append(f"epoch went back from {self.stats.epochs[-1][1]} to {epoch}")
            self.stats.epochs.append((now, epoch))
        if self.change_sent is not None and data.get("view") == self.change_target:
            self.stats.change_latencies.append(now - self.change_sent)
            self.change_sent = None

    async def _receive(self) -> None:
        async for raw in self.ws:
            self.handle(raw)

    async def loaded_page(self, receiving: asyncio.Task, timeout: float = 120) -> None:
        """Wait until a full script run has finished; raise at once if receiving failed meanwhile."""
        finished = asyncio.ensure_future(self.finished.wait())
        try:
            first = asyncio.FIRST_COMPLETED
            done, _ = await asyncio.wait({finished, receiving}, timeout=timeout, return_when=first)
        finally:
            finished.cancel()
        if receiving in done:
            receiving.result()  # the exception that ended it
            raise ConnectionError("the server closed the connection before the page loaded")
        if not done:
            raise TimeoutError(f"the page did not finish loading within {timeout:g} s")

    # --- the scenario --------------------------------------------------------------------------
    async def attend(self, lesson: Lesson, change_every: float | None) -> None:
        """Open the link, wait for the page, press Play when the lesson starts, stay until it ends;
        every ``change_every`` seconds (None: never) flip the map's view and time the redraw."""
        receiving: asyncio.Task | None = None
        try:
            async with connect(self.base_url) as ws:
                self.ws = ws
                receiving = asyncio.ensure_future(self._receive())
                await self.rerun()
                await self.loaded_page(receiving)
                self.loaded = True
                await lesson.play.wait()
                self.stats.playing_since = time.monotonic()
                await self.rerun(trigger="play")
                next_change = time.monotonic() + (change_every or 0) * (1 + self.stats.index % 7 / 7)
                while (now := time.monotonic()) < lesson.end:
                    if receiving.done():
                        receiving.result()  # surface a dropped connection
                        raise ConnectionError("the server closed the connection")
                    if change_every and now >= next_change and self.change_sent is None:
                        await self.change_view()
                        next_change = now + change_every
                    await asyncio.sleep(0.05)
                # a change still waiting at the end, for longer than the target, counts as its wait
                if self.change_sent is not None and time.monotonic() - self.change_sent > TARGETS.p95_change:
                    self.stats.change_latencies.append(time.monotonic() - self.change_sent)
        except Exception as exc:
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            for task in [receiving, *self.timers.values()]:
                if task is not None:
                    task.cancel()


async def first_frame(base_url: str, query: str) -> tuple[float | None, float | None] | None:
    """The (test loss, test accuracy) a link's first frame shows when it is opened alone."""
    student = Student(base_url, -1, query)
    async with connect(base_url) as ws:
        student.ws = ws
        receiving = asyncio.ensure_future(student._receive())
        await student.rerun()
        try:
            await student.loaded_page(receiving)
        finally:
            receiving.cancel()
    return student.stats.first_metrics


class ServerWatch:
    """Samples a process's RSS (children included) and CPU every ``period`` seconds in a thread."""

    def __init__(self, pid: int | None, period: float = 1.0) -> None:
        self.process = psutil.Process(pid) if pid else None
        self.period = period
        # (time, RSS MB of the server and its helpers, server CPU %, helpers' CPU %; 100 % = one core)
        self.samples: list[tuple[float, float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.me = psutil.Process()  # the harness itself: it shares this machine with the server
        # (all cores busy %, harness CPU % of one core, CPU stolen by other virtual machines %)
        self.machine: list[tuple[float, float, float]] = []

    def __enter__(self) -> ServerWatch:
        psutil.cpu_times_percent()
        self.me.cpu_percent()
        if self.process:
            self.process.cpu_percent()
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        children: dict[int, psutil.Process] = {}  # kept, so each child's CPU is measured between samples
        while not self._stop.wait(self.period):
            with contextlib.suppress(psutil.Error):
                for child in self.process.children(recursive=True):
                    if child.pid not in children:
                        children[child.pid] = child
                        child.cpu_percent()
                live = [c for c in children.values() if c.is_running()]
                procs = [self.process, *live]
                rss = sum(p.memory_info().rss for p in procs) / 2**20
                cpu = self.process.cpu_percent()
                helpers = sum(c.cpu_percent() for c in live)
                self.samples.append((time.monotonic(), rss, cpu, helpers))
                times = psutil.cpu_times_percent()
                self.machine.append((100 - times.idle, self.me.cpu_percent(), getattr(times, "steal", 0.0)))


@dataclass
class ClassroomResult:
    """The figures of one load run; ``summary()`` prints them, ``failures()`` lists missed targets."""

    sessions: list[SessionStats]
    seconds: float
    server: list[tuple[float, float, float, float]]
    references: list[tuple[float | None, float | None] | None]
    end: float
    machine: list[tuple[float, float, float]] = field(default_factory=list)  # (busy %, harness %, steal %)
    load_seconds: float = float("nan")  # from the class opening the link to every page loaded

    def map_rates(self) -> list[float]:
        return [s.map_rate(self.end) for s in self.sessions]

    def epoch_rates(self) -> list[float]:
        return [s.epoch_rate(self.end) for s in self.sessions]

    def tick_rates(self) -> list[float]:
        return [s.tick_rate(self.end) for s in self.sessions]

    def latencies(self) -> list[float]:
        return sorted(x for s in self.sessions for x in s.change_latencies)

    def p95_latency(self) -> float:
        return percentile(self.latencies(), 0.95)

    def frame_sizes(self) -> list[int]:
        """ForwardMsg bytes of every update payload (one frame each) of the class, since Play."""
        return [n for s in self.sessions for n in s.frame_sizes()]

    def p95_frame_bytes(self) -> float:
        return percentile(self.frame_sizes(), 0.95)

    def peak_rss(self) -> float:
        return max((rss for _, rss, *_ in self.server), default=float("nan"))

    def mixed_sessions(self) -> list[int]:
        """Students whose first frame differs from what their own link shows when opened alone."""
        return [
            s.index
            for s, ref in zip(self.sessions, self.references, strict=True)
            if ref is not None and (s.first_metrics is None or not all(map(_same, s.first_metrics, ref)))
        ]

    def stalled(self, window: float = 5.0) -> list[int]:
        """Students who got no new frame in the last ``window`` seconds, whose training did not advance
        at all, or who waited ``window`` seconds or more for a view change to show: behaviours, not
        speeds, so CI on a shared machine can check them."""
        return [
            s.index
            for s in self.sessions
            if not any(t >= self.end - window for t in s.map_times)
            or s.epochs_advanced() <= 0
            or any(latency >= window for latency in s.change_latencies)
        ]

    def failures(self, targets: Targets = TARGETS) -> list[str]:
        """Every missed target (``TARGETS``: the issue's, for 30 students on 2 cores), one line each."""
        out = [f"student {s.index}: {e}" for s in self.sessions for e in s.errors[:3]]
        out += [f"student {i}: first frame is not its own" for i in self.mixed_sessions()]
        for what, rates, target in (
            ("map frames/s", self.map_rates(), targets.map_rate),
            ("epochs/s", self.epoch_rates(), targets.epoch_rate),
        ):
            slow = [(s.index, rate) for s, rate in zip(self.sessions, rates, strict=True) if rate < target]
            if slow:
                named = ", ".join(f"{i} ({rate:.1f})" for i, rate in slow[:8])
                more = f" and {len(slow) - 8} more" if len(slow) > 8 else ""
                out.append(
                    f"{len(slow)} of {len(self.sessions)} students below {target:g} {what}: {named}{more}"
                )
        out += [
            f"student {s.index}: training did not advance" for s in self.sessions if s.epochs_advanced() <= 0
        ]
        if not self.latencies() or self.p95_latency() > targets.p95_change:
            out.append(
                f"p95 widget change to new view {self.p95_latency():.2f} s (target <= {targets.p95_change:g})"
            )
        if not self.peak_rss() <= targets.rss_mb:  # nan (no watch) is no pass
            out.append(f"server RSS {self.peak_rss():.0f} MB (target <= {targets.rss_mb:.0f})")
        if not self.p95_frame_bytes() <= targets.frame_bytes:
            out.append(
                f"p95 bytes per frame {self.p95_frame_bytes():.0f} (target <= {targets.frame_bytes:.0f})"
            )
        return out

    def summary(self) -> str:
        def stats(values: list[float], fmt: str = ".1f") -> str:
            if not values:
                return "none"
            return (
                f"min {min(values):{fmt}}, median {statistics.median(values):{fmt}}, max {max(values):{fmt}}"
            )

        t = TARGETS
        rates = self.map_rates()
        epochs = self.epoch_rates()
        lat = self.latencies()
        frames = self.frame_sizes()
        setups = [n for s in self.sessions for n in s.setup_sizes()]
        code = [n for s in self.sessions for n in s.code_sizes()]
        renderer_rates = [s.renderer_bytes_rate(self.end) / 1024 for s in self.sessions]
        wire_rates = [s.wire_bytes_rate(self.end) / 1024 for s in self.sessions]
        cpu = [c for _, _, c, _ in self.server]
        helpers = [h for *_, h in self.server]
        busy, harness, steal = (
            (statistics.mean(column) for column in zip(*self.machine, strict=True))
            if self.machine
            else (float("nan"),) * 3
        )
        nan = float("nan")
        server_cpu = (statistics.mean(cpu) + statistics.mean(helpers)) if cpu else 0.0
        others = busy * (os.cpu_count() or 1) - server_cpu - harness  # what else ran: a noisy machine
        lines = [
            f"{len(self.sessions)} sessions for {self.seconds:.0f} s "
            f"(pages loaded in {self.load_seconds:.1f} s)",
            f"  map frames/s per session:  {stats(rates)} (target >= {t.map_rate:g}); "
            f"class {sum(rates):.0f}/s",
            f"  epochs/s per session:      {stats(epochs)} (target >= {t.epoch_rate:g}); "
            f"class {sum(epochs):.0f}/s",
            f"  widget change -> new view (s): n {len(lat)}, median "
            f"{statistics.median(lat) if lat else nan:.3f}, p95 {self.p95_latency():.3f}, "
            f"max {max(lat) if lat else nan:.3f} (target p95 <= {t.p95_change:g})",
            f"  bytes per frame (update ForwardMsg): n {len(frames)}, median "
            f"{statistics.median(frames) if frames else nan:.0f}, p95 {self.p95_frame_bytes():.0f}, "
            f"max {max(frames, default=nan):.0f} (target <= {t.frame_bytes:.0f})",
            f"    of which the component's inlined JS/CSS/HTML: median "
            f"{statistics.median(code) if code else nan:.0f}; set-up payloads: n {len(setups)}, median "
            f"{statistics.median(setups) if setups else nan:.0f}",
            f"  wire KB/s per session:     renderer {stats(renderer_rates)}; all ForwardMsgs "
            f"{stats(wire_rates)}; class {sum(wire_rates) / 1024:.2f} MB/s",
            f"  timer ticks/s per session: median {statistics.median(self.tick_rates()):.2f}",
            f"  errors: {sum(len(s.errors) for s in self.sessions)}; "
            f"sessions mixed up: {len(self.mixed_sessions())}",
            f"  server RSS peak {self.peak_rss():.0f} MB (target <= {t.rss_mb:.0f}); "
            f"CPU mean {statistics.mean(cpu) if cpu else nan:.0f}% of one core, helpers "
            f"{statistics.mean(helpers) if helpers else nan:.0f}%",
            f"  machine: all cores {busy:.0f}% busy ({steal:.0f}% stolen by other VMs); this harness "
            f"{harness:.0f}% of one core; other processes about {others:.0f}% of one core",
        ]
        return "\n".join(lines)


@dataclass
class Lesson:
    """When the class presses Play and when it ends (set by the teacher, read by every student)."""

    play: asyncio.Event = field(default_factory=asyncio.Event)
    end: float = float("inf")


def run_in_fresh_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(make())`` in a thread of its own, so it also works where this thread already runs
    an event loop (Playwright's sync API leaves one running in pytest's thread)."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = asyncio.run(make())
        except BaseException as exc:  # re-raised in the caller's thread
            out["error"] = exc

    thread = threading.Thread(target=run, name="classroom-load")
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def run_classroom(
    base_url: str,
    pid: int | None,
    sessions: int = 30,
    seconds: float = 60.0,
    change_every: float | None = CHANGE_EVERY,
    check_isolation: bool = True,
    views: tuple[str, str] = VIEWS,
) -> ClassroomResult:
    """Open ``sessions`` students on ``base_url`` at once, the map in view ``views[0]``; once all pages
    have loaded everyone presses Play, and the class is measured for ``seconds``, each student flipping
    between the two ``views`` every ``change_every`` seconds (0 or None: never)."""

    async def main() -> tuple[list[Student], list, float, float]:
        queries = [f"{LINK}&view={views[0]}&seed={i}" for i in range(sessions)]
        references = (
            [await first_frame(base_url, q) for q in queries] if check_isolation else [None] * sessions
        )
        students = [Student(base_url, i, q, views) for i, q in enumerate(queries)]
        lesson = Lesson()
        runs = [asyncio.ensure_future(s.attend(lesson, change_every)) for s in students]
        start = time.monotonic()
        while not all(s.loaded or s.stats.errors for s in students) and time.monotonic() - start < 180:
            await asyncio.sleep(0.1)
        loading = time.monotonic() - start
        for s in students:
            if not (s.loaded or s.stats.errors):
                s.stats.errors.append(f"the page had not loaded {loading:.0f} s after the class opened it")
        lesson.end = time.monotonic() + seconds
        lesson.play.set()
        await asyncio.gather(*runs)
        return students, references, lesson.end, loading

    with ServerWatch(pid) as watch:
        students, references, end, loading = run_in_fresh_loop(main)
    return ClassroomResult(
        [s.stats for s in students], seconds, watch.samples, references, end, watch.machine, loading
    )


def _burn(share: float, period: float = 0.1) -> None:
    """Keep one core busy for ``share`` of every ``period`` seconds, forever (a process of
    :func:`stolen_cores`)."""
    while True:
        start = time.perf_counter()
        while time.perf_counter() - start < share * period:
            pass
        time.sleep((1.0 - share) * period)


@contextlib.contextmanager
def stolen_cores(share: float) -> Iterator[None]:
    """A competing load on every core while the block runs: one process per core, each spinning for
    ``share`` of every 100 ms. It stands in for a slower hour on a shared machine (the same work then
    takes up to a quarter more CPU time), so a run shows how much margin the targets have."""
    if share <= 0:
        yield
        return
    procs = [
        multiprocessing.Process(target=_burn, args=(min(share, 1.0),), daemon=True)
        for _ in range(os.cpu_count() or 1)
    ]
    for proc in procs:
        proc.start()
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
            proc.join()


def soak(base_url: str, pid: int | None, seconds: float, every: float = 10.0) -> list[tuple[float, float]]:
    """One student training for ``seconds``; the server's RSS (MB) every ``every`` seconds."""
    with ServerWatch(pid, period=every) as watch:
        result = run_classroom(base_url, pid, 1, seconds, change_every=60.0, check_isolation=False)
    print(result.summary())
    t0 = watch.samples[0][0] if watch.samples else 0.0
    return [(t - t0, rss) for t, rss, *_ in watch.samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--change-every", type=float, default=CHANGE_EVERY, help="seconds between view flips")
    parser.add_argument(
        "--views", default=",".join(VIEWS), help="the map's view at the link, and the one flipped to"
    )
    parser.add_argument("--soak", action="store_true", help="one session for --seconds, recording RSS")
    parser.add_argument("--url", help="attach to a running server instead of starting one")
    parser.add_argument("--pid", type=int, help="the attached server's process id (for RSS and CPU)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--steal",
        type=float,
        default=0.0,
        help="share of every core taken by a competing load while the class runs (a slower machine)",
    )
    args = parser.parse_args()

    def measure(url: str, pid: int | None) -> dict:
        if args.soak:
            rss = soak(url, pid, args.seconds)
            if not rss:
                return {}
            growth = rss[-1][1] - min(r for _, r in rss[: max(1, len(rss) // 10)])
            print(
                f"soak: RSS {rss[0][1]:.0f} MB at start, {rss[-1][1]:.0f} MB after {rss[-1][0]:.0f} s, "
                f"peak {max(r for _, r in rss):.0f} MB; growth after warm-up {growth:+.0f} MB (target <= 50)"
            )
            return {"rss": rss, "growth_mb": growth}
        views = tuple(args.views.split(",", 1)) if "," in args.views else (args.views, args.views)
        with stolen_cores(args.steal):
            result = run_classroom(url, pid, args.sessions, args.seconds, args.change_every, views=views)
        if args.steal > 0:
            print(f"with {100 * args.steal:.0f}% of every core taken by a competing load (--steal)")
        print(result.summary())
        failures = result.failures()
        print("targets: " + ("all met" if not failures else f"{len(failures)} missed"))
        for line in failures[:20]:
            print("  " + line)
        return {
            "sessions": args.sessions,
            "map_rates": result.map_rates(),
            "epoch_rates": result.epoch_rates(),
            "latencies": result.latencies(),
            "frame_bytes": result.frame_sizes(),
            "map_times": [s.map_times for s in result.sessions],  # time.monotonic() of each new frame
            "wire_bytes_per_s": [s.wire_bytes_rate(result.end) for s in result.sessions],
            "load_seconds": result.load_seconds,
            "server": result.server,
            "failures": failures,
        }

    if args.url:
        figures = measure(args.url.rstrip("/"), args.pid)
    else:
        with running_server() as (url, proc):
            figures = measure(url, proc.pid)
    if args.json:
        Path(args.json).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
