"""The dead-neuron monitor's engine glue: settings -> runs, standardised data, per-frame unit census.

Everything the Dead-neurons page computes lives here (the definitions themselves are in
:mod:`relu_viz.neurons`); the page only reads widgets and draws what this returns.

Data. The page trains on standardised inputs, as is usual practice: with the training points x_i,
mean m = (1/n) Σ x_i and per-coordinate standard deviation s, every point (train, test and the view's
plane) is mapped to x' = (x - m) / s, so each coordinate has mean 0 and std 1 on the training set.
Why it matters here: a first-layer unit with weights w and bias b is dead when w·x' + b <= 0 on every
point. With He init (w ~ N(0, 2/fan_in) = N(0, 1) for two inputs) and b = -3 it is alive only if
max_i w·x'_i > 3; standardised data reaches |x'| of about 2, so that needs |w| > 1.5, which has
probability e^(-1.5²/2) ≈ 0.32: most first-layer units are born dead. On the raw data (|x| up to 5)
the same bias kills far fewer, and the issue's claim would not hold as a user meets it.

Two runs share every setting and the seed (same data split, same weights up to the activation):
ReLU, and a variant (Leaky ReLU by default). Training is mini-batch (``MonitorSettings.batch_size``)
with cross-entropy; the phase diagram trains the ReLU network full-batch with plain gradient descent
(:func:`relu_viz.sweep.phase_diagram`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from relu_viz import activations, datasets, experiment, network, neurons, sweep, training
from relu_viz.datasets import Dataset
from relu_viz.experiment import ModelSpec
from relu_viz.training import Trainer, TrainSettings

RELU = "relu"
DEFAULT_VARIANT = "leaky_relu"
BIAS_RANGE = (-5.0, 2.0)
TRAIN_SHARE = 0.5
N_POINTS = 500
MOST = 0.5  # "most" units: strictly more than half
STEP_CHUNK = 100  # steps per press of the Step button
# Playing trains each run at most this fast: deaths take tens to hundreds of steps, so this shows them
# within a second or two, dated to the ~100 steps between frames, and leaves the CPU to the frames.
STEPS_PER_SECOND = 500.0
OBSERVE_EVERY = 10  # Step observes the units every 10 steps, so a death is dated to within 10 steps
PLANE_RESOLUTION = 50  # the view's plane, coarser than neurons' 100 x 100: a frame must stay cheap
HIST_BINS = 40
NICE_STEPS = (1.0, 2.0, 5.0)
# Phase diagram: Playground's learning-rate ladder from 1e-3 up, and eight biases over the slider range.
PHASE_LEARNING_RATES: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
PHASE_BIASES: tuple[float, ...] = (-5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0)
PHASE_STEPS = 300
# Theory: the formula over depths 1..THEORY_MAX_DEPTH, Monte-Carlo at a few depths.
THEORY_MAX_DEPTH = 40
THEORY_DEPTHS: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
THEORY_NETS = 100
THEORY_POINTS = 100
# Rescue: "stalled" ReLU keeps a loss of at least RESCUE_STUCK_LOSS (chance level for two classes is
# ln 2 = 0.693); "rescued" means the variant ends at least RESCUE_MIN_GAP lower without diverging.
RESCUE_STUCK_LOSS = 0.6
RESCUE_MIN_GAP = 0.2
RESCUE_STEPS = 1_000  # 2 s of Play at STEPS_PER_SECOND
RESCUE_SEEDS: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class MonitorSettings:
    """Every setting of the page. ``variant`` is the activation trained beside ReLU; ``bias`` is every
    hidden unit's initial bias (it overrides the init scheme's own biases); the output layer keeps the
    scheme's bias. ``depth`` hidden layers of ``width`` units each."""

    lr: float = 0.03
    bias: float = 0.0
    variant: str = DEFAULT_VARIANT
    depth: int = 3
    width: int = 8
    init: str = "he"
    optimizer: str = "sgd"
    dataset: str = "circle"
    seed: int = 0
    batch_size: int = 10

    def spec(self, activation: str) -> ModelSpec:
        """The architecture for one of the two runs (``RELU`` or ``variant``)."""
        return ModelSpec(
            hidden=(int(self.width),) * int(self.depth),
            activations=(activation,) * int(self.depth),
            init=self.init,
            bias_init=float(self.bias),
            seed=int(self.seed),
        )

    def train_settings(self) -> TrainSettings:
        """Cross-entropy, no regularisation, no epoch limit: only the learning rate and optimizer vary."""
        return TrainSettings(
            lr=float(self.lr),
            optimizer=self.optimizer,  # type: ignore[arg-type]
            batch_size=int(self.batch_size),
            loss="cross_entropy",
            seed=int(self.seed),
        )


