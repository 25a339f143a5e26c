"""Figures of the dead-neuron monitor: the layer x unit grid with its dead-fraction curves, losses,
pre-activation histograms, the learning-rate x bias phase diagram, and the survival theory.

Arrays in, ``go.Figure`` out, each built in one ``go.Figure(data=[...], layout={...})`` call (plotly's
add_trace / update_* / make_subplots cost 20–40 ms each, and the first three are redrawn live).
Panels sharing a figure are laid out by hand with axis domains. Titles passed in are shown as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from relu_viz.figures.basic import panel_title

DEAD_COLOUR = "#c0392b"  # stark red: a dead unit must be unmistakable
ALIVE_SCALE = [[0.0, "#f4f6f8"], [1.0, "#08306b"]]  # how often a unit fires: light grey to deep blue
LAYER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
RUN_COLOURS = {"relu": "#0877bd", "variant": "#f59322"}
DIVERGED_COLOUR = "#9e9e9e"
NEGATIVE_COLOUR = "#e67e22"
FONT = {"size": 13}


def _cells(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit numbers, layer numbers), 1-based, of the True cells of a (L, W) mask."""
    layer, unit = np.nonzero(mask)
    return (unit + 1).astype(float), (layer + 1).astype(float)


def _hover(positive: np.ndarray, active: np.ndarray, dead: np.ndarray, cut_off: np.ndarray) -> np.ndarray:
    """One hover line per cell: firing share, learning share, and its state."""
    text = np.empty(positive.shape, dtype=object)
    for (i, j), p in np.ndenumerate(positive):
        if np.isnan(p):
            text[i, j] = ""
            continue
        state = "DEAD" if dead[i, j] else "cut off (no gradient reaches it)" if cut_off[i, j] else "alive"
        text[i, j] = (
            f"layer {i + 1}, unit {j + 1}: {state}<br>z > 0 on {100 * p:.1f}% of inputs<br>"
            f"f′(z) ≠ 0 on {100 * active[i, j]:.1f}%"
        )
    return text


class RunView(NamedTuple):
    """One run's arrays for :func:`monitor_figure`.

    Grid (L, W): ``positive`` = share of training inputs with z > 0 (nan for padding), ``active`` =
    share with f'(z) != 0, and bool masks ``dead``, ``cut_off`` (alive but no gradient reaches it),
    ``negative_alive`` (z <= 0 on every input, yet f' != 0 there). Curves over ``steps`` (T,):
    ``layer_dead`` (T, L), ``no_gradient`` (T,) share of all units dead or cut off, ``negative`` (T,)
    share in the negative regime or None.
    """

    title: str
    positive: np.ndarray
    active: np.ndarray
    dead: np.ndarray
    cut_off: np.ndarray
    negative_alive: np.ndarray
    steps: np.ndarray
    layer_dead: np.ndarray
    no_gradient: np.ndarray
    negative: np.ndarray | None


def _axis(kind: str, n: int) -> str:
    """Plotly axis name of number n (1-based): "x", "x2", ... (as a trace reference) ."""
    return kind if n == 1 else f"{kind}{n}"


