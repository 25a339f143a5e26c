"""The trainer in real Chromium, drawn by the browser renderer (relu_viz/js, relu_viz/ui/renderer.py):
Play streams weights and the page redraws the map, numbers, curves and network diagram; Pause stops;
the map is never blank and changes whenever the epoch counter moves; clicks on the map add points."""

from __future__ import annotations

import itertools
import time

import pytest

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


def test_play_never_blank_and_the_map_follows_the_epochs_then_pause_stops(page, app_url):
    """While playing, six times: wait (with a deadline) until the epoch counter moves, then look: the
    map is never blank and its pixels changed with the epoch. Pause, then Step: exactly one more epoch,
    so nothing trained after Pause (a condition the page reports, not a guessed quiet time)."""
    open_trainer(page, f"{app_url}/trainer?ds=spiral")
    page.locator(".st-key-play button").click()
    page.wait_for_function(f"() => {{ const s = ({MAP_STATE})(); return s && s.step > 0; }}", timeout=30_000)
    samples = [map_state(page)]
    for _ in range(6):
        page.wait_for_function(
            f"e => {{ const s = ({MAP_STATE})(); return s && s.epoch !== e; }}",
            arg=samples[-1]["epoch"],
            timeout=60_000,
        )
        samples.append(map_state(page))
    for s in samples:
        assert s["error"] is None and s["colours"] > 20, f"a blank map while playing: {s}"
    stuck = [(a["epoch"], b["epoch"]) for a, b in itertools.pairwise(samples) if a["hash"] == b["hash"]]
    assert not stuck, f"the map did not change while the epochs moved: {stuck}"
    assert samples[-1]["drawn"] > samples[0]["drawn"]

    page.locator(".st-key-pause button").click()
    page.locator(".st-key-play button").wait_for(timeout=15_000)
    wait_for_app(page)
    paused = settled_epoch(page)
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(
        f"e => {{ const s = ({MAP_STATE})(); return s && s.epoch !== e; }}", arg=paused, timeout=60_000
    )
    wait_for_app(page)
    after = float(settled_epoch(page).replace(",", ""))
    assert after == pytest.approx(float(paused.replace(",", "")) + 1, abs=0.05), (
        f"Step after Pause took the epoch from {paused} to {after}: training went on after Pause"
    )
    assert not page.js_errors, page.js_errors


