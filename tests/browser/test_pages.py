"""Every page in the navigation opens in real Chromium, runs without an exception box, and draws charts
that contain data."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.harness import wait_for_app

# page url path -> minimum number of plotly charts it must draw on load
PAGES = {"": 1, "activations": 1, "trainer": 0, "dead_neurons": 1, "lessons": 0, "claims": 0}
# page url path -> the browser renderer's element it must draw (relu_viz/js/main.js, window.__reluViz)
RENDERED = {"trainer": "trainer_run", "dead_neurons": "dead_monitor"}


TRACE_COUNTS = """Array.from(document.querySelectorAll('.js-plotly-plot')).map(e =>
    (e._fullData || []).filter(t =>
      (t.x && t.x.length) || (t.z && t.z.length) || (t.y && t.y.length) || t.source).length)"""


def chart_trace_counts(page) -> list[int]:
    """Number of traces with data, for each plotly chart on the page.

    Reads plotly's ``_fullData``, where numpy arrays sent in compact binary form are already decoded.
    """
    return page.evaluate(f"() => {TRACE_COUNTS}")


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_charts_without_exceptions(page, app_url, path):
    page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
    wait_for_app(page)
    if PAGES[path]:
        # charts arrive one by one and plotly fills them a moment later: wait for all of them, full
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                f"n => {{ const c = {TRACE_COUNTS}; return c.length >= n && c.every(k => k > 0); }}",
                arg=PAGES[path],
                timeout=30_000,
            )
    if path in RENDERED:
        page.wait_for_function("id => (window.__reluViz || {})[id]", arg=RENDERED[path], timeout=30_000)
        drawn = page.evaluate("id => window.__reluViz[id]", RENDERED[path])
        assert drawn["drawn"] >= 1 and drawn["error"] is None, drawn
    assert page.locator("[data-testid='stException']").count() == 0
    counts = chart_trace_counts(page)
    assert len(counts) >= PAGES[path], f"expected {PAGES[path]} charts on /{path}, found {len(counts)}"
    assert all(c > 0 for c in counts), f"a chart on /{path} rendered without data: {counts}"
    assert not page.js_errors, page.js_errors


def test_navigation_lists_every_page(page, app_url):
    page.goto(app_url, wait_until="domcontentloaded")
    wait_for_app(page)
    links = page.eval_on_selector_all("[data-testid='stSidebarNav'] a", "els => els.map(e => e.href)")
    paths = {link.rstrip("/").rsplit("/", 1)[-1] for link in links}
    for path in PAGES:
        if path:
            assert path in paths, f"/{path} missing from navigation {sorted(paths)}"


def test_deep_link_to_a_cold_server_goes_through_navigation(browser):
    """A teacher's link opened right after the server starts must still get app.py's navigation."""
    from tests.browser.harness import running_app

    with running_app() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(f"{url}/activations?fn=elu", wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        labels = page.eval_on_selector_all(
            "[data-testid='stSidebarNav'] a", "els => els.map(e => e.innerText)"
        )
        assert any("Activations" in label for label in labels), labels
        assert not any(label.strip() == "app" for label in labels), f"raw pages/ listing: {labels}"
        assert page.locator("[data-testid='stException']").count() == 0
        assert "ELU" in page.inner_text("[data-testid='stMain']")
        context.close()


def test_a_lesson_link_opens_its_preset(page, app_url):
    """Through a real link: lesson 4 opens the trainer on XOR with identity activations."""
    page.goto(f"{app_url}/lessons", wait_until="domcontentloaded")
    wait_for_app(page)
    link = page.locator("a[href*='ds=xor'][href*='act=identity']").first
    link.click()
    page.wait_for_url("**/trainer**", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function("() => (window.__reluViz || {}).trainer_run", timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert "ds=xor" in page.url and "act=identity" in page.url
    # identity activations: the whole network is one linear map, so the plane is one region
    assert page.evaluate("() => window.__reluViz.trainer_run.regions") == 1
    assert "Your network: 1 linear region;" in page.locator("[data-testid=rv-count]").inner_text()
