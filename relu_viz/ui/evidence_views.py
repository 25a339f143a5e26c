"""The claims page's parts: the index by group, and one card per claim with its measured verdict.

The claims' demos (:func:`relu_viz.evidence.measure_all`) take no input from the user: they run once,
all together, in the helper process (:mod:`relu_viz.compute`, about 3.5 s), shared by every session and
cached there, so no link can make them run again and no visitor's page waits on the server for them.
Until they are done each card shows its statement and explanation, and the page a progress bar.
"""

from __future__ import annotations

import streamlit as st

from relu_viz import claims, evidence
from relu_viz.ui import background

VERDICT_BADGES = {
    "holds": ("Holds", "green", ":material/check_circle:"),
    "fails": ("Fails", "red", ":material/cancel:"),
    "depends": ("Depends", "orange", ":material/help:"),
}
VERDICT_MARKS = {"holds": ":green[**✓**]", "fails": ":red[**✗**]", "depends": ":orange[**~**]"}


def measured() -> dict[str, evidence.Evidence] | None:
    """Every claim's evidence by id, or None (after a progress bar) while the demos run."""
    return background.follow("claims", "claims", "Measuring the claims", shared=True)


def index() -> None:
    """The groups in two columns, each claim on its own line under its group with its verdict mark, as a
    link to its card."""
    columns = st.columns(2)
    groups = list(zip(claims.GROUPS, claims.grouped(), strict=True))
    half = (len(claims.CLAIMS) + 1) // 2
    placed = 0
    for key, (title, items) in groups:
        column = columns[0] if placed + len(items) <= half else columns[1]
        placed += len(items)
        lines = [f"**[{title}](#{key})**"]
        lines += [f"- {VERDICT_MARKS[item.verdict]} [{item.claim}](#{item.id})" for item in items]
        column.markdown("\n".join(lines))
    st.caption("✓ holds · ✗ fails · ~ depends. Each verdict is computed from the measurement shown with it.")


def card(item: claims.Claim, found: evidence.Evidence | None) -> None:
    """A claim: the statement, the verdict its measurement gives (``found``; None while measuring), why,
    the numbers, and the demo link."""
    with st.container(border=True):
        st.subheader(f"“{item.claim}”", anchor=item.id)
        if found is None:
            st.caption("Measuring…")
        else:
            text, colour, icon = VERDICT_BADGES[found.verdict]
            st.badge(text, color=colour, icon=icon)
            if found.verdict != item.verdict:
                st.warning(
                    f"On this server the measurement gives “{text}”, while the verdict our tests measured "
                    f"is “{VERDICT_BADGES[item.verdict][0]}”: the timing on a busy machine may differ.",
                    icon=":material/warning:",
                )
        st.markdown(item.explanation)
        if found is not None:
            st.markdown(f"**Measured:** {found.finding}")
            with st.expander("The numbers and how they were measured"):
                st.dataframe(
                    {"measured": [f.label for f in found.facts], "value": [f.text for f in found.facts]},
                    hide_index=True,
                    width="stretch",
                )
                st.caption(found.setup)
        st.page_link(
            item.link.path,
            label=item.evidence,
            icon=":material/science:",
            query_params=item.link.query_params(),
        )
