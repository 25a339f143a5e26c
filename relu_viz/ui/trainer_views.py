"""The trainer page's panels: data (upload, draw, download), the live view, hidden view, export.

Each panel reads its own widgets and asks the engine for arrays; the live view (map, numbers, curves,
network diagram) is drawn in the browser (:mod:`relu_viz.ui.renderer`) from what
:mod:`relu_viz.stream` builds, the paused tabs are plotly figures from relu_viz.figures.trainer.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import numpy as np
import streamlit as st
import torch
from streamlit.delta_generator import DeltaGenerator

from relu_viz import datasets, maps, network, regions, stream
from relu_viz.figures import trainer as figs
from relu_viz.ui import live, renderer, theme
from relu_viz.ui.text import plain, plotly_safe
from relu_viz.ui.trainer_controls import CUSTOM_DATA, DataChoice
from relu_viz.worker import Snapshot

VIEW_MODES = ("probabilities", "outlines", "regions")
DRAW_STEP = 0.25  # spacing of the clickable lattice in draw mode (plane units)
MAP_SIZE = 480  # the live map's plot side in CSS pixels, at most (it shrinks to fit its column)
MAP_SIZE_PRESENTING = 400  # presenter view: fits a 720-pixel-high screen


@st.cache_data(max_entries=64, show_spinner=False)
def generated(name: str, n: int, noise: float, seed: int, k: int) -> datasets.Dataset:
    """Generated datasets are immutable (read-only arrays), so sessions may share them."""
    options = {"k": k} if name == "blobs" else {}
    return datasets.make(name, n=n, noise=noise, seed=seed, **options)


def view_mode_control() -> str:
    """The map's view; in presenter view without its label (the buttons say enough, the curves below
    need the room)."""
    return st.segmented_control(
        "Map shows",
        list(VIEW_MODES),
        default="outlines",
        key="view",
        bind="query-params",
        required=True,
        label_visibility="collapsed",  # the buttons say enough; the map needs the height
        help="probabilities: class probabilities; outlines: plus the exact linear regions; regions: each "
        "linear region in its own colour. The exact decision boundary is drawn in the last two.",
    )


def _custom() -> datasets.Dataset:
    data = st.session_state.get("custom_data")
    if data is None:
        data = datasets.Dataset(np.zeros((0, 2)), np.zeros(0, dtype=np.int64), ("0", "1"), "drawn")
    return data


def _set_custom(data: datasets.Dataset) -> None:
    history = st.session_state.setdefault("custom_undo", [])
    previous = st.session_state.get("custom_data")
    if previous is not None:
        history.append(previous)
        del history[:-50]  # bounded undo
    st.session_state["custom_data"] = data
    st.session_state["ds"] = CUSTOM_DATA


def _on_upload() -> None:
    file = st.session_state.get("upload")
    if file is None:
        return
    try:
        data = datasets.load_csv(file.getvalue(), name="upload")
    except datasets.DataError as err:
        st.session_state["upload_error"] = f"{file.name}: {err}"
        st.session_state.pop("upload_note", None)
        return
    st.session_state.pop("upload_error", None)
    data, scale, centre = datasets.fit_to_view(data)
    note = f"Loaded {len(data)} points in {data.n_classes} classes from {file.name}."
    if scale != 1.0:
        note += (
            f" They were shifted by ({-centre[0]:.3g}, {-centre[1]:.3g}) and scaled by {scale:.3g} to fit "
            "the [-6, 6]² view."
        )
    st.session_state["upload_note"] = note
    _set_custom(data)


def _undo() -> None:
    history = st.session_state.get("custom_undo") or []
    if history:
        st.session_state["custom_data"] = history.pop()


def _clear() -> None:
    current = _custom()
    _set_custom(datasets.Dataset(np.zeros((0, 2)), np.zeros(0, dtype=np.int64), current.classes, "drawn"))


def dataset_panel(choice: DataChoice) -> datasets.Dataset:
    """The chosen dataset, plus the upload, draw and download controls under the dataset settings."""
    if choice.name == CUSTOM_DATA:
        data = _custom()
    else:
        try:
            data = generated(choice.name, choice.n, choice.noise, choice.seed, choice.k)
        except datasets.DataError as err:
            st.error(plain(str(err)))
            data = generated("spiral", 500, 0.0, 0, 3)
    st.file_uploader(
        "Upload CSV (x1, x2, label; ≤ 1 MB, ≤ 10,000 rows)",
        type=["csv", "txt"],
        key="upload",
        on_change=_on_upload,
    )
    if err := st.session_state.get("upload_error"):
        st.error(plain(f"{err} The current dataset is kept."))
    elif note := st.session_state.get("upload_note"):
        st.success(plain(note))
    draw = st.toggle("Draw points by clicking on the map", key="draw")
    if draw:
        st.radio(
            "Class of new points",
            range(data.n_classes),
            format_func=lambda i: plain(data.classes[i][:40]),  # radio options are Markdown
            horizontal=True,
            key="draw_class",
        )
        c1, c2 = st.columns(2)
        c1.button("Undo", on_click=_undo, width="stretch", disabled=not st.session_state.get("custom_undo"))
        c2.button("Clear", on_click=_clear, width="stretch")
    st.download_button(
        "Download data as CSV",
        data.to_csv,  # written on click, not on every rerun of a busy page
        file_name=f"{data.name}.csv",
        mime="text/csv",
        on_click="ignore",
        width="stretch",
    )
    st.caption(plain(f"{len(data)} points, {data.n_classes} classes: " + ", ".join(data.classes)))
    return data


def step_once(slot: str) -> None:
    """Pause, then train one epoch's worth of steps (:func:`relu_viz.ui.live.step`: in the training
    thread's turns, streamed with a progress bar when it takes longer than a moment)."""
    live.set_playing(slot, False)
    current: live.LiveRun | None = st.session_state.get(slot)
    if current is not None:
        live.step(slot, current.worker.with_trainer(lambda t: t.steps_per_epoch))


