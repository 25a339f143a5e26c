"""The live trainer in a real Chromium page: frames drawn and epochs trained per second, draw times, bytes.

Starts `streamlit run app.py`, opens the trainer at 1280×720 on TensorFlow Playground's reference
workload (spiral, [2,8,8,8,1] ReLU, batch 10, SGD 0.03, 250 training points, squared error) and on the
same with 16 units a layer, presses Play, lets the first frames land, then for DURATION seconds reads:

- frames drawn per second: ``window.__reluViz.trainer_run.drawn`` (relu_viz/js/main.js), the renderer's
  own count of frames it drew (it coalesces frames that arrive faster than the screen refreshes);
- frames received per second: the renderer payloads with a new step on the page's websocket;
- epochs per second: the ``epoch`` of those frames, and the page's own Epoch number (``rv-epoch``, in
  the component's shadow root) as a cross-check;
- draw times: ``drawMs`` (the last 50 draws, read every 0.5 s so none is missed), median and p95;
- bytes per frame: the size of each websocket message carrying a renderer update payload (a
  ForwardMsg, decoded with the protobufs shipped in streamlit), and how many of them are the
  component's inlined code (JS, CSS, HTML) rather than the frame's data.

    python bench/trainer_page.py [--seconds 20]

Targets (the issue): one student >= 25 frames drawn a second while training >= 300 epochs a second;
a draw <= 15 ms for [2,16,16,16,1] at 1280×720; a frame <= 8 KB. Playground's own page manages about 19
epochs/s on the spiral workload on these machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.classroom_load import percentile, renderer_payload
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_app

SPIRAL = "ds=spiral&layers=3&act=relu&batch=10&lr=0.03&loss=squared_error&share=50"
WORKLOADS = {
    "spiral [2,8,8,8,1] relu, batch 10, SGD 0.03, MSE": f"{SPIRAL}&w1=8&w2=8&w3=8",
    "spiral [2,16,16,16,1] relu, same settings": f"{SPIRAL}&w1=16&w2=16&w3=16",
}
VIEWPORT = {"width": 1280, "height": 720}
SLOT = "trainer_run"  # the renderer's element id in window.__reluViz (pages/trainer.py SLOT)
TARGETS = {"drawn_per_s": 25.0, "epochs_per_s": 300.0, "draw_ms_16": 15.0, "frame_bytes": 8192.0}

STATS = f"() => window.__reluViz && window.__reluViz[{SLOT!r}] || null"


@dataclass
class Wire:
    """Renderer payloads seen on the page's websocket: (arrival, message bytes, code bytes, step, epoch,
    a set-up payload)."""

    payloads: list[tuple[float, int, int, int, float, bool]] = field(default_factory=list)
    messages: list[tuple[float, int]] = field(default_factory=list)  # every binary message

    def received(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        now = time.monotonic()
        self.messages.append((now, len(payload)))
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # not a ForwardMsg: the page would not show it either
            return
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            return
        el = msg.delta.new_element
        data = renderer_payload(el)
        if not data or not data.get("frame"):
            return
        comp = el.bidi_component
        code = len(comp.js_content) + len(comp.css_content) + len(comp.html_content)
        frame = data["frame"]
        self.payloads.append(
            (now, len(payload), code, int(frame["step"]), float(frame["epoch"]), "structure" in data)
        )

    def between(self, t0: float, t1: float) -> list[tuple[float, int, int, int, float, bool]]:
        return [p for p in self.payloads if t0 <= p[0] <= t1]


def page_epoch(page) -> float | None:
    """The Epoch number the renderer shows (``rv-epoch``; Playwright's CSS selectors pierce the shadow
    root). Above 1000 the page rounds it to a whole number."""
    loc = page.locator("[data-testid='rv-epoch']")
    if loc.count() == 0:
        return None
    text = loc.first.inner_text().replace(",", "").strip()
    try:
        return float(text)
    except ValueError:
        return None


def wait_until(page, predicate, timeout: float, what: str) -> None:
    """Poll ``predicate()`` every 0.2 s (letting Playwright deliver events) until true, or raise."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout:g} s")
        page.wait_for_timeout(200)


