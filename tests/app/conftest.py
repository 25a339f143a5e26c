"""AppTest helpers: open a page script by name, optionally with URL query parameters."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_page(name: str, timeout: float = 120, **query: str) -> AppTest:
    """Run ``pages/<name>.py`` as a link with ``query`` would open it; return the AppTest.

    The home page runs through app.py because its page links need st.navigation's page list. The other
    pages run on their own: AppTest loses button clicks on a page reached through ``switch_page``.
    """
    script = ROOT / "app.py" if name == "home" else ROOT / "pages" / f"{name}.py"
    at = AppTest.from_file(str(script), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at


def settle(at: AppTest, timeout: float = 180.0) -> AppTest:
    """Wait for the computations the page handed to the helper process (relu_viz.ui.background), then
    run the page again, until it waits for none: what a browser sees once its progress bars are gone."""
    end = time.monotonic() + timeout
    while True:
        # (AppTest's session state has no .get)
        waiting = at.session_state["background_waiting"] if "background_waiting" in at.session_state else {}  # noqa: SIM401
        pending = [job for job in waiting.values() if job.pending]
        if not pending:
            return at
        for job in pending:
            if not job.wait(max(0.0, end - time.monotonic())):
                raise AssertionError(f"{job.task} still {job.state} after {timeout:.0f} s")
        at.run()


def chart_data(at: AppTest) -> list[list[dict]]:
    """The plotly traces of every chart on the page (AppTest does not render plotly, but keeps its JSON)."""
    return [json.loads(el.proto.spec)["data"] for el in at.get("plotly_chart")]


def renderer_data(at: AppTest) -> list[dict]:
    """The data of every browser-renderer element on the page (relu_viz.ui.renderer): what the browser
    draws from (AppTest runs no JavaScript, but keeps the element's JSON)."""
    return [json.loads(el.proto.json) for el in at.get("bidi_component")]


@pytest.fixture
def page():
    return open_page
