"""The trainer's map drawn on the server as one compressed picture, for the redraws while training plays.

Streamlit 1.67 gives a ``st.plotly_chart`` a new element id whenever its figure changes, so the browser
remounts the chart and rebuilds its SVG from scratch on every live frame: 150-300 ms of the browser's
time, which caps a live plotly map below four redraws a second and makes it flash. Swapping a picture
costs the browser almost nothing. While training plays, the page shows this picture; when paused it
shows the interactive plotly map (hover, zoom, click to add points) of the same frame.

Pixel (col, row) of the ``size`` x ``size`` plot area shows the plane point
x = xmin + (col + ½)·(xmax − xmin)/size, y = ymax − (row + ½)·(ymax − ymin)/size.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from relu_viz.figures.trainer import CLASS_COLORS, probability_rgb, region_rgb

Box = tuple[tuple[float, float], tuple[float, float]]
MARGIN = 34  # pixels left of and below the plot area, for the tick labels
POINT_RADIUS = 3.5


def to_pixels(xy: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Plane coordinates (..., 2) to pixel coordinates (..., 2) of a size x size plot area."""
    (x0, x1), (y0, y1) = box
    px = (xy[..., 0] - x0) / (x1 - x0) * size
    py = (y1 - xy[..., 1]) / (y1 - y0) * size
    return np.stack([px, py], axis=-1)


def _runs(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """NaN-separated coordinate arrays (plotly's line format) as a list of finite polylines."""
    xy = np.stack([x, y], axis=1)
    pieces = (piece[np.isfinite(piece[:, 0])] for piece in np.split(xy, np.flatnonzero(~np.isfinite(x))))
    return [piece for piece in pieces if len(piece) >= 2]


def map_image(
    frame,
    x: np.ndarray,
    y: np.ndarray,
    train_idx: np.ndarray,
    test_idx: np.ndarray | None,
    *,
    outlines: bool,
    size: int = 480,
    quality: int = 82,
) -> bytes:
    """The live map as JPEG bytes: background, region outlines, exact boundary, points, axis ticks.

    Same content as :func:`relu_viz.figures.trainer.live_map_figure` for one
    :class:`relu_viz.frame.Frame`, drawn with PIL: a 480-pixel frame is about 50-90 KB and 7 ms.
    """
    if frame.region_ids is not None:
        background = region_rgb(frame.region_ids, frame.region_grid.res, frame.region_probs)
        plot = Image.fromarray(background, "RGB").resize((size, size), Image.Resampling.NEAREST)
    else:
        background = probability_rgb(frame.probs, frame.grid.res)
        plot = Image.fromarray(background, "RGB").resize((size, size), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(plot)
    box = frame.box
    part = frame.partition
    if part is not None and outlines:
        for run in _runs(*part.outline_xy()):
            draw.line(to_pixels(run, box, size).ravel().tolist(), fill=(60, 60, 60), width=1)
    if part is not None and len(part.boundary):
        for a, b in to_pixels(part.boundary, box, size):
            draw.line([*a, *b], fill=(0, 0, 0), width=3)
    r = POINT_RADIUS
    for idx, is_test in ((train_idx, False), (test_idx, True)):
        if idx is None or len(idx) == 0:
            continue
        for (px, py), cls in zip(to_pixels(x[idx], box, size), y[idx], strict=True):
            color = tuple(int(c) for c in CLASS_COLORS[int(cls) % len(CLASS_COLORS)])
            if is_test:
                draw.ellipse((px - r, py - r, px + r, py + r), outline=color, width=2)
            else:
                draw.ellipse((px - r, py - r, px + r, py + r), fill=color, outline=(255, 255, 255))
    canvas = Image.new("RGB", (size + MARGIN + 8, size + MARGIN + 8), (255, 255, 255))
    canvas.paste(plot, (MARGIN, 8))
    _axes(ImageDraw.Draw(canvas), box, size)
    buf = io.BytesIO()
    canvas.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _axes(draw: ImageDraw.ImageDraw, box: Box, size: int) -> None:
    """Tick labels every 2 plane units on both axes, like the plotly map's."""
    font = ImageFont.load_default(size=11)
    (x0, x1), (y0, y1) = box
    draw.rectangle((MARGIN - 1, 7, MARGIN + size, 8 + size), outline=(180, 180, 180))
    for v in np.arange(np.ceil(x0 / 2) * 2, x1 + 1e-9, 2.0):
        px = MARGIN + (v - x0) / (x1 - x0) * size
        draw.line((px, 8 + size, px, 12 + size), fill=(120, 120, 120))
        draw.text((px, 14 + size), f"{v:g}", fill=(90, 90, 90), font=font, anchor="mt")
    for v in np.arange(np.ceil(y0 / 2) * 2, y1 + 1e-9, 2.0):
        py = 8 + (y1 - v) / (y1 - y0) * size
        draw.line((MARGIN - 5, py, MARGIN - 1, py), fill=(120, 120, 120))
        draw.text((MARGIN - 7, py), f"{v:g}", fill=(90, 90, 90), font=font, anchor="rm")
