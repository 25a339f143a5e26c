"""Dead neurons: watch ReLU units die as the learning rate and the bias change, and bring them back."""

import streamlit as st

from relu_viz.ui import dead_neurons_views as views
from relu_viz.ui import theme
from relu_viz.ui.entry import require_navigation

require_navigation()

theme.header(
    "Dead neurons",
    "A ReLU unit whose input is negative on every training point outputs 0 and passes back no gradient: "
    "it is **dead**. Raise the learning rate or lower the bias and watch ReLU units die. Beside it, the "
    "same network with a variant: its units never die, though with plain SGD it can stall just the same "
    "(try bias −2, then the optimizer Adam). Inputs standardised, as is usual practice.",
)

c_lr, c_bias, c_play, c_step, c_reset = st.columns([3, 3, 1, 1, 1], vertical_alignment="bottom")
with c_lr:
    lr = views.learning_rate_control()
with c_bias:
    bias = views.bias_control()
with st.sidebar:
    settings = views.settings_controls(lr, bias)

data = views.standardised_data(settings.dataset, settings.seed)
monitors = views.ensure_runs(settings, data)
playing = views.any_playing()
views.run_buttons(c_play, c_step, c_reset, playing)
views.live_panel(monitors, playing)
views.phase_panel(settings)
views.theory_panel(settings)
views.definitions()
