"""The "Fit a function" page's widgets and panels.

Every setting is bound to a URL query parameter (keys ``f_...``, checked by :mod:`relu_viz.ui.query`
before any widget reads them), so a link reproduces the fit. The run lives in ``st.session_state`` with
its own background worker (:mod:`relu_viz.worker`), as the trainer's does, and the live panel streams
its weights to the browser renderer (``relu_viz/js/fit_view.js``) through
:func:`relu_viz.ui.live.live_fragment`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch
from torch import nn

from relu_viz import fit, fit_stream, formula, network, regions
from relu_viz.figures.fit import fit_figure
from relu_viz.training import LEARNING_RATES, TrainSettings
from relu_viz.ui import live, renderer, text
from relu_viz.worker import Snapshot, TrainingWorker

Q = "query-params"
SLOT = "fit_run"
CLICKED_KEY = "fit_clicked"  # session state: the points clicked onto the plot, [(x, y), ...]
OPTIMIZER_KEYS = ["sgd", "momentum", "adam"]
BATCH_SIZES = [1, 2, 5, 10, 20, 50, 100, 0]  # 0: every point (full batch)
SPEEDS = [1, 5, 20, 100, 0]  # epochs per second; 0: as fast as the server allows
MAX_SEED = 1_000_000
DEFAULT_FORMULA = "x*sin(2*x)"
CLICK_Y_RANGE = (-3.0, 3.0)
CLICK_STEP = 0.1
VIEW_HEIGHT = 480

TARGET_HELP = (
    "sin: sin x · abs: |x| · step: 0 for x ≤ 0, 1 for x > 0 · cubic: x³ − x on [−1.5, 1.5] · sawtooth: "
    "a zigzag with a corner at every integer · formula: type f(x) (the Activations page's safe parser) · "
    "clicked: click points onto the plot. All on [−3, 3] unless said."
)


def format_rate(v: float) -> str:
    return f"{v:g}"


def format_batch(b: float) -> str:
    return "all" if b == 0 else str(int(b))


def format_speed(v: float) -> str:
    return "max" if v == 0 else str(int(v))


@dataclass(frozen=True)
class TargetChoice:
    """The target and its points' settings (``text``: the typed formula, when the target is one)."""

    key: str
    text: str
    n: int
    noise: float  # 0 .. 0.5
    seed: int


def target_controls() -> TargetChoice:
    """Target, formula, points, noise, seed (the sidebar's Target section)."""
    key = st.selectbox("Target y = f(x)", fit.TARGET_KEYS, index=0, key="f_target", bind=Q, help=TARGET_HELP)
    target = fit.TARGETS[key]
    formula_text = ""
    if key == fit.FORMULA:
        formula_text = st.text_input(
            "f(x) =",
            DEFAULT_FORMULA,
            max_chars=formula.MAX_CHARS,
            key="f_formula",
            bind=Q,
            help=formula.describe_functions(),
        )
    else:
        lo, hi = target.domain
        st.caption(text.plain(f"{target.label}, x from {lo:g} to {hi:g}"))
    clicked = key == fit.CLICKED
    c1, c2 = st.columns(2)
    n = c1.slider("Points", 10, 500, 100, step=10, key="f_n", bind=Q, disabled=clicked)
    noise = c2.slider(
        "Noise (%)",
        0,
        50,
        0,
        step=5,
        key="f_noise",
        bind=Q,
        disabled=clicked,
        help="Gaussian noise added to y, its standard deviation this share of the target's range.",
    )
    seed = st.number_input("Seed", 0, MAX_SEED, 0, step=1, key="f_seed", bind=Q, help="Points and weights.")
    return TargetChoice(key, formula_text, int(n), noise / 100.0, int(seed))


def network_controls(seed: int) -> fit.FitSpec:
    """Hidden layers, units per layer, activation, initialisation (the sidebar's Network section)."""
    n_layers = st.slider("Hidden layers", 0, fit.MAX_HIDDEN_LAYERS, 1, key="f_layers", bind=Q)
    hidden: list[int] = []
    if n_layers:
        cols = st.columns(min(n_layers, 2))
        for i in range(n_layers):
            hidden.append(
                int(
                    cols[i % len(cols)].number_input(
                        f"Units in layer {i + 1}", 1, fit.MAX_UNITS, 8, key=f"f_w{i + 1}", bind=Q
                    )
                )
            )
    act = st.selectbox(
        "Activation",
        fit.ACTIVATIONS,
        index=0,
        key="f_act",
        bind=Q,
        help="relu, leaky_relu and hardtanh are piecewise linear: the fit is straight between kinks. "
        "tanh is smooth: the fit bends everywhere and has no kinks to count.",
    )
    init = st.selectbox(
        "Initialisation",
        list(network.INIT_SCHEMES),
        index=list(network.INIT_SCHEMES).index("default"),
        key="f_init",
        bind=Q,
        help="; ".join(f"{k}: {v}" for k, v in network.INIT_SCHEMES.items()),
    )
    return fit.FitSpec(tuple(hidden), act, init, seed)


