"""The Fit a function page in real Chromium: it loads, plays and draws the data, the fit, its kinks, the
hinges and the loss curve with no JavaScript error; the browser's kinks (fit_view.js) are the engine's
(relu_viz.regions.kinks); the settings live in the address bar; it fits a 1280x720 screen."""

from __future__ import annotations

import pytest

from tests.browser.harness import wait_for_app

STATE = """() => {
  const s = (window.__reluViz || {}).fit_run;
  const host = [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
    .find((h) => h.shadowRoot && h.shadowRoot.querySelector('canvas.rv-fit-plot'));
  if (!s || !host) return null;
  const root = host.shadowRoot;
  const count = (sel, rgb) => {
    const c = root.querySelector(sel);
    if (!c || !c.width || c.style.display === 'none') return 0;
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - rgb[0]) < 30 && Math.abs(data[i + 1] - rgb[1]) < 30
          && Math.abs(data[i + 2] - rgb[2]) < 30 && data[i + 3] > 200) n++;
    }
    return n;
  };
  const text = (id) => {
    const e = root.querySelector(`[data-testid=${id}]`);
    return e ? e.textContent : '';
  };
  const box = (id) => { const e = root.querySelector(`[data-testid=${id}]`); if (!e) return null;
    const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, height: r.height }; };
  return { drawn: s.drawn, step: s.step, error: s.error, kinks: s.kinks, serverKinks: s.serverKinks ?? null,
           units: s.units, fitPixels: count('canvas.rv-fit-plot', [232, 113, 10]),
           pointPixels: count('canvas.rv-fit-plot', [8, 119, 189]),
           kinkPixels: count('canvas.rv-fit-plot', [214, 39, 40]),
           unitPixels: count('canvas.rv-fit-units', [31, 119, 180])
             + count('canvas.rv-fit-units', [44, 160, 44]),
           lossPixels: count('canvas.rv-curves', [232, 113, 10]),
           kinkText: text('rv-fit-kinks'), unitsText: text('rv-fit-units-count'), bound: text('rv-fit-bound'),
           plot: box('rv-fit-plot'), unitsBox: box('rv-fit-units') };
}"""

SEVERE = ("relu-viz renderer", "BidiComponent Error", "TypeError", "ReferenceError")


def state(page, predicate: str = "s !== null", timeout: float = 30_000) -> dict:
    page.wait_for_function(
        f"() => {{ const s = ({STATE})(); return s !== null && ({predicate}); }}", timeout=timeout
    )
    return page.evaluate(STATE)


def open_fit(page, url: str) -> list[str]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)
    return console


def no_js_errors(page, console: list[str]) -> None:
    assert page.js_errors == [], page.js_errors
    assert not [c for c in console if any(s in c for s in SEVERE)], console


def test_fit_page_loads_plays_and_draws_its_curves(page, app_url):
    console = open_fit(page, f"{app_url}/fit")
    assert page.locator("[data-testid='stException']").count() == 0
    s = state(page, "s.drawn > 0")
    assert s["error"] is None and s["units"] == 8 and s["kinkText"] == str(len(s["kinks"]))
    assert s["unitsText"] == "8" and "at most 8 for [1, 8, 1]" in s["bound"]
    assert s["fitPixels"] > 200 and s["pointPixels"] > 100 and s["unitPixels"] > 50, s
    # paused: the browser's kinks are the engine's for the same weights
    assert s["serverKinks"] is not None and s["kinks"] == pytest.approx(s["serverKinks"], abs=1e-9)
    # everything above the fold of a 1280x720 screen
    assert s["plot"]["bottom"] <= 720 and s["unitsBox"]["bottom"] <= 720 + 2, s

    page.locator(".st-key-play button").click()
    later = state(page, f"s.step > {s['step'] + 50} && s.drawn > {s['drawn'] + 10}", timeout=60_000)
    assert later["error"] is None and later["kinks"] is not None
    assert later["lossPixels"] > 30 and later["kinkPixels"] > 5, later
    page.locator(".st-key-pause button").click()
    page.wait_for_selector(".st-key-play button", timeout=30_000)
    paused = state(page, "s.serverKinks !== null")
    assert paused["kinks"] == pytest.approx(paused["serverKinks"], abs=1e-9)
    no_js_errors(page, console)


def test_deep_fit_at_full_speed_and_the_url_keeps_the_settings(page, app_url):
    console = open_fit(page, f"{app_url}/fit?f_target=sawtooth&f_layers=2&f_w1=16&f_w2=16&f_speed=max")
    s = state(page, "s.drawn > 0")
    assert s["units"] == 32 and "at most 288 for [1, 16, 16, 1]" in s["bound"]
    page.locator(".st-key-play button").click()
    later = state(page, "s.step > 2000", timeout=60_000)
    assert later["error"] is None and len(later["kinks"]) > 5
    page.locator(".st-key-pause button").click()
    page.wait_for_selector(".st-key-play button", timeout=30_000)
    paused = state(page, "s.serverKinks !== null")
    assert paused["kinks"] == pytest.approx(paused["serverKinks"], abs=1e-9)
    # a setting changed on the page goes into the address bar
    seed = page.locator(".st-key-f_seed input")
    seed.fill("5")
    seed.press("Enter")
    page.wait_for_function("() => location.search.includes('f_seed=5')", timeout=30_000)
    assert "f_target=sawtooth" in page.url and "f_w2=16" in page.url
    no_js_errors(page, console)


def test_a_bad_formula_shows_a_message(page, app_url):
    console = open_fit(page, f"{app_url}/fit?f_target=formula&f_formula=sin(x%20%2B")
    page.wait_for_selector("[data-testid='stAlertContentError']", timeout=30_000)
    text = page.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert "formula" in text and "Traceback" not in text
    assert page.locator("[data-testid='stException']").count() == 0
    no_js_errors(page, console)
