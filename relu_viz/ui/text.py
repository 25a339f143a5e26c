"""Showing untrusted text (file names, labels, error messages quoting a file) as plain text."""

from __future__ import annotations

import html
import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def plain(text: str) -> str:
    """Escape Markdown so st.markdown / st.error show ``text`` literally (no links, images, HTML, LaTeX)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def plotly_safe(text: str) -> str:
    """Escape the HTML subset plotly renders in legends and hover labels (<a>, <b>, <br>, ...)."""
    return html.escape(str(text), quote=True)
