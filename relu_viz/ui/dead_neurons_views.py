"""The Dead-neurons page's widgets and panels: settings bound to the URL, two live runs side by side
(ReLU and a variant), revive, the phase diagram and the survival theory.

Each panel reads its widgets, asks :mod:`relu_viz.dead_neurons` for arrays and draws figures from
:mod:`relu_viz.figures.neurons`. The runs reuse the trainer's live mechanism (:mod:`relu_viz.ui.live`):
one background worker per run, a fragment that redraws the latest snapshots while playing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from relu_viz import activations, datasets, network, neurons, stream
from relu_viz import dead_neurons as dn
from relu_viz.figures import neurons as figs
from relu_viz.sweep import PhaseResult
from relu_viz.training import LEARNING_RATES, OPTIMIZERS
from relu_viz.ui import background, live, renderer
from relu_viz.ui.text import plain
from relu_viz.worker import Snapshot

Q = "query-params"
SLOTS = {"relu": "dead_relu", "variant": "dead_variant"}
MONITOR = "{}_monitor"
BATCH_SIZES = [1, 2, 5, 10, 20, 50, 100, 0]  # 0: the whole training set
MAX_DEPTH = 6
MAX_WIDTH = 32
MAIN_HEIGHT = 420
# Every frame observes both networks on all training inputs (the census), on the server: a few
# milliseconds each, so five a second (the trainer streams faster: its frames are weights only).
MONITOR_INTERVAL = 0.2
# Measured by relu_viz.dead_neurons.rescue (bench/leaky_rescue.py): seeds 0-7 at bias -2.
LEAKY_NOTE = (
    " Whether that is enough to learn depends: at the default settings with bias −2, Leaky ReLU stays at "
    "loss 0.693 beside ReLU under plain SGD; switch the optimizer to Adam and it learns within a few "
    "hundred steps while ReLU stays at chance."
)


# -- settings ---------------------------------------------------------------------------------------


def learning_rate_control() -> float:
    """The first prominent slider: Playground's learning-rate ladder, 1e-5 to 10 (a log scale)."""
    return float(
        st.select_slider(
            "Learning rate (log scale)",
            LEARNING_RATES,
            value=0.03,
            key="dn_lr",
            bind=Q,
            format_func=lambda v: f"{v:g}",
            help="Try 3: within a few hundred steps most ReLU units die. Changes apply to the running "
            "networks at once.",
        )
    )


def bias_control() -> float:
    """The second prominent slider: every hidden unit's initial bias."""
    low, high = dn.BIAS_RANGE
    return float(
        st.slider(
            "Bias initialisation (every hidden unit)",
            low,
            high,
            0.0,
            step=0.1,
            key="dn_bias",
            bind=Q,
            help="Try −3: with He init most first-layer ReLU units are dead before training starts. "
            "Changing it starts both networks afresh.",
        )
    )


def _activation_label(key: str) -> str:
    return activations.get(key).name


def settings_controls(lr: float, bias: float) -> dn.MonitorSettings:
    """The secondary settings (put this in the sidebar) and the two prominent values, as settings."""
    variants = [k for k in activations.names() if k != dn.RELU]
    variant = st.selectbox(
        "Variant trained beside ReLU",
        variants,
        index=variants.index(dn.DEFAULT_VARIANT),
        key="dn_act",
        bind=Q,
        format_func=_activation_label,
    )
    c1, c2 = st.columns(2)
    depth = c1.slider("Hidden layers", 1, MAX_DEPTH, 3, key="dn_depth", bind=Q)
    width = c2.slider("Units per layer", 1, MAX_WIDTH, 8, key="dn_width", bind=Q)
    schemes = list(network.INIT_SCHEMES)
    init = st.selectbox(
        "Weight initialisation",
        schemes,
        index=schemes.index("he"),
        key="dn_init",
        bind=Q,
        format_func=network.INIT_SCHEMES.get,
        help="The bias slider overrides every scheme's hidden biases.",
    )
    c3, c4 = st.columns(2)
    optimizer = c3.selectbox("Optimizer", list(OPTIMIZERS), key="dn_opt", bind=Q, format_func=OPTIMIZERS.get)
    batch = c4.select_slider(
        "Batch size",
        BATCH_SIZES,
        value=10,
        key="dn_batch",
        bind=Q,
        format_func=lambda b: "all" if b == 0 else str(b),
    )
    names = datasets.names()
    c5, c6 = st.columns(2)
    dataset = c5.selectbox("Dataset", names, index=names.index("circle"), key="dn_ds", bind=Q)
    seed = c6.number_input("Seed", 0, 1_000_000, 0, step=1, key="dn_seed", bind=Q)
    st.caption(
        f"{dn.N_POINTS} points, half for training. Inputs standardised, as is usual practice: each "
        "coordinate has mean 0 and standard deviation 1 on the training set. Loss: cross-entropy."
    )
    return dn.MonitorSettings(
        lr=lr,
        bias=bias,
        variant=variant,
        depth=int(depth),
        width=int(width),
        init=init,
        optimizer=optimizer,
        dataset=dataset,
        seed=int(seed),
        batch_size=int(batch),
    )


