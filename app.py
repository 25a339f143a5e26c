"""relu-viz entry point: page config, the links' sidebar keys checked, navigation; every page lives in pages/.

Uncaught errors: .streamlit/config.toml sets client.showErrorDetails = "none", so the browser shows a
generic message while Streamlit writes the full traceback to the server log."""

import streamlit as st

from relu_viz.ui import query, theme

st.set_page_config(page_title="relu-viz: how ReLU works", page_icon=":material/show_chart:", layout="wide")
# Links are checked before any widget reads them (a bad value would crash the page): the sidebar's own
# keys here, each page's keys as the page starts (relu_viz.ui.entry.require_navigation).
query.validate("app")
theme.apply()

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/activations.py", title="Activations", icon=":material/show_chart:"),
    st.Page("pages/trainer.py", title="Trainer", icon=":material/model_training:"),
    st.Page("pages/fit.py", title="Fit a function", icon=":material/timeline:"),
    st.Page("pages/dead_neurons.py", title="Dead neurons", icon=":material/heart_broken:"),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("pages/claims.py", title="Claims vs evidence", icon=":material/fact_check:"),
]

st.navigation(PAGES).run()
