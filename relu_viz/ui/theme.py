"""Page-wide look: tighter top padding, and the presenter view for a projector.

The presenter view (sidebar toggle, or ``?present=true`` in a link) hides what the teacher chooses
(the settings sidebar and the page titles by default), enlarges the text, and sizes the live charts so a
demo fits one 1280 x 720 screen without scrolling. All CSS here is static text written by us; no user
text ever reaches it.
"""

from __future__ import annotations

import streamlit as st

# Streamlit's default 6rem top padding pushes every main chart down by a tenth of a 720-pixel screen.
_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
[data-testid="stSidebarContent"] [data-testid="stExpander"] details summary p { font-weight: 600; }
/* the trainer's three numbers share 2/5 of the page: at 1280 px, 2.25rem cut '100.0%' to '100…' */
[data-testid="stMetricValue"] { font-size: 1.8rem; }
/* a picture drawn at its own pixel size (the live map) shrinks to a narrower column (1280 px laptop)
   instead of running under the next one */
[data-testid="stImageContainer"] { max-width: 100%; }
[data-testid="stImageContainer"] img { height: auto; }
</style>
"""

HIDEABLE = {
    "settings": '[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }',
    "titles": "",  # pages leave their title and caption out (see header)
    "toolbar": '[data-testid="stToolbar"], [data-testid="stHeader"] { display: none; }',
}
_PRESENTER_CSS = """
<style>
html { font-size: 19px; }
[data-testid="stMainBlockContainer"] { padding-top: 0.6rem; padding-bottom: 0.5rem; max-width: 100%; }
HIDE
</style>
"""


def apply() -> None:
    """Inject the app's CSS, and the presenter view's when it is on (call from app.py, before pages)."""
    st.html(_CSS)
    with st.sidebar:
        on = st.toggle(
            "Presenter view",
            key="present",
            bind="query-params",
            help="For a projector: hides what you choose below, enlarges the text and fits the demo on one "
            "1280 x 720 screen. A link with ?present=true opens in this view.",
        )
        hide = st.multiselect(
            "Hide in presenter view",
            list(HIDEABLE),
            default=["settings", "titles"],
            key="hide",
            bind="query-params",
        )
    if on:
        st.html(_PRESENTER_CSS.replace("HIDE", "\n".join(HIDEABLE[h] for h in hide)))
        if "settings" in hide:
            st.button("Exit presenter view", key="exit_present", on_click=_exit)


def _exit() -> None:
    st.session_state["present"] = False


def header(title: str, caption: str = "") -> None:
    """A page's title and one-line explanation, left out in presenter view when titles are hidden."""
    if presenting() and "titles" in st.session_state.get("hide", ["settings", "titles"]):
        return
    st.title(title)
    if caption:
        st.caption(caption)


def presenting() -> bool:
    """Whether the presenter view is on (pages size their live charts for a 720-pixel screen)."""
    return bool(st.session_state.get("present", False))