def _run_traces(run: RunView, grid_axes: int, curve_axes: int, first: bool) -> list[dict]:
    """The grid's heatmaps and markers on axes ``grid_axes``, the curves on ``curve_axes``."""
    gx, gy = _axis("x", grid_axes), _axis("y", grid_axes)
    cx_, cy_ = _axis("x", curve_axes), _axis("y", curve_axes)
    n_layers, width = run.positive.shape
    units = np.arange(1, width + 1, dtype=float)
    layers = np.arange(1, n_layers + 1, dtype=float)
    mode = "lines" if len(run.steps) > 1 else "markers"  # a single observation is a dot, not an empty line
    data: list[dict] = [
        {
            "type": "heatmap",
            "x": units,
            "y": layers,
            "z": np.where(run.dead, np.nan, run.positive),
            "coloraxis": "coloraxis",
            "xgap": 2,
            "ygap": 2,
            "text": _hover(run.positive, run.active, run.dead, run.cut_off),
            "hoverinfo": "text",
            "xaxis": gx,
            "yaxis": gy,
        },
        {
            "type": "heatmap",
            "x": units,
            "y": layers,
            "z": np.where(run.dead, 1.0, np.nan),
            "zmin": 0.0,
            "zmax": 1.0,
            "colorscale": [[0.0, DEAD_COLOUR], [1.0, DEAD_COLOUR]],
            "showscale": False,
            "xgap": 2,
            "ygap": 2,
            "hoverinfo": "skip",
            "xaxis": gx,
            "yaxis": gy,
        },
    ]
    # One marker trace for all three states (a trace costs more than a longer array): per point
    # symbol and colour. The symbols are line-drawn, so the colour goes on the marker's line too.
    xs, ys, symbols, colours = [], [], [], []
    for mask, symbol, colour in (
        (run.dead, "x-thin", "white"),
        (run.cut_off, "circle-open", DEAD_COLOUR),
        (run.negative_alive, "line-ew", NEGATIVE_COLOUR),
    ):
        x, y = _cells(mask)
        xs.append(x)
        ys.append(y)
        symbols.append(np.full(x.size, symbol, dtype=object))
        colours.append(np.full(x.size, colour, dtype=object))
    colour = np.concatenate(colours)
    data.append(
        {
            "type": "scatter",
            "x": np.concatenate(xs),
            "y": np.concatenate(ys),
            "mode": "markers",
            "marker": {
                "symbol": np.concatenate(symbols),
                "size": 11,
                "color": colour,
                "line": {"width": 2.5, "color": colour},
            },
            "name": "unit state",
            "showlegend": False,
            "hoverinfo": "skip",
            "xaxis": gx,
            "yaxis": gy,
        }
    )
    curves = [
        (
            run.layer_dead[:, layer],
            f"layer {layer + 1} dead",
            LAYER_COLOURS[layer % len(LAYER_COLOURS)],
            "solid",
        )
        for layer in range(run.layer_dead.shape[1] if run.layer_dead.ndim == 2 else 0)
    ]
    curves.append((run.no_gradient, "no gradient, all layers", "black", "dash"))
    if run.negative is not None:
        curves.append((run.negative, "z ≤ 0 everywhere, all layers", NEGATIVE_COLOUR, "dot"))
    for y, name, colour, dash in curves:
        data.append(
            {
                "type": "scatter",
                "x": run.steps,
                "y": y,
                "mode": mode,
                "line": {"color": colour, "width": 2, "dash": dash},
                "marker": {"color": colour},
                "name": name,
                "legendgroup": name,
                # one legend entry per curve kind, shown by the first run that has it
                "showlegend": first or name.startswith("z ≤ 0"),
                "xaxis": cx_,
                "yaxis": cy_,
            }
        )
    return data


def monitor_figure(runs: Sequence[RunView], *, height: int = 430) -> go.Figure:
    """The monitor's main live picture, the runs side by side: on top of each, its layer x unit grid
    (colour = share of inputs with z > 0; dead cells solid red with a white ✕; a ring = cut off; a bar
    = z <= 0 on every input but still learning); under it, the dead share per layer over steps."""
    n_runs = max(len(runs), 1)
    n_layers = max((r.positive.shape[0] for r in runs), default=1)
    grid_px = 40 + 34 * max(n_layers, 1)
    split = 1.0 - min(0.5, grid_px / height)  # the grids get their rows' height, the curves the rest
    plot_right = 0.86  # room for the shared legend and colour bar on the right
    gap = 0.04
    span = (plot_right - gap * (n_runs - 1)) / n_runs
    data: list[dict] = []
    layout: dict = {
        "height": height,
        "margin": {"l": 55, "r": 5, "t": 28, "b": 34},
        "font": FONT,
        "uirevision": "monitor",
        "coloraxis": {
            "cmin": 0.0,
            "cmax": 1.0,
            "colorscale": ALIVE_SCALE,
            "colorbar": {
                "title": {"text": "z > 0", "side": "right"},
                "len": 1.0 - split,
                "y": 1.0,
                "yanchor": "top",
                "x": 0.88,
                "thickness": 10,
                "tickformat": ".0%",
            },
        },
        "legend": {"x": 0.88, "xanchor": "left", "y": split - 0.06, "yanchor": "top", "font": {"size": 11}},
        "annotations": [],
    }
    for k, run in enumerate(runs):
        lo = k * (span + gap)
        grid_n, curve_n = 2 * k + 1, 2 * k + 2
        data += _run_traces(run, grid_n, curve_n, first=k == 0)
        n, width = run.positive.shape
        layout[_axis("xaxis", grid_n)] = {
            "domain": [lo, lo + span],
            "anchor": _axis("y", grid_n),
            "range": [0.5, width + 0.5],
            "dtick": 1 if width <= 16 else 4,
            "showgrid": False,
            "zeroline": False,
            "title": {"text": "unit", "standoff": 0, "font": {"size": 11}},
        }
        layout[_axis("yaxis", grid_n)] = {
            "domain": [split + 0.07, 1.0 - 24.0 / height],
            "anchor": _axis("x", grid_n),
            "range": [n + 0.5, 0.5],
            "tickvals": np.arange(1, n + 1, dtype=float),
            "ticktext": np.array([f"layer {i}" for i in range(1, n + 1)], dtype=object),
            "showticklabels": k == 0,  # the runs share their rows: label them once, on the left
            "showgrid": False,
            "zeroline": False,
        }
        layout[_axis("xaxis", curve_n)] = {
            "domain": [lo, lo + span],
            "anchor": _axis("y", curve_n),
            "rangemode": "tozero",
            "title": {"text": "step", "standoff": 0, "font": {"size": 11}},
        }
        layout[_axis("yaxis", curve_n)] = {
            "domain": [0.0, split - 0.05],
            "anchor": _axis("x", curve_n),
            "range": [-0.02, 1.02],
            "tickformat": ".0%",
            "title": {"text": "dead share" if k == 0 else ""},
        }
        layout["annotations"].append(panel_title(run.title, lo, size=14))
    return go.Figure(data=data, layout=layout)


