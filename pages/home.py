"""Home: ReLU on one screen, and where each page takes you."""

import numpy as np
import streamlit as st

from relu_viz import activations, properties
from relu_viz.figures.basic import curve_figure
from relu_viz.ui.entry import require_navigation

require_navigation()

relu = activations.get("relu").function()
table_in = np.array([-5.0, -2.0, 0.0, 3.0, 6.0])
table_out = properties.values(relu, table_in)  # torch's own nn.ReLU computes the table
xs = np.linspace(-6.0, 6.0, 241)
ys = properties.values(relu, xs)

st.title("ReLU, seen working")
left, right = st.columns([3, 2], gap="large")
with left:
    st.markdown("The **rectified linear unit** keeps a positive input and replaces a negative one with zero:")
    st.latex(r"\mathrm{ReLU}(x) = \max(0,\, x)")
    st.markdown(
        "That is all it computes, yet stacked between linear layers it lets a network bend the plane into "
        "convex pieces, each with its own straight-line rule. Its slope is 1 for x > 0 and 0 for x < 0: "
        "a unit whose input stays negative passes no gradient back and can stop learning (a *dead* unit)."
    )
    st.dataframe(
        {"input x": table_in, "ReLU(x)": table_out},
        hide_index=True,
        width=320,
    )
with right:
    st.plotly_chart(
        curve_figure(xs, ys, title="ReLU(x) = max(0, x)", points=(table_in, table_out), height=320),
        key="home_relu",
    )

st.subheader("What each page shows")
PAGES = [
    (
        "pages/activations.py",
        "Activations",
        ":material/show_chart:",
        "Every activation in torch.nn with its derivative computed by autograd; the value autograd "
        "takes at each kink, measured properties, vanishing gradients through depth, and your own formula.",
    ),
    (
        "pages/trainer.py",
        "Trainer",
        ":material/model_training:",
        "A live toy network on 2-D data: the exact convex regions its ReLUs carve, the exact decision "
        "boundary, every unit, and the curves, as it trains.",
    ),
    (
        "pages/fit.py",
        "Fit a function",
        ":material/timeline:",
        "A network on a line learns y = f(x) live: its fit is a sum of hinges, one per unit, with every "
        "kink marked and counted against the units.",
    ),
    (
        "pages/dead_neurons.py",
        "Dead neurons",
        ":material/heart_broken:",
        "Watch ReLU units die as the learning rate grows or the bias drops, beside a variant that "
        "does not; bring them back, map where dying happens, and see why deep narrow nets are born dead.",
    ),
    (
        "pages/lessons.py",
        "Lessons",
        ":material/school:",
        "Short classroom lessons, each with a link that opens the right demo already set up.",
    ),
    (
        "pages/claims.py",
        "Claims vs evidence",
        ":material/fact_check:",
        "Popular claims about ReLU, each with a verdict, the reason, and a live demonstration.",
    ),
]
for column, (page, label, icon, text) in zip(st.columns(len(PAGES)), PAGES, strict=True):
    with column:
        st.page_link(page, label=f"**{label}**", icon=icon)
        st.caption(text)