@st.cache_data(max_entries=32, show_spinner=False)
def standardised_data(name: str, seed: int) -> dn.Standardised:
    """The generated dataset, standardised on its training split (immutable, so sessions may share it)."""
    return dn.standardise(datasets.make(name, n=dn.N_POINTS, seed=seed), dn.TRAIN_SHARE, seed)


# -- the two live runs ------------------------------------------------------------------------------


@dataclass
class Monitor:
    """A live run and what watches it: the death tracker, the training inputs and the view's plane
    (standardised), the last frame drawn, and the last revive note. ``version`` counts changes to the
    weights made outside training (revivals), so a cached frame is never shown for changed weights."""

    run: live.LiveRun
    tracker: neurons.DeathTracker
    x_train: np.ndarray
    plane: np.ndarray
    activation: str
    version: int = 0
    revivals: int = 0
    cached: tuple[tuple[int, int], dn.Frame] | None = None
    note: str = ""


def ensure_runs(settings: dn.MonitorSettings, data: dn.Standardised) -> dict[str, Monitor]:
    """The session's ReLU and variant runs (same data, seed and settings), with their monitors."""
    out = {}
    for role, slot in SLOTS.items():
        activation = dn.RELU if role == "relu" else settings.variant
        current = live.ensure_run(
            slot, data.dataset, dn.TRAIN_SHARE, settings.spec(activation), settings.train_settings()
        )
        monitor: Monitor | None = st.session_state.get(MONITOR.format(slot))
        if monitor is None or monitor.run is not current:
            x = current.run.x_train
            monitor = Monitor(current, neurons.DeathTracker(), x, data.plane(), activation)
            current.worker.set_speed(dn.STEPS_PER_SECOND)
            tracker = monitor.tracker
            current.worker.with_trainer(lambda t, tr=tracker, x=x: tr.observe(t.step_count, t.model, x))
            st.session_state[MONITOR.format(slot)] = monitor
        out[role] = monitor
    return out


def any_playing() -> bool:
    return any(live.is_playing(slot) for slot in SLOTS.values())


def _set_playing(playing: bool) -> None:
    # An explicit target, not a toggle: a click that reaches the server twice must not undo itself.
    for slot in SLOTS.values():
        live.set_playing(slot, playing)


def _step_both() -> None:
    """Pause both runs, then train each ``STEP_CHUNK`` steps now, watching the units as they go."""
    for slot in SLOTS.values():
        live.set_playing(slot, False)
        monitor: Monitor | None = st.session_state.get(MONITOR.format(slot))
        if monitor is not None:
            monitor.run.worker.with_trainer(
                lambda t, m=monitor: dn.train_observed(t, m.tracker, m.x_train, dn.STEP_CHUNK)
            )


def _reset_both() -> None:
    for slot in SLOTS.values():
        live.reset(slot)
        st.session_state.pop(MONITOR.format(slot), None)


