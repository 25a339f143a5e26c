"""Session-side life of a live training run: one background worker per browser session.

The run and its worker live in ``st.session_state`` (never in a shared cache: a model is mutable and
belongs to one session). The page draws the worker's latest snapshot from a fragment that reruns
every ``FRAME_INTERVAL`` seconds while playing, so training never waits for the browser to draw.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import streamlit as st
from torch import nn

from relu_viz import experiment
from relu_viz.datasets import Dataset
from relu_viz.training import TrainSettings
from relu_viz.worker import Snapshot, TrainingWorker

FRAME_INTERVAL = 0.2  # seconds between map redraws while playing: 5 frames per second
CURVES_INTERVAL = 1.0  # the numbers and curves change slowly: redraw them once a second


@dataclass
class LiveRun:
    """A run, its worker, and a private copy of the network that frames are computed from."""

    run: experiment.Run
    worker: TrainingWorker
    view_model: nn.Sequential
    key: tuple

    def view(self, snap: Snapshot) -> nn.Sequential:
        """The view model holding the snapshot's weights (cheap: the networks here are tiny)."""
        self.view_model.load_state_dict(snap.state_dict)
        return self.view_model


def ensure_run(
    slot: str,
    dataset: Dataset,
    train_share: float,
    spec: experiment.ModelSpec,
    settings: TrainSettings,
) -> LiveRun:
    """The session's run in ``slot``: rebuilt when the structure changed, else updated in place."""
    key = experiment.structure_key(dataset, train_share, spec, settings)
    live: LiveRun | None = st.session_state.get(slot)
    if live is not None and live.key == key:
        live.worker.with_trainer(lambda t: t.update(settings))
        return live
    if live is not None:
        live.worker.stop()
    run = experiment.start(dataset, train_share, spec, settings)
    worker = TrainingWorker(run.trainer)
    live = LiveRun(run, worker, copy.deepcopy(run.model), key)
    st.session_state[slot] = live
    st.session_state[f"{slot}_playing"] = False
    return live


def apply_speed(slot: str, epochs_per_second: float | None) -> None:
    """Cap the run's training speed (None: uncapped); applied only when it changes."""
    live: LiveRun | None = st.session_state.get(slot)
    if live is None or st.session_state.get(f"{slot}_speed", "unset") == (epochs_per_second, live.key):
        return
    steps = None
    if epochs_per_second is not None:
        steps = epochs_per_second * live.worker.with_trainer(lambda t: t.steps_per_epoch)
    live.worker.set_speed(steps)
    st.session_state[f"{slot}_speed"] = (epochs_per_second, live.key)


def reset(slot: str) -> None:
    """Forget the session's run so the next page run builds a fresh one from the same settings."""
    live: LiveRun | None = st.session_state.pop(slot, None)
    if live is not None:
        live.worker.stop()
    st.session_state[f"{slot}_playing"] = False


def is_playing(slot: str) -> bool:
    return bool(st.session_state.get(f"{slot}_playing", False))


def set_playing(slot: str, playing: bool) -> None:
    live: LiveRun | None = st.session_state.get(slot)
    st.session_state[f"{slot}_playing"] = playing
    if live is None:
        return
    if playing:
        live.worker.play()
    else:
        live.worker.pause()
