"""Benchmark: the browser's geometry (relu_viz/js forward.js + partition.js) in Chromium, next to Python.

For He-initialised ReLU nets (hidden biases N(0, 0.5²), seed 0) it prints, per net and box:
the milliseconds of one 100 x 100 ``gridLogits`` (the trainer's heatmap) and of one ``partition`` in
Chromium (median and best of 20 runs after 3 warm-up runs; performance.now() there is coarsened to ~0.1 ms;
when the machine's cores are shared, the best run is closest to the code's own cost), and
the milliseconds of one ``relu_viz.regions.partition`` in Python (median of 20), with the region count.

Targets (brief of the in-browser renderer): grid <= 3 ms for [2,16,16,16,1]; partition <= 10 ms for
[2,16,16,16,1] and comfortably under 30 ms for [2,32,32,1]. Nothing here is asserted.

Run: python bench/geometry_js.py
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from relu_viz import network, regions, wire
from relu_viz.js import bundle
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS

NETS = [[2, 8, 8, 1], [2, 16, 16, 16, 1], [2, 32, 32, 1]]
BOXES = {"[-6,6]²": ((-6.0, 6.0), (-6.0, 6.0)), "[-2,2]²": ((-2.0, 2.0), (-2.0, 2.0))}
RUNS = 20
GRID = 100

_TIME_JS = """([s, w, box, runs, grid]) => {
    const net = geo.unpackNet(s, w);
    const timed = (f) => {
        for (let i = 0; i < 3; i++) f();
        const t = [];
        for (let i = 0; i < runs; i++) {
            const t0 = performance.now();
            f();
            t.push(performance.now() - t0);
        }
        t.sort((a, b) => a - b);
        return [(t[(runs - 1) >> 1] + t[runs >> 1]) / 2, t[0]];
    };
    let part = null;
    const grid_ms = timed(() => geo.gridLogits(net, box, grid, grid));
    const part_ms = timed(() => { part = geo.partition(net, box); });
    return {grid_ms, part_ms, regions: part.nActivation, linear: part.nLinear};
}"""


def python_ms(model, box) -> tuple[float, float]:
    """(median, best) milliseconds of relu_viz.regions.partition over RUNS runs after one warm-up."""
    regions.partition(model, box)
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        regions.partition(model, box)
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times), 1e3 * min(times)


def _ms(pair) -> str:
    return f"{pair[0]:7.2f} ({pair[1]:5.2f})"


def main() -> None:
    code = base64.b64encode(bundle(["forward.js", "partition.js"]).encode()).decode()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto("about:blank")
        page.evaluate(
            "async (b64) => { window.geo = await import('data:text/javascript;base64,' + b64); }", code
        )
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; ms: median (best) of {RUNS}")
        print(
            f"{'net':<20} {'box':<8} {'regions':>8} {'grid JS':>15} {'partition JS':>15} {'partition Py':>15}"
        )
        for widths in NETS:
            model = network.build(widths, "relu", init="he", seed=0, bias_std=0.5)
            s, w = wire.structure(model), wire.weights(model)
            for label, box in BOXES.items():
                r = page.evaluate(_TIME_JS, [s, w, [list(box[0]), list(box[1])], RUNS, GRID])
                py = python_ms(model, box)
                print(
                    f"{widths!s:<20} {label:<8} {r['regions']:>8,} {_ms(r['grid_ms'])} "
                    f"{_ms(r['part_ms'])} {_ms(py)}"
                )
        browser.close()


if __name__ == "__main__":
    main()
