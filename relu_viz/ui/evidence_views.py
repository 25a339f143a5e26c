"""Measured evidence on the claims page: run on request, cached, shown as a small table with a verdict."""

from __future__ import annotations

import math

import streamlit as st

from relu_viz import evidence


@st.cache_data(max_entries=4, show_spinner="Training both networks…")
def _race() -> list[evidence.RaceResult]:
    return evidence.race()


@st.cache_data(max_entries=2, show_spinner="Timing the matrix products…")
def _sparsity() -> evidence.SparsityCost:
    return evidence.sparsity_and_cost()


def race_panel() -> None:
    """ReLU vs sigmoid, same data and settings: epochs and seconds to training loss 0.1."""
    if not _asked("Measure: train both to loss 0.1", "ev_race"):
        return
    rows = _race()
    st.dataframe(
        {
            "activation": [r.activation for r in rows],
            "epochs to loss 0.1": [r.epochs if math.isfinite(r.epochs) else None for r in rows],
            "seconds": [round(r.seconds, 3) if math.isfinite(r.seconds) else None for r in rows],
            "final training loss": [round(r.final_loss, 4) for r in rows],
        },
        hide_index=True,
    )
    st.caption(
        "circle data, [2, 8, 8, 1], SGD 0.1, batch 10, cross-entropy, seed 0; He init for ReLU, Xavier for "
        "sigmoid. An empty cell: not reached within 600 epochs."
    )


def sparsity_panel() -> None:
    """Share of zeros after ReLU and the next layer's dense matmul time with and without them."""
    if not _asked("Measure: sparsity and cost", "ev_sparse"):
        return
    m = _sparsity()
    st.dataframe(
        {
            "share of exact zeros after ReLU": [f"{100 * m.zero_share:.1f}%"],
            "next layer, ReLU output (ms)": [round(m.sparse_ms, 2)],
            "next layer, no zeros (ms)": [round(m.dense_ms, 2)],
        },
        hide_index=True,
    )
    st.caption(
        "A 512-unit layer on 4,096 inputs, float32, one thread, best of 20. Dense kernels multiply zeros "
        "like any other number: the saving needs sparse kernels or hardware that skips them."
    )


def _asked(label: str, key: str) -> bool:
    """True once the button was pressed in this session (the result stays shown on later reruns)."""
    if st.button(label, key=key):
        st.session_state[f"{key}_asked"] = True
    return bool(st.session_state.get(f"{key}_asked"))


PANELS = {"trains_faster": race_panel, "sparse_cheaper": sparsity_panel}
