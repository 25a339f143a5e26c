"""The trainer in real Chromium, drawn by the browser renderer (relu_viz/js, relu_viz/ui/renderer.py):
Play streams weights and the page redraws the map, numbers, curves and network diagram; Pause stops;
the map is never blank and changes whenever the epoch counter moves; clicks on the map add points."""

from __future__ import annotations

import itertools
import time

from tests.browser.harness import wait_for_app

# The renderer's state for the trainer element, and the map canvas's pixels summarised: how many
# distinct colours the plot area holds (a blank or single-colour map has at most a couple) and a hash
# of its pixels (to see it change).
MAP_STATE = """() => {
  const s = (window.__reluViz || {}).trainer_run;
  const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const canvas = host && host.shadowRoot && host.shadowRoot.querySelector('canvas.rv-map');
  if (!s || !canvas || !canvas.width) return null;
  const ctx = canvas.getContext('2d');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const colours = new Set(); let hash = 0;
  for (let i = 0; i < data.length; i += 4 * 7) {
    const c = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    colours.add(c); hash = (Math.imul(hash, 31) + c + data[i + 3]) | 0;
  }
  const text = (id) => {
    const e = host.shadowRoot.querySelector(`[data-testid=${id}]`);
    return e ? e.textContent : '';
  };
  return { drawn: s.drawn, step: s.step, error: s.error, view: s.view, regions: s.regions,
           colours: colours.size, hash, epoch: text('rv-epoch'), count: text('rv-count') };
}"""


def map_state(page) -> dict:
    page.wait_for_function(f"() => ({MAP_STATE})() !== null", timeout=30_000)
    return page.evaluate(MAP_STATE)


def epoch(state: dict) -> float:
    return float(state["epoch"].replace(",", ""))


def open_trainer(page, url: str) -> dict:
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)
    state = map_state(page)
    assert page.locator("[data-testid='stException']").count() == 0
    return state


def test_paused_page_draws_the_exact_map(page, app_url):
    state = open_trainer(page, f"{app_url}/trainer?ds=spiral&layers=2&w1=16&w2=16")
    assert state["error"] is None and state["colours"] > 20, state
    assert state["regions"] and state["regions"] > 1, state  # the exact partition ran in the browser
    assert f"{state['regions']:,} linear regions" in state["count"], state["count"]
    assert epoch(state) == 0.0
    assert not page.js_errors, page.js_errors


def test_play_for_10_s_never_blank_and_the_map_follows_the_epochs(page, app_url):
    """Sampled once a second while playing: the map is never blank, and whenever the epoch counter
    moved since the last sample, the map's pixels changed too. Then Pause stops the counter."""
    open_trainer(page, f"{app_url}/trainer?ds=spiral")
    page.locator(".st-key-play button").click()
    page.wait_for_function(f"() => {{ const s = ({MAP_STATE})(); return s && s.step > 0; }}", timeout=30_000)
    samples = []
    for _ in range(10):
        time.sleep(1.0)
        samples.append(map_state(page))
    for s in samples:
        assert s["error"] is None and s["colours"] > 20, f"a blank map while playing: {s}"
    moved = [(a, b) for a, b in itertools.pairwise(samples) if epoch(b) > epoch(a)]
    assert len(moved) >= 5, f"the epoch counter barely moved: {[s['epoch'] for s in samples]}"
    stuck = [(a["epoch"], b["epoch"]) for a, b in moved if a["hash"] == b["hash"]]
    assert not stuck, f"the map did not change while the epochs moved: {stuck}"
    assert samples[-1]["drawn"] - samples[0]["drawn"] >= 9 * 5, "fewer than 5 frames a second drawn"

    page.locator(".st-key-pause button").click()
    page.locator(".st-key-play button").wait_for(timeout=15_000)
    wait_for_app(page)
    deadline, last = time.monotonic() + 10, None
    while time.monotonic() < deadline and (last is None or map_state(page)["epoch"] != last):
        last = map_state(page)["epoch"]
        time.sleep(1.0)
    time.sleep(1.5)
    assert map_state(page)["epoch"] == last, "training went on after Pause"
    assert not page.js_errors, page.js_errors


def test_view_change_while_playing_redraws_in_the_new_view(page, app_url):
    open_trainer(page, f"{app_url}/trainer?ds=circle")
    page.locator(".st-key-play button").click()
    page.wait_for_function(f"() => {{ const s = ({MAP_STATE})(); return s && s.step > 0; }}", timeout=30_000)
    for view in ("regions", "probabilities", "outlines"):
        page.locator(".st-key-view button").filter(has_text=view).click()
        page.wait_for_function(
            f"v => {{ const s = ({MAP_STATE})(); return s && s.view === v && s.colours > 20; }}",
            arg=view,
            timeout=15_000,
        )
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator(".st-key-pause button").click()
    assert not page.js_errors, page.js_errors


def test_network_diagram_enlarges_a_clicked_unit(page, app_url):
    open_trainer(page, f"{app_url}/trainer?ds=circle")
    host = page.locator("[data-testid=stBidiComponentIsolated]").first
    diagram = host.locator("canvas.rv-diagram")
    before = diagram.screenshot()
    box = diagram.bounding_box()
    # the first hidden layer's units stand in the second column of the diagram: click across its middle
    # height until a click lands on a unit (the picture then changes)
    for fx in [i / 40 for i in range(4, 20)]:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + box["height"] / 2)
        if diagram.screenshot() != before:
            break
    else:
        raise AssertionError("no click on the diagram enlarged a unit")


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
