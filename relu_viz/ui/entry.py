"""Make sure a page always runs inside app.py's navigation, even on a deep link to a cold server.

Streamlit keeps a legacy mode for apps with a ``pages/`` folder: until some session has called
``st.navigation``, the first request for ``/trainer`` runs ``pages/trainer.py`` on its own (no page
config, a sidebar listing the raw files). A teacher's link opened right after the server (re)starts
is exactly that request, so each page calls :func:`require_navigation` first: in legacy mode it
switches the legacy mode off and reruns, and the rerun goes through app.py to the same page.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_navigation() -> None:
    """Rerun through app.py if this page script was started without it (legacy pages/ mode)."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
