"""Small general-purpose figures shared by several pages."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def panel_title(text: str, x: float, y: float = 1.0, *, size: int = 13, bold: bool = True) -> dict:
    """A subplot's title as a paper-coordinate annotation, left-aligned just above ``(x, y)``.

    Figures redrawn live lay their panels out by hand (``make_subplots`` costs ~40 ms a call), so they
    title them with this instead of subplot titles.
    """
    return {
        "text": f"<b>{text}</b>" if bold else text,
        "x": x,
        "y": y,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": size},
    }


def curve_figure(
    x: np.ndarray,
    y: np.ndarray,
    *,
    title: str,
    x_title: str = "x (input)",
    y_title: str = "f(x) (output)",
    points: tuple[np.ndarray, np.ndarray] | None = None,
    height: int = 300,
) -> go.Figure:
    """One curve y(x), optionally with highlighted sample points (e.g. the input/output table)."""
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", line={"width": 3}, name=title))
    if points is not None:
        px, py = points
        fig.add_trace(
            go.Scatter(
                x=px,
                y=py,
                mode="markers+text",
                marker={"size": 10},
                text=[f"({a:g}, {b:g})" for a, b in zip(px, py, strict=True)],
                textposition="top center",
                name="table",
            )
        )
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        showlegend=False,
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    pad = 0.08 * float(np.ptp(x)) if len(x) else 0.0  # room for the point labels at the ends
    fig.update_xaxes(zeroline=True, zerolinewidth=1, range=[float(np.min(x)) - pad, float(np.max(x)) + pad])
    fig.update_yaxes(
        zeroline=True, zerolinewidth=1, range=[float(np.min(y)) - 0.6, float(np.max(y)) * 1.15 + 0.6]
    )
    return fig