def _revive(slot: str) -> None:
    monitor: Monitor | None = st.session_state.get(MONITOR.format(slot))
    if monitor is None:
        return
    spec = monitor.run.run.spec
    seed = spec.seed + monitor.revivals  # each press draws fresh rows

    def revive(trainer) -> tuple[int, int]:
        return dn.revive_dead(trainer, monitor.tracker, monitor.x_train, spec.init, seed), trainer.step_count

    count, step = monitor.run.worker.with_trainer(revive)
    monitor.revivals += 1
    monitor.version += 1
    monitor.note = (
        f"Revived {count} unit{'s' if count != 1 else ''} at step {step:,}: fresh incoming weights, bias "
        f"{neurons.REVIVE_BIAS}. Keep training to see whether they stay alive."
        if count
        else f"No dead units to revive at step {step:,}."
    )


def run_buttons(c_play, c_step, c_reset, playing: bool) -> None:
    """Play/Pause (both runs), Step (both, ``STEP_CHUNK`` steps), Reset (both, same seed)."""
    c_play.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        type="primary",
        width="stretch",
        on_click=_set_playing,
        args=(not playing,),
        # two keys: a click re-delivered after the label changed must reach its own button's callback
        key="dn_pause" if playing else "dn_play",
    )
    c_step.button(
        f"Step {dn.STEP_CHUNK}",
        width="stretch",
        on_click=_step_both,
        help=f"Pause, then train both networks {dn.STEP_CHUNK} steps.",
        key="dn_step",
    )
    c_reset.button(
        "Reset",
        width="stretch",
        on_click=_reset_both,
        help="Fresh weights from the same seed: the same two runs again.",
        key="dn_reset",
    )


def _frame(monitor: Monitor, snap: Snapshot) -> dn.Frame:
    """The snapshot's frame: observe it if it is a new step, reuse the last frame if nothing changed."""
    key = (snap.step, monitor.version)
    if monitor.tracker.last_step != snap.step:
        monitor.tracker.observe(snap.step, monitor.run.view(snap), monitor.x_train)
    elif monitor.cached is not None and monitor.cached[0] == key:
        return monitor.cached[1]
    fr = dn.frame(monitor.run.view(snap), monitor.x_train, monitor.plane, monitor.tracker)
    monitor.cached = (key, fr)
    return fr


def _label(monitor: Monitor) -> str:
    return _activation_label(monitor.activation)


def _alert(monitor: Monitor, fr: dn.Frame, snap: Snapshot) -> None:
    """What the numbers say, in words, when something is wrong: diverged, all dead, born dead, dying."""
    c = fr.census
    if snap.status == "diverged":
        lead = (
            "No dead units, but training diverged."
            if c.dead == 0
            else f"Training diverged ({c.dead} dead units at the last good weights)."
        )
        st.error(plain(f"{lead} {snap.message}"))
    elif c.n_units and c.dead == c.n_units:
        st.error(
            f"All {c.n_units} hidden units are dead: the output no longer depends on the input, and only "
            "the output layer's bias can still learn."
        )
    elif c.most_first_born_dead:
        st.warning(
            f"Most first-layer units are born dead: {c.first_born_dead} of {c.first_width} output 0 on "
            "every training input before a single step."
        )
    elif c.most_dead:
        st.warning(
            f"Most {_label(monitor)} units are dead: {c.dead} of {c.n_units} pass no gradient on any input."
        )
    elif _most_negative(c):
        st.info(
            f"Not dead, but {c.negative} of {c.n_units} {_label(monitor)} units have z ≤ 0 on every input: "
            f"their slope there is {c.negative_slope:.3g}, so the gradient through each such layer shrinks "
            f"about {1 / c.negative_slope:,.0f}-fold. With plain SGD they may barely move; Adam, which "
            "sizes each weight's step by that weight's own gradients, can lift them back."
        )
    if snap.pause_reason == "idle":
        st.caption("Training paused itself: nobody was watching this tab. Press Play to go on.")


def _most_negative(c: dn.Census) -> bool:
    """A variant that cannot die (f' != 0 below 0) with most units at z <= 0 on every input."""
    return not c.can_die and 0 < c.negative_slope < 1 and c.n_units > 0 and c.negative > dn.MOST * c.n_units


