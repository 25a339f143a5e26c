"""The trainer's widgets: each setting bound to a URL query parameter, read into engine settings.

A link with the same query parameters reproduces the run exactly (same seed: same data, same
initialisation, same trajectory). Keys are short because they are the URL's parameter names.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from relu_viz import activations, datasets, network
from relu_viz.experiment import ModelSpec
from relu_viz.training import LEARNING_RATES, REG_RATES, TrainSettings
from relu_viz.ui import text

BATCH_SIZES = [1, 2, 5, 10, 20, 30, 50, 100, 0]  # 0 means the whole training set (full batch)
MAX_LAYERS = 6
MAX_WIDTH = 64
EPOCH_LIMITS = [0, 10, 50, 100, 200, 500, 1000, 5000]
SPEEDS = [1, 5, 20, 100, 0]  # epochs per second; 0 means as fast as the server allows
MAX_SEED = 1_000_000
OPTIMIZER_KEYS = ["sgd", "momentum", "adam"]
LOSSES = ["cross_entropy", "squared_error"]
REGULARIZERS = ["none", "l1", "l2"]
CUSTOM_DATA = "custom"
Q = "query-params"
# A bound widget writes the option *as displayed* into the URL, so the choices bound to the URL show their
# plain keys (relu, he, adam, ...): links stay short and readable (?act=leaky_relu&init=he), and the help
# texts give the long names.


@dataclass(frozen=True)
class DataChoice:
    """Which dataset and how to split it; ``name == CUSTOM_DATA`` means the uploaded or drawn one."""

    name: str
    n: int
    noise: float  # 0 .. 0.5
    seed: int
    train_share: float  # 0.1 .. 0.9
    k: int
    show_test: bool


def activation_options() -> list[str]:
    """Registry keys, plus the custom formula typed on the Activations page in this session."""
    options = list(activations.names())
    text = st.session_state.get("custom_formula")
    if text:
        options.append(f"formula:{text}")
    return options


def activation_label(key: str) -> str:
    """How an activation key reads on the page: a typed formula in its normalised form (plain text: pass
    it through :func:`relu_viz.ui.text.plain` before Markdown shows it)."""
    if key.startswith("formula:"):
        return f"custom: {text.formula(key.removeprefix('formula:'))}"
    return activations.get(key).name


# How the select sliders show their options; a bound widget writes what it shows into the URL, so
# relu_viz.ui.query checks links against these same functions.
def format_rate(v: float) -> str:
    return f"{v:g}"


def format_speed(v: float) -> str:
    return "max" if v == 0 else str(int(v))


def format_batch(b: float) -> str:
    return "all" if b == 0 else str(int(b))


def format_limit(v: float) -> str:
    return "never" if v == 0 else str(int(v))


def data_controls() -> DataChoice:
    """Dataset, points, noise, train share, seed (in the sidebar's Data section)."""
    options = [*datasets.names(), CUSTOM_DATA]
    name = st.selectbox(
        "Dataset",
        options,
        index=options.index("spiral"),
        key="ds",
        bind=Q,
        help="TensorFlow Playground's circle, xor, gauss and spiral, plus moons, checkerboard, rings "
        "(3 classes) and blobs (3–5 classes). 'custom' is a CSV you upload or points you click onto the map.",
    )
    k = 3
    if name == "blobs":
        k = st.slider("Classes (blobs)", 3, 5, 3, key="k", bind=Q)
    c1, c2 = st.columns(2)
    n = c1.slider("Points", 50, 2000, 500, step=50, key="n", bind=Q, disabled=name == CUSTOM_DATA)
    noise = c2.slider("Noise (%)", 0, 50, 0, step=5, key="noise", bind=Q, disabled=name == CUSTOM_DATA)
    c3, c4 = st.columns(2)
    share = c3.slider("Training share (%)", 10, 90, 50, step=10, key="share", bind=Q)
    seed = c4.number_input("Seed", 0, MAX_SEED, 0, step=1, key="seed", bind=Q)
    show_test = st.toggle("Show test points", value=False, key="test", bind=Q)
    return DataChoice(name, int(n), noise / 100.0, int(seed), share / 100.0, int(k), bool(show_test))


def model_controls(seed: int) -> ModelSpec:
    """Hidden layers and widths, activation(s), input features, initialisation."""
    n_layers = st.slider("Hidden layers", 0, MAX_LAYERS, 2, key="layers", bind=Q)
    hidden: list[int] = []
    if n_layers:
        cols = st.columns(min(n_layers, 3))
        for i in range(n_layers):
            hidden.append(
                int(
                    cols[i % len(cols)].number_input(
                        f"Units in layer {i + 1}", 1, MAX_WIDTH, 8, key=f"w{i + 1}", bind=Q
                    )
                )
            )
    options = activation_options()
    act = st.selectbox(
        "Activation",
        options,
        index=options.index("relu"),
        key="act",
        bind=Q,
        help="Every function of the Activations page; a formula typed there appears here as formula:….",
    )
    st.caption(text.plain(activation_label(act)))
    per_layer = (
        st.toggle("A different activation per layer", key="perlayer", bind=Q) if n_layers > 1 else False
    )
    acts = [act] * n_layers
    if per_layer:
        for i in range(n_layers):
            acts[i] = st.selectbox(
                f"Layer {i + 1} activation",
                options,
                index=options.index(act),
                key=f"a{i + 1}",
                bind=Q,
            )
    feats = st.multiselect(
        "Input features",
        list(network.FEATURES),
        default=list(network.PLAIN_FEATURES),
        key="feats",
        bind=Q,
        help="x1, x2 are the coordinates; x1sq = x₁², x2sq = x₂², x1x2 = x₁·x₂, sinx1 = sin x₁, "
        "sinx2 = sin x₂ (TensorFlow Playground's set). Beyond x1 and x2 the network no longer cuts the "
        "plane into polygons, so exact regions are not drawn.",
    )
    if not feats:
        st.caption("No feature chosen: using x₁ and x₂.")
        feats = list(network.PLAIN_FEATURES)
    init = st.selectbox(
        "Initialisation",
        list(network.INIT_SCHEMES),
        index=1,
        key="init",
        bind=Q,
        help="; ".join(f"{k}: {v}" for k, v in network.INIT_SCHEMES.items()),
    )
    set_bias = st.toggle("Set hidden biases", key="bias_on", bind=Q, help="Override the scheme's biases.")
    bias = None
    if set_bias:
        bias = float(st.slider("Hidden bias", -5.0, 2.0, 0.0, step=0.1, key="bias", bind=Q))
    return ModelSpec(tuple(hidden), tuple(acts), tuple(feats), init, bias, seed)


def learning_rate_control() -> float:
    """TensorFlow Playground's learning-rate ladder, 1e-5 to 10: a log scale in 11 steps."""
    lr = st.select_slider(
        "Learning rate", LEARNING_RATES, value=0.03, key="lr", bind=Q, format_func=format_rate
    )
    return float(lr)


def speed_control() -> float | None:
    """How fast training runs, in epochs per second (None: as fast as the server allows).

    A teacher slows it down to let a class watch single regions move; TensorFlow Playground runs at
    about 19 epochs per second.
    """
    speed = st.select_slider(
        "Training speed (epochs per second)",
        SPEEDS,
        value=0,
        key="speed",
        bind=Q,
        format_func=format_speed,
    )
    return None if speed == 0 else float(speed)


def training_controls(seed: int, lr: float) -> TrainSettings:
    """Optimizer, loss, batch size, regularisation, epoch limit (the learning rate is read apart)."""
    c1, c2 = st.columns(2)
    opt = c1.selectbox(
        "Optimizer",
        OPTIMIZER_KEYS,
        key="opt",
        bind=Q,
        help="sgd: plain stochastic gradient descent (Playground's); momentum: SGD with momentum 0.9; "
        "adam: Adam (β = 0.9, 0.999).",
    )
    loss = c2.selectbox(
        "Loss",
        LOSSES,
        key="loss",
        bind=Q,
        help="cross_entropy: softmax (or sigmoid) cross-entropy; squared_error: ½‖p − onehot(y)‖², to "
        "compare with TensorFlow Playground (whose tanh-output version is 4x larger).",
    )
    batch = st.select_slider(
        "Batch size",
        BATCH_SIZES,
        value=10,
        key="batch",
        bind=Q,
        format_func=format_batch,
    )
    c3, c4 = st.columns(2)
    reg = c3.selectbox(
        "Regularization", REGULARIZERS, key="reg", bind=Q, help="Penalty on the weights (not biases)."
    )
    rate = c4.select_slider(
        "Reg. rate",
        REG_RATES,
        value=REG_RATES[0],
        key="rr",
        bind=Q,
        disabled=reg == "none",
        format_func=format_rate,
    )
    limit = st.select_slider(
        "Stop at epoch",
        EPOCH_LIMITS,
        value=0,
        key="limit",
        bind=Q,
        format_func=format_limit,
    )
    return TrainSettings(
        lr=float(lr),
        optimizer=opt,
        batch_size=int(batch),
        loss=loss,
        regularization=reg,
        reg_rate=float(rate) if reg != "none" else 0.0,
        epoch_limit=int(limit),
        seed=seed,
    )
