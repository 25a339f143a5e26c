"""Links can't crash a page: every URL key of every page, given a hostile value, is replaced before a widget
reads it (relu_viz.ui.query), with a notice and no traceback; the checks mirror the widgets they protect."""

from __future__ import annotations

import math

import pytest

from relu_viz.lessons import PAGE_KEYS
from relu_viz.ui import query
from tests.app.conftest import open_page

HOSTILE = ["inf", "-inf", "nan", "1e400", "Infinity", "", "9" * 10_240, "x" * 10_240]
HOSTILE_IDS = ["inf", "-inf", "nan", "1e400", "Infinity", "empty", "10KB-digits", "10KB-text"]

# Values that make every bound widget of a page appear (hidden layers, per-layer activations, the blobs
# class count, the bias slider, an activation with parameters).
ENABLERS = {
    "trainer": {"ds": "blobs", "layers": "6", "perlayer": "true", "bias_on": "true"},
    "activations": {"fn": "rrelu"},
    "dead_neurons": {},
    "fit": {"f_target": "formula", "f_layers": "4"},
}
LIVE_SLOTS = ("trainer_run", "dead_relu", "dead_variant", "fit_run")
WIDGET_TYPES = (
    "slider",
    "number_input",
    "select_slider",
    "selectbox",
    "multiselect",
    "toggle",
    "checkbox",
    "text_input",
    "radio",
    "button_group",
)


def _stop(at) -> None:
    """Stop the page's background training workers (AppTest leaves them running)."""
    for slot in LIVE_SLOTS:
        live = at.session_state[slot] if slot in at.session_state else None  # noqa: SIM401 (no .get)
        if live is not None:
            live.worker.stop()


def _open(page: str, **params):
    at = open_page(page, **params)
    _stop(at)
    return at


def _texts(at) -> list[str]:
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "toast", "exception", "code")
    return [str(getattr(el, "value", "")) for kind in kinds for el in at.get(kind)]


def _assert_clean(at, page: str, bad: dict[str, str]) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Traceback" in t or 'File "' in t for t in _texts(at))
    specs = query.specs(page)
    for key, value in bad.items():
        if specs[key].check(value) is None:
            continue  # e.g. "inf" typed as a formula: a text the formula box shows with its error
        kept = at.query_params.get(key)
        assert kept is None or value not in (kept if isinstance(kept, list) else [kept]), (page, key)


def _page_keys(page: str) -> list[str]:
    return sorted(PAGE_KEYS[page])


@pytest.mark.parametrize("page", sorted(PAGE_KEYS))
def test_every_url_key_of_every_page_is_checked(page):
    specs = query.specs(page)
    assert set(PAGE_KEYS[page]) <= set(specs), set(PAGE_KEYS[page]) - set(specs)


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize("page", sorted(PAGE_KEYS))
def test_hostile_value_in_every_key_at_once(page, value):
    bad = dict.fromkeys(_page_keys(page), value)
    _assert_clean(_open(page, **bad), page, bad)


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize("page", sorted(PAGE_KEYS))
def test_hostile_value_in_every_key_with_every_widget_shown(page, value):
    """The same with the widgets that only appear for some settings switched on (w1..w6, a1..a6, k,
    bias, the activation's parameter sliders): their keys get the hostile value too."""
    bad = {k: value for k in _page_keys(page) if k not in ENABLERS[page]}
    if page == "activations":
        bad |= {"p_rrelu_lower": value, "p_rrelu_upper": value}
    _assert_clean(_open(page, **ENABLERS[page], **bad), page, bad)


@pytest.mark.parametrize(
    ("page", "key", "widget", "default"),
    [
        ("trainer", "seed", "number_input", 0),
        ("trainer", "w1", "number_input", 8),
        ("trainer", "w2", "number_input", 8),
        ("dead_neurons", "dn_seed", "number_input", 0),
    ],
)
@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "Infinity", "nan"])
def test_issue_repro_links_open_with_the_default_and_a_notice(page, key, widget, default, value):
    at = _open(page, **{key: value})
    assert not at.exception
    assert getattr(at, widget)(key=key).value == default
    assert key not in at.query_params
    notices = [t.value for t in at.toast]
    assert any(key.replace("_", "\\_") in n and "not a number" in n for n in notices), notices


