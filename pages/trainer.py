"""Trainer: a live toy network on 2-D data, with the exact regions its ReLUs carve."""

import streamlit as st

from relu_viz.ui import live, theme, trainer_controls, trainer_views
from relu_viz.ui.entry import require_navigation
from relu_viz.ui.text import plain

require_navigation()

SLOT = "trainer_run"

theme.header(
    "Trainer",
    "Train a small network on 2-D data and watch ReLU carve the plane into convex pieces, each with its "
    "own linear rule: thin lines are the **exact** linear regions, the thick line the decision boundary.",
)

top = st.container()
with top:
    # Play is a little wider: its icon and 'Pause' did not fit a ninth of a 1280-pixel page
    c_play, c_step, c_reset, c_lr, _ = st.columns([1.3, 1, 1, 3, 2.7], vertical_alignment="bottom")
    with c_lr:
        lr = trainer_controls.learning_rate_control()
with st.sidebar:
    with st.expander("Data", expanded=True):
        choice = trainer_controls.data_controls()
        dataset = trainer_views.dataset_panel(choice)
    with st.expander("Network", expanded=True):
        spec = trainer_controls.model_controls(choice.seed)
    with st.expander("Training", expanded=True):
        settings = trainer_controls.training_controls(choice.seed, lr)
        speed = trainer_controls.speed_control()

if len(dataset) < 4 or len(set(dataset.y.tolist())) < 2:
    st.info("Add at least two points of each of two classes to train: switch on drawing in the sidebar.")
    trainer_views.draw_panel(dataset)
    st.stop()

current = live.ensure_run(SLOT, dataset, choice.train_share, spec, settings)
for note in current.run.notes:  # a tiny dataset's split, for one
    st.warning(plain(note), icon=":material/info:")
live.apply_speed(SLOT, speed)
playing = live.is_playing(SLOT)
# Two keys, not one relabelled button: a click that reaches a running fragment can be delivered twice,
# and the second delivery must not undo the first.
c_play.button(
    "Pause" if playing else "Play",
    icon=":material/pause:" if playing else ":material/play_arrow:",
    type="primary",
    width="stretch",
    on_click=live.set_playing,
    args=(SLOT, not playing),
    key="pause" if playing else "play",
)
c_step.button(
    "Step",
    width="stretch",
    on_click=trainer_views.step_once,
    args=(SLOT,),
    help="Train one epoch, then pause.",
    key="step",
)
c_reset.button(
    "Reset",
    width="stretch",
    on_click=live.reset,
    args=(SLOT,),
    help="Fresh weights from the same seed: the same run again.",
    key="reset",
)

if st.session_state.get("draw"):
    trainer_views.draw_panel(dataset)
else:
    trainer_views.live_panel(SLOT, current, choice, playing)

# Only the open tab runs (a click on another reruns the page), and only while paused: these views show
# one moment of the run, out of date at once while it plays, and redrawing them on every click of a
# playing class would take most of a busy server's time.
tabs = st.tabs(["Hidden-layer view", "Export"], key="tab", on_change="rerun")
panels = (trainer_views.hidden_panel, trainer_views.export_panel)
for tab, panel in zip(tabs, panels, strict=True):
    if tab.open:
        # one placeholder per tab, so switching between paused and playing replaces its whole content
        slot = tab.empty()
        if playing:
            slot.info(
                "Training is playing. Pause to look at this moment of the run here.", icon=":material/pause:"
            )
        else:
            with slot.container():
                panel(current)
