"""Every lesson and claim link opens its page without an exception and with its preset applied; the
lessons and claims pages render through app.py's navigation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from relu_viz import claims, evidence, lessons
from tests.app.conftest import open_page, settle

ROOT = Path(__file__).resolve().parents[2]
RUN_SLOTS = ("trainer_run", "dead_relu", "dead_variant")
LINKS = lessons.all_links()


def widgets(at: AppTest) -> dict[str, Widget]:
    """Every keyed widget on the page (main area and sidebar), by key."""
    found: dict[str, Widget] = {}

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if isinstance(child, Widget) and child.key:
                found[child.key] = child
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return found


def displayed(widget: Widget) -> object:
    """The widget's value as it displays it (what a bound widget writes into the URL)."""
    value = widget.value
    fmt = getattr(widget, "format_func", None)
    if fmt is None:
        return value
    if isinstance(value, list | tuple):
        return tuple(fmt(v) for v in value)
    return fmt(value)


def same(shown: object, wanted: lessons.QueryValue) -> bool:
    """Does a displayed value equal the URL's text (numbers compared as numbers)?"""
    if isinstance(wanted, tuple):
        return isinstance(shown, tuple) and len(shown) == len(wanted) and all(map(same, shown, wanted))
    if isinstance(shown, bool):
        return str(shown).lower() == wanted
    if isinstance(shown, int | float):
        return float(shown) == float(wanted)
    return str(shown) == wanted


def stop_runs(at: AppTest) -> None:
    for slot in RUN_SLOTS:
        if slot in at.session_state:
            at.session_state[slot].worker.stop()


@pytest.mark.parametrize(("name", "link"), LINKS, ids=[n for n, _ in LINKS])
def test_link_opens_with_its_preset(name, link):
    query = link.query_params()
    at = open_page(link.page, **query)
    try:
        assert not at.exception, f"{name}: {at.exception}"
        assert not at.get("error"), f"{name}: {[e.value for e in at.get('error')]}"
        shown = widgets(at)
        for key, wanted in link.query.items():
            # st.tabs keeps its open tab in session state, not as a widget in the tree
            value = displayed(shown[key]) if key in shown else at.session_state[key]
            assert same(value, wanted), f"{name}: {key} shows {value!r}, link says {wanted!r}"
        if link.page == "trainer":
            spec = at.session_state["trainer_run"].run.spec
            if "act" in link.query:
                assert set(spec.activations) == {link.query["act"]}
            if "init" in link.query:
                assert spec.init == link.query["init"]
            assert at.session_state["trainer_run"].run.dataset.name == link.query.get("ds", "spiral")
        if link.page == "dead_neurons":
            assert "dead_relu" in at.session_state and "dead_variant" in at.session_state
    finally:
        stop_runs(at)


PAGE_COUNTS = [("lessons", len(lessons.LESSONS)), ("claims", len(claims.CLAIMS))]


@pytest.mark.parametrize(("page", "count"), PAGE_COUNTS)
def test_lessons_and_claims_pages_render_with_links(page, count):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception
    links = [el.proto for el in at.get("page_link")]
    assert len(links) == count
    assert all(link.page.endswith(("activations", "trainer", "dead_neurons", "fit")) for link in links), [
        link.page for link in links
    ]
    assert at.title[0].value == ("Lessons" if page == "lessons" else "Claims versus evidence")


def test_claims_page_measures_every_claim_in_the_helper_and_shows_its_verdict():
    """The page's demos run in the helper process; once done, every card's badge is the verdict its
    measurement gives, with the numbers, and (here, where our tests measured them) no disagreement."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/claims.py")
    at.run()
    settle(at)
    assert not at.exception
    assert badges(at) == [VERDICT_TEXT[c.verdict] for _, items in claims.grouped() for c in items]
    assert not at.warning
    assert not at.get("progress")


def test_a_card_says_when_the_measurement_disagrees_with_the_checked_verdict(monkeypatch):
    """Every card's badge is the verdict its measurement gives: here one demo is made to measure the
    opposite, and its card must show that and say it disagrees with the checked verdict."""
    from relu_viz.ui import evidence_views

    found = evidence.measure_all()
    fake = found["max_at_one"]
    found["max_at_one"] = evidence.Evidence("holds", fake.facts, fake.finding, fake.setup)
    monkeypatch.setattr(evidence_views, "measured", lambda: found)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/claims.py")
    at.run()
    assert not at.exception
    verdicts = {c.id: VERDICT_TEXT[c.verdict] for c in claims.CLAIMS} | {"max_at_one": "Holds"}
    expected = [verdicts[c.id] for _, items in claims.grouped() for c in items]
    assert badges(at) == expected
    shown = [b.value for b in at.markdown if b.value.startswith("**Measured:**")]
    assert len(shown) == len(claims.CLAIMS)
    assert len(at.dataframe) == len(claims.CLAIMS)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "Holds" in warnings[0] and "Fails" in warnings[0]
    headers = [h.value for h in at.header]
    assert headers == list(claims.GROUPS.values())


VERDICT_TEXT = {"holds": "Holds", "fails": "Fails", "depends": "Depends"}


def badges(at: AppTest) -> list[str]:
    return [m.value.split(": ")[-1].rstrip("]") for m in at.markdown if "-badge[" in m.value]
