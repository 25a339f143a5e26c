"""The "Fit a function" page's plotly figure: data, target, fit, kinks and hinges on one x-axis.

The live page draws the same picture in the browser (relu_viz/js/fit_view.js); this builder is the
server's copy: the click-to-add-points panel, and notebooks::

    from relu_viz import fit
    from relu_viz.figures.fit import fit_figure

    data = fit.make_data("abs", 100)
    run = fit.start(data, fit.FitSpec((4,)), TrainSettings(loss="squared_error"))
    run.trainer.run_epochs(300)
    xs = np.linspace(*data.domain, 601)
    h = fit.hinges(run.model)
    fit_figure(data.x, data.y, fit_xy=(xs, run.trainer.predict(xs)), kinks=fit.kink_count(run.model,
               data.domain).kinks, hinges=(xs, h.values(xs)), curve=data.curve).show()
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

FIT_COLOUR = "#e8710a"
TARGET_COLOUR = "#80838f"
POINT_COLOUR = "rgba(8,119,189,0.8)"
KINK_COLOUR = "#d62728"
UNIT_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def fit_figure(
    x: np.ndarray,
    y: np.ndarray,
    *,
    domain: tuple[float, float] | None = None,
    curve: tuple[np.ndarray, np.ndarray] | None = None,
    fit_xy: tuple[np.ndarray, np.ndarray] | None = None,
    kinks: np.ndarray | None = None,
    hinges: tuple[np.ndarray, np.ndarray] | None = None,
    clickable: tuple[np.ndarray, np.ndarray] | None = None,
    y_range: tuple[float, float] | None = None,
    title: str = "",
    height: int = 380,
    legend: bool = True,
) -> go.Figure:
    """Points (x, y); ``curve`` the noise-free target; ``fit_xy`` the network's output; ``kinks`` marked
    as triangles on the x-axis; ``hinges`` (xs, values (units, len(xs))) each unit's term as a thin line
    (same axes); ``clickable`` an invisible lattice (x, y) whose points can be clicked (plotly reports
    clicks only on existing points)."""
    data: list[dict] = []
    if hinges is not None:
        hx, hv = hinges
        for j, row in enumerate(np.atleast_2d(hv)):
            data.append(
                {
                    "type": "scatter",
                    "x": hx,
                    "y": row,
                    "mode": "lines",
                    "line": {"width": 1, "color": UNIT_COLOURS[j % len(UNIT_COLOURS)]},
                    "opacity": 0.7,
                    "name": f"unit {j + 1}",
                    "showlegend": j == 0,
                    "legendgroup": "units",
                    "hoverinfo": "skip",
                }
            )
    if curve is not None:
        data.append(
            {
                "type": "scatter",
                "x": curve[0],
                "y": curve[1],
                "mode": "lines",
                "line": {"width": 1.5, "dash": "dash", "color": TARGET_COLOUR},
                "name": "target",
                "hoverinfo": "skip",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "mode": "markers",
            "marker": {"size": 6, "color": POINT_COLOUR},
            "name": "points",
            "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra></extra>",
        }
    )
    if fit_xy is not None:
        data.append(
            {
                "type": "scatter",
                "x": fit_xy[0],
                "y": fit_xy[1],
                "mode": "lines",
                "line": {"width": 3, "color": FIT_COLOUR},
                "name": "fit",
                "hoverinfo": "skip",
            }
        )
    if kinks is not None and len(kinks):
        data.append(
            {
                "type": "scatter",
                "x": np.asarray(kinks, dtype=np.float64),
                "y": np.zeros(len(kinks)),
                "yaxis": "y2",
                "mode": "markers",
                "marker": {"symbol": "triangle-up", "size": 10, "color": KINK_COLOUR},
                "name": f"kinks ({len(kinks)})",
                "hovertemplate": "kink at x = %{x:.3f}<extra></extra>",
            }
        )
    if clickable is not None:
        data.append(
            {
                "type": "scatter",
                "x": clickable[0],
                "y": clickable[1],
                "mode": "markers",
                "marker": {"size": 10, "opacity": 0.0, "color": "black"},
                "selected": {"marker": {"opacity": 0.0}},
                "unselected": {"marker": {"opacity": 0.0}},
                "hovertemplate": "add a point at (%{x:.2f}, %{y:.2f})<extra></extra>",
                "name": "click to add",
                "showlegend": False,
            }
        )
    layout: dict = {
        "title": {"text": title},
        "height": height,
        "margin": {"l": 44, "r": 10, "t": 40 if title else 10, "b": 36},
        "xaxis": {"title": {"text": "x"}, "zeroline": True},
        "yaxis": {"title": {"text": "y"}, "zeroline": True},
        # the kinks sit on the x-axis whatever the y range: a second axis pinned to [0, 1]
        "yaxis2": {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "dragmode": False,
        "showlegend": legend,
    }
    if domain is not None:
        layout["xaxis"]["range"] = [float(domain[0]), float(domain[1])]
    if y_range is not None:
        layout["yaxis"]["range"] = [float(y_range[0]), float(y_range[1])]
    return go.Figure(data=data, layout=layout)