def _add_drawn_point(data: datasets.Dataset) -> None:
    state = st.session_state.get("draw_map")
    points = getattr(getattr(state, "selection", None), "points", None) or []
    if not points:
        return
    x, y = points[-1]["x"], points[-1]["y"]
    cls = int(st.session_state.get("draw_class", 0))
    _set_custom(data.with_point(float(x), float(y), cls))


def _named_groups(data: datasets.Dataset) -> list[tuple[str, np.ndarray, int, bool]]:
    """The map's point groups, each named by its class through the app's one escaping helper
    (figures.point_groups' own html.escape leaves ``$``, which plotly hands to MathJax when present)."""
    groups = figs.point_groups(data.x, data.y, data.classes, np.arange(len(data)), None)
    return [(plotly_safe(data.classes[k]), xy, k, is_test) for _, xy, k, is_test in groups]


def draw_panel(data: datasets.Dataset) -> None:
    """A still map with an invisible clickable lattice: a click adds a point of the chosen class."""
    lattice = np.arange(-maps.VIEW_RADIUS + DRAW_STEP / 2, maps.VIEW_RADIUS, DRAW_STEP)
    gx, gy = np.meshgrid(lattice, lattice)
    blank = np.full((2, 2, 3), 255, dtype=np.uint8)
    fig = figs.decision_map_figure(
        blank,
        maps.DEFAULT_BOX,
        _named_groups(data),
        clickable=(gx.ravel(), gy.ravel()),
        title="Click to add a point (choose its class in the sidebar)",
    )
    st.plotly_chart(
        fig,
        key="draw_map",
        on_select=lambda: _add_drawn_point(data),
        selection_mode="points",
        config={"displayModeBar": False},
    )


def live_panel(slot: str, current: live.LiveRun, choice: DataChoice, playing: bool) -> None:
    """The map, the numbers, the curves and the network diagram, drawn in the browser
    (:mod:`relu_viz.ui.renderer`) from the run's weights, streamed by
    :func:`relu_viz.ui.live.live_fragment` while training plays.

    The panel's first payload sets the run up (structure, points, history:
    :func:`relu_viz.stream.setup_payload`); each frame after it carries only the weights, the numbers
    and the new history rows. The view control
    lives inside the panel's fragment: changing the view reruns the panel alone, whose first payload
    tells the browser the new view.
    """
    run = current.run
    size = MAP_SIZE_PRESENTING if theme.presenting() else MAP_SIZE
    run_id = f"{id(current):x}"
    key = f"rv_{slot}"

    @live.live_fragment(playing)
    def panel() -> Callable[[], bool]:
        view = view_mode_control()
        span = live.stepping(slot)
        progress = st.empty()
        box, frames = st.empty(), st.empty()
        snap = current.worker.snapshot()
        if span is not None:
            _show_step_progress(progress, span, snap.step)
        if not playing and _regions_recorded(slot) != (run_id, snap.step):
            _record_regions(slot, run_id, current, snap)
        data = stream.setup_payload(slot, run_id, run, snap, snap.theta, view, size, choice.show_test)
        renderer.show(box, key, data)
        sent = {"step": snap.step, "rows": _last_step(snap.history)}

        def draw() -> bool:
            snap = current.worker.snapshot()
            # the worker's own flag, not the snapshot's: a snapshot taken while a slice runs may
            # predate the Play that started it
            if playing and not current.worker.is_playing:
                # the worker stopped itself (divergence, epoch limit, idle tab): stop streaming too
                live.set_playing(slot, False)
                st.rerun(scope="app")
            if snap.step == sent["step"]:
                return False
            if span is not None:
                _show_step_progress(progress, span, snap.step)
            data = stream.update_payload(slot, run_id, snap, snap.theta, view, size, sent["rows"])
            renderer.stream(frames, f"{key}_frames", data)
            sent["step"], sent["rows"] = snap.step, _last_step(snap.history)
            return True

        return draw

    panel()