def measure(page, wire: Wire, url: str, query: str, seconds: float) -> dict:
    page.goto(f"{url}/trainer?{query}", wait_until="domcontentloaded")
    wait_for_app(page)
    wait_until(page, lambda: (page.evaluate(STATS) or {}).get("drawn", 0) > 0, 60, "no frame drawn")
    page.locator(".st-key-play button").click()
    start = page.evaluate(STATS)["drawn"]
    wait_until(page, lambda: page.evaluate(STATS)["drawn"] > start + 5, 30, "no frames drawn after Play")
    page.wait_for_timeout(2000)  # let the loop settle

    s0, e0, t0 = page.evaluate(STATS), page_epoch(page), time.monotonic()
    draws: list[float] = []
    last_drawn = s0["drawn"]
    end = t0 + seconds
    while time.monotonic() < end:
        page.wait_for_timeout(500)
        s = page.evaluate(STATS)
        new = s["drawn"] - last_drawn
        if new > len(s["drawMs"]):
            print(f"  ({new - len(s['drawMs'])} draw times missed between two reads)")
        draws += s["drawMs"][-new:] if new > 0 else []
        last_drawn = s["drawn"]
    s1, e1, t1 = page.evaluate(STATS), page_epoch(page), time.monotonic()
    page.locator(".st-key-pause button").click()
    errors = s1.get("error")

    frames = wire.between(t0, t1)
    new_steps = len({p[3] for p in frames})
    updates = [p for p in frames if not p[5]]
    wire_epochs = (frames[-1][4] - frames[0][4]) / (frames[-1][0] - frames[0][0]) if len(frames) > 1 else 0.0
    wire_bytes = sum(n for t, n in wire.messages if t0 <= t <= t1)
    span = t1 - t0
    return {
        "drawn_per_s": (s1["drawn"] - s0["drawn"]) / span,
        "received_per_s": new_steps / span,
        "epochs_per_s": wire_epochs,
        "page_epochs_per_s": (e1 - e0) / span if e0 is not None and e1 is not None else float("nan"),
        "draw_ms_median": statistics.median(draws) if draws else float("nan"),
        "draw_ms_p95": percentile(draws, 0.95),
        "draws": len(draws),
        "frame_bytes": statistics.median([p[1] for p in updates]) if updates else float("nan"),
        "frame_code_bytes": statistics.median([p[2] for p in updates]) if updates else float("nan"),
        "wire_kb_per_s": wire_bytes / span / 1024,
        "regions": s1.get("regions"),
        "error": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    wire = Wire()
    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.on("websocket", lambda ws: ws.on("framereceived", wire.received))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for name, query in WORKLOADS.items():
            r = measure(page, wire, url, query, args.seconds)
            print(f"{name}, {args.seconds:g} s at {VIEWPORT['width']}×{VIEWPORT['height']}:")
            print(
                f"  frames drawn/s {r['drawn_per_s']:.1f} (target >= {TARGETS['drawn_per_s']:g}); "
                f"received/s {r['received_per_s']:.1f}"
            )
            print(
                f"  epochs/s {r['epochs_per_s']:.0f} (frames; the page's Epoch number: "
                f"{r['page_epochs_per_s']:.0f}) (target >= {TARGETS['epochs_per_s']:g}; "
                f"{r['epochs_per_s'] / 19:.0f}x Playground's page)"
            )
            print(
                f"  draw ms: median {r['draw_ms_median']:.1f}, p95 {r['draw_ms_p95']:.1f} of "
                f"{r['draws']} draws (target for [2,16,16,16,1] <= {TARGETS['draw_ms_16']:g}); "
                f"regions in the last frame: {r['regions']}"
            )
            print(
                f"  bytes per frame: median {r['frame_bytes']:.0f} (target <= {TARGETS['frame_bytes']:.0f}), "
                f"of which the component's inlined code {r['frame_code_bytes']:.0f}; "
                f"websocket {r['wire_kb_per_s']:.0f} KB/s"
            )
            if r["error"]:
                print(f"  renderer error: {r['error'][:300]}")
        if errors:
            print("page errors: " + "; ".join(e[:200] for e in errors[:5]))
        browser.close()


if __name__ == "__main__":
    main()
