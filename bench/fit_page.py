"""The Fit a function page in a real Chromium page: updates drawn per second, training speed, draw times.

Starts `streamlit run app.py`, opens the fit page at 1280×720 alone (one student), presses Play and for
``--seconds`` reads the renderer's own counters (relu_viz/js/main.js, ``window.__reluViz.fit_run``):

- updates drawn per second: ``drawn``, the frames the view drew (it coalesces frames that arrive faster
  than the screen refreshes), and ``received``, the frames that reached it;
- training steps and epochs per second: the step of the drawn frames;
- draw time per frame (the last 50 draws, read every 0.5 s), median and p95;
- websocket traffic, KB/s.

Workloads: sin with [1,16,1] and the sawtooth with [1,16,16,1], each at the page's default speed
(20 epochs a second) and as fast as the server allows ("max").

    python bench/fit_page.py [--seconds 15]

Target (issue 17): >= 20 updates a second for [1,16,1] and [1,16,16,1] with the page alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_app

WORKLOADS = {
    "sin, [1,16,1], speed 20 epochs/s (default)": "f_target=sin&f_layers=1&f_w1=16",
    "sin, [1,16,1], speed max": "f_target=sin&f_layers=1&f_w1=16&f_speed=max",
    "sawtooth, [1,16,16,1], speed 20 epochs/s": "f_target=sawtooth&f_layers=2&f_w1=16&f_w2=16",
    "sawtooth, [1,16,16,1], speed max": "f_target=sawtooth&f_layers=2&f_w1=16&f_w2=16&f_speed=max",
}
VIEWPORT = {"width": 1280, "height": 720}
TARGET = 20.0
STATS = "() => (window.__reluViz && window.__reluViz.fit_run) || null"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_until(page, predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout:g} s")
        page.wait_for_timeout(200)


def measure(page, url: str, query: str, seconds: float, traffic: list[tuple[float, int]]) -> dict:
    page.goto(f"{url}/fit?{query}", wait_until="domcontentloaded")
    wait_for_app(page)
    wait_until(page, lambda: (page.evaluate(STATS) or {}).get("drawn", 0) > 0, 60, "no frame drawn")
    page.locator(".st-key-play button").click()
    start = page.evaluate(STATS)["drawn"]
    wait_until(page, lambda: page.evaluate(STATS)["drawn"] > start + 5, 30, "no frames drawn after Play")
    page.wait_for_timeout(2000)  # let the loop settle
    s0, t0 = page.evaluate(STATS), time.monotonic()
    draws: list[float] = []
    last = s0["drawn"]
    while time.monotonic() < t0 + seconds:
        page.wait_for_timeout(500)
        s = page.evaluate(STATS)
        new = s["drawn"] - last
        draws += s["drawMs"][-new:] if new > 0 else []
        last = s["drawn"]
    s1, t1 = page.evaluate(STATS), time.monotonic()
    page.locator(".st-key-pause button").click()
    page.wait_for_selector(".st-key-play button", timeout=30_000)
    span = t1 - t0
    return {
        "drawn": (s1["drawn"] - s0["drawn"]) / span,
        "received": (s1["received"] - s0["received"]) / span,
        "steps": (s1["step"] - s0["step"]) / span,
        "draw_median": statistics.median(draws) if draws else float("nan"),
        "draw_p95": percentile(draws, 0.95),
        "kinks": len(s1["kinks"] or []),
        "kb": sum(n for t, n in traffic if t0 <= t <= t1) / span / 1024,
        "error": s1.get("error"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15.0)
    args = ap.parse_args()
    traffic: list[tuple[float, int]] = []
    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.on(
            "websocket",
            lambda ws: ws.on(
                "framereceived",
                lambda payload: traffic.append(
                    (time.monotonic(), len(payload) if isinstance(payload, bytes) else 0)
                ),
            ),
        )
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for name, query in WORKLOADS.items():
            r = measure(page, url, query, args.seconds, traffic)
            verdict = "ok" if r["drawn"] >= TARGET else "BELOW TARGET"
            print(f"{name}, {args.seconds:g} s at {VIEWPORT['width']}x{VIEWPORT['height']}:")
            print(
                f"  updates drawn/s {r['drawn']:.1f} (target >= {TARGET:g}: {verdict}); "
                f"received/s {r['received']:.1f}"
            )
            print(
                f"  training steps/s {r['steps']:.0f}; draw ms median {r['draw_median']:.1f}, "
                f"p95 {r['draw_p95']:.1f}; kinks in the last frame {r['kinks']}; websocket {r['kb']:.0f} KB/s"
            )
            if r["error"]:
                print(f"  renderer error: {r['error'][:300]}")
        if errors:
            print("page errors: " + "; ".join(e[:200] for e in errors[:5]))
        browser.close()


if __name__ == "__main__":
    main()