def _line(fr: dn.Frame, snap: Snapshot) -> None:
    """One line of counts above the run's figure."""
    c = fr.census
    loss = snap.history.get("train_loss", np.array([]))
    last_loss = float(loss[-1]) if len(loss) else float("nan")
    pct = 100 * c.dead / c.n_units if c.n_units else 0.0
    line = f"Step **{fr.step:,}** · dead **{c.dead} of {c.n_units}** ({pct:.0f}%)"
    if c.can_die:
        line += f" · no gradient **{c.no_gradient}**"
    else:
        line += f" · z ≤ 0 on all inputs **{c.negative}**"
    st.markdown(line + f" · loss {last_loss:.3f}")


def _details(monitor: Monitor, fr: dn.Frame) -> None:
    c = fr.census
    st.caption(
        "Colour: share of training inputs with z > 0. Red ✕: dead (f′(z) = 0 on every input). "
        + ("○: cut off (alive, but no gradient reaches it). " if c.can_die else "")
        + ("−: z ≤ 0 on every input, yet a gradient still flows." if not c.can_die else "")
    )
    born = f"born dead {c.born_dead}" + (f", died in training {c.died}" if c.died else "")
    parts = [
        born,
        f"rarely active (on < 1% of inputs) {c.rare}",
        f"dead over the whole visible plane {c.dead_plane}",
    ]
    if c.can_die:
        parts.insert(1, f"cut off {c.cut_off}")
    st.caption(" · ".join(parts))
    if not c.can_die:
        st.caption(
            f"{_label(monitor)} units never truly die: its slope below 0 is f′(−1) = {c.negative_slope:.3g}, "
            "not 0, so a gradient still reaches a unit whose inputs are all negative."
            + (LEAKY_NOTE if monitor.activation == "leaky_relu" else "")
        )


def _title(role: str, monitor: Monitor) -> str:
    return "ReLU" if role == "relu" else f"{_label(monitor)} (variant)"


def _below(role: str, monitor: Monitor, snap: Snapshot, fr: dn.Frame) -> None:
    """Under the run's half of the figure: alerts, counts in words, Revive, and the deaths table."""
    _alert(monitor, fr, snap)
    _details(monitor, fr)
    st.button(
        f"Revive dead {_title(role, monitor).split(' (')[0]} units",
        key=f"dn_revive_{role}",
        on_click=_revive,
        args=(SLOTS[role],),
        help="Re-initialise every unit dead on the data: fresh incoming weights, bias 0.1.",
    )
    if monitor.note:
        st.info(monitor.note)
    tracker = monitor.tracker
    table = dn.death_table(tracker)
    with st.expander(f"Deaths and revivals ({len(tracker.events)} events)"):
        if len(table["step"]):
            st.dataframe(table, hide_index=True, height=220, width="stretch")
            st.caption(
                "|ΔW|, |Δb|: how far the unit's incoming weights and bias moved between the previous "
                f"look and the one that found it dead (a look every {dn.OBSERVE_EVERY} steps with Step, "
                "every frame while playing)."
            )
        else:
            st.caption("No unit has died or been revived yet.")


