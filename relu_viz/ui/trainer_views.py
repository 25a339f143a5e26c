"""The trainer page's panels: data (upload, draw, download), the live map, units, hidden view, export.

Each panel reads its own widgets, asks the engine for arrays and draws figures; the maths lives in
relu_viz (maps, frame, regions), the pictures in relu_viz.figures.trainer.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from relu_viz import datasets, frame, maps, network, render_pool
from relu_viz.figures import live_image
from relu_viz.figures import trainer as figs
from relu_viz.ui import live, message_queue, theme
from relu_viz.ui.text import plain
from relu_viz.ui.trainer_controls import CUSTOM_DATA, DataChoice
from relu_viz.worker import Snapshot

VIEW_MODES = ("probabilities", "outlines", "regions")
DRAW_STEP = 0.25  # spacing of the clickable lattice in draw mode (plane units)
MAP_SIZE_PRESENTING = 400  # live map picture side in presenter view: fits a 720-pixel-high screen
CURVES_SIZE = (440, 380)  # the live curves picture, (width, height) pixels
# presenter view: the curves sit under the view control and must end above a 720-pixel screen's fold
CURVES_SIZE_PRESENTING = (400, 315)
THUMB = 20  # thumbnail resolution (the 100 x 100 grid reduced 5x)
# The live map's caption per view; it names the view first, so a glance (or a test) can tell which
# view a picture shows.
LIVE_CAPTIONS = {
    "probabilities": "colours show the predicted class (orange 0, blue 1, …), paler where the network is "
    "less sure",
    "outlines": "colours show the predicted class (orange 0, blue 1, …), thin lines the exact linear "
    "regions, the thick line the exact decision boundary",
    "regions": "each linear region has its own colour, tinted by the predicted class; the thick line is the "
    "exact decision boundary",
}
LIVE_POINTS = (
    "filled dots are training points, rings test points. Hover, zoom and adding points work when paused."
)


def live_caption(view: str) -> str:
    """The caption under the live map picture of ``view``: 'Live while training · <view>: ...'."""
    return f"Live while training · {view}: {LIVE_CAPTIONS[view]}; {LIVE_POINTS}"


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
        label_visibility="collapsed" if theme.presenting() else "visible",
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
            st.error(str(err))
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
            format_func=lambda i: data.classes[i][:40],
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
    """Pause, then train exactly one epoch."""
    live.set_playing(slot, False)
    current: live.LiveRun | None = st.session_state.get(slot)
    if current is not None:
        current.worker.with_trainer(lambda t: t.run_epochs(1))


def _add_drawn_point(data: datasets.Dataset) -> None:
    state = st.session_state.get("draw_map")
    points = getattr(getattr(state, "selection", None), "points", None) or []
    if not points:
        return
    x, y = points[-1]["x"], points[-1]["y"]
    cls = int(st.session_state.get("draw_class", 0))
    _set_custom(data.with_point(float(x), float(y), cls))


def draw_panel(data: datasets.Dataset) -> None:
    """A still map with an invisible clickable lattice: a click adds a point of the chosen class."""
    lattice = np.arange(-maps.VIEW_RADIUS + DRAW_STEP / 2, maps.VIEW_RADIUS, DRAW_STEP)
    gx, gy = np.meshgrid(lattice, lattice)
    blank = np.full((2, 2, 3), 255, dtype=np.uint8)
    fig = figs.decision_map_figure(
        blank,
        maps.DEFAULT_BOX,
        figs.point_groups(data.x, data.y, data.classes, np.arange(len(data)), None),
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


@dataclass
class _Shown:
    """One live frame as the page shows it. The last one shown while playing is kept in session state:
    a frame loop that starts right after a page run shows it again at once rather than wait for (and
    pay) a new frame."""

    key: tuple
    at: float  # time.monotonic() when drawn
    step: int
    map_uri: str | None  # the map picture (playing) ...
    map_figure: object | None  # ... or the interactive plotly map (paused)
    count: tuple[int | None, str | None, str]  # region count, note, count line
    caption: str
    numbers: tuple[Snapshot, str | None] | None  # the snapshot they show, the curves picture (None: plotly)
    numbers_at: float = -1.0  # when the numbers were last redrawn (time.monotonic())
    numbers_version: int = -1  # the history version they show

    @property
    def view(self) -> str:
        return self.key[1]  # key: (run key, view, map size, test points shown)


REPLAY_SECONDS = 1.0  # a frame shown this recently is shown again when the frame loop starts


def live_panel(slot: str, current: live.LiveRun, choice: DataChoice, playing: bool) -> None:
    """The map beside the numbers and curves, streamed by :func:`relu_viz.ui.live.live_fragment`
    while training plays.

    While playing, the map and the curves are pictures drawn in a helper process
    (:mod:`relu_viz.render_pool`; a changed plotly chart would also be remounted by the browser every
    frame), the map at the server's pace (5 a second, slower for a busy classroom), the numbers and
    curves, which change slowly, every ``pace().curves_interval`` seconds. Paused, both are
    interactive plotly charts. Each frame is computed before anything is shown, so a page run never
    shows an empty map while its first frame is being drawn.

    The view control lives inside the panel's fragment: changing the view reruns the panel alone (the
    running frame loop sees that rerun waiting and ends, see :func:`relu_viz.ui.live.live_fragment`),
    not the whole page with its sidebar. For a class that flips views while training plays, that was
    most of the server's time per click.
    """
    run = current.run
    test_idx = run.test_idx if choice.show_test else None
    presenting = theme.presenting()
    size = MAP_SIZE_PRESENTING if presenting else 480
    curves_size = CURVES_SIZE_PRESENTING if presenting else CURVES_SIZE
    pooled = live.served()  # frames drawn in helper processes (not under AppTest)
    if pooled:
        live.RENDER_POOL.start()  # ready by the time Play is pressed
    shown_slot = f"{slot}_shown"

    def next_frame(view: str, last: _Shown | None, first: bool) -> _Shown | None:
        """The next frame to show, or None when nothing trained since ``last`` (or a view change is
        waiting: see :func:`relu_viz.ui.live.picture`)."""
        started = time.perf_counter()
        key = (current.key, view, size, choice.show_test)
        kept: _Shown | None = st.session_state.get(shown_slot)
        recent = kept is not None and kept.key == key and time.monotonic() - kept.at < REPLAY_SECONDS
        # only a playing loop replays: a timer tick that was on its way when Pause was clicked starts
        # a fragment run after the paused page run, and must not put the last live picture back
        if playing and first and recent and live.in_frame_loop():
            return kept
        snap = current.worker.snapshot()
        # the worker's own flag, not the snapshot's: a snapshot taken while a slice runs may
        # predate the Play that started it
        if playing and not current.worker.is_playing:
            # the worker stopped itself (divergence, epoch limit, idle tab): stop redrawing too
            live.set_playing(slot, False)
            st.rerun(scope="app")
        if last is not None and snap.step == last.step:
            return None
        pace = live.pace()
        now = time.monotonic()
        # A frame loop's first frame takes the numbers (status, curves picture) from the frame shown
        # last in this run, even in another view: a view change (which reruns the panel alone) then
        # costs no curves redraw, about as much helper time as the map itself, for curves that have
        # not changed. A page run (a click elsewhere) shows fresh numbers.
        same_run = kept is not None and kept.key[0] == key[0] and kept.key[2:] == key[2:]
        reuse = playing and same_run and live.in_frame_loop()
        source = last if last is not None else kept if reuse else None
        numbers_at = source.numbers_at if source is not None else -1.0
        numbers_version = source.numbers_version if source is not None else -1
        numbers_due = now - numbers_at >= pace.curves_interval and snap.history_version != numbers_version
        if numbers_due:
            numbers_at, numbers_version = now, snap.history_version
        numbers = source.numbers if source is not None else None
        map_uri = map_figure = None
        if playing:
            job = render_pool.FrameJob(
                run.spec,
                run.dataset.n_classes,
                render_pool.FrameJob.weights(snap.state_dict),
                view,
                run.dataset.x,
                run.dataset.y,
                run.train_idx,
                test_idx,
                size,
                history=snap.history if numbers_due else None,
                curves_size=curves_size,
            )
            # the first frame of a run is the one a click waits for: it goes first
            picture = live.picture(job, pooled, urgent=first)
            if picture is None:
                return None  # given up for the view change waiting: its rerun draws the next frame
            count = (picture.region_count, picture.note, picture.count_text)
            map_uri = live_image.data_uri(picture.jpeg)
            if count[0] is not None:
                current.worker.with_trainer(lambda t: t.history.record_regions(snap.step, count[0]))
            if numbers_due and picture.curves_png is not None:
                numbers = (snap, live_image.data_uri(picture.curves_png, "image/png"))
        else:
            model = current.view(snap)
            fr = frame.compute(model, exact=view != "probabilities", region_ids=view == "regions")
            count = (fr.region_count, fr.regions_note, frame.count_text(fr, model))
            map_figure = figs.live_map_figure(
                fr,
                run.dataset.x,
                run.dataset.y,
                run.dataset.classes,
                run.train_idx,
                test_idx,
                outlines=view == "outlines",
                height=MAP_SIZE_PRESENTING + 90 if presenting else 560,
            )
            if count[0] is not None:
                # into the history before the curves are drawn from it: a paused page draws them once
                # (a fresh run's regions panel was empty)
                current.worker.with_trainer(lambda t: t.history.record_regions(snap.step, count[0]))
                if numbers_due:
                    snap = current.worker.snapshot()
            if numbers_due:
                numbers = (snap, None)
        speed = f"{snap.epochs_per_second:,.0f} epochs/s · " if snap.playing else ""
        rate = f" · {1 / pace.frame_interval:.1f} frames/s" if playing else ""
        caption = f"{speed}frame ready in {1000 * (time.perf_counter() - started):.0f} ms{rate}"
        fresh = _Shown(
            key,
            time.monotonic(),
            snap.step,
            map_uri,
            map_figure,
            count,
            caption,
            numbers,
            numbers_at,
            numbers_version,
        )
        if playing:
            st.session_state[shown_slot] = fresh
        return fresh

    @live.live_fragment(playing)
    def panel() -> Callable[[], bool]:
        left, right = st.columns([3, 2])
        with right:
            view = view_mode_control()
        # the frame before the map's slots, which start out empty: a click never shows a blank map
        pending = next_frame(view, None, first=True)
        state: dict[str, _Shown | None] = {"last": None}

        def show(f: _Shown, last: _Shown | None) -> None:
            # Only what changed is sent: every message costs the busy server process its share of time.
            # The caption (speed, frame time) changes every frame, so it follows the numbers' pace.
            numbers_changed = last is None or f.numbers is not last.numbers
            if f.map_uri is not None:
                # at its own pixel size: stretched to the column it would overflow a projector's screen
                map_slot.image(f.map_uri, caption=live_caption(f.view), width=live_image.picture_side(size))
            else:
                map_slot.plotly_chart(f.map_figure, key="map", config={"displayModeBar": "hover"})
            count, note, line = f.count
            if last is None or f.count != last.count:
                if note:
                    count_slot.info(note)
                elif count is not None:
                    count_slot.markdown(f"**{line}**")
            if numbers_changed:
                caption_slot.caption(f.caption)
            if numbers_changed and f.numbers is not None:
                snap, curves_uri = f.numbers
                numbers.show(snap)
                if curves_uri is not None:
                    curves_slot.image(curves_uri)
                else:
                    curves = figs.curves_figure(snap.history, height=curves_size[1])
                    curves_slot.plotly_chart(curves, key="curves")

        def draw() -> bool:
            last = state["last"]
            f = next_frame(view, last, first=False)
            if f is None:
                return False  # nothing trained since the last frame
            show(f, last)
            state["last"] = f
            return True

        # The slots start out empty and the first frame fills them at once. While playing that is a few
        # cheap element calls, sent as one batch: a flush of the queue between a slot and its picture
        # would show the browser an empty map for a moment (a view change did, in one CI run of the
        # browser tests in three). Paused, the plotly figures take too long to hold other sessions'
        # messages back for.
        with message_queue.together() if playing else contextlib.nullcontext():
            with left:
                map_slot, count_slot, caption_slot = st.empty(), st.empty(), st.empty()
            with right:
                numbers = _StatusSlots()
                curves_slot = st.empty()
            show(pending, None)
        state["last"] = pending
        return draw

    panel()


class _StatusSlots:
    """Epoch, test loss and accuracy, the training numbers and what stopped training if something did:
    laid out once per panel run, then refilled in place, sending only the values that changed.

    Rebuilding the block (a container, a row of three columns) at every update sent five layout
    messages besides the values; with a class playing, layout was a third of the server's messages.
    """

    def __init__(self) -> None:
        c1, c2, c3 = st.columns(3)
        self._slots = {"epoch": c1.empty(), "loss": c2.empty(), "acc": c3.empty()}
        self._slots |= {"train": st.empty(), "note": st.empty()}
        self._sent: dict[str, tuple] = {"note": ("empty",)}  # what each slot shows now

    def _put(self, name: str, kind: str, *args: str) -> None:
        if self._sent.get(name) != (kind, *args):
            getattr(self._slots[name], kind)(*args)
            self._sent[name] = (kind, *args)

    def show(self, snap) -> None:
        """The numbers of ``snap`` (a :class:`relu_viz.worker.Snapshot`)."""
        last = {k: (v[-1] if len(v) else float("nan")) for k, v in snap.history.items()}
        # tenths only while they matter: '4,810.5' did not fit its third of the column on a laptop
        epoch = f"{snap.epoch:,.1f}" if snap.epoch < 1000 else f"{snap.epoch:,.0f}"
        self._put("epoch", "metric", "Epoch", epoch)
        self._put("loss", "metric", "Test loss", f"{last.get('test_loss', np.nan):.3f}")
        self._put("acc", "metric", "Test accuracy", f"{100 * last.get('test_acc', np.nan):.1f}%")
        self._put(
            "train",
            "caption",
            f"Training loss {last.get('train_loss', np.nan):.3f} · training accuracy "
            f"{100 * last.get('train_acc', np.nan):.1f}% · step {snap.step:,}",
        )
        if snap.status == "diverged":
            self._put("note", "error", snap.message)
        elif snap.status == "epoch_limit":
            self._put("note", "success", snap.message or "Reached the epoch limit.")
        elif snap.pause_reason == "idle":
            idle = "Training paused itself: nobody was watching this tab. Press Play to go on."
            self._put("note", "caption", idle)
        else:
            self._put("note", "empty")


def _tiles(model: torch.nn.Sequential) -> tuple[list[np.ndarray], list[list[np.ndarray | None]] | None]:
    g = maps.grid(maps.DEFAULT_BOX, THUMB)
    outs = maps.unit_outputs(model, g.points)
    tiles = []
    for layer in outs:
        layer = np.nan_to_num(layer, nan=0.0, posinf=1e30, neginf=-1e30)  # a diverged run's units
        scale = np.maximum(np.abs(layer).max(axis=0), 1e-9)
        tiles.append((layer / scale).T.reshape(-1, THUMB, THUMB))
    lines = None
    first = maps.first_layer_lines(model)
    if first is not None:
        (x0, x1), (y0, y1) = maps.DEFAULT_BOX
        layer_lines: list[np.ndarray | None] = []
        for w, b in zip(*first, strict=True):
            seg = maps.line_segment(w, b)
            if seg is not None:
                seg = np.stack(
                    [(seg[:, 0] - x0) / (x1 - x0) * THUMB, (seg[:, 1] - y0) / (y1 - y0) * THUMB], 1
                )
            layer_lines.append(seg)
        lines = [layer_lines]
    return tiles, lines


def units_panel(current: live.LiveRun) -> None:
    """Every hidden unit's output over the plane, and one enlarged."""
    model = current.view(current.worker.snapshot())
    widths = network.hidden_widths(model)
    if not widths:
        st.info("This network has no hidden layer: it is one linear rule, so there are no units to show.")
        return
    tiles, lines = _tiles(model)
    st.caption(
        "Each square is one unit's output over the plane (blue positive, orange negative, white zero; "
        "scaled per unit). First-layer units also show their line w·x + b = 0."
    )
    st.plotly_chart(figs.unit_mosaic_figure(tiles, lines), key="units", config={"displayModeBar": False})
    c1, c2 = st.columns(2)
    layer = c1.selectbox("Layer", range(len(widths)), format_func=lambda i: f"layer {i + 1}", key="u_layer")
    unit = c2.selectbox("Unit", range(widths[layer]), format_func=lambda i: f"unit {i + 1}", key="u_unit")
    g = maps.grid(maps.DEFAULT_BOX, 100)
    values = maps.unit_outputs(model, g.points)[layer][:, unit].reshape(100, 100)
    segment = None
    first = maps.first_layer_lines(model)
    if layer == 0 and first is not None:
        segment = maps.line_segment(first[0][unit], first[1][unit])
    st.plotly_chart(
        figs.unit_figure(
            g.xs,
            g.ys,
            values,
            title=f"Layer {layer + 1}, unit {unit + 1}",
            segment=segment,
            data_xy=current.run.x_train,
        ),
        key="unit_big",
    )


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
            list(run.dataset.classes),
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