def learning_rate_control() -> float:
    return float(
        st.select_slider(
            "Learning rate", LEARNING_RATES, value=0.03, key="f_lr", bind=Q, format_func=format_rate
        )
    )


def training_controls(seed: int, lr: float) -> tuple[TrainSettings, float | None]:
    """Optimizer, batch size, speed (the sidebar's Training section); the learning rate is read apart."""
    opt = st.selectbox(
        "Optimizer",
        OPTIMIZER_KEYS,
        key="f_opt",
        bind=Q,
        help="sgd: plain stochastic gradient descent; momentum: SGD with momentum 0.9; adam: Adam.",
    )
    batch = st.select_slider(
        "Batch size", BATCH_SIZES, value=10, key="f_batch", bind=Q, format_func=format_batch
    )
    speed = st.select_slider(
        "Training speed (epochs per second)",
        SPEEDS,
        value=20,
        key="f_speed",
        bind=Q,
        format_func=format_speed,
        help="Slow enough to watch the kinks move; 'max' trains as fast as the server allows.",
    )
    settings = TrainSettings(lr=lr, optimizer=opt, batch_size=int(batch), loss="squared_error", seed=seed)
    return settings, None if speed == 0 else float(speed)


def make_data(choice: TargetChoice) -> fit.FitData | None:
    """The points to fit, or None after showing why there are none (a formula error: the message and
    where in the text it is)."""
    try:
        return fit.make_data(
            choice.key,
            choice.n,
            choice.noise,
            choice.seed,
            choice.text,
            st.session_state.get(CLICKED_KEY, []),
        )
    except formula.FormulaError as err:
        st.error(
            text.plain(f"The formula can't be used: {err} Fix it in the sidebar (Target, f(x) =)."),
            icon=":material/error:",
        )
        pointer = " " * max(0, min(err.position, len(choice.text))) + "^"
        st.code(f"{choice.text}\n{pointer}", language=None)
        return None
    except ValueError as err:
        st.error(text.plain(str(err)), icon=":material/error:")
        return None


@dataclass
class FitLive:
    """A fit run, its worker, and a private copy of the network that the page reads weights into."""

    run: fit.FitRun
    worker: TrainingWorker
    view_model: nn.Sequential
    key: tuple

    def view(self, snap: Snapshot) -> nn.Sequential:
        self.view_model.load_state_dict(snap.state_dict)
        return self.view_model


def ensure_run(slot: str, data: fit.FitData, spec: fit.FitSpec, settings: TrainSettings) -> FitLive:
    """The session's fit in ``slot``: rebuilt when the points or the network changed, else updated."""
    key = fit.structure_key(data, spec, settings)
    current: FitLive | None = st.session_state.get(slot)
    if current is not None and current.key == key:
        current.worker.with_trainer(lambda t: t.update(settings))
        return current
    if current is not None:
        current.worker.stop()
    run = fit.start(data, spec, settings)
    worker = TrainingWorker(run.trainer, watched=live.browser_connected())
    current = FitLive(run, worker, copy.deepcopy(run.model), key)
    st.session_state[slot] = current
    st.session_state[f"{slot}_playing"] = False
    return current


def step_once(slot: str) -> None:
    """Train one epoch (through the training thread), then pause."""
    current: FitLive | None = st.session_state.get(slot)
    if current is not None:
        live.step(slot, current.worker.with_trainer(lambda t: t.steps_per_epoch))


def run_buttons(c_play, c_step, c_reset, slot: str, playing: bool) -> None:
    c_play.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        type="primary",
        width="stretch",
        on_click=live.set_playing,
        args=(slot, not playing),
        key="pause" if playing else "play",
    )
    c_step.button(
        "Step", width="stretch", on_click=step_once, args=(slot,), help="Train one epoch.", key="step"
    )
    c_reset.button(
        "Reset",
        width="stretch",
        on_click=live.reset,
        args=(slot,),
        help="Fresh weights from the same seed: the same run again.",
        key="reset",
    )


