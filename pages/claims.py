"""Claims versus evidence: popular statements about ReLU, a verdict each, and a live demonstration."""

import streamlit as st

from relu_viz import lessons
from relu_viz.ui import evidence_views
from relu_viz.ui.entry import require_navigation

require_navigation()

VERDICT_BADGES = {
    "holds": ("Holds", "green", ":material/check_circle:"),
    "fails": ("Fails", "red", ":material/cancel:"),
    "depends": ("Depends", "orange", ":material/help:"),
}

st.title("Claims versus evidence")
st.caption(
    "Statements about ReLU that you meet in articles and lecture notes, each with a verdict, the reason, "
    "and a link that opens a demonstration in this app."
)

for item in lessons.CLAIMS:
    with st.container(border=True):
        st.markdown(f"#### “{item.claim}”")
        text, colour, icon = VERDICT_BADGES[item.verdict]
        st.badge(text, color=colour, icon=icon)
        st.markdown(item.explanation)
        st.page_link(
            item.link.path,
            label=item.evidence,
            icon=":material/science:",
            query_params=item.link.query_params(),
        )
        if item.id in evidence_views.PANELS:
            evidence_views.PANELS[item.id]()
