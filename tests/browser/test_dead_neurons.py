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


def wait_until(condition, timeout: float, what: str) -> None:
    """Poll ``condition`` (twice a second) until it holds; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout:.0f} s: {what}")
        time.sleep(0.5)


def settled_census(page, timeout: float = 30.0) -> list[tuple[int, int, int]]:
    """The census once two looks 0.5 s apart agree (the last frame's counts are on the page)."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        now = census(page)
        if now == last:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"the census did not settle within {timeout:.0f} s (last {now})")
        last = now
        time.sleep(0.5)


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
    wait_until(lambda: relu_step(page) >= 200, 60, "the step counter to pass 200 while playing")
    # While playing, until the renderer has drawn 10 more frames (deadline 60 s): every look finds the
    # grids and curves drawn without an error, and the renderer's last drawn step moves with the counters
    samples = [page.evaluate(MONITOR)]
    wait_until(
        lambda: samples.append(page.evaluate(MONITOR)) or samples[-1]["drawn"] - samples[0]["drawn"] >= 10,
        60,
        "10 more frames of the monitor drawn while playing",
    )
    assert all(s and s["error"] is None and s["drawn"] > 0 for s in samples), samples
    assert samples[-1]["step"] > samples[0]["step"]
    grid = page.locator("canvas.rv-grid").first.screenshot()
    assert len(set(grid)) > 50, "the unit grid canvas is blank"

    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=15_000)
    wait_for_app(page)
    paused = settled_census(page)
    # Nothing trains after Pause: Step then adds exactly its 100 steps to both runs (the page itself
    # reports it; no guessed quiet time)
    page.get_by_role("button", name="Step 100").click()
    wait_until(lambda: census(page) != paused, 60, "the census to move after Step")
    wait_for_app(page)
    stepped = settled_census(page)
    assert [s for s, _, _ in stepped] == [s + 100 for s, _, _ in paused], (
        f"Step after Pause went from {paused} to {stepped}: training went on after Pause"
    )
    (s0, d0, n0), (s1, d1, _) = paused
    assert s0 >= 200 and s1 > 0 and d1 == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.evaluate(MONITOR)["error"] is None
    assert not page.js_errors, page.js_errors
