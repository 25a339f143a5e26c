"""Figures of the trainer: the decision map with exact regions, unit thumbnails, curves, a hidden view.

Images (probability map, region colours) are sent as PNG data URIs: a 100 x 100 RGB map is about 10 KB
that way, against ~120 KB as a JSON number list. Lines (boundary, region outlines) are single traces with
NaN separators, so thousands of segments cost one trace.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

# Playground's orange and blue first, then distinct hues for up to 10 classes.
CLASS_COLORS = np.array(
    [
        (245, 147, 34),
        (8, 119, 189),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ],
    dtype=np.float64,
)
WHITE = np.array([255.0, 255.0, 255.0])
_MAP_STRENGTH = 0.8  # full confidence still lighter than the points drawn on top


def hex_color(rgb: np.ndarray) -> str:
    r, g, b = (round(float(c)) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def png_data_uri(rgb: np.ndarray) -> str:
    """An (H, W, 3) uint8 image, row 0 at the top, as a ``data:image/png;base64,...`` URI."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(
        buf, format="PNG", compress_level=1
    )
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def probability_rgb(probs: np.ndarray, res: int) -> np.ndarray:
    """Blend class colours by probability, fading to white where the model is unsure.

    ``probs`` (res², K) rows ordered by y then x (bottom row first) -> (res, res, 3) uint8, top row first.
    Confidence c = (max_k p_k − 1/K) / (1 − 1/K) in [0, 1]; colour = white + c·s·(Σ_k p_k colour_k − white).
    """
    k = probs.shape[1]
    # a diverged network's NaN probabilities show as undecided (white), not as garbage colours
    probs = np.where(np.isfinite(probs), probs, 1.0 / k)
    mix = probs @ CLASS_COLORS[:k]
    conf = (probs.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
    rgb = WHITE + (conf * _MAP_STRENGTH)[:, None] * (mix - WHITE)
    return np.clip(rgb, 0, 255).astype(np.uint8).reshape(res, res, 3)[::-1]


def region_pastel(region_ids: np.ndarray) -> np.ndarray:
    """One pastel colour per region id, (n,) -> (n, 3) float in [150, 255]: a fixed hash of the id, so
    a region keeps its colour while it lives."""
    h = (np.asarray(region_ids, dtype=np.int64) * 2654435761) % (2**32)
    hue = np.stack([(h >> 0) & 255, (h >> 8) & 255, (h >> 16) & 255], axis=1).astype(np.float64)
    return 150 + 105 * hue / 255.0


def class_tint(classes: np.ndarray) -> np.ndarray:
    """The light class colour a region is tinted towards where class ``classes`` (n,) is predicted."""
    return WHITE + 0.6 * (CLASS_COLORS[np.asarray(classes) % len(CLASS_COLORS)] - WHITE)


def tinted_region(pastel: np.ndarray, tint: np.ndarray) -> np.ndarray:
    """A region's colour where a class is predicted: 0.55 · its pastel + 0.45 · the class tint
    (:func:`region_pastel`, :func:`class_tint`; float RGB, broadcasting)."""
    return 0.55 * pastel + 0.45 * tint


def region_rgb(region_ids: np.ndarray, res: int, probs: np.ndarray | None = None) -> np.ndarray:
    """One pastel colour per region id (:func:`region_pastel`).

    If ``probs`` is given, each region's colour is tinted towards the predicted class colour so both the
    pieces and the decision stay readable. Returns (res, res, 3) uint8, top row first.
    """
    ids = np.asarray(region_ids, dtype=np.int64)
    pastel = region_pastel(ids)
    if probs is not None:
        pastel = tinted_region(pastel, class_tint(probs.argmax(axis=1)))
    pastel[ids < 0] = 255.0
    return np.clip(pastel, 0, 255).astype(np.uint8).reshape(res, res, 3)[::-1]


def _image_trace(
    rgb: np.ndarray, box: tuple[tuple[float, float], tuple[float, float]], smooth: bool = False
) -> dict:
    (x0, x1), (y0, y1) = box
    h, w = rgb.shape[:2]
    # Image pixel (row r, col c) sits at (x0' + c·dx, y0' + r·dy). plotly.js ignores the sign of dy for
    # a ``source`` image on an upward y axis (a negative dy drew the map upside down), so the rows go
    # bottom first with dy > 0.
    return {
        "type": "image",
        "source": png_data_uri(rgb[::-1]),  # png_data_uri makes it contiguous
        "x0": x0 + 0.5 * (x1 - x0) / w,
        "dx": (x1 - x0) / w,
        "y0": y0 + 0.5 * (y1 - y0) / h,
        "dy": (y1 - y0) / h,
        "hoverinfo": "skip",
        "name": "map",
        # probabilities vary smoothly and are interpolated; region colours keep their sharp edges
        "zsmooth": "fast" if smooth else False,
    }


def _lines(xy: tuple[np.ndarray, np.ndarray], name: str, color: str, width: float) -> dict:
    return {
        "type": "scatter",
        # float32 halves the payload; a pixel is ~0.03 plane units, far above float32's resolution
        "x": np.asarray(xy[0], dtype=np.float32),
        "y": np.asarray(xy[1], dtype=np.float32),
        "mode": "lines",
        "line": {"color": color, "width": width},
        "hoverinfo": "skip",
        "name": name,
    }


def decision_map_figure(
    background: np.ndarray,
    box: tuple[tuple[float, float], tuple[float, float]],
    points: list[tuple[str, np.ndarray, int, bool]],
    *,
    boundary_xy: tuple[np.ndarray, np.ndarray] | None = None,
    outline_xy: tuple[np.ndarray, np.ndarray] | None = None,
    title: str = "",
    height: int = 520,
    clickable: tuple[np.ndarray, np.ndarray] | None = None,
    smooth: bool = False,
) -> go.Figure:
    """The plane: a background image (probabilities or regions), data points, exact lines on top.

    ``points``: (class name, xy (n, 2), class index, is_test) groups. ``boundary_xy``/``outline_xy``: x, y
    arrays with NaN separators. ``clickable``: an invisible lattice (x, y) whose points can be clicked
    (draw-your-own-data mode) since plotly reports clicks only on existing points.

    Built from plain dicts in one ``go.Figure`` call: this figure is redrawn five times a second, and
    plotly's incremental ``add_trace``/``update_*`` calls cost ~25 ms where one validated call costs ~5.
    """
    data: list[dict] = [_image_trace(background, box, smooth)]
    if outline_xy is not None:
        data.append(_lines(outline_xy, "linear regions", "rgba(40,40,40,0.55)", 0.8))
    if boundary_xy is not None:
        data.append(_lines(boundary_xy, "decision boundary", "black", 2.5))
    for name, xy, cls, is_test in points:
        if len(xy) == 0:
            continue
        color = hex_color(CLASS_COLORS[int(cls) % len(CLASS_COLORS)])
        data.append(
            {
                "type": "scatter",
                "x": xy[:, 0],
                "y": xy[:, 1],
                "mode": "markers",
                "marker": {
                    "color": color,
                    "size": 6 if is_test else 7,
                    "symbol": "circle-open" if is_test else "circle",
                    "line": {"color": color if is_test else "white", "width": 2 if is_test else 1},
                },
                "unselected": {"marker": {"opacity": 1.0}},
                "name": f"{name} ({'test' if is_test else 'train'})",
                "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra>" + name + "</extra>",
            }
        )
    if clickable is not None:
        data.append(
            {
                "type": "scatter",
                "x": clickable[0],
                "y": clickable[1],
                "mode": "markers",
                "marker": {"size": 9, "opacity": 0.0, "color": "black"},
                "selected": {"marker": {"opacity": 0.0}},
                "unselected": {"marker": {"opacity": 0.0}},
                "hovertemplate": "add a point at (%{x:.2f}, %{y:.2f})<extra></extra>",
                "name": "click to add",
                "showlegend": False,
            }
        )
    (x0, x1), (y0, y1) = box
    layout = {
        "title": {"text": title},
        "height": height,
        # Fixed margins (autoexpand off): otherwise plotly re-measures the legend and tick labels and
        # re-lays out the whole chart on every live redraw, which costs more than drawing it.
        "margin": {"l": 40, "r": 10, "t": 80 if title else 50, "b": 40, "autoexpand": False},
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
        "plot_bgcolor": "white",
        "uirevision": "map",  # keep zoom and legend choices across live redraws
        "clickmode": "event+select",
        "xaxis": {
            "range": [x0, x1],
            "showgrid": False,
            "zeroline": False,
            "constrain": "domain",
            "automargin": False,
            "title": {"text": "x₁", "standoff": 2},
        },
        "yaxis": {
            "range": [y0, y1],
            "showgrid": False,
            "zeroline": False,
            "automargin": False,
            "title": {"text": "x₂", "standoff": 2},
            "scaleanchor": "x",
            "scaleratio": 1,
        },
    }
    return go.Figure(data=data, layout=layout)


def hidden_view_figure(
    data: np.ndarray,
    labels: np.ndarray,
    grid_lines: list[np.ndarray],
    class_names: list[str],
    axis_titles: tuple[str, str],
    height: int = 360,
) -> go.Figure:
    """ConvNetJS's view: the data and the input grid as seen by two units of a hidden layer."""
    xs: list[np.ndarray] = []
    for line in grid_lines:
        xs.append(line)
        xs.append(np.full((1, 2), np.nan))
    joined = np.concatenate(xs) if xs else np.zeros((0, 2))
    fig = go.Figure(
        go.Scatter(
            x=joined[:, 0],
            y=joined[:, 1],
            mode="lines",
            line={"color": "rgba(120,120,120,0.5)", "width": 1},
            hoverinfo="skip",
            name="warped grid",
        )
    )
    for k, name in enumerate(class_names):
        sel = labels == k
        if sel.any():
            fig.add_trace(
                go.Scatter(
                    x=data[sel, 0],
                    y=data[sel, 1],
                    mode="markers",
                    marker={"size": 5, "color": hex_color(CLASS_COLORS[k % len(CLASS_COLORS)])},
                    name=name,
                )
            )
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def point_groups(
    x: np.ndarray,
    y: np.ndarray,
    classes: tuple[str, ...],
    train_idx: np.ndarray,
    test_idx: np.ndarray | None,
) -> list[tuple[str, np.ndarray, int, bool]]:
    """Data split into (class name, xy (n, 2), class index, is_test) groups for :func:`decision_map_figure`.

    Class names may come from an uploaded file: they are HTML-escaped, because plotly renders a subset of
    HTML (links, bold, line breaks) in legends and hover labels.
    """
    groups = []
    for idx, is_test in ((train_idx, False), (test_idx, True)):
        if idx is None:
            continue
        xs, ys = x[idx], y[idx]
        for k, name in enumerate(classes):
            groups.append((html.escape(name), xs[ys == k], k, is_test))
    return groups