def secondary_figure(
    losses: Sequence[tuple[str, np.ndarray, np.ndarray, str]],
    histograms: Sequence[tuple[str, np.ndarray, np.ndarray]],
    *,
    height: int = 270,
) -> go.Figure:
    """Three panels side by side: the training loss of each run against step (log scale; ``losses`` of
    (name, steps, loss, colour)); then each run's pre-activation histograms, one line per hidden layer
    (``histograms`` of (title, edges (bins + 1,), shares (L, bins)) = share of the layer's values per
    bin). The negative side, where ReLU outputs 0 and passes no gradient, is shaded: a layer sliding
    into it is a layer dying."""
    n_panels = 1 + len(histograms)
    gap = 0.06
    span = (1.0 - gap * (n_panels - 1)) / n_panels
    data: list[dict] = []
    for name, steps, loss, colour in losses:
        keep = np.isfinite(loss)
        data.append(
            {
                "type": "scatter",
                "x": steps[keep],
                "y": loss[keep],
                "mode": "lines",
                "name": name,
                "line": {"color": colour, "width": 2},
                "legendgroup": "loss",
            }
        )
    layout: dict = {
        "height": height,
        "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        "font": FONT,
        "uirevision": "secondary",
        "legend": {"orientation": "h", "x": 0.0, "y": -0.22, "yanchor": "top", "font": {"size": 11}},
        "xaxis": {"domain": [0.0, span], "anchor": "y", "title": {"text": "step", "standoff": 2}},
        "yaxis": {"type": "log", "anchor": "x", "title": {"text": "loss"}},
        "annotations": [panel_title("Training loss (cross-entropy)", 0.0)],
        "shapes": [],
    }
    for k, (title, edges, shares) in enumerate(histograms):
        n = k + 2
        lo = (k + 1) * (span + gap)
        xa, ya = _axis("x", n), _axis("y", n)
        centres = 0.5 * (edges[:-1] + edges[1:])
        for layer in range(shares.shape[0]):
            data.append(
                {
                    "type": "scatter",
                    "x": centres,
                    "y": shares[layer],
                    "mode": "lines",
                    "line": {"shape": "hvh", "width": 2, "color": LAYER_COLOURS[layer % len(LAYER_COLOURS)]},
                    "name": f"layer {layer + 1}",
                    "legendgroup": f"layer {layer + 1}",
                    "showlegend": k == 0,
                    "xaxis": xa,
                    "yaxis": ya,
                }
            )
        layout[_axis("xaxis", n)] = {
            "domain": [lo, lo + span],
            "anchor": ya,
            "range": [float(edges[0]), float(edges[-1])],
            "title": {"text": "pre-activation z", "standoff": 2},
        }
        layout[_axis("yaxis", n)] = {"anchor": xa, "tickformat": ".0%", "rangemode": "tozero"}
        layout["annotations"].append(panel_title(title, lo))
        layout["shapes"] += [
            {
                "type": "rect",
                "xref": xa,
                "yref": "paper",
                "x0": float(edges[0]),
                "x1": 0.0,
                "y0": 0.0,
                "y1": 1.0,
                "fillcolor": DEAD_COLOUR,
                "opacity": 0.08,
                "line": {"width": 0},
                "layer": "below",
            },
            {
                "type": "line",
                "xref": xa,
                "yref": "paper",
                "x0": 0.0,
                "x1": 0.0,
                "y0": 0.0,
                "y1": 1.0,
                "line": {"color": "#555", "width": 1},
            },
        ]
    return go.Figure(data=data, layout=layout)


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