def live_panel(monitors: dict[str, Monitor], playing: bool) -> None:
    """Both runs side by side. The grids, curves and histograms are drawn in the browser
    (:mod:`relu_viz.ui.renderer`): set up once per panel run, then, while playing, streamed every
    ``MONITOR_INTERVAL`` from one long fragment run (:func:`relu_viz.ui.live.live_fragment`), with the
    counts line and the alerts refilled in place when they change."""
    roles = list(monitors)

    def observe() -> tuple[dict[str, Snapshot], dict[str, dn.Frame], dict]:
        snaps = {role: m.run.worker.snapshot() for role, m in monitors.items()}
        frames = {role: _frame(monitors[role], snaps[role]) for role in roles}
        runs = [
            stream.monitor_run(
                _title(role, monitors[role]) + ": how often each unit fires",
                _label(monitors[role]),
                figs.RUN_COLOURS[role],
                frames[role],
                monitors[role].tracker,
                snaps[role].history,
            )
            for role in roles
        ]
        step = max(int(snap.step) for snap in snaps.values())
        data = {"kind": "monitor", "id": "dead_monitor", "step": step, "runs": runs, "height": MAIN_HEIGHT}
        return snaps, frames, data

    def stopped_by_itself() -> bool:
        """Stop streaming a run whose worker stopped (divergence, idle tab); True when none plays."""
        for role, monitor in monitors.items():
            slot = SLOTS[role]
            # the worker's own flag: a snapshot taken while a slice runs may predate the Play
            if live.is_playing(slot) and not monitor.run.worker.is_playing:
                live.set_playing(slot, False)
        return playing and not any_playing()

    @live.live_fragment(playing, MONITOR_INTERVAL)
    def panel():
        if stopped_by_itself():
            st.rerun(scope="app")  # rerun the page so Play shows and the timer stops
        snaps, frames, data = observe()
        lines = {}
        for column, role in zip(st.columns(2, gap="medium"), roles, strict=True):
            lines[role] = column.empty()
            with lines[role]:
                _line(frames[role], snaps[role])
        renderer.show(st.empty(), "rv_dead_monitor", data)
        stream_slot = st.empty()
        st.caption(
            "Grid: how often each unit fires (share of training inputs with z > 0; red ✕ dead, ○ cut off, "
            "− z ≤ 0 on every input yet learning). Curves: the share of dead units per layer. "
            "Pre-activations sliding into the shaded side (z < 0) is what dying looks like: a ReLU unit "
            "there outputs 0 and passes back no gradient."
        )
        alerts = {}
        for column, role in zip(st.columns(2, gap="medium"), roles, strict=True):
            with column:
                alerts[role] = st.empty()
                with alerts[role].container():
                    _alert(monitors[role], frames[role], snaps[role])
                _below(role, monitors[role], snaps[role], frames[role])
        shown = {role: _alert_key(frames[role], snaps[role]) for role in roles}
        last = {"step": data["step"]}

        def draw() -> bool:
            if stopped_by_itself():
                st.rerun(scope="app")
            snaps, frames, data = observe()
            if data["step"] == last["step"]:
                return False
            last["step"] = data["step"]
            for role in roles:
                with lines[role]:
                    _line(frames[role], snaps[role])
                key = _alert_key(frames[role], snaps[role])
                if key != shown[role]:
                    shown[role] = key
                    with alerts[role].container():
                        _alert(monitors[role], frames[role], snaps[role])
            renderer.stream(stream_slot, "rv_dead_monitor_frames", data)
            return True

        return draw

    panel()


def _alert_key(fr: dn.Frame, snap: Snapshot) -> tuple:
    """What the alerts of a run depend on: they are resent only when it changes."""
    c = fr.census
    return (
        snap.status,
        snap.pause_reason,
        c.dead,
        c.n_units,
        c.most_first_born_dead,
        c.most_dead,
        c.negative if _most_negative(c) else -1,
    )


# -- phase diagram and theory -----------------------------------------------------------------------


def phase_panel(settings: dn.MonitorSettings) -> None:
    """A button that trains the learning rate x bias grid (batched, cached), and its two heatmaps."""
    rows, cols = len(dn.PHASE_LEARNING_RATES), len(dn.PHASE_BIASES)
    st.subheader("Phase diagram: learning rate × bias initialisation")
    st.caption(
        f"{rows} learning rates × {cols} biases = {rows * cols} ReLU networks of this architecture, each "
        f"trained {dn.PHASE_STEPS} full-batch plain gradient-descent steps (cross-entropy) on the same "
        "standardised data, all at once as one batched computation."
    )
    args = (settings.dataset, settings.seed, settings.depth, settings.width, settings.init)
    if st.button(f"Compute phase diagram ({rows} × {cols}, {dn.PHASE_STEPS} steps)", key="dn_phase"):
        st.session_state["dn_phase_args"] = args
    if st.session_state.get("dn_phase_args") != args:
        return
    # trained in the helper process (relu_viz.compute): the page never waits for it
    result: PhaseResult | None = background.follow(
        "dn_phase",
        "phase",
        "Training the grid",
        on_cancel=lambda: st.session_state.pop("dn_phase_args", None),
        dataset=settings.dataset,
        seed=int(settings.seed),
        depth=int(settings.depth),
        width=int(settings.width),
        init=settings.init,
    )
    if result is None:
        return
    here = (settings.lr, settings.bias)
    panels = [
        (result.dead_fraction, "Final share of dead units", "dead", True, "dn_phase_dead"),
        (result.final_loss, "Final training loss", "loss", False, "dn_phase_loss"),
    ]
    for column, (values, title, colour_title, percent, key) in zip(st.columns(2), panels, strict=True):
        column.plotly_chart(
            figs.phase_figure(
                result.learning_rates,
                result.bias_inits,
                values,
                result.diverged,
                title=title,
                colour_title=colour_title,
                percent=percent,
                here=here,
            ),
            key=key,
        )
    st.caption(
        f"Computed in {result.seconds:.1f} s. ✕: the run diverged (its loss became NaN or infinite). "
        "The star marks your two sliders when they sit on the grid."
    )