def settled_epoch(page, timeout: float = 30.0) -> str:
    """The epoch text once two looks 0.5 s apart agree (the last streamed frame has been drawn)."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        now = map_state(page)["epoch"]
        if now == last:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"the epoch counter did not settle within {timeout:.0f} s (last {now})")
        last = now
        page.wait_for_timeout(500)


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


# The dead-unit notice, the numbers' dead count and the diagram's unit differences, as the renderer
# reports them (forward.js deadUnits / unitDifference, drawn by trainer_view.js).
UNITS_STATE = """() => {
  const s = (window.__reluViz || {}).trainer_run;
  const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const root = host && host.shadowRoot;
  if (!s || !root || !s.dead) return null;
  const text = (id) => {
    const e = root.querySelector(`[data-testid=${id}]`);
    return e ? e.textContent : '';
  };
  const canvas = root.querySelector('canvas.rv-diagram');
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let grey = 0, red = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (Math.abs(r - 214) <= 2 && Math.abs(g - 216) <= 2 && Math.abs(b - 222) <= 2) grey++;
    if (Math.abs(r - 214) <= 3 && Math.abs(g - 39) <= 3 && Math.abs(b - 40) <= 3) red++;
  }
  return { step: s.step, dead: s.dead, unitDiff: s.unitDiff, notice: text('rv-dead'),
           deadCell: text('rv-dead-units'), legend: text('rv-legend'), grey, red };
}"""


def units_state(page, condition: str = "s => true", timeout: float = 30_000) -> dict:
    """The units state once ``condition`` (a JS predicate of it) holds, waiting at most ``timeout`` ms."""
    page.wait_for_function(
        f"() => {{ const s = ({UNITS_STATE})(); return s !== null && ({condition})(s); }}", timeout=timeout
    )
    return page.evaluate(UNITS_STATE)


def above_the_fold(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    view = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= view["height"] + 1


def test_relu_at_learning_rate_10_says_how_many_units_are_dead(page, app_url):
    """Issue 15, item 6: ReLU at learning rate 10 kills units while playing; the trainer says so, live,
    with the count in the numbers and what to try, on the first screen of a 1280 x 720 page."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_trainer(page, f"{app_url}/trainer?ds=circle&act=relu&lr=10")
    before = units_state(page)
    assert before["dead"]["canDie"] and before["dead"]["units"] == 16, before
    assert before["deadCell"] == f"{before['dead']['dead']}/16", before
    page.locator(".st-key-play button").click()
    s = units_state(page, "s => s.step > 0 && s.dead.dead > 0 && s.notice.includes('dead')", timeout=60_000)
    n = s["dead"]["dead"]
    assert s["deadCell"] == f"{n}/16", s
    assert s["notice"].startswith(f"{n} of 16 hidden units" if n < 16 else "All 16 hidden units"), s["notice"]
    assert "do not learn" in s["notice"] and "learning rate" in s["notice"], s["notice"]
    assert above_the_fold(page, "[data-testid=rv-dead]"), "the dead-unit notice is below the fold"
    assert above_the_fold(page, "canvas.rv-diagram"), "the network diagram is below the fold"
    page.locator(".st-key-pause button").click()
    page.locator(".st-key-play button").wait_for(timeout=15_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert not page.js_errors, page.js_errors


def test_zero_init_diagram_shows_identical_units(page, app_url):
    """Issue 15, item 3: the zero-init link draws its units as framed grey squares (not white on white),
    explains the colours, and measures them identical: max diff 0. He init measures them different."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_trainer(page, f"{app_url}/trainer?ds=circle&layers=1&w1=8&act=relu&init=zeros")
    s = units_state(page)
    assert s["unitDiff"] == [0], s
    assert s["grey"] > 8 * 100 and s["red"] > 8 * 20, s  # 8 grey pictures, each framed in red
    assert "0 everywhere" in s["legend"] and "max diff" in s["legend"], s["legend"]
    assert s["dead"]["dead"] == 8 and "zero init" in s["notice"], s
    for part in ("canvas.rv-diagram", "[data-testid=rv-legend]", "[data-testid=rv-dead]"):
        assert above_the_fold(page, part), part
    open_trainer(page, f"{app_url}/trainer?ds=circle&layers=1&w1=8&act=relu&init=he")
    s = units_state(page, "s => s.unitDiff && s.unitDiff[0] > 0")
    assert s["red"] == 0 and s["dead"]["dead"] == 0 and s["notice"] == "", s  # no unit is 0 everywhere
    assert not page.js_errors, page.js_errors


def test_dead_units_after_a_divergence_are_counted_at_the_last_good_weights(page, app_url):
    """L2 at rate 1 with learning rate 10 diverges in a few steps (1 − ηλ = −9): the server's note says
    what to try; the dead-unit notice then only counts, at the weights kept."""
    open_trainer(page, f"{app_url}/trainer?ds=circle&act=relu&lr=10&reg=l2&rr=1")
    page.locator(".st-key-play button").click()
    page.wait_for_function(
        """() => { const h = document.querySelector('[data-testid=stBidiComponentIsolated]');
                   const n = h && h.shadowRoot.querySelector('.rv-note.rv-error');
                   return n && n.textContent.includes('last good weights'); }""",
        timeout=60_000,
    )
    s = units_state(page)
    if s["dead"]["dead"]:
        assert s["notice"].startswith("At the last good weights:"), s["notice"]
        assert "Try" not in s["notice"], s["notice"]  # the divergence note above says what to try
    assert s["deadCell"] == f"{s['dead']['dead']}/16", s
    assert not page.js_errors, page.js_errors
