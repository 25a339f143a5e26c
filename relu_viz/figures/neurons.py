"""Figures of the dead-neuron monitor: the layer x unit grid with its dead-fraction curves, losses,
pre-activation histograms, the learning-rate x bias phase diagram, and the survival theory.

Arrays in, ``go.Figure`` out, each built in one ``go.Figure(data=[...], layout={...})`` call (plotly's
add_trace / update_* / make_subplots cost 20–40 ms each, and the first three are redrawn live).
Panels sharing a figure are laid out by hand with axis domains. Titles passed in are shown as given.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

DEAD_COLOUR = "#c0392b"  # stark red: a dead unit must be unmistakable
ALIVE_SCALE = [[0.0, "#f4f6f8"], [1.0, "#08306b"]]  # how often a unit fires: light grey to deep blue
LAYER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
RUN_COLOURS = {"relu": "#0877bd", "variant": "#f59322"}
DIVERGED_COLOUR = "#9e9e9e"
NEGATIVE_COLOUR = "#e67e22"
FONT = {"size": 13}


def phase_figure(
    learning_rates: np.ndarray,
    biases: np.ndarray,
    values: np.ndarray,
    diverged: np.ndarray,
    *,
    title: str,
    colour_title: str,
    percent: bool,
    here: tuple[float, float] | None = None,
    height: int = 380,
) -> go.Figure:
    """A learning rate (rows, log ladder shown as labels) x bias init (columns) heatmap of ``values``
    (R, B); ``diverged`` cells are grey with a ✕. ``here`` = (learning rate, bias) of the live runs,
    marked with a star when it is on the grid. ``percent`` formats shares as percentages."""
    rows = np.array([f"{v:g}" for v in learning_rates], dtype=object)
    cols = np.asarray(biases, dtype=float)
    finite = np.where(diverged, np.nan, values)
    fmt = ".0%" if percent else ".3g"
    cell_text = np.empty(values.shape, dtype=object)
    for (i, j), v in np.ndenumerate(values):
        cell_text[i, j] = "✕" if diverged[i, j] else (f"{v:{fmt}}" if np.isfinite(v) else "")
    div_z = np.where(diverged, 1.0, np.nan)
    data: list[dict] = [
        {
            "type": "heatmap",
            "x": cols,
            "y": rows,
            "z": finite,
            "colorscale": "Reds" if percent else "Viridis",
            "zmin": 0.0 if percent else None,
            "zmax": 1.0 if percent else None,
            "text": cell_text,
            "texttemplate": "%{text}",
            "textfont": {"size": 11},
            "hovertemplate": "learning rate %{y}<br>bias %{x}<br>" + colour_title + " %{text}<extra></extra>",
            "colorbar": {"title": {"text": colour_title}, "tickformat": ".0%" if percent else None},
            "xgap": 1,
            "ygap": 1,
        },
        {
            "type": "heatmap",
            "x": cols,
            "y": rows,
            "z": div_z,
            "colorscale": [[0.0, DIVERGED_COLOUR], [1.0, DIVERGED_COLOUR]],
            "showscale": False,
            "text": cell_text,
            "texttemplate": "%{text}",
            "hovertemplate": "learning rate %{y}<br>bias %{x}<br>diverged<extra></extra>",
            "xgap": 1,
            "ygap": 1,
        },
    ]
    if here is not None:
        lr, bias = here
        on_grid = np.isclose(learning_rates, lr).any() and np.isclose(biases, bias).any()
        if on_grid:
            data.append(
                {
                    "type": "scatter",
                    "x": np.array([bias]),
                    "y": np.array([f"{lr:g}"], dtype=object),
                    "mode": "markers",
                    "marker": {"symbol": "star-open", "size": 22, "color": "black", "line": {"width": 2}},
                    "name": "your settings",
                    "hoverinfo": "name",
                }
            )
    layout = {
        "title": {"text": title, "x": 0.01},
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 50},
        "font": FONT,
        "showlegend": False,
        "xaxis": {"title": {"text": "bias initialisation"}, "tickvals": cols},
        "yaxis": {"title": {"text": "learning rate"}, "type": "category"},
    }
    return go.Figure(data=data, layout=layout)


def survival_figure(
    depths: np.ndarray,
    formula: np.ndarray,
    estimates: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, str]],
    *,
    width: int,
    chosen_depth: int,
    height: int = 340,
) -> go.Figure:
    """Lu et al.'s (1 - 2^-N)^L against depth L for width N, with Monte-Carlo ``estimates`` as points
    with ±2 standard-error bars: a list of (name, depths, mean, standard error, colour). A dotted line
    marks the live networks' depth."""
    data: list[dict] = [
        {
            "type": "scatter",
            "x": depths,
            "y": formula,
            "mode": "lines",
            "name": f"(1 − 2^−{width})^L",
            "line": {"color": "black", "width": 2},
        }
    ]
    for name, at, mean, se, colour in estimates:
        data.append(
            {
                "type": "scatter",
                "x": at,
                "y": mean,
                "mode": "markers",
                "name": name,
                "marker": {"size": 9, "color": colour},
                "error_y": {"type": "data", "array": 2 * se, "visible": True, "color": colour},
            }
        )
    layout = {
        "title": {"text": f"Does a point survive L layers of width {width}?", "x": 0.01},
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 45},
        "font": FONT,
        "xaxis": {
            "title": {"text": "depth L (hidden layers, log scale)"},
            "type": "log",
            "range": [np.log10(0.8), np.log10(float(depths[-1]) * 1.1)],
            "tickvals": np.unique(np.concatenate([at for _, at, _, _, _ in estimates] or [depths])),
        },
        "yaxis": {"title": {"text": "P(point survives)"}, "range": [-0.02, 1.05]},
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": chosen_depth,
                "x1": chosen_depth,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "color": "#777"},
            }
        ],
        "legend": {"orientation": "h", "y": -0.25},
    }
    return go.Figure(data=data, layout=layout)
