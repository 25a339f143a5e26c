"""Activations page (AppTest): every function and every slider extreme renders without an exception, the
URL selects the view, kinks are annotated with autograd's value, and the formula box is safe."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from relu_viz import activations
from tests.app.conftest import open_page, settle

HOSTILE = "__import__('os').system('echo pwned')"


@pytest.fixture(scope="module")
def at():
    """One page session shared by the tests below (each test sets the widgets it relies on)."""
    return open_page("activations")


def charts(at) -> dict[str, dict]:
    """Plotly figures on the page by chart key (e.g. "main_chart"), as plotly JSON."""
    return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def annotations(figure: dict) -> list[str]:
    return [a.get("text", "") for a in figure["layout"].get("annotations", [])]


def open_tab(at, label: str):
    """Switch tabs as a click would: the tabs track their state, and only the open one draws its charts."""
    at.session_state["tab"] = label
    at.run()
    return at


def choose(at, key: str, **params: float):
    at.selectbox(key="fn").set_value(key)
    at.run()
    for name, value in params.items():
        at.slider(key=f"p_{key}_{name}").set_value(value)
    if params:
        at.run()
    return at


def test_default_view_draws_the_chart_the_table_and_only_the_open_tab(at):
    assert not at.exception
    figs = charts(at)
    assert set(figs) == {"main_chart", "overlay_chart"}  # hidden tabs skip their charts
    assert all(fig["data"] for fig in figs.values())
    assert "autograd f′(0) = 0" in annotations(figs["main_chart"])
    properties_row = at.dataframe[0].value
    assert properties_row["range over ℝ"].iloc[0] == "[0, ∞)"
    assert properties_row["continuity"].iloc[0] == "C0"
    overlay_names = [t["name"] for t in figs["overlay_chart"]["data"] if t.get("showlegend", True)]
    assert overlay_names == ["ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh"]


def test_all_functions_tab_and_table(at):
    open_tab(at, "All functions")
    assert not at.exception
    assert len(charts(at)["all_chart"]["data"]) == 2 * len(activations.names())
    at.session_state["allprops"] = True
    at.run()
    table = next(df.value for df in at.dataframe if len(df.value) == len(activations.names()))
    by_name = table.set_index("function")
    assert by_name.loc["ReLU", "range over ℝ"] == "[0, ∞)"
    assert by_name.loc["Sigmoid", "max |f′|"] == pytest.approx(0.25)
    assert by_name.loc["ReLU", "sparsity"] == pytest.approx(0.5, abs=0.01)
    at.session_state["allprops"] = False
    open_tab(at, "Overlay")


def test_every_activation_renders(at):
    for key in [*activations.names(), "custom"]:
        at.selectbox(key="fn").set_value(key)
        at.run()
        assert not at.exception, key
        main = charts(at)["main_chart"]
        assert main["data"], key
        if key != "custom":
            assert activations.get(key).name in main["layout"]["title"]["text"]


def test_slider_extremes_render(at):
    for spec in activations.specs():
        if not spec.params:
            continue
        at.selectbox(key="fn").set_value(spec.key)
        at.run()
        for p in spec.params:
            for value in (p.min, p.max):
                at.slider(key=f"p_{spec.key}_{p.name}").set_value(value)
                at.run()
                assert not at.exception, (spec.key, p.name, value)
                assert charts(at)["main_chart"]["data"]
            at.slider(key=f"p_{spec.key}_{p.name}").set_value(p.default)
        at.run()
    at.slider(key="xr").set_value((-10.0, 10.0)).run()
    assert not at.exception
    at.slider(key="xr").set_value((-0.5, 0.5)).run()
    assert not at.exception


def test_kink_annotation_shows_the_slider_value(at):
    at.slider(key="xr").set_value((-8.0, 8.0))
    choose(at, "leaky_relu", negative_slope=0.3)
    assert "autograd f′(0) = 0.3" in annotations(charts(at)["main_chart"])
    choose(at, "elu", alpha=2.0)
    assert "autograd f′(0) = 2" in annotations(charts(at)["main_chart"])


def test_second_derivative_toggle(at):
    choose(at, "gelu")
    at.checkbox(key="d2").check().run()
    names = [trace.get("name") for trace in charts(at)["main_chart"]["data"]]
    assert "f″(x) autograd" in names
    at.checkbox(key="d2").uncheck().run()


def test_hostile_formula_is_refused_with_a_caret(at):
    open_tab(at, "Custom formula")
    at.text_input(key="formula").input(HOSTILE).run()
    assert not at.exception
    assert at.error, "an error message is shown"
    assert "custom_chart" not in charts(at)
    caret_block = next(c.value for c in at.code if c.value.startswith(HOSTILE))
    text, pointer = caret_block.split("\n")
    assert text == HOSTILE and pointer.strip() == "^" and len(pointer) - 1 < len(HOSTILE)
    assert at.session_state["custom_formula"] != HOSTILE


def test_syntax_error_points_at_its_position(at):
    at.text_input(key="formula").input("max(0, x").run()
    assert not at.exception and at.error
    assert any(c.value.split("\n")[0] == "max(0, x" for c in at.code)


def test_valid_formula_is_plotted_and_remembered(at):
    open_tab(at, "Custom formula")
    text = "max(0, x) + 0.1*sin(x)"
    at.text_input(key="formula").input(text).run()
    assert not at.exception and not at.error
    custom = charts(at)["custom_chart"]
    assert custom["data"]
    # torch.maximum splits the tie: slope 0.5 from max, plus 0.1·cos(0) from the sine.
    assert "autograd f′(0) = 0.6" in annotations(custom)
    assert at.session_state["custom_formula"] == text
    at.selectbox(key="fn").set_value("custom").run()
    assert not at.exception
    assert "autograd f′(0) = 0.6" in annotations(charts(at)["main_chart"])


def test_vanishing_gradient_panel_shows_the_collapse(at):
    at.selectbox(key="fn").set_value("relu")
    open_tab(at, "Vanishing gradients")
    settle(at)  # measured in the helper process: the chart comes when it is done
    vg = charts(at)["vg_chart"]
    by_name = {trace["name"]: trace for trace in vg["data"]}
    assert set(by_name) == {"Sigmoid (xavier)", "Tanh (xavier)", "ReLU (he)"}
    assert vg["layout"]["yaxis"]["type"] == "log"

    def last(name: str) -> float:
        y = by_name[name]["y"]
        if isinstance(y, dict):  # plotly's compact typed-array encoding of numpy arrays
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
        return float(y[-1])

    assert last("Sigmoid (xavier)") < 1e-10 < 1e-3 < last("ReLU (he)")
    at.slider(key="depth").set_value(1).run()
    assert not at.exception


def test_cost_panel_measures_on_request(at):
    open_tab(at, "Cost")
    assert "cost_chart" not in charts(at)
    at.button(key="measure_cost").click().run()
    assert not at.exception
    settle(at)
    bars = charts(at)["cost_chart"]["data"][0]
    assert len(bars["y"]) == len(activations.names())
    assert not at.exception


def test_url_selects_the_view():
    at = open_page(
        "activations",
        fn="leaky_relu",
        p_leaky_relu_negative_slope="0.2",
        xr=["-3", "3"],
        cmp=["relu", "tanh"],
        vg=["relu"],
        tab="Vanishing gradients",
    )
    settle(at)
    assert not at.exception
    assert at.selectbox(key="fn").value == "leaky_relu"
    assert math.isclose(at.slider(key="p_leaky_relu_negative_slope").value, 0.2)
    assert at.slider(key="xr").value == (-3.0, 3.0)
    figs = charts(at)
    assert "autograd f′(0) = 0.2" in annotations(figs["main_chart"])
    assert [t["name"] for t in figs["vg_chart"]["data"]] == ["ReLU (he)"]
    assert at.multiselect(key="cmp").value == ["relu", "tanh"]


def test_url_with_a_hostile_formula_is_safe():
    at = open_page("activations", fn="custom", formula=HOSTILE)
    assert not at.exception
    assert at.error
    assert "main_chart" not in charts(at)
