"""The trainer's loss, accuracy and region-count curves drawn as one picture, for redraws while playing.

Same panels as :func:`relu_viz.figures.trainer.curves_figure` (loss on a log scale with ticks at powers
of ten, accuracy from 0 to 1, linear regions from 0; train in blue, test in orange; epochs along the
bottom), drawn with PIL in a helper process (:mod:`relu_viz.render_pool`). Building and sending a plotly
chart costs the server process about 15 ms of its one GIL per redraw; for a class of 30 redrawing every
few seconds that was a sixth of the server's time. While paused the page shows the plotly chart, with
hover and zoom.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from relu_viz.figures.trainer import CLASS_COLORS

# the palette's blue and orange, as in the plotly curves
TRAIN = tuple(int(c) for c in CLASS_COLORS[1])
TEST = tuple(int(c) for c in CLASS_COLORS[0])
REGIONS = (68, 68, 68)
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 34, 34  # pixel margins around the stack of panels
GAP = 28  # pixels between panels (room for the next panel's title)


def _font(size: int = 11) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _nice_ticks(lo: float, hi: float, n: int = 4) -> np.ndarray:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten)."""
    if not hi > lo:
        return np.array([lo])
    raw = (hi - lo) / n
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return np.arange(math.ceil(lo / step) * step, hi + step * 1e-9, step)


def _label(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.0e}"


def curves_image(history: dict[str, np.ndarray], width: int = 400, height: int = 380) -> bytes:
    """The curves of ``history`` (:meth:`relu_viz.training.History.to_arrays` columns) as PNG bytes of
    ``width`` x ``height`` pixels. Columns missing or all NaN leave their lines out."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font = _font()
    epoch = np.asarray(history.get("epoch", np.zeros(0)), dtype=np.float64)
    panel_h = (height - TOP - BOTTOM - 2 * GAP) / 3
    x0, x1 = LEFT, width - RIGHT
    e_lo = float(np.nanmin(epoch)) if len(epoch) and np.isfinite(epoch).any() else 0.0
    e_hi = float(np.nanmax(epoch)) if len(epoch) and np.isfinite(epoch).any() else 1.0
    if e_hi <= e_lo:
        e_hi = e_lo + 1.0

    def px(e: np.ndarray) -> np.ndarray:
        return x0 + (e - e_lo) / (e_hi - e_lo) * (x1 - x0)

    panels = [
        ("Loss", [("train_loss", TRAIN), ("test_loss", TEST)], "log"),
        ("Accuracy", [("train_acc", TRAIN), ("test_acc", TEST)], "unit"),
        ("Linear regions", [("regions", REGIONS)], "count"),
    ]
    for i, (title, series, scale) in enumerate(panels):
        top = TOP + i * (panel_h + GAP)
        bottom = top + panel_h
        values = [np.asarray(history.get(key, np.zeros(0)), dtype=np.float64) for key, _ in series]
        finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(0)
        if scale == "log":
            finite = finite[finite > 0]
            lo = math.floor(math.log10(finite.min())) if len(finite) else -2
            hi = math.ceil(math.log10(finite.max())) if len(finite) else 0
            hi = max(hi, lo + 1)

            def to_y(v, lo=lo, hi=hi, top=top, bottom=bottom):
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = (np.log10(v) - lo) / (hi - lo)
                return bottom - t * (bottom - top)

            ticks = [(10.0**k, f"1e{k}" if abs(k) > 2 else f"{10.0**k:g}") for k in range(lo, hi + 1)]
        else:
            lo = 0.0
            hi = 1.02 if scale == "unit" else max(1.0, float(finite.max()) * 1.05 if len(finite) else 1.0)

            def to_y(v, lo=lo, hi=hi, top=top, bottom=bottom):
                return bottom - (v - lo) / (hi - lo) * (bottom - top)

            steps = (0.0, 0.5, 1.0) if scale == "unit" else _nice_ticks(0.0, hi)
            ticks = [(float(v), _label(float(v))) for v in steps]
        draw.text((x0, top - 4), title, fill=(40, 40, 40), font=font, anchor="lb")
        for value, text in ticks:
            y = float(to_y(np.array(value)))
            if top - 0.5 <= y <= bottom + 0.5:
                draw.line((x0, y, x1, y), fill=(235, 235, 235))
                draw.text((x0 - 4, y), text, fill=(90, 90, 90), font=font, anchor="rm")
        draw.rectangle((x0, top, x1, bottom), outline=(200, 200, 200))
        for v, (_, color) in zip(values, series, strict=True):
            if len(v) != len(epoch):
                continue
            keep = np.isfinite(v) & np.isfinite(epoch)
            if scale == "log":
                keep &= v > 0
            if keep.sum() >= 2:
                ys = np.clip(to_y(v[keep]), top, bottom)
                draw.line(np.stack([px(epoch[keep]), ys], 1).ravel().tolist(), fill=color, width=2)
            elif keep.sum() == 1:
                cx, cy = float(px(epoch[keep])[0]), float(np.clip(to_y(v[keep]), top, bottom)[0])
                draw.ellipse((cx - 2, cy - 2, cx + 2, cy + 2), fill=color)
    # the shared epoch axis, under the last panel
    axis_y = height - BOTTOM
    for e in _nice_ticks(e_lo, e_hi, 5):
        x = float(px(np.array(e)))
        draw.line((x, axis_y, x, axis_y + 4), fill=(120, 120, 120))
        draw.text((x, axis_y + 6), _label(float(e)), fill=(90, 90, 90), font=font, anchor="mt")
    draw.text(((x0 + x1) / 2, height - 2), "epoch", fill=(60, 60, 60), font=font, anchor="mb")
    # legend, top right
    lx = x1
    for name, color in (("test", TEST), ("train", TRAIN)):
        w = draw.textlength(name, font=font)
        draw.text((lx, 12), name, fill=(60, 60, 60), font=font, anchor="rm")
        draw.line((lx - w - 22, 12, lx - w - 4, 12), fill=color, width=2)
        lx -= w + 34
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()