@dataclass(frozen=True)
class Standardised:
    """A dataset with standardised inputs x' = (x - mean) / std (statistics of the training split)."""

    dataset: Dataset
    mean: np.ndarray
    std: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray

    @property
    def x_train(self) -> np.ndarray:
        return self.dataset.x[self.train_idx]

    @property
    def y_train(self) -> np.ndarray:
        return self.dataset.y[self.train_idx]

    def transform(self, points: np.ndarray) -> np.ndarray:
        """Raw points (n, 2) into the network's input coordinates, float32."""
        return ((np.asarray(points, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def plane(self, res: int = PLANE_RESOLUTION) -> np.ndarray:
        """The trainer's visible plane [-6, 6]² of raw coordinates (res x res cell centres), standardised."""
        return self.transform(neurons.plane_grid(neurons.PLANE_RADIUS, res))


def standardise(dataset: Dataset, train_share: float = TRAIN_SHARE, seed: int = 0) -> Standardised:
    """Standardise with the training split's mean and std (the split is ``dataset.split(train_share,
    seed)``, the one :func:`relu_viz.experiment.start` makes, so the runs train on exactly these points).
    A coordinate with zero spread is only centred (s = 1), so nothing divides by zero."""
    train_idx, test_idx = dataset.split(train_share, seed=seed)
    x = dataset.x.astype(np.float64)
    mean = x[train_idx].mean(axis=0)
    std = x[train_idx].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    scaled = Dataset(((x - mean) / std).astype(np.float32), dataset.y, dataset.classes, dataset.name)
    return Standardised(scaled, mean, std, train_idx, test_idx)


def nice_limit(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= ``value`` (at least 1): a histogram axis that
    stays put while the pre-activations drift, and jumps only to a round number when they outgrow it."""
    value = max(float(value), 1.0) if math.isfinite(value) else 1.0
    exponent = math.floor(math.log10(value))
    for mantissa in (*NICE_STEPS, 10.0):
        limit = mantissa * 10.0**exponent
        if limit >= value * (1 - 1e-12):
            return limit
    return 10.0 ** (exponent + 1)


def negative_gradient(act: nn.Module, z: float = -1.0) -> float:
    """f'(z) of the activation module at a negative z (autograd): 0 for ReLU, 0.01 for Leaky ReLU,
    0.25 for PReLU at init, alpha·e^z for ELU. Non-zero means a unit there still learns."""
    point = torch.tensor([[float(z)]], dtype=next(iter(act.parameters()), torch.empty(0)).dtype)
    return float(neurons.activation_gradient(act, point)[0, 0])


def _padded(arrays: Sequence[np.ndarray], fill: float, dtype: type) -> np.ndarray:
    """Per-layer arrays of widths w_l as one (L, max w_l) array, padded with ``fill``."""
    width = max((a.size for a in arrays), default=0)
    out = np.full((len(arrays), width), fill, dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, : a.size] = a
    return out


@dataclass(frozen=True)
class UnitGrid:
    """Layer x unit arrays (L, max width), padded where a layer is narrower (nan / False).

    ``positive``: share of training inputs with z > 0 (how often the unit fires); ``active``: share
    with f'(z) != 0 (how often it learns); ``dead``: f'(z) = 0 on every input; ``cut_off``: alive but
    no gradient reaches it; ``negative``: z <= 0 on every input (dead for ReLU; still learning for a
    variant with f' != 0 there); ``rare``: alive but active on under 1 % of inputs; ``dead_plane``: dead
    over the whole visible plane; ``exists``: a real unit (not padding).
    """

    positive: np.ndarray
    active: np.ndarray
    dead: np.ndarray
    cut_off: np.ndarray
    negative: np.ndarray
    rare: np.ndarray
    dead_plane: np.ndarray
    exists: np.ndarray


def unit_grid(stats: neurons.UnitStats) -> UnitGrid:
    """The statistics of :func:`relu_viz.neurons.unit_stats` as padded layer x unit arrays."""
    return UnitGrid(
        positive=_padded(stats.positive_fraction, np.nan, float),
        active=_padded(stats.active_fraction, np.nan, float),
        dead=_padded(stats.dead_on_data, False, bool),
        cut_off=_padded(stats.cut_off, False, bool),
        negative=_padded(stats.negative_regime, False, bool),
        rare=_padded(stats.rarely_active, False, bool),
        dead_plane=_padded(stats.dead_on_plane, False, bool),
        exists=_padded([np.ones(m.size, dtype=bool) for m in stats.dead_on_data], False, bool),
    )


@dataclass(frozen=True)
class Census:
    """Counts over all hidden units of one run at one moment (see :class:`UnitGrid` for the words).

    ``no_gradient`` = dead or cut off. ``born_dead``: dead at the first observation (before training)
    and ``first_born_dead`` of the ``first_width`` first-layer units; ``died``: alive at some observation
    and dead now. ``can_die``: some unit's activation is flat (f' = 0) on an interval, so it can die;
    ``negative_slope``: f'(-1) of the activation.
    """

    n_units: int
    dead: int
    no_gradient: int
    cut_off: int
    dead_plane: int
    rare: int
    negative: int
    born_dead: int
    died: int
    first_width: int
    first_born_dead: int
    first_dead: int
    can_die: bool
    negative_slope: float

    @property
    def most_first_born_dead(self) -> bool:
        return self.first_width > 0 and self.first_born_dead > MOST * self.first_width

    @property
    def most_dead(self) -> bool:
        return self.n_units > 0 and self.dead > MOST * self.n_units


@dataclass(frozen=True)
class Frame:
    """What one redraw of a run shows: the unit grid, the census, the per-layer pre-activation
    histograms (``hist_counts`` (L, bins) as shares of each layer's values, common ``hist_edges``) and
    ``zero_share`` (L,): per hidden layer, the share of its outputs that are exactly 0 over the n
    training inputs, share_l = #{(i, j): h_lj(x_i) == 0} / (n · width_l) (the sparsity a ReLU layer
    buys: about a half at He init; 0 for Leaky ReLU; see :func:`relu_viz.neurons.exact_zero_share`)."""

    step: int
    grid: UnitGrid
    census: Census
    hist_counts: np.ndarray
    hist_edges: np.ndarray
    zero_share: np.ndarray


def frame(
    model: nn.Sequential, x_train: np.ndarray, plane: np.ndarray, tracker: neurons.DeathTracker
) -> Frame:
    """Census, grid and histograms of ``model`` on the training inputs (``tracker`` has observed it)."""
    stats = neurons.unit_stats(model, x_train, plane_points=plane)
    layers = network.hidden_layers(model)
    finite = [z[np.isfinite(z)] for z in stats.preactivations]
    top = max([1.0, *(float(np.abs(z).max()) for z in finite if z.size)])
    limit = nice_limit(top)
    hists = neurons.preactivation_histograms(model, x_train, bins=HIST_BINS, value_range=(-limit, limit))
    counts = np.array([c / max(c.sum(), 1) for c, _ in hists], dtype=float).reshape(len(hists), HIST_BINS)
    edges = hists[0][1] if hists else np.linspace(-limit, limit, HIST_BINS + 1)
    born = tracker.born_dead if len(tracker.born_dead) == len(layers) else [np.zeros(0, bool)] * len(layers)
    died = tracker.died if len(tracker.dead) == len(layers) else [np.zeros(0, bool)] * len(layers)
    cut = stats.cut_off
    census = Census(
        n_units=stats.n_units,
        dead=stats.n_dead,
        no_gradient=int(sum((d | c).sum() for d, c in zip(stats.dead_on_data, cut, strict=True))),
        cut_off=int(sum(c.sum() for c in cut)),
        dead_plane=int(sum(m.sum() for m in stats.dead_on_plane)),
        rare=int(sum(m.sum() for m in stats.rarely_active)),
        negative=int(sum(m.sum() for m in stats.negative_regime)),
        born_dead=int(sum(m.sum() for m in born)),
        died=int(sum(m.sum() for m in died)),
        first_width=int(stats.dead_on_data[0].size) if layers else 0,
        first_born_dead=int(born[0].sum()) if layers else 0,
        first_dead=int(stats.dead_on_data[0].sum()) if layers else 0,
        can_die=bool(any(m.any() for m in stats.can_die)),
        negative_slope=negative_gradient(layers[0][1]) if layers else 0.0,
    )
    step = tracker.last_step if tracker.last_step is not None else 0
    return Frame(step, unit_grid(stats), census, counts, edges, stats.layer_zero_share)


def layer_history(tracker: neurons.DeathTracker, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps (T,), per-layer shares (T, L)) of ``kind`` ("dead", "negative", "no_gradient")."""
    return tracker.dead_fraction_history(kind)


def overall_history(tracker: neurons.DeathTracker, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps (T,), share of all hidden units (T,)): the per-layer shares weighted by layer width."""
    steps, fracs = tracker.dead_fraction_history(kind)
    widths = np.asarray(tracker.widths, dtype=float)
    total = widths.sum()
    share = fracs @ widths / total if total else np.zeros(len(steps))
    return steps, share


def death_table(tracker: neurons.DeathTracker, limit: int = 200) -> dict[str, np.ndarray]:
    """The tracker's events, newest first, at most ``limit``: step, layer and unit (1-based), what
    happened, and the update that did it: ‖ΔW‖₂ of the unit's incoming row and |Δb| of its bias
    between the previous observation and this one (0 for born dead)."""
    events = list(tracker.events)[::-1][:limit]
    return {
        "step": np.array([e.step for e in events], dtype=np.int64),
        "layer": np.array([e.layer + 1 for e in events], dtype=np.int64),
        "unit": np.array([e.unit + 1 for e in events], dtype=np.int64),
        "event": np.array([e.kind.replace("_", " ") for e in events], dtype=object),
        "|ΔW|": np.array([e.weight_update for e in events], dtype=float),
        "|Δb|": np.array([e.bias_update for e in events], dtype=float),
    }


def train_observed(trainer: Trainer, tracker: neurons.DeathTracker, x_train: np.ndarray, n_steps: int) -> int:
    """Train ``n_steps`` steps, observing the units every ``OBSERVE_EVERY`` steps so that each death is
    dated (and its killing update measured) to within that many steps. Stops early when the trainer
    stops (divergence). Returns the steps taken."""
    if tracker.last_step is None:
        tracker.observe(trainer.step_count, trainer.model, x_train)
    done = 0
    while done < n_steps:
        got = trainer.step(min(OBSERVE_EVERY, n_steps - done))
        done += got
        if got:
            tracker.observe(trainer.step_count, trainer.model, x_train)
        if trainer.status != "ok" or got == 0:
            break
    return done


def revive_dead(
    trainer: Trainer, tracker: neurons.DeathTracker, x_train: np.ndarray, init: str, seed: int
) -> int:
    """Re-initialise every unit dead on the training inputs (fresh incoming weights from ``init``, bias
    0.1; see :func:`relu_viz.neurons.revive`), then observe, so the tracker records the revivals.
    Returns how many units were re-initialised. Their optimizer state (momentum, Adam's moments) is
    zeroed too, so stale momentum cannot push the fresh weights straight back."""
    model = trainer.model
    dead = neurons.layer_masks(model, x_train).dead
    before = [p.detach().clone() for p in model.parameters()]
    count = neurons.revive(model, dead, init=init, seed=seed, x_data=x_train)
    changed = {}
    for i, (old, new) in enumerate(zip(before, model.parameters(), strict=True)):
        rows = (old != new.detach()).reshape(old.shape[0], -1).any(dim=1).numpy()
        if rows.any():
            changed[i] = rows
    trainer.reset_optimizer_rows(changed)
    tracker.observe(trainer.step_count, model, x_train)
    return count


def phase(
    data: Standardised, settings: MonitorSettings, progress: sweep.Progress | None = None
) -> sweep.PhaseResult:
    """The ReLU phase diagram for these settings: ``PHASE_LEARNING_RATES`` x ``PHASE_BIASES``, each model
    trained ``PHASE_STEPS`` full-batch plain gradient-descent steps on the standardised training set with
    cross-entropy (the learning rate, bias, optimizer and batch size of the settings are not used)."""
    n_out = 1 if data.dataset.n_classes == 2 else data.dataset.n_classes
    widths = [2, *([int(settings.width)] * int(settings.depth)), n_out]
    return sweep.phase_diagram(
        data.x_train,
        data.y_train,
        widths,
        RELU,
        PHASE_LEARNING_RATES,
        PHASE_BIASES,
        steps=PHASE_STEPS,
        init=settings.init,
        seed=int(settings.seed),
        loss="cross_entropy",
        progress=progress,
    )


def phase_task(
    dataset: str, seed: int, depth: int, width: int, init: str, progress: sweep.Progress | None = None
) -> sweep.PhaseResult:
    """:func:`phase` for the page's generated dataset ``dataset`` (``N_POINTS`` points, ``seed``),
    standardised on its training split: the helper process's task (plain arguments in, a result out)."""
    data = standardise(datasets.make(dataset, n=N_POINTS, seed=seed), TRAIN_SHARE, seed)
    settings = MonitorSettings(depth=depth, width=width, init=init, dataset=dataset, seed=seed)
    return phase(data, settings, progress=progress)


@dataclass(frozen=True)
class Survival:
    """Lu et al.'s (1 - 2^-N)^L for depths 1..L_max (``depths``, ``formula``) and Monte-Carlo estimates
    (``mc_depths``, ``mc_mean``, ``mc_se``) from real initialisations of width N with ``init`` and
    hidden bias ``bias``."""

    width: int
    depths: np.ndarray
    formula: np.ndarray
    mc_depths: np.ndarray
    mc_mean: np.ndarray
    mc_se: np.ndarray
    init: str
    bias: float


def survival(
    width: int,
    init: str = "he",
    bias: float = 0.0,
    seed: int = 0,
    depths: Sequence[int] = THEORY_DEPTHS,
    progress: sweep.Progress | None = None,
) -> Survival:
    """The survival probability of a point through depth: formula and Monte-Carlo (see :class:`Survival`).
    With ``init="he"`` and ``bias=0`` the weights and biases are symmetric and the two should agree.
    ``progress(fraction)`` is called after each depth."""
    all_depths = np.arange(1, THEORY_MAX_DEPTH + 1)
    formula = np.array([neurons.survival_probability(int(width), int(d)) for d in all_depths])
    mean, se = np.empty(len(depths)), np.empty(len(depths))
    for i, d in enumerate(depths):
        widths = [2, *([int(width)] * int(d)), 1]
        mean[i], se[i] = neurons.monte_carlo_survival(
            widths, init=init, bias_init=float(bias), n_nets=THEORY_NETS, n_points=THEORY_POINTS, seed=seed
        )
        if progress is not None:
            progress((i + 1) / len(depths))
    return Survival(int(width), all_depths, formula, np.asarray(depths), mean, se, init, float(bias))


# -- does the variant rescue what ReLU loses? --------------------------------------------------------
#
# Measured with bench/leaky_rescue.py (a search over the page's widgets, seeds 0-7): Leaky ReLU keeps
# learning where ReLU's units are dead only when something makes its small negative-side gradient
# count. With plain SGD (or momentum) at a negative bias its units sit at z <= 0, where the network is
# affine with slopes 0.01 per layer: the gradient reaching the first layer is ~0.01^depth of ReLU's
# and the affine net cannot separate the circle, so it stalls at loss 0.693 beside ReLU. Adam divides
# each weight's step by the size of its own recent gradients, so a 100x smaller gradient still makes
# a full-size step: the leaky units climb out of z <= 0 within a few hundred steps.


def _rescue_settings() -> MonitorSettings:
    """The comparison where Leaky ReLU visibly rescues: the page's defaults (circle, 3 x 8, He init,
    learning rate 0.03, batch 10, seed 0) with two widgets changed: bias -2 and Adam."""
    return MonitorSettings(lr=0.03, bias=-2.0, variant=DEFAULT_VARIANT, optimizer="adam")


RESCUE_SETTINGS = _rescue_settings()


def page_query(settings: MonitorSettings, changed_only: bool = True) -> dict[str, str]:
    """The dead-neurons page's URL query for ``settings`` (keys ``dn_*``), each value as its widget
    displays it, which is what a bound widget reads (``LeakyReLU``, ``Adam``, ``He / Kaiming normal``).
    With ``changed_only``, only the settings that differ from the page's defaults."""
    default = MonitorSettings()
    fields = {
        "dn_lr": ("lr", lambda v: f"{v:g}"),
        "dn_bias": ("bias", lambda v: f"{v:g}"),
        "dn_act": ("variant", lambda v: activations.get(v).name),
        "dn_depth": ("depth", str),
        "dn_width": ("width", str),
        "dn_init": ("init", lambda v: network.INIT_SCHEMES[v]),
        "dn_opt": ("optimizer", lambda v: training.OPTIMIZERS[v]),
        "dn_batch": ("batch_size", lambda v: "all" if v == 0 else str(v)),
        "dn_ds": ("dataset", str),
        "dn_seed": ("seed", str),
    }
    return {
        key: show(getattr(settings, name))
        for key, (name, show) in fields.items()
        if not changed_only or getattr(settings, name) != getattr(default, name)
    }


@dataclass(frozen=True)
class RunOutcome:
    """One run of :func:`rescue` after ``steps`` training steps: hidden units ``dead`` (f'(z) = 0 on
    every training input) and ``negative`` (z <= 0 on every training input) of ``n_units``; training
    ``loss`` (mean cross-entropy) and ``accuracy`` on the training split; the trainer's ``status``
    ("ok", or "diverged": then loss and accuracy are those of its last good weights); and its loss curve
    (``curve_steps``, ``curve_loss``, the trainer's bounded history)."""

    activation: str
    seed: int
    steps: int
    n_units: int
    dead: int
    negative: int
    loss: float
    accuracy: float
    status: str
    curve_steps: np.ndarray
    curve_loss: np.ndarray


@dataclass(frozen=True)
class RescueResult:
    """ReLU (``relu``) and the variant (``variant``) trained with the same settings, one pair per seed
    (``seeds``, in order), ``steps`` steps each; ``seconds``: the wall time of the whole comparison."""

    settings: MonitorSettings
    steps: int
    seeds: tuple[int, ...]
    relu: tuple[RunOutcome, ...]
    variant: tuple[RunOutcome, ...]
    seconds: float

    @property
    def loss_gap(self) -> np.ndarray:
        """Per seed, ReLU's final training loss minus the variant's (positive: the variant is lower)."""
        return np.array([r.loss - v.loss for r, v in zip(self.relu, self.variant, strict=True)])

    def rescued(self, min_gap: float = RESCUE_MIN_GAP, stuck_loss: float = RESCUE_STUCK_LOSS) -> np.ndarray:
        """Per seed: did ReLU lose most of its units and stall (most units dead, loss >= ``stuck_loss``)
        while the variant trained on (no divergence, its loss at least ``min_gap`` lower)?"""
        return np.array(
            [
                r.dead > MOST * r.n_units
                and r.loss >= stuck_loss
                and v.status == "ok"
                and r.loss - v.loss >= min_gap
                for r, v in zip(self.relu, self.variant, strict=True)
            ]
        )


def start_run(settings: MonitorSettings, activation: str) -> experiment.Run:
    """One run of the page, untrained: its data (``settings.dataset``, ``N_POINTS`` points generated
    from ``settings.seed``, standardised on the training split), its network
    (``settings.spec(activation)``) and its trainer (``settings.train_settings()``)."""
    seed = int(settings.seed)
    data = standardise(datasets.make(settings.dataset, n=N_POINTS, seed=seed), TRAIN_SHARE, seed)
    return experiment.start(data.dataset, TRAIN_SHARE, settings.spec(activation), settings.train_settings())


def outcome(run: experiment.Run, activation: str) -> RunOutcome:
    """Measure a run now (see :class:`RunOutcome`)."""
    trainer = run.trainer
    metrics = trainer.evaluate()
    masks = neurons.layer_masks(run.model, run.x_train)
    history = trainer.history.to_arrays()
    return RunOutcome(
        activation=activation,
        seed=int(run.spec.seed),
        steps=int(trainer.step_count),
        n_units=int(sum(m.size for m in masks.dead)),
        dead=int(sum(m.sum() for m in masks.dead)),
        negative=int(sum(m.sum() for m in masks.negative)),
        loss=float(metrics.train_loss),
        accuracy=float(metrics.train_acc),
        status=trainer.status,
        curve_steps=history["step"],
        curve_loss=history["train_loss"],
    )


def train_outcome(settings: MonitorSettings, activation: str, steps: int) -> RunOutcome:
    """Train one run of the page (:func:`start_run`) ``steps`` steps, as pressing Play would, and
    measure it (:func:`outcome`). A run that diverges stops there (``status`` says so)."""
    run = start_run(settings, activation)
    run.trainer.step(int(steps))
    return outcome(run, activation)


def rescue(
    settings: MonitorSettings = RESCUE_SETTINGS,
    steps: int = RESCUE_STEPS,
    seeds: Sequence[int] = RESCUE_SEEDS,
) -> RescueResult:
    """Train ReLU and ``settings.variant`` side by side, as the page does, for ``steps`` steps on each of
    ``seeds`` (the seed sets the data, the split, the weights and the batch order, like the page's
    Seed widget; ``settings.seed`` is ignored), and measure both (:class:`RescueResult`).

    At the defaults (``RESCUE_SETTINGS``: circle, 3 hidden layers of 8, He init, bias -2, Adam at
    learning rate 0.03, batch 10; 1,000 steps = 2 s of Play) on seeds 0, 1, 2: ReLU 17, 20 and 18 of 24
    units dead, loss 0.693 (chance), accuracy 50 %; Leaky ReLU 0 dead, loss below 0.1, accuracy 100 %.
    About 0.3 s on one core. With ``optimizer="sgd"`` instead, Leaky ReLU stalls at 0.693 too.
    """
    start = time.perf_counter()
    relu, variant = [], []
    for seed in seeds:
        one = replace(settings, seed=int(seed))
        relu.append(train_outcome(one, RELU, steps))
        variant.append(train_outcome(one, settings.variant, steps))
    return RescueResult(
        settings=settings,
        steps=int(steps),
        seeds=tuple(int(k) for k in seeds),
        relu=tuple(relu),
        variant=tuple(variant),
        seconds=time.perf_counter() - start,
    )
