"""relu-viz entry point: page config and navigation; every page lives in pages/."""

import streamlit as st

from relu_viz.ui import theme

st.set_page_config(page_title="relu-viz: how ReLU works", page_icon=":material/show_chart:", layout="wide")
theme.apply()

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/activations.py", title="Activations", icon=":material/show_chart:"),
    st.Page("pages/trainer.py", title="Trainer", icon=":material/model_training:"),
    st.Page("pages/dead_neurons.py", title="Dead neurons", icon=":material/heart_broken:"),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("pages/claims.py", title="Claims vs evidence", icon=":material/fact_check:"),
]

st.navigation(PAGES).run()
