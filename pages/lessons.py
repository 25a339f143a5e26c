"""Lessons: short classroom lessons, each with one link that opens the right demo already set up."""

import streamlit as st

from relu_viz import lessons
from relu_viz.ui.entry import require_navigation

require_navigation()

st.title("Lessons")
st.caption(
    "Each lesson is a short text and one link that opens the right page with its settings preset: send "
    "the link to the class, or open it on the projector."
)

for number, item in enumerate(lessons.LESSONS, start=1):
    with st.container(border=True):
        st.subheader(f"{number}. {item.title}", anchor=item.id)
        st.markdown(f"**Look at:** {item.look}")
        st.markdown(f"**Try next:** {item.try_next}")
        st.markdown(f"**Ask the class:** {item.question}")
        st.page_link(
            item.link.path,
            label=f"Open the demo ({item.page.replace('_', ' ')})",
            icon=":material/play_circle:",
            query_params=item.link.query_params(),
        )
