"""The dead-neuron monitor in real Chromium: a born-dead link says so, Play trains both runs (the step
counters move), Pause stops them, and the charts hold data throughout."""

from __future__ import annotations

import re
import time

from tests.browser.harness import wait_for_app
from tests.browser.test_pages import chart_trace_counts

CENSUS = re.compile(r"Step ([\d,]+) · dead (\d+) of (\d+)")


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
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Most first-layer units are born dead" in page.inner_text("[data-testid='stMain']")
    (s0, d0, n0), (s1, d1, _) = census(page)
    assert s0 == s1 == 0 and d0 > n0 / 2 and d1 == 0

    page.get_by_role("button", name="Play").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and relu_step(page) < 200:
        time.sleep(0.5)
    assert relu_step(page) >= 200, "the step counter did not advance while playing"

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
    counts = chart_trace_counts(page)
    assert len(counts) >= 3 and all(c > 0 for c in counts), counts