def _show_step_progress(slot: DeltaGenerator, span: tuple[int, int], step: int) -> None:
    """The Step in progress: how many of its steps are done (Pause stops the rest)."""
    first, target = span
    done, total = min(max(step - first, 0), target - first), max(target - first, 1)
    text = f"Step: {done:,} of {total:,} training steps (one epoch) · Pause stops it"
    slot.progress(done / total, text=text)


def _last_step(history: dict[str, np.ndarray]) -> float:
    steps = history.get("step", ())
    return float(steps[-1]) if len(steps) else -1.0


def _regions_recorded(slot: str) -> tuple[str, int] | None:
    return st.session_state.get(f"{slot}_regions_step")


def _record_regions(slot: str, run_id: str, current: live.LiveRun, snap: Snapshot) -> None:
    """While paused, put the exact region count of the shown weights into the run's history (the
    metrics export's ``regions`` column; the browser draws its own count curve while playing)."""
    try:
        count = regions.partition(current.view(snap), maps.DEFAULT_BOX).n_linear_regions
    except regions.NotPiecewiseLinear:
        return
    current.worker.with_trainer(lambda t: t.history.record_regions(snap.step, count))
    st.session_state[f"{slot}_regions_step"] = (run_id, snap.step)


def hidden_panel(current: live.LiveRun) -> None:
    """The data and a warped grid in the space of two units of one hidden layer (as in ConvNetJS)."""
    model = current.view(current.worker.snapshot())
    widths = network.hidden_widths(model)
    if not widths or max(widths) < 2:
        st.info("Needs a hidden layer with at least two units.")
        return
    layers = [i for i, w in enumerate(widths) if w >= 2]
    c1, c2, c3 = st.columns(3)
    layer = c1.selectbox("Layer", layers, format_func=lambda i: f"layer {i + 1}", key="h_layer")
    u = c2.selectbox(
        "Horizontal axis", range(widths[layer]), format_func=lambda i: f"unit {i + 1}", key="h_u"
    )
    v = c3.selectbox(
        "Vertical axis", range(widths[layer]), index=1, format_func=lambda i: f"unit {i + 1}", key="h_v"
    )
    run = current.run
    hv = maps.hidden_view(model, layer, (u, v), run.x_train)
    st.plotly_chart(
        figs.hidden_view_figure(
            hv.data,
            run.y_train,
            hv.grid_lines,
            [plotly_safe(c) for c in run.dataset.classes],
            (f"layer {layer + 1}, unit {u + 1} output", f"layer {layer + 1}, unit {v + 1} output"),
        ),
        key="hidden",
    )
    st.caption(
        "Each grey line is a straight line of the input plane, bent by the layers up to this one. "
        "ReLU folds whole half-planes onto the axes: points there land on the same line."
    )


def export_panel(current: live.LiveRun, _datasets=None) -> None:
    """Weights as JSON and as a torch state_dict, metrics as CSV, the data as CSV."""
    snap = current.worker.snapshot()
    state = {k: v.detach().cpu().tolist() for k, v in snap.state_dict.items()}
    payload = {
        "architecture": str(current.run.model),
        "spec": {
            "hidden": list(current.run.spec.hidden),
            "activations": list(current.run.spec.activations),
            "features": list(current.run.spec.features),
            "init": current.run.spec.init,
            "seed": current.run.spec.seed,
        },
        "step": snap.step,
        "epoch": snap.epoch,
        "state_dict": state,
    }
    buf = io.BytesIO()
    torch.save(snap.state_dict, buf)
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(
        "Weights (JSON)", json.dumps(payload), "weights.json", "application/json", width="stretch"
    )
    c2.download_button(
        "state_dict (.pt)", buf.getvalue(), "state_dict.pt", "application/octet-stream", width="stretch"
    )
    metrics_csv = current.worker.with_trainer(lambda t: t.history.to_csv())
    c3.download_button("Metrics (CSV)", metrics_csv, "metrics.csv", "text/csv", width="stretch")
    c4.download_button("Data (CSV)", current.run.dataset.to_csv(), "data.csv", "text/csv", width="stretch")
    st.caption("Figures: use the camera icon in each chart's toolbar to save a PNG.")
