"""User text is never rendered as markup: class names from an uploaded file and typed formulas reach every
place they are shown (trainer caption, draw-mode class radio, hidden-layer view legend, the Activations
page's charts, the data export) only through relu_viz.ui.text, and a CSV export stays safe to open in a
spreadsheet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from relu_viz import datasets
from relu_viz.ui import text
from relu_viz.ui.trainer_controls import activation_label
from tests.app.conftest import open_page

HOSTILE = ["**b**", "[l](u)", "![i](u)", "<a href=u>", "<img src=u>", "$x$"]
SLOT = "trainer_run"
MARKDOWN_KINDS = ("markdown", "caption", "error", "warning", "info", "success", "toast")


def _markdown_texts(at) -> list[str]:
    """Everything on the page that Streamlit renders as Markdown: text elements, widget labels and help,
    radio options."""
    texts = [str(el.value) for kind in MARKDOWN_KINDS for el in at.get(kind)]
    for kind in ("radio", "selectbox", "toggle", "slider", "text_input", "button", "multiselect"):
        for el in at.get(kind):
            texts += [str(getattr(el, "label", "")), str(getattr(el, "help", "") or "")]
            if kind == "radio":
                texts += [str(o) for o in el.options]
    return texts


def _plotly_texts(at) -> list[str]:
    """Every trace name, hover text and title of every plotly chart on the page."""
    found = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        for trace in spec["data"]:
            found += [str(trace.get(k, "")) for k in ("name", "text", "hovertext", "hovertemplate")]
            found += [str(trace.get("legendgrouptitle", {}).get("text", ""))]
        layout = spec.get("layout", {})
        found.append(str(layout.get("title", {}).get("text", "")))
        for axis in ("xaxis", "yaxis"):
            found.append(str(layout.get(axis, {}).get("title", {}).get("text", "")))
    return found


def _assert_never_raw(texts: list[str], hostile: list[str]) -> None:
    for t in texts:
        for h in hostile:
            assert h not in t, (h, t)


def _plotly_safe_everywhere(texts: list[str]) -> None:
    for t in texts:
        assert "<a" not in t and "<img" not in t and "$x$" not in t, t


def _csv(labels: list[str], per_class: int = 6) -> bytes:
    rng = np.random.default_rng(0)
    rows = ["x1,x2,label"]
    for i, label in enumerate(labels):
        for x, y in rng.normal(0, 1, (per_class, 2)) + 3 * np.array([np.cos(i), np.sin(i)]):
            rows.append(f"{x:.3f},{y:.3f},{label}")
    return "\n".join(rows).encode()


@pytest.fixture(scope="module")
def uploaded():
    """The trainer with a file whose class names are the hostile strings (and the file name one too)."""
    at = open_page("trainer")
    at.file_uploader(key="upload").upload("**b**[l](u).csv", _csv(HOSTILE), "text/csv").run()
    assert not at.exception
    yield at
    at.session_state[SLOT].worker.stop()


def test_uploaded_class_names_and_file_name_show_as_plain_text(uploaded):
    at = uploaded
    assert at.session_state[SLOT].run.dataset.classes == tuple(sorted(HOSTILE))
    texts = _markdown_texts(at)
    _assert_never_raw(texts, [*HOSTILE, "**b**[l](u).csv"])
    caption = next(t for t in texts if "points" in t and "classes" in t)
    assert all(text.plain(h) in caption for h in HOSTILE)
    assert any(text.plain("**b**[l](u).csv") in t for t in texts)  # the upload's note names the file


def test_hidden_layer_view_legend_is_escaped(uploaded):
    at = uploaded
    assert at.tabs[0].label == "Hidden-layer view" and at.get("plotly_chart")
    names = _plotly_texts(at)
    _plotly_safe_everywhere(names)
    for h in HOSTILE:
        assert text.plotly_safe(h) in names


def test_draw_mode_class_radio_shows_the_names_literally(uploaded):
    at = uploaded
    at.toggle(key="draw").set_value(True).run()
    try:
        assert not at.exception
        radio = at.radio(key="draw_class")
        assert list(radio.options) == [text.plain(h) for h in sorted(HOSTILE)]
        _assert_never_raw(_markdown_texts(at), HOSTILE)
        _plotly_safe_everywhere(_plotly_texts(at))  # the clickable map's legend
    finally:
        at.toggle(key="draw").set_value(False).run()


def test_export_writes_the_names_back_unchanged_and_spreadsheet_safe(uploaded):
    data = uploaded.session_state[SLOT].run.dataset
    assert datasets.load_csv(data.to_csv()) == data  # what "Download data as CSV" and Export write


def test_formula_cells_are_neutralised_in_the_exported_csv():
    at = open_page("trainer")
    labels = ["=cmd|' /C calc'!A0", "+SUM(A1)", "@x", "-1+2", "-1"]
    at.file_uploader(key="upload").upload("f.csv", _csv(labels), "text/csv").run()
    try:
        data = at.session_state[SLOT].run.dataset
        body = data.to_csv().splitlines()[1:]
        cells = {line.split(",", 2)[2] for line in body}
        assert cells == {"'=cmd|' /C calc'!A0", "'+SUM(A1)", "'@x", "'-1+2", "-1"}
        assert any(line.startswith("-") for line in body)  # negative coordinates stay numbers
        assert datasets.load_csv(data.to_csv()) == data
    finally:
        at.session_state[SLOT].worker.stop()


# -- formulas ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_formula_with_a_comment_is_refused_and_never_rendered(hostile):
    typed = f"x # {hostile}"
    at = open_page("activations", tab="Custom formula")
    at.text_input(key="formula").set_value(typed).run()
    assert not at.exception
    assert any("Comments" in e.value for e in at.error)
    _assert_never_raw(_markdown_texts(at), HOSTILE)
    _plotly_safe_everywhere(_plotly_texts(at))
    assert at.session_state["custom_formula"] != typed  # never offered to the trainer


@pytest.mark.parametrize("hostile", HOSTILE)
def test_trainer_caption_of_an_unparsable_formula_is_plain(hostile):
    # the pages only store formulas that parse; should another ever arrive, it is still shown as text
    label = text.plain(activation_label(f"formula:x # {hostile}"))
    _assert_never_raw([label], HOSTILE)


def test_formula_on_the_activations_page_is_shown_in_its_normal_form():
    at = open_page("activations", fn="custom", tab="Custom formula", cmp=["relu", "custom"])
    at.text_input(key="formula").set_value("x*x*x+max(x,0)").run()
    assert not at.exception
    normal = "x * x * x + max(x, 0)"
    assert text.plain(f"Read as f(x) = {normal}") in [c.value for c in at.caption]
    titles = _plotly_texts(at)
    assert f"f(x) = {normal}" in titles  # main chart, custom tab chart
    _assert_never_raw(_markdown_texts(at), ["x*x*x"])


def test_formula_in_the_trainer_caption_is_its_normal_form():
    at = open_page("trainer")
    try:
        at.session_state["custom_formula"] = "x*x*x"  # as the Activations page stores a parsed formula
        at.run()
        at.selectbox(key="act").set_value("formula:x*x*x").run()
        assert not at.exception
        assert text.plain("custom: x * x * x") in [c.value for c in at.caption]
        _assert_never_raw(_markdown_texts(at), ["x*x*x"])
    finally:
        at.session_state[SLOT].worker.stop()


def test_overlay_legend_shows_the_formula_escaped():
    at = open_page("activations", cmp=["relu", "custom"])
    at.text_input(key="formula").set_value("where(x<0,0,x)").run()
    assert not at.exception
    names = _plotly_texts(at)
    assert "f(x) = where(x &lt; 0, 0, x)" in names  # '<' escaped for plotly, in the normal form
    _plotly_safe_everywhere(names)


def test_bare_web_and_mail_addresses_are_not_made_links():
    # Markdown links a bare https://..., www.... or a@b.co even when its punctuation is escaped
    for address in ("https://evil.example/t.png", "www.evil.example", "me@evil.example"):
        shown = text.plain(f"see {address}")
        assert "\u2060" in shown  # a word joiner splits the pattern: https:|//, www|., me|@
        assert "://" not in shown and "www\\." not in shown and "e\\@" not in shown
        assert shown.replace("\u2060", "").replace("\\", "") == f"see {address}"  # reads the same
