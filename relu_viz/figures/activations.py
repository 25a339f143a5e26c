"""Figures for the activation gallery: f and f' with kink markers, overlays, small multiples, vanishing
gradients through depth, and measured cost. Arrays in, ``go.Figure`` out; no maths here.

Curves may contain NaN: a line stops there (the engine inserts NaN where a function jumps, so plotly
draws no false vertical segment across a kink). Labels passed in are shown as given: callers escape text
a user typed (plotly renders a subset of HTML in titles and legends).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

__all__ = [
    "cost_figure",
    "function_figure",
    "gradient_flow_figure",
    "overlay_figure",
    "small_multiples_figure",
]

F_COLOUR = "#1f77b4"
DF_COLOUR = "#d62728"
D2F_COLOUR = "#2ca02c"
KINK_COLOUR = "#444444"
PALETTE = qualitative.D3 + qualitative.Set2
FONT = {"size": 15}  # readable from the back of a lecture room


def _fmt(v: float) -> str:
    return f"{v:.4g}".replace("-", "−")


def _two_rows(title: str, height: int, df_title: str = "f′(x) (slope)") -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.07, row_heights=[0.55, 0.45])
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        font=FONT,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "right", "x": 1.0},
        hovermode="x unified",
    )
    fig.update_yaxes(title_text="f(x) (output)", zeroline=True, zerolinewidth=1, row=1, col=1)
    fig.update_yaxes(title_text=df_title, zeroline=True, zerolinewidth=1, row=2, col=1)
    fig.update_xaxes(zeroline=True, zerolinewidth=1)
    fig.update_xaxes(title_text="x (input)", row=2, col=1)
    return fig


def function_figure(
    x: np.ndarray,
    f: np.ndarray,
    df: np.ndarray,
    d2f: np.ndarray | None = None,
    kinks: Sequence[tuple[float, float]] = (),
    title: str = "",
    height: int = 520,
) -> go.Figure:
    """f (top) and its autograd derivative f′ (bottom, with f″ dotted if given) against x.

    ``kinks`` lists (x0, f′(x0)) with f′(x0) the value autograd returns exactly at the kink; each gets a
    dotted vertical line through both panels and a marker on f′ labelled "autograd f′(x0) = v".
    """
    fig = _two_rows(title, height, "f′(x), f″(x)" if d2f is not None else "f′(x) (slope)")
    fig.add_trace(go.Scatter(x=x, y=f, mode="lines", name="f(x)", line={"width": 3, "color": F_COLOUR}), 1, 1)
    fig.add_trace(
        go.Scatter(x=x, y=df, mode="lines", name="f′(x) autograd", line={"width": 3, "color": DF_COLOUR}),
        2,
        1,
    )
    if d2f is not None:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=d2f,
                mode="lines",
                name="f″(x) autograd",
                line={"width": 2, "dash": "dot", "color": D2F_COLOUR},
            ),
            2,
            1,
        )
    if kinks:
        kx = np.array([k[0] for k in kinks], dtype=float)
        ky = np.array([k[1] for k in kinks], dtype=float)
        labels = [f"autograd f′({_fmt(a)}) = {_fmt(b)}" for a, b in kinks]
        fig.add_trace(
            go.Scatter(
                x=kx,
                y=ky,
                mode="markers",
                name="value at kink",
                marker={
                    "size": 13,
                    "color": KINK_COLOUR,
                    "symbol": "circle",
                    "line": {"width": 2, "color": "white"},
                },
                hovertext=labels,
                hoverinfo="text",
            ),
            2,
            1,
        )
        for i, (x0, label) in enumerate(zip(kx, labels, strict=True)):
            fig.add_vline(
                x=float(x0), line={"dash": "dot", "color": KINK_COLOUR, "width": 1}, row="all", col=1
            )
            # Alternate the label above and below so two nearby kinks (±λ) do not overprint.
            fig.add_annotation(
                x=float(x0),
                y=float(ky[i]),
                text=label,
                showarrow=True,
                arrowhead=2,
                ax=40 if i % 2 == 0 else -40,
                ay=-40 if i % 2 == 0 else 40,
                bgcolor="rgba(255,255,255,0.85)",
                font={"size": 14},
                row=2,
                col=1,
            )
    return fig


Curves = Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # label -> (x, f(x), f′(x))


def overlay_figure(curves: Curves, title: str = "Compare activations", height: int = 560) -> go.Figure:
    """Several functions on shared axes: f on top, f′ below, one colour per function.

    ``curves`` maps a label to (x, f, f′); each function may have its own x samples.
    """
    fig = _two_rows(title, height)
    for i, (label, (x, f, df)) in enumerate(curves.items()):
        colour = PALETTE[i % len(PALETTE)]
        line = {"width": 3, "color": colour}
        fig.add_trace(go.Scatter(x=x, y=f, mode="lines", name=label, legendgroup=label, line=line), 1, 1)
        fig.add_trace(
            go.Scatter(x=x, y=df, mode="lines", name=label, legendgroup=label, showlegend=False, line=line),
            2,
            1,
        )
    fig.update_layout(legend={"orientation": "v", "y": 1.0, "x": 1.02, "xanchor": "left", "yanchor": "top"})
    return fig


def small_multiples_figure(
    curves: Curves,
    cols: int = 6,
    cell_height: int = 170,
    y_limits: tuple[float, float] | None = None,
) -> go.Figure:
    """One small panel per function (label -> (x, f, f′)): f solid, f′ dashed.

    Each cell scales its own y-axis (sigmoid's (0, 1) would vanish next to ReLU's [0, 8]) unless
    ``y_limits`` fixes one range for all; curves leaving it are cut.
    """
    labels = list(curves)
    rows = max(1, -(-len(labels) // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=labels,
        shared_xaxes=True,
        vertical_spacing=0.25 / rows,
        horizontal_spacing=0.045,
    )
    for i, label in enumerate(labels):
        x, f, df = curves[label]
        r, c = i // cols + 1, i % cols + 1
        # No legend: the title says which line is which, and 52 entries would bury the cells.
        fig.add_trace(go.Scatter(x=x, y=f, mode="lines", name=f"{label}: f", line={"color": F_COLOUR}), r, c)
        df_line = {"color": DF_COLOUR, "dash": "dash"}
        fig.add_trace(go.Scatter(x=x, y=df, mode="lines", name=f"{label}: f′", line=df_line), r, c)
    fig.update_yaxes(zeroline=True, nticks=4)
    if y_limits is not None:
        fig.update_yaxes(range=list(y_limits))
    fig.update_xaxes(zeroline=True)
    fig.update_layout(
        height=rows * cell_height + 80,
        margin={"l": 40, "r": 10, "t": 60, "b": 30},
        font={"size": 12},
        showlegend=False,
        title={"text": "All activations: f (solid blue) and autograd f′ (dashed red)", "x": 0.01},
        hovermode="closest",
    )
    fig.update_annotations(font={"size": 13})
    return fig


def gradient_flow_figure(
    depths: np.ndarray,
    ratios_by_name: Mapping[str, np.ndarray],
    title: str = "Gradient reaching the first layer, relative to the last layer",
    height: int = 480,
) -> go.Figure:
    """Ratio ||∂L/∂W₁|| / ||∂L/∂W_last|| against depth on a log axis, one line per activation.

    Zero or NaN ratios cannot sit on a log axis; they leave gaps and the legend says "no gradient".
    """
    fig = go.Figure()
    for i, (label, ratios) in enumerate(ratios_by_name.items()):
        r = np.asarray(ratios, dtype=float)
        shown = np.where(np.isfinite(r) & (r > 0), r, np.nan)
        name = label if np.isfinite(shown).any() else f"{label} (no gradient reaches layer 1)"
        fig.add_trace(
            go.Scatter(
                x=depths,
                y=shown,
                mode="lines+markers",
                name=name,
                line={"width": 3, "color": PALETTE[i % len(PALETTE)]},
                marker={"size": 6},
            )
        )
    fig.add_hline(y=1.0, line={"dash": "dot", "color": KINK_COLOUR}, annotation_text="no loss, no gain")
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=height,
        margin={"l": 70, "r": 20, "t": 50, "b": 50},
        font=FONT,
        xaxis_title="depth (number of hidden layers)",
        yaxis_title="gradient ratio ‖∂L/∂W₁‖ / ‖∂L/∂W_last‖",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "right", "x": 1.0},
    )
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def cost_figure(
    relative: Mapping[str, float],
    seconds_per_million: Mapping[str, float],
    title: str = "Forward + backward time per element, relative to ReLU",
    height: int | None = None,
) -> go.Figure:
    """Horizontal bars of measured cost relative to ReLU (label -> ratio), cheapest on top.

    Hovering a bar shows the absolute time in milliseconds per million elements.
    """
    labels = sorted(relative, key=lambda k: relative[k], reverse=True)
    ratio = np.array([relative[k] for k in labels], dtype=float)
    ms = np.array([seconds_per_million[k] * 1e3 for k in labels], dtype=float)
    fig = go.Figure(
        go.Bar(
            x=ratio,
            y=labels,
            orientation="h",
            marker={"color": F_COLOUR},
            text=[f"{v:.2f}×" for v in ratio],
            textposition="outside",
            customdata=ms,
            hovertemplate="%{y}: %{x:.2f}× ReLU, %{customdata:.2f} ms per million elements<extra></extra>",
        )
    )
    fig.add_vline(
        x=1.0,
        line={"dash": "dot", "color": DF_COLOUR},
        annotation_text="ReLU = 1",
        annotation_position="bottom right",
    )
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=height or 120 + 26 * len(labels),
        margin={"l": 150, "r": 60, "t": 50, "b": 50},
        font=FONT,
        xaxis_title="time relative to ReLU (forward + backward, float32)",
        yaxis_title=None,
    )
    return fig
