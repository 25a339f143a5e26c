"""The live trainer in a real Chromium page: epochs per wall-clock second and redraws per second.

Starts `streamlit run app.py`, opens the trainer on TensorFlow Playground's reference workload (spiral,
[2,8,8,8,1] ReLU, batch 10, SGD 0.03, 250 training points, squared error), presses Play, and for
DURATION seconds reads the page's epoch counter and counts how often the live map picture is replaced
(watched inside the page every 20 ms). Also reports the same for a [2,16,16,1] net.

    python bench/trainer_page.py [--seconds 20]

Playground's own page manages about 19 epochs/s on the spiral workload on these machines; the target
is >= 60 epochs/s while redrawing >= 5 times a second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_app

WORKLOADS = {
    "spiral [2,8,8,8,1] relu, batch 10, SGD 0.03, MSE": (
        "ds=spiral&layers=3&w1=8&w2=8&w3=8&act=relu&batch=10&lr=0.03&loss=squared_error&share=50"
    ),
    "spiral [2,16,16,1] relu, defaults": "ds=spiral&layers=2&w1=16&w2=16&act=relu",
}

WATCH_MAP = """() => {
  window.__redraws = 0; let last = null;
  window.__watch = setInterval(() => {
    const img = document.querySelector('[data-testid=stImage] img');  // the live picture while playing
    const src = img && img.complete ? img.src : null;
    if (src && src !== last) { window.__redraws++; last = src; }
  }, 20);
}"""


def epoch(page) -> float:
    return float(page.locator("[data-testid='stMetricValue']").first.inner_text().replace(",", ""))


def measure(page, url: str, query: str, seconds: float) -> tuple[float, float]:
    page.goto(f"{url}/trainer?{query}", wait_until="domcontentloaded")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    page.locator(".st-key-play button").click()
    time.sleep(3.0)  # let the first frames land
    page.evaluate(WATCH_MAP)
    e0, t0 = epoch(page), time.monotonic()
    time.sleep(seconds)
    e1, t1 = epoch(page), time.monotonic()
    redraws = page.evaluate("() => { clearInterval(window.__watch); return window.__redraws; }")
    page.locator(".st-key-pause button").click()
    return (e1 - e0) / (t1 - t0), redraws / (t1 - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        print(f"{'workload':52s} {'epochs/s':>9s} {'redraws/s':>10s}  vs Playground page (19 epochs/s)")
        for name, query in WORKLOADS.items():
            eps, rps = measure(page, url, query, args.seconds)
            print(f"{name:52s} {eps:9.1f} {rps:10.2f}  {eps / 19:.1f}x")
        browser.close()


if __name__ == "__main__":
    main()