def live_panel(slot: str, current: FitLive, playing: bool) -> None:
    """The fit, its kinks, the units' terms and the loss, drawn in the browser from the streamed weights."""
    run_id = f"{id(current):x}"
    key = f"rv_{slot}"

    @live.live_fragment(playing)
    def panel() -> Callable[[], bool]:
        box, frames = st.empty(), st.empty()
        snap = current.worker.snapshot()
        model = current.view(snap)
        data = fit_stream.setup_payload(slot, run_id, current.run, model, snap, VIEW_HEIGHT)
        renderer.show(box, key, data)
        sent = {"step": snap.step, "rows": fit_stream.last_step(snap.history)}

        def draw() -> bool:
            snap = current.worker.snapshot()
            if playing and not current.worker.is_playing:
                # the worker stopped itself (divergence, idle tab): stop streaming and show Play
                live.set_playing(slot, False)
                st.rerun(scope="app")
            if snap.step == sent["step"]:
                return False
            renderer.stream(
                frames, f"{key}_frames", fit_stream.update_payload(slot, run_id, snap, sent["rows"])
            )
            sent["step"], sent["rows"] = snap.step, fit_stream.last_step(snap.history)
            return True

        return draw

    panel()


def _add_clicked_point() -> None:
    state = st.session_state.get("f_click_map")
    points = getattr(getattr(state, "selection", None), "points", None) or []
    if not points:
        return
    x, y = float(points[-1]["x"]), float(points[-1]["y"])
    st.session_state[CLICKED_KEY] = [*st.session_state.get(CLICKED_KEY, []), (x, y)]


def _clear_clicked() -> None:
    st.session_state[CLICKED_KEY] = []


def _undo_clicked() -> None:
    st.session_state[CLICKED_KEY] = st.session_state.get(CLICKED_KEY, [])[:-1]


def click_panel(data: fit.FitData, current: FitLive | None) -> None:
    """A plot with an invisible clickable lattice: a click adds a point; the current fit is drawn too."""
    lo, hi = data.domain
    gx, gy = np.meshgrid(
        np.arange(lo, hi + 1e-9, CLICK_STEP), np.arange(CLICK_Y_RANGE[0], CLICK_Y_RANGE[1] + 1e-9, CLICK_STEP)
    )
    fit_xy = kinks = None
    if current is not None:
        model = current.view(current.worker.snapshot())
        xs = np.linspace(lo, hi, 601)
        fit_xy = (xs, _predict(model, xs))
        try:
            kinks = regions.kinks(model, lo, hi)
        except regions.NotPiecewiseLinear:
            kinks = None
    fig = fit_figure(
        data.x,
        data.y,
        domain=(lo, hi),
        fit_xy=fit_xy,
        kinks=kinks,
        clickable=(gx.ravel(), gy.ravel()),
        y_range=CLICK_Y_RANGE,
        title=f"Click to add points ({len(data)} so far); Play trains on them",
        height=300,
        legend=False,
    )
    st.plotly_chart(
        fig,
        key="f_click_map",
        on_select=_add_clicked_point,
        selection_mode="points",
        config={"displayModeBar": False},
    )
    c1, c2, _ = st.columns([1, 1, 4])
    c1.button("Undo last point", on_click=_undo_clicked, key="f_undo", disabled=not len(data))
    c2.button("Clear points", on_click=_clear_clicked, key="f_clear", disabled=not len(data))


def _predict(model: nn.Sequential, xs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(xs.astype(np.float32)).reshape(-1, 1)).double().numpy()[:, 0]


MATHS = r"""
**Why a ReLU network on a line is a sum of hinges.** With one hidden layer of $n$ units,

$$f(x) = c + \sum_{j=1}^{n} a_j\,\mathrm{ReLU}(w_j x + b_j).$$

Unit $j$ is 0 where $w_j x + b_j \le 0$ and a straight line of slope $a_j w_j$ on the other side: a
*hinge* that bends at its breakpoint $x_j = -b_j / w_j$. A sum of straight pieces is straight wherever no
hinge bends, so $f$ is piecewise linear and its slope can change only at the breakpoints:
**at most $n$ kinks from $n$ units**. A breakpoint is a kink only when the slope really changes there
(two units bending at the same $x$ with $a_1 w_1 = -a_2 w_2$ cancel; a unit with $a_j = 0$ adds nothing),
and two units with the same breakpoint make one kink.

A deeper network feeds bent lines into the next layer, whose units can bend at every piece they see:
$[1, n_1, \dots, n_L, 1]$ can have up to $\prod_l (n_l + 1) - 1$ kinks (16 for $[1, 16, 1]$, 288 for
$[1, 16, 16, 1]$), though trained networks use far fewer. The kinks shown are computed exactly from the
weights (layer by layer, the $x$ where each unit's input crosses its breakpoint), not by sampling.
Loss: the mean squared error $\frac{1}{B}\sum_i (f(x_i) - y_i)^2$ over each batch of $B$ points.
"""
