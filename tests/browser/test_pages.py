"""Every page in the navigation opens in real Chromium and is healthy: no exception box, no st.error
alert, no JavaScript error (uncaught or logged to the console), and charts that contain data; on the
trainer, the map canvas shows the data points and is not blank."""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from relu_viz import datasets
from tests.browser.harness import ROOT, wait_for_app


def navigation() -> list[str]:
    """URL paths of the pages app.py's navigation lists (the default page is "")."""
    found = re.findall(r'st\.Page\("pages/(\w+)\.py"[^)]*?(default=True)?\)', (ROOT / "app.py").read_text())
    assert found, "no st.Page entries found in app.py"
    return ["" if default else name for name, default in found]


# Streamlit's frontend, opened on a deep link such as /trainer, first probes /trainer/_stcore/health and
# /trainer/_stcore/host-config for a base path (404), then uses the root: its own probes, not our errors.
BASE_PATH_PROBE = re.compile(r"/[\w-]+/_stcore/(health|host-config)$")


def console_errors(page, app_url: str) -> list[tuple[str, str]]:
    """The page's console errors, except (a) failed loads of resources from outside the app's server:
    this sandbox has no internet, and Streamlit fetches a material page_icon's favicon from Google's
    font CDN (app.py's ":material/show_chart:"); (b) Streamlit's base-path probes. Anything else counts."""
    return [
        (text, url)
        for text, url in page.console_errors
        if not (
            text.startswith("Failed to load resource")
            and url
            and (not url.startswith(app_url) or BASE_PATH_PROBE.search(url[len(app_url) :]))
        )
    ]


# page url path -> minimum number of plotly charts it must draw on load (a new page: 0 until listed)
CHARTS = {"": 1, "activations": 1, "trainer": 0, "dead_neurons": 1, "lessons": 0, "claims": 0}
PAGES = {path: CHARTS.get(path, 0) for path in navigation()}
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
    alerts = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
    assert not alerts, f"st.error on /{path}: {alerts}"
    counts = chart_trace_counts(page)
    assert len(counts) >= PAGES[path], f"expected {PAGES[path]} charts on /{path}, found {len(counts)}"
    assert all(c > 0 for c in counts), f"a chart on /{path} rendered without data: {counts}"
    assert not page.js_errors, page.js_errors
    assert not console_errors(page, app_url), f"console errors on /{path}: {console_errors(page, app_url)}"


# The map canvas (in the renderer's shadow root; Playwright's CSS locators pierce it): its backing
# store scale, the distinct colours of its plot area, and the colour at the centre of each given point.
MAP_PIXELS = """(canvas, pts) => {
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  const S = canvas.getBoundingClientRect().width - 30 - 6;  // the plot's side: margins l 30, r 6
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const at = (cx, cy) => {
    const i = 4 * (Math.round(cy * scale) * canvas.width + Math.round(cx * scale));
    return [data[i], data[i + 1], data[i + 2]];
  };
  const colours = new Set();
  for (let y = 6 + 2; y < 6 + S - 2; y += 3) {
    for (let x = 30 + 2; x < 30 + S - 2; x += 3) colours.add(at(x, y).join());
  }
  const centres = pts.map(([x1, x2]) => at(30 + (x1 + 6) / 12 * S, 6 + (6 - x2) / 12 * S));
  return { colours: colours.size, centres };
}"""
ORANGE, BLUE = [245, 147, 34], [8, 119, 189]  # Playground's class colours (relu_viz/js/palette.js)


@pytest.mark.parametrize("view", ["outlines", "regions", "probabilities"])
def test_trainer_map_draws_the_data_points_on_a_filled_map(page, app_url, view):
    # The points are the generator's own (the page's defaults: 500 points, noise 0, seed 0), computed
    # here; a training point is a filled dot of its class colour, so its centre pixel is exactly that
    # colour (the map under it is drawn at most 80 % strength, never the full colour).
    page.goto(f"{app_url}/trainer?ds=circle&view={view}", wait_until="domcontentloaded")
    wait_for_app(page)
    page.wait_for_function(
        "v => { const s = (window.__reluViz || {}).trainer_run; return s && s.drawn > 0 && s.view === v; }",
        arg=view,
        timeout=30_000,
    )
    data = datasets.make("circle", n=500, noise=0.0, seed=0)
    canvas = page.locator("[data-testid=stBidiComponentIsolated] canvas.rv-map").first
    got = canvas.evaluate(MAP_PIXELS, np.asarray(data.x, dtype=float).tolist())
    assert got["colours"] > 20, f"the {view} map is blank or nearly one colour: {got['colours']} colours"
    colour = [ORANGE if label == 0 else BLUE for label in data.y]
    own = np.array([c == want for c, want in zip(got["centres"], colour, strict=True)])
    other = np.array([c in (ORANGE, BLUE) for c in got["centres"]])
    # half the points train (the default 50 % share) and only those are drawn (test points hidden)
    assert own.sum() >= 0.4 * len(data), f"only {own.sum()} of 500 point centres show their class colour"
    assert other.sum() <= 0.6 * len(data), f"{other.sum()} centres in a class colour: test points drawn?"
    for label in (0, 1):
        assert own[data.y == label].sum() >= 0.4 * (data.y == label).sum(), f"class {label} points missing"
    assert not page.js_errors and not console_errors(page, app_url), (page.js_errors, page.console_errors)


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
