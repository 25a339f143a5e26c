"""What the server streams to the browser renderer (relu_viz/js/trainer_view.js) for a live trainer run.

The browser draws; the server only trains and streams. A run's set-up (the network's structure, the
dataset's points, the history so far) goes once per page or panel run, ``setup_payload``; every frame
after it is ``frame_payload``: the step, the weights θ as base64 float32 (:func:`relu_viz.wire.weights`
order: W1, b1, W2, b2, ...), the latest numbers and the history rows recorded since the last frame.

Sizes: a frame of the default [2, 8, 8, 1] net is about 0.8 KB of JSON, [2, 16, 16, 16, 1] about 4 KB;
a set-up carries the points (500 points: about 6 KB) and the history (at most ``SETUP_ROWS`` rows).
"""

from __future__ import annotations

import base64
import math

import numpy as np

from relu_viz import bounds, maps, wire
from relu_viz.experiment import Run

HISTORY_KEYS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc")
SETUP_ROWS = 400  # history rows a set-up carries at most (evenly thinned); the browser appends the rest
FRAME_ROWS = 40  # history rows one frame carries at most (the newest)


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _finite(v: float) -> float | None:
    """JSON has no NaN or infinity: those travel as null (shown as '–')."""
    v = float(v)
    return v if math.isfinite(v) else None


def _rows(history: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, list]:
    return {k: [_finite(v) for v in history[k][keep]] for k in HISTORY_KEYS}


def history_rows(history: dict[str, np.ndarray], after_step: float = -1, limit: int = SETUP_ROWS) -> dict:
    """History rows with step > ``after_step`` as lists per column; more than ``limit`` rows are thinned
    to ``limit`` evenly spaced ones (the last always kept)."""
    steps = history.get("step", np.zeros(0))
    idx = np.flatnonzero(steps > after_step)
    if len(idx) > limit:
        idx = idx[np.unique(np.linspace(0, len(idx) - 1, limit).round().astype(int))]
    return _rows(history, idx)


def latest(history: dict[str, np.ndarray]) -> dict[str, float | None]:
    """The newest row's losses and accuracies (None where absent or not finite)."""
    return {
        k: _finite(history[k][-1]) if len(history.get(k, ())) else None
        for k in ("train_loss", "test_loss", "train_acc", "test_acc")
    }


def bound_text(structure: dict) -> str | None:
    """The most linear regions the architecture could have, as the page writes it (12,345 or 1.2 × 10^15)."""
    bound = structure.get("region_bound")
    return None if bound is None else bounds.big_number(int(bound))


def points_payload(run: Run, show_test: bool) -> dict:
    """The dataset's points once per run: xy float32 (2N), class uint8 (N), test flag uint8 (N)."""
    data = run.dataset
    test = np.zeros(len(data), dtype=np.uint8)
    test[run.test_idx] = 1
    return {
        "xy": _b64(data.x.astype("<f4")),
        "y": _b64(data.y.astype(np.uint8)),
        "test": _b64(test),
        "classes": [str(c) for c in data.classes],
        "show_test": bool(show_test),
    }


def frame_payload(snap, theta: np.ndarray) -> dict:
    """One frame: step, epoch, weights, the latest numbers and state (``snap``: a worker Snapshot)."""
    return {
        "step": int(snap.step),
        "epoch": float(snap.epoch),
        "w": _b64(np.asarray(theta, dtype="<f4")),
        "eps": _finite(snap.epochs_per_second) or 0.0,
        "playing": bool(snap.playing),
        "status": snap.status,
        "message": snap.message or _pause_note(snap.pause_reason),
        "last": latest(snap.history),
    }


def _pause_note(reason: str) -> str:
    if reason == "idle":
        return "Training paused itself: nobody was watching this tab. Press Play to go on."
    return ""


def _head(slot: str, run_id: str, view: str, size: int) -> dict:
    """What every trainer payload says: which element (``slot``), which run, which view, the map's size."""
    return {"kind": "trainer", "id": slot, "run": run_id, "view": view, "size": int(size)}


