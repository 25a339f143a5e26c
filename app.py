"""relu-viz entry point: page config and navigation; every page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="relu-viz: how ReLU works", page_icon="📈", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/activations.py", title="Activations", icon="📈", url_path="activations"),
]

st.navigation(PAGES).run()
