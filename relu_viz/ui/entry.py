"""What every page does first: run inside app.py's navigation, and check the link's query parameters.

Streamlit keeps a legacy mode for apps with a ``pages/`` folder: until some session has called
``st.navigation``, the first request for ``/trainer`` runs ``pages/trainer.py`` on its own (no page
config, a sidebar listing the raw files). A teacher's link opened right after the server (re)starts
is exactly that request, so each page calls :func:`require_navigation` first: in legacy mode it
switches the legacy mode off and reruns, and the rerun goes through app.py to the same page.

Then it checks the page's URL keys (:func:`relu_viz.ui.query.validate`) before any of the page's
widgets reads them: a link such as ``/trainer?seed=inf`` must not crash the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from relu_viz.ui import query


def require_navigation(page: str | None = None) -> None:
    """Rerun through app.py if this page script was started without it (legacy pages/ mode); then
    validate the query parameters of ``page`` (by default the calling script's name: pages/trainer.py
    is "trainer")."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    query.validate(page or Path(sys._getframe(1).f_code.co_filename).stem)
