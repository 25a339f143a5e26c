"""Page-wide look: tighter top padding so each page's main chart sits above the fold on a projector."""

from __future__ import annotations

import streamlit as st

# Static CSS written by us (no user text ever reaches it): Streamlit's default 6rem top padding
# pushes every main chart down by a tenth of a 720-pixel-high projector screen.
_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
[data-testid="stSidebarContent"] [data-testid="stExpander"] details summary p { font-weight: 600; }
</style>
"""


def apply() -> None:
    """Inject the app's CSS once per run (call from app.py before navigation runs)."""
    st.html(_CSS)
