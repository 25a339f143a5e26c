"""Presenter view at a projector's 1280 x 720: settings hidden, the demo on one screen without scrolling."""

from __future__ import annotations

import contextlib

from tests.browser.harness import wait_for_app


@contextlib.contextmanager
def presenting(browser, app_url: str, path: str):
    """A 1280 x 720 page opened on ``path`` with ?present=true, loaded, charts drawn, sidebar hidden."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/{path}?present=true", wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_function("() => Object.keys(window.__reluViz || {}).length > 0", timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        yield page
    finally:
        context.close()


def on_screen(box: dict) -> bool:
    return box["y"] >= 0 and box["y"] + box["height"] <= 720 + 1


def test_presenter_view_fits_the_trainer_on_one_screen(browser, app_url):
    with presenting(browser, app_url, "trainer") as page:
        play = page.locator(".st-key-play button").bounding_box()
        assert on_screen(play)
        # the map, the numbers, the curves and the network diagram, whole, above the fold
        for part in ("canvas.rv-map", "[data-testid=rv-numbers]", "canvas.rv-curves", "canvas.rv-diagram"):
            box = page.locator(part).first.bounding_box()
            assert on_screen(box), (part, box)
        page.screenshot(path="test-artifacts/presenter-1280x720.png")
        page.locator(".st-key-exit_present button").click()
        wait_for_app(page)
        page.wait_for_selector("[data-testid='stSidebar']", state="visible", timeout=15_000)


def test_presenter_view_fits_the_dead_neuron_monitor(browser, app_url):
    with presenting(browser, app_url, "dead_neurons") as page:
        for grid in page.locator("canvas.rv-grid").all():  # the two runs' grids and curves
            assert on_screen(grid.bounding_box()), grid.bounding_box()


def test_trainer_first_screen_at_1280x720_holds_map_numbers_and_diagram(browser, app_url):
    """Without presenter view too: Play, the map, the numbers and the network diagram above the fold."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/trainer", wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_function("() => (window.__reluViz || {}).trainer_run", timeout=30_000)
        assert on_screen(page.locator(".st-key-play button").bounding_box())
        for part in ("canvas.rv-map", "[data-testid=rv-numbers]", "canvas.rv-diagram"):
            box = page.locator(part).first.bounding_box()
            assert on_screen(box) and box["x"] + box["width"] <= 1280 + 1, (part, box)
    finally:
        context.close()
