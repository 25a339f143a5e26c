"""The activation gallery's shared pieces: cached engine calls, the formula box's error report, the chart.

Cached results are pure functions of their arguments (immutable arrays and dataclasses), so sessions
may share them; every cache is bounded.
"""

import numpy as np
import streamlit as st

from relu_viz import activations, formula, properties
from relu_viz.figures import activations as figures
from relu_viz.ui import background, text
from relu_viz.ui.text import plain, plotly_safe

CUSTOM = "custom"
DEFAULT_FORMULA = "max(0, x) + 0.1*sin(x)"
FULL_RANGE = (-8.0, 8.0)  # the default x range, and the fixed interval of the all-functions table
OVERVIEW_RANGE = (-7.0, 7.0)  # wide enough for ReLU6's cap at 6
KEYS = activations.names()
AUTO_INIT = "auto"
TABS = ("Overlay", "All functions", "Vanishing gradients", "Cost", "Custom formula")
MAX_DEPTH = 30  # the vanishing-gradient tab's deepest network


def label(key: str) -> str:
    return "Custom formula" if key == CUSTOM else activations.get(key).name


def param_key(key: str, param: str) -> str:
    """The widget key (and URL key) of one parameter slider of activation ``key``."""
    return f"p_{key}_{param}"


def formula_title(formula_text: str) -> str:
    """A chart title or legend entry for a typed formula: its normalised form, safe for plotly."""
    return f"f(x) = {plotly_safe(text.formula(formula_text))}"


# ---- cached engine calls: pure functions of their arguments, results are immutable arrays/dataclasses ----


@st.cache_data(max_entries=256, show_spinner=False)
def builtin_analysis(
    key: str, params: tuple[tuple[str, float], ...], lo: float, hi: float, second: bool
) -> properties.Analysis:
    spec = activations.get(key)
    return properties.analyse(spec.function(**dict(params)), lo, hi, spec.kinks(**dict(params)), second)


@st.cache_data(max_entries=64, show_spinner=False)
def formula_analysis(text: str, lo: float, hi: float, second: bool) -> properties.Analysis:
    return properties.analyse(formula.parse(text), lo, hi, None, second)


@st.cache_data(max_entries=1, show_spinner="Measuring every activation…")
def all_properties_table() -> list[dict[str, object]]:
    rows = []
    for spec in activations.specs():
        row = properties.measure(spec.function(), *FULL_RANGE).row()
        rows.append({"function": spec.name, "family": spec.family, **row})
    return rows


@st.cache_data(max_entries=1, show_spinner=False)
def overview_curves() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    curves = {}
    for spec in activations.specs():
        c = properties.curve(spec.function(), *OVERVIEW_RANGE, n=241, kinks=spec.kinks())
        curves[spec.name] = (c.x, c.y, c.dy)
    return curves


def gradient_table(series: tuple[tuple[str, str], ...], max_depth: int) -> dict | None:
    """The gradient ratios of each (activation, init) at depths 1..max_depth, computed in the helper
    process (:func:`relu_viz.gradient_flow.ratio_table`); None (after a progress bar) until ready."""
    return background.follow(
        "vg", "gradient_table", "Measuring gradients", series=series, max_depth=max_depth
    )


def measured_costs(keys: tuple[str, ...]) -> dict[str, float] | None:
    """Seconds per million elements of each activation, timed in the helper process (a process of its
    own: the server's other work neither slows the timings nor waits for them); None until ready."""
    return background.follow(
        "cost",
        "cost",
        "Timing forward + backward",
        on_cancel=lambda: st.session_state.pop("cost_requested", None),
        keys=keys,
    )


def parse_or_report(text: str) -> formula.Formula | None:
    """The parsed formula, or None after showing the error with a caret under the offending character."""
    try:
        return formula.parse(text)
    except formula.FormulaError as err:
        st.error(plain(str(err)))
        pointer = " " * max(0, min(err.position, len(text))) + "^"
        st.code(f"{text}\n{pointer}", language=None)
        return None


def show_function_chart(analysis: properties.Analysis, title: str, chart_key: str) -> None:
    c = analysis.curve
    fig = figures.function_figure(c.x, c.y, c.dy, c.d2y, analysis.kinks, title=title, height=480)
    st.plotly_chart(fig, key=chart_key)