def theory_panel(settings: dn.MonitorSettings) -> None:
    """Lu et al.'s survival formula beside Monte-Carlo estimates from real initialisations."""
    st.subheader("Theory: born dead by depth")
    n = settings.width
    # Monte-Carlo over real initialisations (about 0.7 s each): in the helper process
    symmetric = background.follow(
        "dn_theory",
        "survival",
        "Initialising networks",
        width=n,
        init="he",
        bias=0.0,
        seed=int(settings.seed),
    )
    if symmetric is None:
        return
    estimates = [("He init, bias 0 (Monte-Carlo)", symmetric, figs.RUN_COLOURS["relu"])]
    if (settings.init, settings.bias) != ("he", 0.0):
        yours = background.follow(
            "dn_theory_yours",
            "survival",
            "Initialising your networks",
            width=n,
            init=settings.init,
            bias=float(settings.bias),
            seed=int(settings.seed),
        )
        if yours is None:
            return
        label = f"{network.INIT_SCHEMES[settings.init]}, bias {settings.bias:g} (Monte-Carlo)"
        estimates.append((label, yours, figs.RUN_COLOURS["variant"]))
    fig = figs.survival_figure(
        symmetric.depths,
        symmetric.formula,
        [(name, s.mc_depths, s.mc_mean, s.mc_se, colour) for name, s, colour in estimates],
        width=n,
        chosen_depth=settings.depth,
    )
    c1, c2 = st.columns([3, 2])
    c1.plotly_chart(fig, key="dn_theory", config={"displayModeBar": False})
    p = neurons.survival_probability(n, settings.depth)
    c2.markdown(
        "With weights and biases drawn symmetrically about 0, each unit's z is negative with probability "
        f"½ for a given input, so a layer of N units outputs all zeros with probability 2^−N, and a point "
        f"survives L layers with probability (1 − 2^−N)^L (Lu, Shin, Su & Karniadakis, *Dying ReLU and "
        f"initialization*, 2019). Here N = {n}, L = {settings.depth}: **{p:.3f}**. Deep narrow ReLU "
        "networks are born dead almost surely; a negative bias makes it far quicker."
    )
    c2.caption(
        f"Monte-Carlo: {dn.THEORY_NETS} networks per depth, {dn.THEORY_POINTS} points x ~ N(0, I) each; "
        "bars are ±2 standard errors."
    )


def definitions() -> None:
    st.subheader("Definitions")
    st.markdown(
        """
- **Dead** (on the data): the activation's gradient f′(z) is 0 for every training input, so the unit's
  incoming weights and bias never change again by gradient descent. For ReLU: z ≤ 0 on all of them.
- **Cut off**: alive, but every unit it feeds is dead or cut off, so no gradient reaches it either.
  **No gradient** = dead or cut off. A dead last layer freezes the whole network.
- **Dead over the whole plane**: dead at every point of the trainer's visible square [−6, 6]².
- **Rarely active**: alive, but active on under 1% of the training inputs.
- **Negative regime** (Leaky ReLU, PReLU, ELU, …): z ≤ 0 on every input. For ReLU that is dead; these
  variants have f′ ≠ 0 there, so such a unit still learns: they never truly die.
- **Born dead**: dead before the first step. **Died**: alive, then killed by an update; the table gives
  the step and the size of that update on the unit's weights and bias.
- **Revive**: fresh incoming weights for each dead unit and bias 0.1 (its outgoing weights are kept).
  Their momentum and Adam state are reset too, so stale momentum cannot push them straight back.
"""
    )
