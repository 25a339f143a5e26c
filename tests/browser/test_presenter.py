"""Presenter view at a projector's 1280 x 720: settings hidden, the demo on one screen without scrolling."""

from __future__ import annotations

from tests.browser.harness import wait_for_app


def test_presenter_view_fits_the_trainer_on_one_screen(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/trainer?present=true", wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        play = page.locator(".st-key-play button").bounding_box()
        charts = [page.locator(".js-plotly-plot").nth(i).bounding_box() for i in range(2)]
        assert play["y"] + play["height"] <= 720
        for box in charts:  # the map and the curves, whole, above the fold
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720 + 1, box
        page.screenshot(path="test-artifacts/presenter-1280x720.png")
        page.locator(".st-key-exit_present button").click()
        wait_for_app(page)
        page.wait_for_selector("[data-testid='stSidebar']", state="visible", timeout=15_000)
    finally:
        context.close()


def test_presenter_view_fits_the_dead_neuron_monitor(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/dead_neurons?present=true", wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        main = page.locator(".js-plotly-plot").first.bounding_box()  # the two runs' grids and curves
        assert main["y"] >= 0 and main["y"] + main["height"] <= 720 + 1, main
    finally:
        context.close()
