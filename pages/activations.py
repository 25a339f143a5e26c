"""Activations: every activation in torch.nn with its autograd derivative, kinks and measured properties;
overlay, overview, vanishing gradients through depth, measured cost, and a typed custom formula.

Every choice is a widget bound to the URL (``bind="query-params"``), so a link reopens the same view.
"""

import numpy as np
import streamlit as st

from relu_viz import activations, cost, formula, gradient_flow
from relu_viz.figures import activations as figures
from relu_viz.network import INIT_SCHEMES
from relu_viz.ui import theme
from relu_viz.ui.activation_views import (
    AUTO_INIT,
    CUSTOM,
    DEFAULT_FORMULA,
    FULL_RANGE,
    KEYS,
    MAX_DEPTH,
    OVERVIEW_RANGE,
    TABS,
    all_properties_table,
    builtin_analysis,
    formula_analysis,
    formula_title,
    gradient_table,
    label,
    measured_costs,
    overview_curves,
    param_key,
    parse_or_report,
    show_function_chart,
)
from relu_viz.ui.entry import require_navigation
from relu_viz.ui.text import plain

require_navigation()

# ---- controls ---------------------------------------------------------------------------------------------

theme.header("Activation functions and their derivatives")
controls, chart_area = st.columns([1, 3], gap="medium")
with controls:
    key = st.selectbox(
        "Function",
        [*KEYS, CUSTOM],
        key="fn",
        bind="query-params",
        help="Every elementwise activation in torch.nn (named as in torch.nn.functional), plus identity, "
        "the binary step and your own formula ('custom').",
    )
    spec = None if key == CUSTOM else activations.get(key)
    params: dict[str, float] = {}
    for p in spec.params if spec else ():
        params[p.name] = st.slider(
            p.label,
            min_value=float(p.min),
            max_value=float(p.max),
            value=float(p.default),
            step=float(p.step),
            key=param_key(key, p.name),
            bind="query-params",
        )
    x_lo, x_hi = st.slider(
        "x range", -10.0, 10.0, FULL_RANGE, step=0.5, key="xr", bind="query-params", help="Plotted interval."
    )
    if x_hi - x_lo < 0.5:
        x_hi = x_lo + 0.5
    show_second = st.checkbox("show f″ (second derivative)", key="d2", bind="query-params")

# The formula box lives in its tab; its value is needed for the main chart, so the tabs are laid out first
# and the chart area (created above) is filled afterwards. The tabs track which one is open (and put it in
# the URL), so a hidden tab draws its widgets, which keeps their values, but skips its charts.
below = st.container()
tab_overlay, tab_all, tab_vg, tab_cost, tab_custom = st.tabs(
    list(TABS),
    key="tab",
    on_change="rerun",
    bind="query-params",
)

with tab_custom:
    st.markdown(
        "Type a formula in **x**. It is read by a whitelist parser that builds torch operations directly; "
        "nothing you type is executed as Python."
    )
    formula_text = st.text_input(
        "f(x) =", value=DEFAULT_FORMULA, max_chars=formula.MAX_CHARS, key="formula", bind="query-params"
    )
    custom = parse_or_report(formula_text)
    if custom is not None:
        st.session_state["custom_formula"] = formula_text
        st.caption(plain(f"Read as f(x) = {custom.normal}"))
    if custom is not None and tab_custom.open:
        custom_analysis = formula_analysis(formula_text, x_lo, x_hi, show_second)
        show_function_chart(custom_analysis, formula_title(formula_text), "custom_chart")
        kinks = custom_analysis.kinks
        st.markdown(
            "**Kinks found numerically:** "
            + (", ".join(f"x = {x0:.6g} (autograd f′ = {d:.4g})" for x0, d in kinks) if kinks else "none")
        )
        st.dataframe([custom_analysis.properties.row()], hide_index=True)
    max_info = formula.FUNCTIONS["max"]
    st.info(
        f"`max(a, b)` is `{max_info.torch_op}`: at a tie its gradient is split 0.5/0.5, "
        "so d/dx max(0, x) = 0.5 at x = 0. `relu(x)` and `where(x > 0, x, 0)` give 0 there and "
        "`clamp(x, 0)` gives 1: the same function, three different derivatives at the kink."
    )
    st.dataframe(
        [
            {"function": f.signature, "torch op": f.torch_op, "note": f.note}
            for f in formula.FUNCTIONS.values()
        ],
        hide_index=True,
    )

# ---- main chart -------------------------------------------------------------------------------------------

with chart_area:
    if spec is not None:
        main = builtin_analysis(key, tuple(params.items()), x_lo, x_hi, show_second)
        show_function_chart(main, f"{spec.name}: f and its autograd derivative", "main_chart")
        st.latex(spec.latex)
    elif custom is not None:
        main = formula_analysis(formula_text, x_lo, x_hi, show_second)
        show_function_chart(main, formula_title(formula_text), "main_chart")
    else:
        main = None
        st.warning("The custom formula has an error: fix it in the **Custom formula** tab below.")

