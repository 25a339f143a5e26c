"""The live trainer in real Chromium: Play advances the epoch counter and the map; Pause stops both."""

from __future__ import annotations

import time

from tests.browser.harness import wait_for_app


def epoch(page) -> float:
    """The value of the metric labelled Epoch (found by its label: on a slow machine the metrics row
    may be mid-redraw, and the first metric on the page is not always the epoch)."""
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Epoch").first
    metric.wait_for(timeout=30_000)
    text = metric.locator("[data-testid='stMetricValue']").inner_text()
    return float(text.replace(",", ""))


def map_source(page) -> str:
    # paused: the first plotly chart whose first trace is an image; playing: the live picture
    return page.evaluate(
        """() => { for (const e of document.querySelectorAll('.js-plotly-plot')) {
                 const t = (e.data || [])[0]; if (t && t.type === 'image') return t.source; }
               const img = document.querySelector('[data-testid=stImage] img');
               return img ? img.src : null; }"""
    )


def test_play_trains_and_pause_stops(page, app_url):
    page.goto(f"{app_url}/trainer?ds=circle&layers=1&w1=8", wait_until="domcontentloaded")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    start_epoch, start_map = epoch(page), map_source(page)
    assert start_epoch == 0 and start_map

    page.locator(".st-key-play button").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and epoch(page) < 5:
        time.sleep(0.5)
    assert epoch(page) >= 5, "the epoch counter did not advance while playing"
    # the live picture replaces the paused map once the browser has decoded it: on a loaded machine
    # Chromium shows a placeholder for a moment after the numbers have already changed
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and map_source(page) in (start_map, None):
        time.sleep(0.2)
    assert map_source(page) not in (start_map, None), "the map did not change while playing"

    page.locator(".st-key-pause button").click()
    page.locator(".st-key-play button").wait_for(timeout=15_000)
    # the frame in flight when Pause was pressed may still land: wait for the counter to settle
    settled, last = time.monotonic() + 10, None
    while time.monotonic() < settled and epoch(page) != last:
        last = epoch(page)
        time.sleep(1.0)
    paused_epoch, paused_map = epoch(page), map_source(page)
    time.sleep(2.0)
    assert epoch(page) == paused_epoch, "training went on after Pause"
    assert map_source(page) == paused_map
    assert page.locator("[data-testid='stException']").count() == 0


def map_view(page) -> str | None:
    """The view the live map picture shows, read from its caption ('Live while training · <view>: ...')."""
    caption = page.evaluate(
        """() => { const c = document.querySelector('[data-testid=stImageCaption]');
               return c ? c.innerText : null; }"""
    )
    if not caption or not caption.startswith("Live while training · "):
        return None
    return caption.removeprefix("Live while training · ").split(":", 1)[0]


def test_playing_page_shows_only_live_pictures_and_a_view_change_never_blanks_the_map(page, app_url):
    """While playing: no leftover paused elements (the plotly map and curves, the Play button), and a
    view change redraws the map in the new view, promptly (it reruns the panel alone, ending its frame
    loop) and without a moment where the map is missing."""
    page.goto(f"{app_url}/trainer?ds=xor", wait_until="domcontentloaded")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    page.locator(".st-key-play button").click()
    page.locator(".st-key-pause button").wait_for(timeout=15_000)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and epoch(page) < 2:
        time.sleep(0.3)
    time.sleep(1.0)
    assert page.locator(".js-plotly-plot").count() == 0  # map and curves are pictures now
    assert page.locator(".st-key-play").count() == 0
    assert page.get_by_text("Pause to look at this moment").count() == 1  # the Units tab's note
    before = map_source(page)
    assert before.startswith("data:image/jpeg")
    assert map_view(page) == "outlines"
    for view in ("regions", "probabilities"):
        page.locator("[data-testid=stButtonGroup] button").filter(has_text=view).click()
        missing, changed, end = 0, False, time.monotonic() + 5  # the loop itself would last 10 min
        while time.monotonic() < end and not changed:
            src = map_source(page)
            missing += src is None
            changed = src is not None and map_view(page) == view
            time.sleep(0.02)
        assert changed, f"the map did not change to the {view} view"
        assert missing == 0, "the map went missing during the redraw"
    assert "view=probabilities" in page.url  # the view stays in the link
    samples_after = [map_source(page) for _ in range(50) if time.sleep(0.02) is None]
    assert missing == 0 and None not in samples_after, "the map went missing during the redraw"
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator(".st-key-pause button").click()
    page.locator(".st-key-play button").wait_for(timeout=15_000)


def point_count(page) -> int:
    captions = page.locator("[data-testid=stCaptionContainer]").all_inner_texts()
    text = next(c for c in captions if " points, " in c)
    return int(text.split()[0].replace(",", ""))


def test_click_on_the_map_adds_a_point(page, app_url):
    page.goto(f"{app_url}/trainer?ds=circle", wait_until="domcontentloaded")
    wait_for_app(page)
    page.get_by_text("Draw points by clicking on the map").click()
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=30_000)
    before = point_count(page)
    # the middle of the plot area is the plane's origin; plotly reports the lattice point clicked
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and point_count(page) == before:
        time.sleep(0.3)
    assert point_count(page) == before + 1
    assert page.locator("[data-testid='stException']").count() == 0


def test_pause_at_any_moment_leaves_the_interactive_map(page, app_url):
    """Pause, clicked at varied moments of the frame loop (some right after a view change), always
    ends on the paused page: the interactive plotly map, no live picture put back afterwards by a
    timer tick that was already on its way (that happened about 1 time in 5 before the fix)."""
    page.goto(f"{app_url}/trainer?ds=circle", wait_until="domcontentloaded")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    views = ("regions", "outlines", "probabilities")
    for trial, wait in enumerate((0.3, 1.1, 0.6, 1.7, 0.4, 0.9, 1.3, 0.5, 2.0, 0.7)):
        page.locator(".st-key-play button").click()
        page.locator(".st-key-pause button").wait_for(timeout=15_000)
        time.sleep(wait)
        if trial % 2:
            page.locator("[data-testid=stButtonGroup] button").filter(has_text=views[trial % 3]).click()
            time.sleep(wait / 3)
        page.locator(".st-key-pause button").click()
        page.locator(".st-key-play button").wait_for(timeout=15_000)
        time.sleep(1.5)  # a late tick's fragment run would have drawn by now
        pictures = page.locator("[data-testid=stImage]").count()
        assert pictures == 0, f"trial {trial}: a live picture after Pause"
        assert map_source(page) is not None, f"trial {trial}: no map after Pause"
    assert page.locator("[data-testid='stException']").count() == 0
