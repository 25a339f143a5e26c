"""Claims versus evidence: popular statements about ReLU, grouped, each with a measured verdict and a
live demonstration."""

import streamlit as st

from relu_viz import claims
from relu_viz.ui import evidence_views
from relu_viz.ui.entry import require_navigation

require_navigation()

st.title("Claims versus evidence")
st.caption(
    "Statements about ReLU that you meet in articles and lecture notes. Each verdict is computed here by a "
    "small seeded experiment, with its numbers beside it, and a link opens a demonstration in this app."
)
evidence_views.index()
found = evidence_views.measured() or {}

for key, (title, items) in zip(claims.GROUPS, claims.grouped(), strict=True):
    st.header(title, anchor=key)
    for item in items:
        evidence_views.card(item, found.get(item.id))