with controls:
    if spec is not None:
        st.caption(f"**Origin:** {spec.origin}.")
        st.markdown(spec.note)
    elif custom is not None:
        st.caption("Your formula; kinks are found numerically (jumps of f or f′), slopes by autograd.")

with below:
    if main is not None:
        st.dataframe([main.properties.row()], hide_index=True)
    all_props = st.expander(
        "Properties of all functions (default parameters, measured on [−8, 8])",
        key="allprops",
        on_change="rerun",  # the 26 functions are measured only once someone opens it
    )
    with all_props:
        if all_props.open:
            st.dataframe(all_properties_table(), hide_index=True)
        st.caption(
            "Measured, not typed: slopes by autograd, ranges and limits sampled, sparsity = share of exact "
            "zeros for N(0, 1) inputs, zero-centred = |mean| ≤ 0.1·std for N(0, 1) inputs, saturates = "
            "|f′| ≤ 1e-6 at x = ±10⁴."
        )

# ---- tabs -------------------------------------------------------------------------------------------------

with tab_overlay:
    compare = st.multiselect(
        "Functions to compare",
        [*KEYS, CUSTOM],
        default=["relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh"],
        key="cmp",
        bind="query-params",
    )
    overlay: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for k in compare if tab_overlay.open else ():
        if k == CUSTOM:
            if custom is not None:
                c = formula_analysis(formula_text, x_lo, x_hi, False).curve
                overlay[formula_title(formula_text)] = (c.x, c.y, c.dy)
            continue
        # The function chosen above keeps its slider values here; the others use their defaults.
        chosen = tuple(params.items()) if k == key else ()
        c = builtin_analysis(k, chosen, x_lo, x_hi, False).curve
        overlay[label(k)] = (c.x, c.y, c.dy)
    if overlay:
        st.plotly_chart(figures.overlay_figure(overlay), key="overlay_chart")
        st.caption(
            "Slopes by autograd; the function chosen above uses its slider values, the others defaults."
        )
    elif tab_overlay.open:
        st.info("Pick at least one function to compare.")

with tab_all:
    if tab_all.open:
        st.plotly_chart(figures.small_multiples_figure(overview_curves()), key="all_chart")
        lo, hi = OVERVIEW_RANGE
        st.caption(f"Default parameters, x from {lo:g} to {hi:g}; each cell has its own y-scale.")

with tab_vg:
    st.markdown(
        "A random MLP of width 64 with *depth* hidden layers; the loss is the mean output over 256 random "
        "inputs. Plotted: the gradient norm reaching the **first** layer's weights divided by the one at "
        "the **last** layer. Each layer multiplies the backward signal by f′ (and the weights): with "
        "sigmoid, f′ ≤ 0.25."
    )
    vg_cols = st.columns([1, 1, 2])
    max_depth = vg_cols[0].slider(
        "depth (hidden layers)", 1, MAX_DEPTH, MAX_DEPTH, key="depth", bind="query-params"
    )
    init_choice = vg_cols[1].selectbox(
        "initialisation",
        [AUTO_INIT, *INIT_SCHEMES],
        key="init",
        bind="query-params",
        help="auto: He for ReLU-like functions, Xavier for sigmoid/tanh-like ones, PyTorch's default "
        "otherwise. " + "; ".join(f"{k}: {v}" for k, v in INIT_SCHEMES.items()),
    )
    vg_keys = vg_cols[2].multiselect(
        "functions",
        KEYS,
        default=["sigmoid", "tanh", "relu"],
        key="vg",
        bind="query-params",
    )
    wanted = tuple(
        (k, gradient_flow.default_init(k) if init_choice == AUTO_INIT else init_choice) for k in vg_keys
    )
    table = gradient_table(wanted, max_depth) if wanted and tab_vg.open else None
    if table is not None:
        depths = np.arange(1, max_depth + 1)
        series = {f"{label(k)} ({init})": table[(k, init)] for k, init in wanted}
        st.plotly_chart(figures.gradient_flow_figure(depths, series), key="vg_chart")
    elif tab_vg.open and not wanted:
        st.info("Pick at least one function.")

with tab_cost:
    st.markdown(
        "Forward + backward time per element for each activation (float32, one thread, the fastest of 5 "
        "runs over a million elements), relative to ReLU. Measured on this server, so the numbers are "
        "real but depend on the machine; the result is cached for everyone."
    )
    if st.button("Measure on this server", key="measure_cost"):
        st.session_state["cost_requested"] = True
    seconds = (
        measured_costs(tuple(KEYS)) if st.session_state.get("cost_requested") and tab_cost.open else None
    )
    if seconds is not None:
        relative = cost.relative_to(seconds, "relu")
        st.plotly_chart(
            figures.cost_figure(
                {label(k): v for k, v in relative.items()}, {label(k): v for k, v in seconds.items()}
            ),
            key="cost_chart",
        )
