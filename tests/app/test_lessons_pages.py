"""Every lesson and claim link opens its page without an exception and with its preset applied; the
lessons and claims pages render through app.py's navigation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from relu_viz import lessons
from tests.app.conftest import open_page

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


PAGE_COUNTS = [("lessons", len(lessons.LESSONS)), ("claims", len(lessons.CLAIMS))]


@pytest.mark.parametrize(("page", "count"), PAGE_COUNTS)
def test_lessons_and_claims_pages_render_with_links(page, count):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception
    links = [el.proto for el in at.get("page_link")]
    assert len(links) == count
    assert all(link.page.endswith(("activations", "trainer", "dead_neurons")) for link in links), [
        link.page for link in links
    ]
    assert at.title[0].value == ("Lessons" if page == "lessons" else "Claims versus evidence")


def _race_app() -> None:
    from relu_viz.ui import evidence_views

    evidence_views.race_panel()


def _sparsity_app() -> None:
    from relu_viz.ui import evidence_views

    evidence_views.sparsity_panel()


def test_claims_evidence_is_measured_on_request():
    race = AppTest.from_function(_race_app, default_timeout=120)
    race.run()
    assert not race.dataframe  # nothing measured until asked
    race.button(key="ev_race").click().run()
    assert not race.exception
    table = race.dataframe[0].value
    assert list(table["activation"]) == ["relu", "sigmoid"]
    relu_epochs = table["epochs to loss 0.1"][0]
    assert relu_epochs is not None and relu_epochs < 100

    sparse = AppTest.from_function(_sparsity_app, default_timeout=120)
    sparse.run()
    sparse.button(key="ev_sparse").click().run()
    assert not sparse.exception
    share = sparse.dataframe[0].value["share of exact zeros after ReLU"][0]
    assert 45 < float(share.rstrip("%")) < 55