def setup_payload(
    slot: str, run_id: str, run: Run, snap, theta: np.ndarray, view: str, size: int, show_test: bool
) -> dict:
    """Everything the browser needs to draw a run from scratch (see the module docstring)."""
    structure = wire.structure(run.model)
    return _head(slot, run_id, view, size) | {
        "box": [list(maps.DEFAULT_BOX[0]), list(maps.DEFAULT_BOX[1])],
        "structure": structure,
        "bound_text": bound_text(structure),
        "points": points_payload(run, show_test),
        "hist": history_rows(snap.history),
        "frame": frame_payload(snap, theta),
    }


def update_payload(
    slot: str, run_id: str, snap, theta: np.ndarray, view: str, size: int, after_step: float
) -> dict:
    """A frame after the set-up: the weights, the numbers and the history rows newer than ``after_step``."""
    return _head(slot, run_id, view, size) | {
        "frame": frame_payload(snap, theta),
        "rows": history_rows(snap.history, after_step, FRAME_ROWS),
    }


# -- the dead-neuron monitor ------------------------------------------------------------------------

MONITOR_POINTS = 300  # points per curve a monitor frame carries at most (evenly thinned)


def _thin(n: int, limit: int = MONITOR_POINTS) -> np.ndarray:
    """Indices of at most ``limit`` evenly spaced points of ``n`` (the last kept)."""
    return np.unique(np.linspace(0, n - 1, min(n, limit)).round().astype(int)) if n else np.zeros(0, int)


def _floats(values: np.ndarray) -> list[float | None]:
    return [_finite(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def monitor_run(title: str, label: str, colour: str, frame, tracker, history: dict[str, np.ndarray]) -> dict:
    """One run of the dead-neuron monitor for the browser: the unit grid of ``frame`` (a
    :class:`relu_viz.dead_neurons.Frame`; (L, W) arrays flattened row by row, padding as null), the
    dead shares over the observed steps from ``tracker``, the training loss from ``history``, the
    pre-activation histograms, and ``zero_share``: per hidden layer, the share of its outputs that are
    exactly 0 over the training inputs (``frame.zero_share``; the browser only prints it)."""
    from relu_viz import dead_neurons as dn

    g = frame.grid
    steps, layer_dead = dn.layer_history(tracker, "dead")
    _, no_grad = dn.overall_history(tracker, "no_gradient")
    negative = None if frame.census.can_die else dn.overall_history(tracker, "negative")[1]
    keep = _thin(len(steps))
    loss_steps, loss = history.get("step", np.zeros(0)), history.get("train_loss", np.zeros(0))
    lk = _thin(len(loss_steps))
    layer_dead = np.asarray(layer_dead).reshape(len(steps), -1)
    return {
        "title": title,
        "label": label,
        "colour": colour,
        "widths": [int(w) for w in g.exists.sum(axis=1)],
        "positive": _floats(np.where(g.exists, g.positive, np.nan)),
        "dead": [int(v) for v in (g.dead & g.exists).ravel()],
        "cut_off": [int(v) for v in (g.cut_off & g.exists).ravel()],
        "negative": [int(v) for v in (g.negative & ~g.dead & g.exists).ravel()],
        "steps": _floats(np.asarray(steps)[keep]),
        "layer_dead": [_floats(layer_dead[keep, layer]) for layer in range(layer_dead.shape[1])],
        "no_gradient": _floats(np.asarray(no_grad)[keep]),
        "negative_share": None if negative is None else _floats(np.asarray(negative)[keep]),
        "loss_steps": _floats(loss_steps[lk]),
        "loss": _floats(loss[lk]),
        "hist_edges": _floats(frame.hist_edges),
        "hist": [_floats(row) for row in frame.hist_counts],
        "zero_share": _floats(frame.zero_share),
    }
