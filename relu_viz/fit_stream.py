"""What the server streams to the browser's fit view (relu_viz/js/fit_view.js) for a live fit.

A run's set-up goes once per page or panel run (:func:`setup_payload`): the structure of the network
(:func:`relu_viz.wire.structure`'s widths and activation descriptors), the domain, the points and the
noise-free target as base64 float32, the units and the most kinks the architecture can have, the kinks
of the weights shown (computed here by :func:`relu_viz.regions.kinks`: the reference the browser's own
count is checked against), the loss history so far, and the first frame. Every frame after it
(:func:`update_payload`) carries only the step, the weights θ (base64 float32, W1, b1, W2, b2, ...), the
loss, the state and the loss rows recorded since the last frame: about 0.5 KB for [1, 16, 16, 1]. The
browser computes the fit, its kinks and the units' terms from the weights.

Pure Python: never imports streamlit.
"""

from __future__ import annotations

import base64
import math

import numpy as np
from torch import nn

from relu_viz import activations, fit, regions, wire

SETUP_ROWS = 400  # loss rows a set-up carries at most (evenly thinned); the browser appends the rest
FRAME_ROWS = 40  # loss rows one frame carries at most (the newest)


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def _finite(v: float) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def loss_rows(history: dict[str, np.ndarray], after_step: float = -1, limit: int = SETUP_ROWS) -> dict:
    """History rows with step > ``after_step``: {"step": [...], "loss": [...]} (mean squared error); more
    than ``limit`` rows are thinned to ``limit`` evenly spaced ones, the newest always kept."""
    steps = history.get("step", np.zeros(0))
    idx = np.flatnonzero(steps > after_step)
    if len(idx) > limit:
        idx = idx[np.unique(np.linspace(0, len(idx) - 1, limit).round().astype(int))]
    loss = history.get("train_loss", np.zeros(0))
    return {"step": [int(s) for s in steps[idx]], "loss": [_finite(v) for v in loss[idx]]}


def last_step(history: dict[str, np.ndarray]) -> float:
    steps = history.get("step", ())
    return float(steps[-1]) if len(steps) else -1.0


def frame_payload(snap, after_step: float) -> dict:
    """One frame: step, epoch, weights, loss, state and the loss rows newer than ``after_step``."""
    loss = snap.history.get("train_loss", ())
    message = snap.message
    if not message and snap.pause_reason == "idle":
        message = "Training paused itself: nobody was watching this tab. Press Play to go on."
    return {
        "step": int(snap.step),
        "epoch": float(snap.epoch),
        "w": _b64(np.asarray(snap.theta)),
        "loss": _finite(loss[-1]) if len(loss) else None,
        "status": snap.status,
        "message": message,
        "playing": bool(snap.playing),
        "rows": loss_rows(snap.history, after_step, FRAME_ROWS),
    }


def setup_payload(slot: str, run_id: str, run: fit.FitRun, model: nn.Sequential, snap, height: int) -> dict:
    """Everything the browser needs to draw the fit from scratch; ``model`` holds the snapshot's weights."""
    data = run.data
    structure = wire.structure(model)
    lo, hi = data.domain
    try:
        count = fit.kink_count(model, data.domain)
        pwl, reason, kinks, bound = True, None, [float(k) for k in count.kinks], count.bound
    except regions.NotPiecewiseLinear as exc:
        pwl, reason, kinks, bound = False, str(exc), None, None
    curve = None
    if data.curve is not None:
        curve = {"x": _b64(data.curve[0]), "y": _b64(data.curve[1])}
    spec = run.spec
    return {
        "kind": "fit",
        "id": slot,
        "run": run_id,
        "setup": {
            "domain": [float(lo), float(hi)],
            "structure": {
                "features": ["x"],
                "widths": structure["widths"],
                "activations": structure["activations"],
            },
            "widths": spec.widths,
            "units": spec.units,
            "one_layer": len(spec.hidden) == 1,
            "act_label": activations.get(spec.activation).name if spec.hidden else "",
            "pwl": pwl,
            "not_pwl_reason": reason,
            "bound": bound,
            "kinks": kinks,
            "label": data.label,
            "points": {"x": _b64(data.x), "y": _b64(data.y)},
            "curve": curve,
            "hist": loss_rows(snap.history),
            "height": int(height),
        },
        "frame": frame_payload(snap, math.inf),
    }


def update_payload(slot: str, run_id: str, snap, after_step: float) -> dict:
    """A frame of the run ``run_id`` for the element ``slot``."""
    return {"kind": "fit", "id": slot, "run": run_id, "frame": frame_payload(snap, after_step)}
