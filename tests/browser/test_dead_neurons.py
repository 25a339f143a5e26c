"""The dead-neuron monitor in real Chromium: a born-dead link says so, Play trains both runs (the step
counters move) while the browser redraws their grids and curves, Pause stops them."""

from __future__ import annotations

import re
import time

from tests.browser.harness import wait_for_app

MONITOR = "() => (window.__reluViz || {}).dead_monitor || null"

CENSUS = re.compile(r"Step ([\d,]+) · dead (\d+) of (\d+)")
ZEROS = re.compile(r"layer (\d+) [<>]?(\d+)%")


def census(page) -> list[tuple[int, int, int]]:
    """(step, dead, units) for the ReLU run and the variant, read from the page's census lines."""
    text = page.inner_text("[data-testid='stMain']")
    return [(int(s.replace(",", "")), int(d), int(n)) for s, d, n in CENSUS.findall(text)]


def relu_step(page) -> int:
    rows = census(page)
    assert len(rows) == 2, rows
    return rows[0][0]


def test_born_dead_link_then_play_and_pause(page, app_url):
    page.goto(f"{app_url}/dead_neurons?dn_bias=-3", wait_until="domcontentloaded")
    wait_for_app(page)
    page.wait_for_function(MONITOR, timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Most first-layer units are born dead" in page.inner_text("[data-testid='stMain']")
    (s0, d0, n0), (s1, d1, _) = census(page)
    assert s0 == s1 == 0 and d0 > n0 / 2 and d1 == 0
    # under each grid, each layer's share of exact zeros: ReLU's born-dead first layer outputs mostly
    # zeros; Leaky ReLU's outputs are never exactly 0
    zeros = page.locator("[data-testid='rv-monitor-zeros']")
    assert zeros.count() == 2
    relu_zeros, leaky_zeros = (ZEROS.findall(zeros.nth(i).inner_text()) for i in range(2))
    assert [layer for layer, _ in relu_zeros] == ["1", "2", "3"], relu_zeros
    assert int(relu_zeros[0][1]) > 50, relu_zeros
    assert leaky_zeros == [("1", "0"), ("2", "0"), ("3", "0")], leaky_zeros
    assert zeros.first.is_visible()

    page.get_by_role("button", name="Play").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and relu_step(page) < 200:
        time.sleep(0.5)
    assert relu_step(page) >= 200, "the step counter did not advance while playing"
    # 10 one-second samples while playing: the grids and curves are drawn (never blank), and they
    # follow the steps (the renderer's last drawn step moves with the counters)
    samples = []
    for _ in range(10):
        time.sleep(1.0)
        samples.append(page.evaluate(MONITOR))
    assert all(s and s["error"] is None and s["drawn"] > 0 for s in samples), samples
    assert samples[-1]["step"] > samples[0]["step"] and samples[-1]["drawn"] - samples[0]["drawn"] >= 10
    grid = page.locator("canvas.rv-grid").first.screenshot()
    assert len(set(grid)) > 50, "the unit grid canvas is blank"

    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=15_000)
    wait_for_app(page)
    settled, last = time.monotonic() + 10, None
    while time.monotonic() < settled and census(page) != last:
        last = census(page)
        time.sleep(1.0)
    paused = census(page)
    time.sleep(2.0)
    assert census(page) == paused, "training went on after Pause"
    (s0, d0, n0), (s1, d1, _) = paused
    assert s0 >= 200 and s1 > 0 and d1 == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.evaluate(MONITOR)["error"] is None
    assert not page.js_errors, page.js_errors
