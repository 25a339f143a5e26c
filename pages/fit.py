"""Fit a function: a network R → R trained live on points of y = f(x), drawn as a sum of hinges with
every kink of the fit marked."""

import streamlit as st

from relu_viz import fit
from relu_viz.ui import fit_views, live, theme
from relu_viz.ui.entry import require_navigation
from relu_viz.ui.text import plain

require_navigation()

SLOT = fit_views.SLOT

theme.header(
    "Fit a function",
    "A network with one input and one output learns y = f(x) from points. With ReLU its output is a "
    "sum of **hinges**, one per unit, so it is straight between **kinks** (red ▲): count them against the "
    "units.",
)

c_play, c_step, c_reset, c_lr, _ = st.columns([1.3, 1, 1, 3, 2.7], vertical_alignment="bottom")
with c_lr:
    lr = fit_views.learning_rate_control()
with st.sidebar:
    with st.expander("Target", expanded=True):
        choice = fit_views.target_controls()
    with st.expander("Network", expanded=True):
        spec = fit_views.network_controls(choice.seed)
    with st.expander("Training", expanded=True):
        settings, speed = fit_views.training_controls(choice.seed, lr)

data = fit_views.make_data(choice)
if data is None:
    st.stop()
current = None
if len(data) >= fit.MIN_POINTS:
    current = fit_views.ensure_run(SLOT, data, spec, settings)
    live.apply_speed(SLOT, speed)
else:
    live.reset(SLOT)  # too few clicked points: no run (an older one must not train on unseen)
playing = live.is_playing(SLOT) if current is not None else False
fit_views.run_buttons(c_play, c_step, c_reset, SLOT, playing)
for note in data.notes:
    st.warning(plain(note), icon=":material/info:")

if choice.key == fit.CLICKED:
    fit_views.click_panel(data, current if not playing else None)
if current is None:
    st.info(f"Click at least {fit.MIN_POINTS} points onto the plot to fit them.", icon=":material/touch_app:")
    st.stop()
fit_views.live_panel(SLOT, current, playing)

with st.expander("The maths: why ReLU fits are straight between kinks"):
    st.markdown(fit_views.MATHS)
