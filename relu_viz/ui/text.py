"""The one place user text is made safe to show: file names, class names, typed formulas, link values.

Streamlit renders Markdown (links, images, bold, ``$`` LaTeX, ``:color[...]``) in captions, alerts,
toasts, radio options and widget labels; plotly renders a subset of HTML (``<a>``, ``<b>``, ``<br>``)
and, with MathJax, ``$...$`` in titles, legends and hover labels. Text from a user (an uploaded file's
name and labels, a typed formula, a link's query value) goes through this module before either sees it:

- :func:`plain` for anything Streamlit renders as Markdown;
- :func:`plotly_safe` for any plotly text (trace names, titles, axis titles, hover text);
- :func:`formula` for a typed formula: its normalised form, rebuilt from the parsed tree (so nothing
  the parser ignored, such as spacing, reaches the page), then one of the two above.

Selectbox, multiselect and select-slider options, ``st.code``, ``st.dataframe`` cells and downloads
show text literally and need nothing. A CSV written for a spreadsheet is neutralised by the engine
(:func:`relu_viz.datasets.spreadsheet_safe`).
"""

from __future__ import annotations

import functools
import html
import re

from relu_viz import formula as formulas

# Every ASCII punctuation character that starts Markdown in Streamlit gets a backslash (CommonMark allows
# one before any of them): emphasis * _ ~, code `, links and images ! [ ] ( ), HTML < >, entities &,
# autolinks : . @, LaTeX $, directives and emoji : [ ], headings, lists and tables # + - . | { }.
# Commas, quotes, slashes and the like stay as typed, so messages read normally in tests and logs.
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&@])")
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
# GitHub-flavoured Markdown also turns bare web and mail addresses into links, after escapes are read
# (https\://x\.y is still linked), so an invisible WORD JOINER goes where those patterns need two
# characters side by side: between "https:" and "//", "www" and ".", and before "@".
_JOINER = "\u2060"
_AUTOLINKS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def plain(text: object) -> str:
    """``text`` escaped so st.markdown, st.caption, st.error, st.toast, radio options and widget labels show
    it literally: Markdown's punctuation backslash-escaped, line breaks and other control characters
    turned into a space (a label stays on one line; no heading, list or code block starts), and web or
    mail addresses broken up invisibly so they are not made into links."""
    unlinked = _AUTOLINKS.sub(_JOINER, _LINE_BREAKS.sub(" ", str(text)))
    return _PUNCTUATION.sub(r"\\\1", unlinked)


def plotly_safe(text: object) -> str:
    """``text`` for a plotly label: HTML-escaped (plotly draws <a>, <b>, <br>, ...), and ``$`` written as
    an entity, so a name such as ``$x$`` is never handed to MathJax."""
    return html.escape(_LINE_BREAKS.sub(" ", str(text)), quote=True).replace("$", "&#36;")


@functools.lru_cache(maxsize=256)
def formula(text: str) -> str:
    """A typed formula as the parser read it (``max(0, x) + 0.1 * sin(x)``), rebuilt from its syntax tree;
    text that does not parse comes back unchanged. Plain text: still pass it through :func:`plain` or
    :func:`plotly_safe`."""
    try:
        return formulas.normal_form(text)
    except formulas.FormulaError:
        return str(text)