@pytest.mark.parametrize(
    ("page", "params", "key", "widget", "expected"),
    [
        ("trainer", {"seed": "5000000"}, "seed", "number_input", 1_000_000),
        ("trainer", {"seed": "-3"}, "seed", "number_input", 0),
        ("trainer", {"seed": "7.6"}, "seed", "number_input", 8),
        ("trainer", {"n": "7"}, "n", "slider", 50),
        ("trainer", {"n": "5000"}, "n", "slider", 2000),
        ("trainer", {"share": "57"}, "share", "slider", 60),
        ("trainer", {"layers": "9"}, "layers", "slider", 6),
        ("trainer", {"layers": "3", "w3": "100"}, "w3", "number_input", 64),
        ("trainer", {"bias_on": "true", "bias": "-40"}, "bias", "slider", -5.0),
        ("trainer", {"lr": "0.05"}, "lr", "select_slider", 0.03),
        ("trainer", {"lr": "400"}, "lr", "select_slider", 10.0),
        ("trainer", {"ds": "SPIRAL"}, "ds", "selectbox", "spiral"),
        ("activations", {"depth": "1000"}, "depth", "slider", 30),
        ("activations", {"xr": ["4", "-40"]}, "xr", "slider", (-10.0, 4.0)),
        ("activations", {"fn": "leaky_relu", "p_leaky_relu_negative_slope": "3"}, None, None, None),
        ("dead_neurons", {"dn_depth": "99"}, "dn_depth", "slider", 6),
        ("dead_neurons", {"dn_lr": "20"}, "dn_lr", "select_slider", 10.0),
        ("dead_neurons", {"dn_bias": "-1e9"}, "dn_bias", "slider", -5.0),
    ],
)
def test_out_of_range_values_become_the_nearest_allowed_one(page, params, key, widget, expected):
    at = _open(page, **params)
    assert not at.exception
    if key is None:  # the parameter slider of the chosen activation
        key, widget, expected = "p_leaky_relu_negative_slope", "slider", 1.0
    value = getattr(at, widget)(key=key).value
    assert value == expected if not isinstance(expected, float) else math.isclose(value, expected)
    assert at.toast, "a notice says the link's value was replaced"


def test_a_good_link_is_left_alone_and_quiet():
    at = _open("trainer", ds="xor", layers="1", w1="4", act="leaky_relu", lr="0.1", seed="7", batch="all")
    assert not at.exception and not at.toast
    assert at.number_input(key="seed").value == 7 and at.select_slider(key="batch").value == 0


def test_a_link_full_of_bad_values_gets_one_notice_not_a_column_of_them():
    at = _open("trainer", **dict.fromkeys(_page_keys("trainer"), "inf"))
    assert len(at.toast) == 1 and "more link settings replaced" in at.toast[0].value


def test_notices_quote_the_value_as_plain_text_and_cut_short():
    at = _open("trainer", seed="**b**[l](u)" + "9" * 500)
    (toast,) = at.toast
    assert "\\*\\*b\\*\\*\\[l\\]\\(u\\)" in toast.value and len(toast.value) < 200


def test_the_app_sidebar_keys_are_checked_too():
    at = open_page("home", present="maybe", hide=["settings", "<img src=u>"])
    assert not at.exception
    assert at.toggle(key="present").value is False
    assert at.multiselect(key="hide").value == ["settings"]


# -- the checks mirror the widgets ---------------------------------------------------------------------------


def _widget(at, key: str):
    for kind in WIDGET_TYPES:
        for el in at.get(kind):
            if getattr(el, "key", None) == key:
                return kind, el
    return None, None


@pytest.mark.parametrize("page", sorted(PAGE_KEYS))
def test_specs_agree_with_the_widgets_the_page_draws(page):
    at = _open(page, **ENABLERS[page])
    assert not at.exception
    specs = query.specs(page)
    checked = 0
    for key, spec in specs.items():
        kind, el = _widget(at, key)
        if key == "tab" and page == "activations":
            assert spec.options == tuple(t.label for t in at.tabs)
            checked += 1
            continue
        if el is None:
            continue
        checked += 1
        if isinstance(spec, query.Number | query.Range):
            assert (float(el.min), float(el.max)) == (spec.lo, spec.hi), key
            assert math.isclose(float(el.step), spec.step or 1.0), key
        elif isinstance(spec, query.Choice | query.Many):
            options = list(el.options) if kind != "button_group" else [o.content for o in el.proto.options]
            assert tuple(options) == spec.options, key
        elif isinstance(spec, query.Text):
            assert el.max_chars == spec.max_chars, key
        else:
            assert kind in ("toggle", "checkbox"), key
    shown = {k for k in PAGE_KEYS[page] if _widget(at, k)[1] is not None or k == "tab"}
    assert checked >= len(shown) and shown == set(PAGE_KEYS[page]), set(PAGE_KEYS[page]) - shown
