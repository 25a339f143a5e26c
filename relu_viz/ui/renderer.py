"""The browser renderer, a Streamlit component (``st.components.v2``): the browser draws, the server streams.

The JavaScript is plain ES modules in ``relu_viz/js`` (no npm build, nothing from a CDN), bundled into
one module string at import (:func:`relu_viz.js.bundle`). Streamlit calls its default export with the
element's ``data`` whenever the server sends new data for the element; the views keep their canvases
at module scope, so an update redraws in place.

Two components. Streamlit 1.67 puts a component's whole JavaScript and CSS into every message that
shows or updates it (93 KB here), so the renderer itself (:func:`show`) goes once per page or panel run
with the run's set-up, and every live frame after it goes through a 0.2 KB stub component
(:func:`stream`, :data:`STUB_JS`) that hands its data to the renderer's module (``window.__reluVizFrame``,
see main.js). A frame is then its data alone, 1 to 4 KB.

Streaming: a live panel re-sends the stub, with the same key, into the same ``st.empty()`` slot for
every frame of one long fragment run (see :func:`relu_viz.ui.live.live_fragment`). The same key keeps
the same element id, so the browser updates the element instead of remounting it. Streamlit refuses a
key used twice in one script run (``StreamlitDuplicateElementKey``), so :func:`stream` first forgets
the key's registration in this run: Streamlit's private ``ThreadSafeSet`` internals, pinned with
streamlit==1.67.0 and exercised by the browser tests.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from relu_viz import js

MODULES = ("forward.js", "partition.js", "contour.js", "palette.js", "plot.js", "trainer_view.js")
MODULES += ("monitor_view.js", "fit_view.js", "main.js")
NAME = "relu_viz.renderer"

_component = st.components.v2.component(
    NAME,
    js=js.bundle(MODULES),
    css=(js.JS_DIR / "renderer.css").read_text(encoding="utf-8"),
)
# Until the renderer's module has loaded, frames wait in a one-slot queue (the newest wins).
STUB_JS = (
    "export default function ({ data }) { if (window.__reluVizFrame) window.__reluVizFrame(data); "
    "else window.__reluVizPending = data; }"
)
_stub = st.components.v2.component(f"{NAME}.frames", js=STUB_JS)


def _forget(key: str) -> None:
    """Drop ``key`` and the ids built from it (the element's, ``...-<key>``, and its trigger's,
    ``...-<key>__events``) from this script run's registry of ids."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    for registry in (ctx.shared.widget_ids_this_run, ctx.shared.widget_user_keys_this_run):
        with registry._lock:
            registry._data = {v for v in registry._data if v != key and f"-{key}" not in v}


def show(slot, key: str, data: dict) -> None:
    """Show the renderer with ``data`` (a set-up payload: everything it needs to draw) in ``slot``, an
    ``st.empty()``."""
    with slot:
        _component(key=key, data=data)


def stream(slot, key: str, data: dict) -> None:
    """Send one frame (``data`` names the renderer element it is for: ``id``) through the stub in
    ``slot``, replacing the last frame sent there in this run (same key, so the browser updates the
    element in place instead of remounting it)."""
    _forget(key)
    with slot:
        _stub(key=key, data=data, height=0)
