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

import base64
import collections
import hashlib
import io
import threading

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from relu_viz.figures.trainer import (
    CLASS_COLORS,
    class_tint,
    probability_rgb,
    region_pastel,
    region_rgb,
    tinted_region,
)

Box = tuple[tuple[float, float], tuple[float, float]]
MARGIN = 34  # pixels left of and below the plot area, for the tick labels
POINT_RADIUS = 3.5
STATIC_CACHE = 64  # datasets whose points and axes are kept drawn (about 1.3 MB each at 480 px)
_static: collections.OrderedDict[tuple, tuple[Image.Image, Image.Image]] = collections.OrderedDict()
_static_lock = threading.Lock()


def picture_side(size: int) -> int:
    """The side in pixels of a map picture whose plot area is ``size``: the area, the tick labels'
    margin and a small border."""
    return size + MARGIN + 8


def to_pixels(xy: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Plane coordinates (..., 2) to pixel coordinates (..., 2) of a size x size plot area."""
    (x0, x1), (y0, y1) = box
    px = (xy[..., 0] - x0) / (x1 - x0) * size
    py = (y1 - xy[..., 1]) / (y1 - y0) * size
    return np.stack([px, py], axis=-1)


def _digest(*arrays: np.ndarray | None) -> bytes:
    """A content key for arrays (shape, dtype and bytes): equal data, equal key, whoever built it."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.digest()


def _static_layers(
    x: np.ndarray, y: np.ndarray, train_idx: np.ndarray, test_idx: np.ndarray | None, box: Box, size: int
) -> tuple[Image.Image, Image.Image]:
    """(the points as a transparent layer over the plot area, the blank canvas with the axes): the
    parts of a frame that do not change while training runs, drawn once per dataset and kept for the
    ``STATIC_CACHE`` most recently used datasets (keyed by content, so every session on the same data
    shares them). Callers must not draw on them."""
    key = (_digest(x, y, train_idx, test_idx), box, size)
    with _static_lock:
        if key in _static:
            _static.move_to_end(key)
            return _static[key]
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
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
    canvas = Image.new("RGB", (picture_side(size), picture_side(size)), (255, 255, 255))
    _axes(ImageDraw.Draw(canvas), box, size)
    with _static_lock:
        _static[key] = (layer, canvas)
        while len(_static) > STATIC_CACHE:
            _static.popitem(last=False)
    return layer, canvas


def map_image(
    frame,
    x: np.ndarray,
    y: np.ndarray,
    train_idx: np.ndarray,
    test_idx: np.ndarray | None,
    *,
    outlines: bool,
    regions: bool = False,
    size: int = 480,
    quality: int = 82,
) -> bytes:
    """The live map as JPEG bytes: background, region outlines, exact boundary, points, axis ticks.

    Same content as :func:`relu_viz.figures.trainer.live_map_figure` for one
    :class:`relu_viz.frame.Frame`, drawn with PIL. The points and the axes are drawn once per dataset
    and composited (``_static_layers``); per frame only the background, the outlines and the boundary
    are drawn: a 480-pixel frame of the default network is 50-90 KB and about 4 ms.

    ``regions`` colours each linear region (tinted by the predicted class) when the frame has no
    ``region_ids`` lattice: its polygons are painted directly (:func:`_painted_regions`), which is
    some 20x cheaper than locating every pixel.
    """
    box = frame.box
    points, canvas = _static_layers(x, y, train_idx, test_idx, box, size)
    if frame.region_ids is not None:
        background = region_rgb(frame.region_ids, frame.region_grid.res, frame.region_probs)
        plot = Image.fromarray(background, "RGB").resize((size, size), Image.Resampling.NEAREST)
    elif regions and frame.partition is not None:
        background = _painted_regions(frame, size // 2)
        plot = Image.fromarray(background, "RGB").resize((size, size), Image.Resampling.NEAREST)
    else:
        background = probability_rgb(frame.probs, frame.grid.res)
        # smooth at half the side, then doubled: 2-pixel steps cannot be seen in a smooth background,
        # and bilinear at the full side was the picture's largest cost (2.2 of ~8 ms at 480 px)
        half = Image.fromarray(background, "RGB").resize((size // 2, size // 2), Image.Resampling.BILINEAR)
        plot = half.resize((size, size), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(plot)
    part = frame.partition
    if part is not None and outlines:
        # each polygon's closed outline from one flat list of pixel coordinates (slicing a list costs
        # far less than splitting an array at NaN separators, per polygon)
        corners = to_pixels(part.vertices, box, size).ravel().tolist()
        for start, count in zip(part.offsets[:-1].tolist(), part.counts.tolist(), strict=True):
            draw.polygon(corners[2 * start : 2 * (start + count)], outline=(60, 60, 60))
    if part is not None and len(part.boundary):
        for segment in to_pixels(part.boundary, box, size).reshape(-1, 4).tolist():
            draw.line(segment, fill=(0, 0, 0), width=3)
    plot.paste(points, (0, 0), points)
    canvas = canvas.copy()
    canvas.paste(plot, (MARGIN, 8))
    buf = io.BytesIO()
    canvas.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def data_uri(picture: bytes, mime: str = "image/jpeg") -> str:
    """The picture as a ``data:`` URL: sent inside the page's own message, so the browser needs no
    second request and the server keeps no media file per frame (a script run that streams frames
    for minutes would otherwise hold every one of them until it ends)."""
    return f"data:{mime};base64," + base64.b64encode(picture).decode("ascii")


def _painted_regions(frame, res: int) -> np.ndarray:
    """Each activation region of ``frame.partition`` painted in its colour (:func:`region_pastel`,
    tinted by the class predicted at each pixel from ``frame.probs``) on a res x res raster of the box,
    (res, res, 3) uint8, top row first. Pixels on a shared edge go to either region."""
    part = frame.partition
    ids = Image.new("I", (res, res), -1)
    draw = ImageDraw.Draw(ids)
    corners = to_pixels(part.vertices, frame.box, res)
    for r, (start, count) in enumerate(zip(part.offsets[:-1].tolist(), part.counts.tolist(), strict=True)):
        draw.polygon(corners[start : start + count].ravel().tolist(), fill=r)
    ids = np.asarray(ids, dtype=np.int64)
    # the class at each raster pixel, from the nearest cell of the probability grid (top row first)
    g = frame.grid.res
    k = frame.probs.shape[1]
    cls = frame.probs.argmax(axis=1).reshape(g, g)[::-1]
    cells = (np.arange(res) * g) // res
    cls = cls[np.ix_(cells, cells)]
    # one colour per (region, class), looked up per pixel: cheaper than blending every pixel. Row 0 is
    # white, for pixels no polygon covered (id -1); the lookup is one flat take (4x faster than
    # indexing the table by two index arrays)
    regions = max(part.n_activation_regions, 1)
    palette = np.full((regions + 1, k, 3), 255, dtype=np.uint8)
    tinted = tinted_region(region_pastel(np.arange(regions))[:, None, :], class_tint(np.arange(k))[None])
    palette[1:] = np.clip(tinted, 0, 255)
    ids += 1
    ids *= k
    ids += cls
    return palette.reshape(-1, 3).take(ids, axis=0)


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
