"""The measurements behind the claims page: one function per claim, each running a small seeded demo on
the engine and returning what it measured and the verdict those numbers support.

A verdict is never typed: :func:`measure` runs the claim's demo and applies the claim's rule to the
numbers (the rule is in each function's docstring). The claims data (:mod:`relu_viz.claims`) states the
verdict the page shows; a unit test per claim checks that the measurement gives that same verdict, so a
demo that stops supporting its verdict fails CI.

Every demo is seeded and small (at most about two seconds on one core); two of them time things (cost of
an activation, a matrix product) and report the fastest of interleaved repeats, which is the figure least
disturbed by other work on a shared machine.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from relu_viz import cost, datasets, formula, gradient_flow, network, neurons, regions
from relu_viz import dead_neurons as dn
from relu_viz.claims import Verdict
from relu_viz.experiment import start
from relu_viz.training import Trainer, TrainSettings


@dataclass(frozen=True)
class Fact:
    """One measured number: ``label`` says what was measured, ``text`` is the value as shown (with its
    unit), ``value`` the number itself (NaN when a run never got there)."""

    label: str
    value: float
    text: str


@dataclass(frozen=True)
class Evidence:
    """What a claim's demo measured (``facts``), the verdict its rule gives, one sentence reading the
    numbers (``finding``) and how it was measured (``setup``)."""

    verdict: Verdict
    facts: tuple[Fact, ...]
    finding: str
    setup: str

    def fact(self, label: str) -> float:
        """The value of the fact called ``label`` (``KeyError`` if none)."""
        for f in self.facts:
            if f.label == label:
                return f.value
        raise KeyError(label)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _num(value: float, digits: int = 3) -> str:
    """A number as the page shows it: whole numbers in full (1,000), others to ``digits`` significant
    figures, very small or large ones as 4.54 × 10⁻⁵; a true minus sign; "never" for NaN."""
    if not np.isfinite(value):
        return "never" if np.isnan(value) else ("∞" if value > 0 else "−∞")
    if value == int(value) and abs(value) < 1e9:
        text = f"{int(value):,}"
    elif 1e-3 <= abs(value) < 1e3:
        text = f"{value:.{digits}g}"
    elif 1e3 <= abs(value) < 1e9:
        text = f"{value:,.0f}"
    else:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        text = f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text.replace("-", "−")


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


# ---------------------------------------------------------------------------------------------- helpers


def _grad(fn: Callable[[torch.Tensor], torch.Tensor], x: float) -> float:
    """Autograd's f'(x) in float64: the value a framework uses, at a kink too."""
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fn(t).sum(), t)
    return float(g)


def _relu(t: torch.Tensor) -> torch.Tensor:
    return torch.relu(t)


def _train(
    dataset: datasets.Dataset,
    hidden: Sequence[int],
    activation: str,
    settings: TrainSettings,
    epochs: int,
    init: str | None = None,
    seed: int = 0,
    share: float = 0.5,
    target_loss: float | None = None,
) -> tuple[Trainer, float]:
    """Train ``[2, *hidden, out]`` on ``dataset`` (split ``share``/rest, seeded) for ``epochs`` epochs,
    or until the training loss is ≤ ``target_loss``. Returns the trainer and the epoch at which the
    target was reached (NaN if never, or if no target). ``init`` None: He for ReLU-like, else Xavier."""
    init = init or ("he" if "relu" in activation else "xavier")
    train, test = dataset.split(share, seed=seed)
    out = 1 if dataset.n_classes == 2 else dataset.n_classes
    model = network.build([2, *hidden, out], activation, init=init, seed=seed)
    x, y = dataset.x, dataset.y
    trainer = Trainer(model, x[train], y[train], x[test], y[test], settings)
    reached = float("nan")
    for _ in range(epochs):
        trainer.run_epochs(1)
        if trainer.status != "ok":
            break
        if target_loss is not None and trainer.evaluate().train_loss <= target_loss:
            reached = trainer.epoch
            break
    return trainer, reached


@functools.lru_cache(maxsize=4)
def _monitor(lr: float, bias: float, steps: int) -> tuple[nn.Sequential, np.ndarray]:
    """The dead-neurons page's ReLU run (its default settings but ``lr`` and ``bias``) after ``steps``
    training steps: the model and its standardised training inputs, as the page trains them."""
    settings = dn.MonitorSettings(lr=lr, bias=bias)
    data = dn.standardise(
        datasets.make(settings.dataset, n=dn.N_POINTS, seed=settings.seed), seed=settings.seed
    )
    run = start(data.dataset, dn.TRAIN_SHARE, settings.spec(dn.RELU), settings.train_settings())
    run.trainer.step(steps)
    return run.model, run.x_train


def _hidden_outputs(model: nn.Sequential, points: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's outputs h = f(z) on ``points``: (n, width_l) float64 arrays."""
    x = torch.as_tensor(np.asarray(points, dtype=np.float32))
    out = []
    with torch.no_grad():
        for module in model:
            x = module(x)
            if not isinstance(module, nn.Linear) and module is not model[-1]:
                out.append(x.double().numpy())
    return out


# ----------------------------------------------------------------------------------- what ReLU is


def relu_linear() -> Evidence:
    """Rule: *fails* when additivity breaks (f(a + b) ≠ f(a) + f(b) for a = 1, b = −1) and a one-layer
    ReLU network of 4 units solves XOR (training accuracy ≥ 95%) with more than one linear region, while
    the same network with the identity (a linear map) stays at ≤ 75%."""
    lhs = float(torch.relu(torch.tensor(1.0 - 1.0)))
    rhs = float(torch.relu(torch.tensor(1.0)) + torch.relu(torch.tensor(-1.0)))
    data = datasets.make("xor", n=200, seed=0)
    settings = TrainSettings(lr=0.03, optimizer="adam", batch_size=10)
    relu, _ = _train(data, (4,), "relu", settings, 100)
    linear, _ = _train(data, (4,), "identity", settings, 100)
    n_regions = regions.partition(relu.model).n_linear_regions
    acc_relu, acc_lin = relu.evaluate().train_acc, linear.evaluate().train_acc
    verdict: Verdict = (
        "fails" if lhs != rhs and acc_relu >= 0.95 and acc_lin <= 0.75 and n_regions > 1 else "holds"
    )
    return Evidence(
        verdict,
        (
            Fact("f(1 + (−1)) = f(0)", lhs, _num(lhs)),
            Fact("f(1) + f(−1)", rhs, _num(rhs)),
            Fact("XOR, ReLU network: training accuracy", acc_relu, _pct(acc_relu)),
            Fact("XOR, same network with identity: training accuracy", acc_lin, _pct(acc_lin)),
            Fact("linear regions of the ReLU network on [−6, 6]²", n_regions, f"{n_regions}"),
        ),
        f"f(0) = {_num(lhs)} but f(1) + f(−1) = {_num(rhs)}: not additive, so not linear. On XOR the ReLU "
        f"network reaches {_pct(acc_relu)} with {n_regions} linear pieces; the identity network, a linear "
        f"map, stays at {_pct(acc_lin)}.",
        "XOR, 200 points, [2, 4, 1], Adam 0.03, batch 10, 100 epochs, seed 0.",
    )


def max_at_one() -> Evidence:
    """Rule: *fails* when f(10) > f(1) (ReLU keeps growing past 1) and the largest value on [−10, 1000]
    sits at the right end of the interval (no maximum inside)."""
    x = torch.linspace(-10.0, 1000.0, 10_101, dtype=torch.float64)
    y = torch.relu(x)
    at = float(x[int(torch.argmax(y))])
    f1, f10, f1000 = (float(torch.relu(torch.tensor(v))) for v in (1.0, 10.0, 1000.0))
    verdict: Verdict = "fails" if f10 > f1 and at == 1000.0 else "holds"
    return Evidence(
        verdict,
        (
            Fact("f(1)", f1, _num(f1)),
            Fact("f(10)", f10, _num(f10)),
            Fact("f(1000)", f1000, _num(f1000)),
            Fact("where the largest value on [−10, 1000] is", at, _num(at, 6)),
        ),
        f"f(1) = {_num(f1)}, f(10) = {_num(f10)}, f(1000) = {_num(f1000)}: the largest value on any interval "
        "is at its right end, so ReLU has no maximum.",
        "torch.relu on 10,101 points of [−10, 1000], float64.",
    )


def levels_out() -> Evidence:
    """Rule: *fails* when autograd's slope of ReLU is still exactly 1 at x = 10⁶ while sigmoid's slope
    at x = 10 is below 10⁻³ (sigmoid is the function that levels out)."""
    relu_slope = _grad(_relu, 1e6)
    sigmoid_slope = _grad(torch.sigmoid, 10.0)
    f_big = float(torch.relu(torch.tensor(1e6, dtype=torch.float64)))
    verdict: Verdict = "fails" if relu_slope == 1.0 and sigmoid_slope < 1e-3 else "holds"
    return Evidence(
        verdict,
        (
            Fact("ReLU f(10⁶)", f_big, _num(f_big, 7)),
            Fact("ReLU f′(10⁶)", relu_slope, _num(relu_slope)),
            Fact("sigmoid f′(10)", sigmoid_slope, _num(sigmoid_slope)),
        ),
        f"At x = 10⁶ ReLU still rises with slope {_num(relu_slope)}; sigmoid's slope is already "
        f"{_num(sigmoid_slope)} at x = 10. Sigmoid and tanh level out; ReLU never does.",
        "Autograd in float64.",
    )


def negative_inputs() -> Evidence:
    """Rule: *fails* when a ReLU network trained on the circle data moved so that every input coordinate
    is negative (x − 5.5) reaches ≥ 95% test accuracy, and a unit with a negative weight gives a distinct
    positive output for each of the negative inputs −1, −2, −3."""
    unit = [float(torch.relu(torch.tensor(-1.0 * v))) for v in (-1.0, -2.0, -3.0)]
    base = datasets.make("circle", n=400, seed=0)
    shifted = datasets.Dataset((base.x - 5.5).astype(np.float32), base.y, base.classes, "circle − 5.5")
    trainer, _ = _train(shifted, (8,), "relu", TrainSettings(lr=0.03, optimizer="adam", batch_size=10), 60)
    acc = trainer.evaluate().test_acc
    largest = float(shifted.x.max())
    verdict: Verdict = "fails" if acc >= 0.95 and len(set(unit)) == 3 and min(unit) > 0 else "holds"
    return Evidence(
        verdict,
        (
            Fact("largest input coordinate", largest, _num(largest)),
            Fact("test accuracy of a ReLU network on these inputs", acc, _pct(acc)),
            Fact("relu(−1 · x) at x = −1, −2, −3", unit[2], ", ".join(_num(v) for v in unit)),
        ),
        f"Every input coordinate is at most {_num(largest)}, and the ReLU network still classifies "
        f"{_pct(acc)} of the test points: its weights can be negative, so a unit computes relu(−x) = "
        f"{', '.join(_num(v) for v in unit)} for x = −1, −2, −3.",
        "circle data moved by −5.5 in both coordinates, 400 points, [2, 8, 1], Adam 0.03, 60 epochs, seed 0.",
    )


def same_result() -> Evidence:
    """Rule: *fails* when ReLU gives more than one distinct output on 201 evenly spaced inputs in
    [−5, 5] (it gives one, 0, for every negative input, and a different one for each positive input)."""
    x = torch.linspace(-5.0, 5.0, 201, dtype=torch.float64)
    y = torch.relu(x)
    distinct = len(torch.unique(y))
    negative = len(torch.unique(y[x < 0]))
    repeat = bool(torch.equal(y, torch.relu(x)))
    verdict: Verdict = "fails" if distinct > 1 else "holds"
    return Evidence(
        verdict,
        (
            Fact("distinct outputs for 201 inputs in [−5, 5]", distinct, f"{distinct}"),
            Fact("distinct outputs for the 100 negative inputs", negative, f"{negative}"),
            Fact("same input twice gives the same output", float(repeat), "yes" if repeat else "no"),
        ),
        f"201 inputs give {distinct} different outputs: the 100 negative inputs all give 0 "
        f"({negative} value), every positive input gives itself. ReLU is deterministic, not constant.",
        "torch.relu on 201 points of [−5, 5], float64.",
    )


def leaky_slope() -> Evidence:
    """Rule: *depends* when LeakyReLU's autograd slope at x = −3 is small and positive (0 < f′ < 1)
    while its output there is negative: "negative slope" holds if it means "the slope used for
    negative inputs" (torch's parameter name) and fails if it means a slope below zero."""
    leaky = nn.LeakyReLU()
    slope = _grad(leaky, -3.0)
    value = float(leaky(torch.tensor(-3.0, dtype=torch.float64)))
    verdict: Verdict = "depends" if 0 < slope < 1 and value < 0 else ("fails" if slope >= 0 else "holds")
    return Evidence(
        verdict,
        (
            Fact("LeakyReLU f′(−3)", slope, _num(slope)),
            Fact("LeakyReLU f(−3)", value, _num(value)),
        ),
        f"For negative inputs LeakyReLU's slope is {_num(slope)}: small and positive, so the function still "
        f"rises; it is the output, f(−3) = {_num(value)}, that is negative.",
        "torch.nn.LeakyReLU() (negative_slope 0.01), autograd in float64.",
    )


# ------------------------------------------------------------------------------------- the derivative


DERIVATIVE_FORMULAS = ("relu(x)", "clamp(x, 0)", "max(0, x)", "where(x > 0, x, 0)")


def derivative_choice() -> Evidence:
    """Rule: *fails* when some formula for ReLU gets an autograd value at 0 other than 0 or 1 (max(0, x)
    splits the gradient and gives 0.5); every value in [0, 1] is a valid subgradient there."""
    values = {text: _grad(formula.parse(text), 0.0) for text in DERIVATIVE_FORMULAS}
    outside = [v for v in values.values() if v not in (0.0, 1.0)]
    valid = all(0.0 <= v <= 1.0 for v in values.values())
    verdict: Verdict = "fails" if outside and valid else "holds"
    return Evidence(
        verdict,
        tuple(Fact(f"autograd f′(0) for {t}", v, _num(v)) for t, v in values.items()),
        "The same function written four ways gets "
        + ", ".join(_num(v) for v in values.values())
        + " at 0: any value in [0, 1] is a valid choice (a subgradient), and max(0, x) takes 0.5.",
        "The custom-formula parser's torch ops, autograd in float64.",
    )


def _same_net_three_derivatives() -> tuple[list[float], int, int]:
    """Train one network three times, with f′(0) = 0, 1 and 0.5 (the formulas relu(x), clamp(x, 0),
    max(0, x)): the final training losses, and how many pre-activations are exactly 0 over the training
    points at the end, out of how many."""
    data = datasets.make("spiral", n=200, seed=0)
    settings = TrainSettings(lr=0.03, optimizer="adam", batch_size=10)
    losses = []
    for text in DERIVATIVE_FORMULAS[:3]:
        trainer, _ = _train(data, (8, 8), f"formula:{text}", settings, 30, init="he")
        losses.append(float(trainer.evaluate().train_loss))
    x = torch.as_tensor(trainer.x_train)
    zs = network.preactivations(trainer.model, x)
    zeros = int(sum(int((z == 0).sum()) for z in zs))
    total = int(sum(z.numel() for z in zs))
    return losses, zeros, total


def nondiff_harder() -> Evidence:
    """Rule: *fails* when three trainings of the same network, differing only in the derivative used at
    0 (0, 1 or 0.5), end with exactly the same training loss: the kink was never hit, so it cannot have
    made optimisation harder."""
    losses, zeros, total = _same_net_three_derivatives()
    same = losses[0] == losses[1] == losses[2]
    verdict: Verdict = "fails" if same else "depends"
    return Evidence(
        verdict,
        (
            Fact("final training loss, f′(0) = 0", losses[0], _num(losses[0], 8)),
            Fact("final training loss, f′(0) = 1", losses[1], _num(losses[1], 8)),
            Fact("final training loss, f′(0) = 0.5", losses[2], _num(losses[2], 8)),
            Fact("pre-activations exactly 0 at the end", zeros, f"{zeros} of {total:,}"),
        ),
        f"The three runs end at the same loss to the last bit ({_num(losses[0], 8)}): a pre-activation is "
        "practically never exactly 0 in floating point, so the choice at the kink never came into play.",
        "spiral, 200 points, [2, 8, 8, 1], He init, Adam 0.03, batch 10, 30 epochs, seed 0; ReLU written "
        "as relu(x), clamp(x, 0) and max(0, x).",
    )


def backprop_nondiff() -> Evidence:
    """Rule: *fails* when backpropagation through ReLU trains a network on XOR from its starting loss
    to below 0.1, and autograd's gradient agrees with a central finite difference (float64, step 10⁻⁶)
    to a relative error below 10⁻⁶."""
    data = datasets.make("xor", n=200, seed=0)
    trainer, _ = _train(data, (8,), "relu", TrainSettings(lr=0.1, batch_size=10), 0)
    start_loss = float(trainer.evaluate().train_loss)
    for _ in range(50):
        trainer.run_epochs(1)
    end_loss = float(trainer.evaluate().train_loss)
    error = _gradient_check(trainer.model, data.x[:50], data.y[:50])
    verdict: Verdict = "fails" if end_loss < 0.1 < start_loss and error < 1e-6 else "holds"
    return Evidence(
        verdict,
        (
            Fact("training loss before", start_loss, _num(start_loss)),
            Fact("training loss after 50 epochs of backpropagation", end_loss, _num(end_loss)),
            Fact("autograd vs finite differences, largest relative error", error, _num(error, 2)),
        ),
        f"Backpropagation through ReLU takes the loss from {_num(start_loss)} to {_num(end_loss)}, and its "
        f"gradient matches finite differences to {_num(error, 2)}: it only needs a derivative almost "
        "everywhere, and a value at the kink.",
        "XOR, 200 points, [2, 8, 1], He init, SGD 0.1, batch 10, seed 0; gradient checked at the end on "
        "50 points.",
    )


def _gradient_check(model: nn.Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """Largest |g_autograd − g_fd| / max(|g_fd|, 10⁻³) over every parameter, float64, central
    differences with step h = 10⁻⁶ (no point sits within h of a kink, almost surely)."""
    net = copy.deepcopy(model).double()
    xs = torch.tensor(x, dtype=torch.float64)
    ys = torch.tensor(y, dtype=torch.float64)

    def loss() -> torch.Tensor:
        return nn.functional.binary_cross_entropy_with_logits(net(xs).squeeze(1), ys)

    params = list(net.parameters())
    grads = torch.autograd.grad(loss(), params)
    worst = 0.0
    h = 1e-6
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            flat, gflat = p.view(-1), g.view(-1)
            for i in range(flat.numel()):
                old = float(flat[i])
                flat[i] = old + h
                up = float(loss())
                flat[i] = old - h
                down = float(loss())
                flat[i] = old
                fd = (up - down) / (2 * h)
                worst = max(worst, abs(float(gflat[i]) - fd) / max(abs(fd), 1e-3))
    return worst


# --------------------------------------------------------------------------------------- dead units


DEAD_LR = 3.0
DEAD_STEPS = 1000


def dead_negative() -> Evidence:
    """Rule: *fails* when, with every hidden bias at −3 (the dead-neurons page's born-dead link), some
    units are dead before training and the largest |output| of any dead unit over the training inputs
    is exactly 0 (and no unit anywhere outputs a negative value)."""
    model, x = _monitor(0.03, -3.0, 0)
    dead = neurons.layer_masks(model, x).dead
    outputs = _hidden_outputs(model, x)
    dead_max = max(
        (float(np.abs(h[:, d]).max()) for h, d in zip(outputs, dead, strict=True) if d.any()), default=np.nan
    )
    lowest = min(float(h.min()) for h in outputs)
    n_dead, n_units = sum(int(d.sum()) for d in dead), sum(d.size for d in dead)
    verdict: Verdict = "fails" if n_dead and dead_max == 0.0 and lowest >= 0.0 else "holds"
    return Evidence(
        verdict,
        (
            Fact("dead units before training", n_dead, f"{n_dead} of {n_units}"),
            Fact("largest |output| of a dead unit", dead_max, _num(dead_max)),
            Fact("lowest output of any ReLU unit", lowest, _num(lowest)),
        ),
        f"{n_dead} of {n_units} units are born dead, and the largest output any of them gives on the "
        f"training inputs is {_num(dead_max)}: exactly zero, never negative.",
        "The dead-neurons page's network (circle, [2, 8, 8, 8, 1], He init, every hidden bias −3, seed 0).",
    )


def dead_discontinuity() -> Evidence:
    """Rule: *fails* when ReLU is continuous (|f(x + h) − f(x)| ≤ h for h = 10⁻⁶ on 20,001 points of
    [−10, 10]) and every unit that died at learning rate 3 sits left of the kink on every training
    input (its largest pre-activation is below 0), where f′ = 0 exactly: a flat piece, not a jump."""
    x = torch.linspace(-10.0, 10.0, 20_001, dtype=torch.float64)
    h = 1e-6
    jump = float((torch.relu(x + h) - torch.relu(x)).abs().max())
    model, points = _monitor(DEAD_LR, 0.0, DEAD_STEPS)
    dead = neurons.layer_masks(model, points).dead
    with torch.no_grad():
        zs = network.preactivations(model, torch.as_tensor(points))
    tops = np.concatenate([z[:, d].max(dim=0).values.numpy() for z, d in zip(zs, dead, strict=True)])
    closest = float(tops.max()) if tops.size else float("nan")
    typical = float(np.median(tops)) if tops.size else float("nan")
    n_dead = sum(int(d.sum()) for d in dead)
    continuous = jump <= h * (1 + 1e-9)
    verdict: Verdict = "fails" if continuous and n_dead and closest < 0 else "holds"
    return Evidence(
        verdict,
        (
            Fact("largest jump |f(x + 10⁻⁶) − f(x)|", jump, _num(jump)),
            Fact("units dead at learning rate 3", n_dead, f"{n_dead}"),
            Fact("closest a dead unit's input comes to the kink", closest, _num(closest)),
            Fact("a typical dead unit's largest input (median)", typical, _num(typical)),
        ),
        f"ReLU has no jump (largest change {_num(jump)} over a step of 10⁻⁶). The {n_dead} dead units' "
        f"inputs never reach the kink (at most {_num(closest)}; typically {_num(typical)}): they sit on "
        "ReLU's flat piece, where the slope is exactly 0. A zero slope, not a discontinuity, stops their "
        "learning.",
        "Dead-neurons page defaults (circle, [2, 8, 8, 8, 1], He, SGD, batch 10, seed 0) at learning rate "
        f"3, {DEAD_STEPS} steps.",
    )


def no_vanishing() -> Evidence:
    """Rule: *depends* when the first-layer gradient of a 20-layer ReLU network (He init) is at least
    10⁻² of the last layer's while sigmoid's (Xavier) is below 10⁻⁶ of it, and yet more than half the
    units of the dead-neurons page's network are dead after training at learning rate 3."""
    relu_ratio = float(gradient_flow.gradient_ratio("relu", [20], init="he")[0])
    sigmoid_ratio = float(gradient_flow.gradient_ratio("sigmoid", [20], init="xavier")[0])
    model, points = _monitor(DEAD_LR, 0.0, DEAD_STEPS)
    dead = neurons.layer_masks(model, points).dead
    share = neurons.share_of_units(dead)
    verdict: Verdict = "depends" if relu_ratio >= 1e-2 and sigmoid_ratio < 1e-6 and share > 0.5 else "holds"
    return Evidence(
        verdict,
        (
            Fact("first/last layer gradient, 20 ReLU layers", relu_ratio, _num(relu_ratio)),
            Fact("first/last layer gradient, 20 sigmoid layers", sigmoid_ratio, _num(sigmoid_ratio)),
            Fact("share of units dead at learning rate 3", share, _pct(share)),
        ),
        f"Through 20 layers ReLU keeps {_num(relu_ratio)} of the gradient where sigmoid keeps "
        f"{_num(sigmoid_ratio)}; but at learning rate 3, {_pct(share)} of the units die and pass none.",
        "Gradient ratio: width 64, 256 normal inputs, seed 0. Dead units: dead-neurons page defaults at "
        f"learning rate 3, {DEAD_STEPS} steps.",
    )


def leaky_rescues() -> Evidence:
    """Rule: *depends* when Leaky ReLU's units never die (0 dead on every seed, with either optimizer),
    it trains on where ReLU dies with Adam (:func:`relu_viz.dead_neurons.rescue` on every seed), and yet
    with plain SGD at the same settings it stalls beside ReLU on the page's default seed: a unit that
    cannot die can still be too weak to learn (its gradient is 100 times smaller per layer)."""
    adam = dn.rescue(dn.RESCUE_SETTINGS)
    sgd_settings = dn.MonitorSettings(**{**dn.RESCUE_SETTINGS.__dict__, "optimizer": "sgd"})
    sgd = dn.rescue(sgd_settings, seeds=(0,))
    never_dead = all(o.dead == 0 for o in (*adam.variant, *sgd.variant))
    rescued = bool(adam.rescued().all())
    stalls = not bool(sgd.rescued()[0])
    verdict: Verdict = "depends" if never_dead and rescued and stalls else ("holds" if rescued else "fails")
    relu_dead = [o.dead for o in adam.relu]
    n_units = adam.relu[0].n_units
    facts = (
        Fact(
            "Adam: ReLU units dead, per seed", max(relu_dead), " · ".join(f"{d}/{n_units}" for d in relu_dead)
        ),
        Fact("Adam: ReLU loss", adam.relu[0].loss, " · ".join(_num(o.loss) for o in adam.relu)),
        Fact(
            "Adam: Leaky ReLU units dead",
            sum(o.dead for o in adam.variant),
            f"{sum(o.dead for o in adam.variant)}",
        ),
        Fact("Adam: Leaky ReLU loss", adam.variant[0].loss, " · ".join(_num(o.loss) for o in adam.variant)),
        Fact("SGD: Leaky ReLU units dead", sgd.variant[0].dead, f"{sgd.variant[0].dead}"),
        Fact(
            "SGD: Leaky ReLU units with z ≤ 0 everywhere",
            sgd.variant[0].negative,
            f"{sgd.variant[0].negative}/{n_units}",
        ),
        Fact("SGD: Leaky ReLU loss", sgd.variant[0].loss, _num(sgd.variant[0].loss)),
    )
    return Evidence(
        verdict,
        facts,
        f"With every bias at −2, ReLU loses {min(relu_dead)}–{max(relu_dead)} of {n_units} units and stays "
        f"at loss {_num(adam.relu[0].loss)}. Leaky ReLU loses none; with Adam it falls to "
        f"{_num(max(o.loss for o in adam.variant))} or below, but with plain SGD "
        f"{sgd.variant[0].negative} of its units sit at z ≤ 0 and it stalls at {_num(sgd.variant[0].loss)}, "
        "beside ReLU.",
        f"The dead-neurons page's network (circle, [2, 8, 8, 8, 1], He init, every hidden bias −2, learning "
        f"rate 0.03, batch 10), {dn.RESCUE_STEPS:,} steps; Adam on seeds "
        f"{', '.join(map(str, dn.RESCUE_SEEDS))}, SGD on seed 0.",
    )


# ----------------------------------------------------------------------------------------- sparsity


def sparse_cheaper(width: int = 512, batch: int = 1024, repeats: int = 20, seed: int = 0) -> Evidence:
    """Rule: *depends* when about half of a random He-initialised ReLU layer's outputs are exactly 0
    (40–60%) and yet the next layer's dense product on them is not clearly faster than on dense inputs
    of the same shape (sparse time ≥ 0.6 × dense time): the zeros save nothing without sparse kernels.

    h = ReLU(W x) on N(0, 1) inputs, float32, one thread; the products ``h @ W2ᵀ`` on h and on |h| + 10⁻³
    are timed alternately, best of ``repeats`` each, in milliseconds."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=g)
    w = torch.randn(width, width, generator=g) * (2.0 / width) ** 0.5
    w2 = torch.randn(width, width, generator=g) * (2.0 / width) ** 0.5
    sparse = torch.relu(x @ w.T)
    dense = sparse.abs() + 1e-3
    times: dict[str, list[float]] = {"sparse": [], "dense": []}
    for _ in range(repeats + 1):  # the first round warms up
        for name, h in (("sparse", sparse), ("dense", dense)):
            t0 = time.perf_counter()
            h @ w2.T
            times[name].append(time.perf_counter() - t0)
    sparse_ms, dense_ms = (1000 * min(times[k][1:]) for k in ("sparse", "dense"))
    share = float((sparse == 0).float().mean())
    verdict: Verdict = "depends" if 0.4 <= share <= 0.6 and sparse_ms >= 0.6 * dense_ms else "holds"
    return Evidence(
        verdict,
        (
            Fact("share of exact zeros after ReLU", share, _pct(share)),
            Fact("next layer on ReLU's output (ms)", sparse_ms, _num(sparse_ms)),
            Fact("next layer on inputs without zeros (ms)", dense_ms, _num(dense_ms)),
        ),
        f"{_pct(share)} of the outputs are exact zeros, yet the next layer takes {_num(sparse_ms)} ms on "
        f"them against {_num(dense_ms)} ms without zeros: dense kernels multiply zeros like any other "
        "number.",
        f"A {width}-unit layer on {batch:,} inputs, float32, one thread, best of {repeats}.",
    )


def sparsity_overfit() -> Evidence:
    """Rule: *depends* when a ReLU network's hidden outputs on its training points are at least 30%
    exact zeros (each input uses only part of the units: easier to read) and yet it overfits: training
    accuracy at least 10 points above test accuracy on small noisy data."""
    data = datasets.make("circle", n=50, noise=0.5, seed=0)
    trainer, _ = _train(data, (32, 32), "relu", TrainSettings(lr=0.03, optimizer="adam", batch_size=10), 300)
    metrics = trainer.evaluate()
    outputs = _hidden_outputs(trainer.model, trainer.x_train)
    zeros = float(np.mean(np.concatenate([(h == 0).ravel() for h in outputs])))
    gap = metrics.train_acc - metrics.test_acc
    verdict: Verdict = "depends" if zeros >= 0.3 and gap >= 0.1 else ("holds" if gap < 0.1 else "fails")
    return Evidence(
        verdict,
        (
            Fact("hidden outputs exactly 0 on the training points", zeros, _pct(zeros)),
            Fact("training accuracy", metrics.train_acc, _pct(metrics.train_acc)),
            Fact("test accuracy", metrics.test_acc, _pct(metrics.test_acc)),
        ),
        f"{_pct(zeros)} of the hidden outputs are exact zeros, so each input uses only part of the network; "
        f"still the network fits its training points to {_pct(metrics.train_acc)} and gets "
        f"{_pct(metrics.test_acc)} of new points: sparse, and overfitting.",
        "circle, 50 points, noise 50%, training share 50%, [2, 32, 32, 1], He init, Adam 0.03, batch 10, "
        "300 epochs, seed 0.",
    )


# ----------------------------------------------------------------------------------------- training


# (name, dataset, hidden, optimizer, lr): three races of ReLU against sigmoid to training loss 0.1.
RACES: tuple[tuple[str, str, tuple[int, ...], str, float], ...] = (
    ("deep", "circle", (8, 8, 8, 8), "momentum", 0.1),
    ("shallow, easy data", "gauss", (8,), "momentum", 0.1),
    ("narrow", "xor", (4, 4), "momentum", 0.1),
)
RACE_TARGET = 0.1
RACE_EPOCHS = 300


@dataclass(frozen=True)
class RaceResult:
    """One activation's run: epochs to the target training loss (NaN if never reached), the loss it
    ended with, and how many hidden units ended dead on the training points."""

    activation: str
    epochs: float
    final_loss: float
    dead_units: int


def race(
    dataset: str,
    hidden: tuple[int, ...],
    optimizer: str,
    lr: float,
    activations: tuple[str, ...] = ("relu", "sigmoid"),
    target_loss: float = RACE_TARGET,
    max_epochs: int = RACE_EPOCHS,
    seed: int = 0,
) -> list[RaceResult]:
    """Train ``[2, *hidden, 1]`` with each activation (He init for ReLU-like, Xavier otherwise; batch 10,
    cross-entropy, 500 points without noise, training share 50%) until the training loss is ≤
    ``target_loss``."""
    data = datasets.make(dataset, n=500, noise=0.0, seed=seed)
    settings = TrainSettings(lr=lr, optimizer=optimizer, batch_size=10, seed=seed)  # type: ignore[arg-type]
    out = []
    for key in activations:
        trainer, reached = _train(data, hidden, key, settings, max_epochs, seed=seed, target_loss=target_loss)
        dead = neurons.layer_masks(trainer.model, trainer.x_train).dead
        out.append(
            RaceResult(key, reached, float(trainer.evaluate().train_loss), int(sum(map(np.sum, dead))))
        )
    return out


def trains_faster() -> Evidence:
    """Rule: *depends* when ReLU wins the deep race (sigmoid never reaches the target, or takes 3× the
    epochs), the shallow race on easy data is close (within 2 epochs), and ReLU loses the narrow race
    (some of its units die and it never reaches the target while sigmoid does)."""
    results = {name: race(ds, hidden, opt, lr) for name, ds, hidden, opt, lr in RACES}
    facts = []
    for name, (relu, sigmoid) in results.items():
        facts.append(Fact(f"{name}: ReLU epochs to loss {RACE_TARGET:g}", relu.epochs, _num(relu.epochs)))
        facts.append(
            Fact(f"{name}: sigmoid epochs to loss {RACE_TARGET:g}", sigmoid.epochs, _num(sigmoid.epochs))
        )
    deep, shallow, narrow = (results[name] for name, *_ in RACES)

    def epochs(r: RaceResult) -> float:
        return r.epochs if np.isfinite(r.epochs) else np.inf

    relu_wins_deep = epochs(deep[1]) >= 3 * epochs(deep[0]) and np.isfinite(deep[0].epochs)
    close_shallow = abs(epochs(shallow[0]) - epochs(shallow[1])) <= 2
    relu_loses_narrow = (
        np.isnan(narrow[0].epochs) and narrow[0].dead_units > 0 and np.isfinite(narrow[1].epochs)
    )
    verdict: Verdict = "depends" if relu_wins_deep and close_shallow and relu_loses_narrow else "holds"
    n_units = sum(RACES[2][2])
    facts.append(
        Fact(
            "narrow: ReLU units dead at the end", narrow[0].dead_units, f"{narrow[0].dead_units} of {n_units}"
        )
    )
    return Evidence(
        verdict,
        tuple(facts),
        f"Deep: ReLU {_num(deep[0].epochs)} epochs, sigmoid {_num(deep[1].epochs)}. Shallow on easy data: "
        f"{_num(shallow[0].epochs)} against {_num(shallow[1].epochs)}. Narrow: {narrow[0].dead_units} of "
        f"ReLU's {n_units} units die and it {'never gets there' if np.isnan(narrow[0].epochs) else 'does'}"
        f"; sigmoid takes {_num(narrow[1].epochs)}.",
        f"Training loss {RACE_TARGET:g} within {RACE_EPOCHS} epochs; 500 points, no noise, batch 10, seed 0; "
        "momentum 0.1; He init for ReLU, Xavier for sigmoid. Deep: circle, [2, 8, 8, 8, 8, 1]. Shallow: "
        "gauss, [2, 8, 1]. Narrow: XOR, [2, 4, 4, 1].",
    )


def _step_seconds(activation: str, repeats: int = 5, steps: int = 200) -> float:
    """Best of ``repeats`` timings of ``steps`` training steps of [2, 32, 32, 1] (batch 32, SGD), in
    seconds per step."""
    data = datasets.make("spiral", n=500, seed=0)
    trainer, _ = _train(data, (32, 32), activation, TrainSettings(lr=0.01, batch_size=32), 0)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        trainer.step(steps)
        best = min(best, (time.perf_counter() - t0) / steps)
    return float(best)


def efficient() -> Evidence:
    """Rule: *depends* when a whole training step of a small network with ReLU is less than 1.5× as fast
    as the same step with sigmoid: the matrix products, not the activation, take most of a step. (With
    1.5× or more it *holds*.) The activations' own forward + backward costs per element are measured and
    shown beside it; they are a few hundred microseconds per million elements, so on a busy shared
    machine their order can change from one run to the next, and the rule does not rest on them."""
    per_element = cost.measure_cost(["relu", "sigmoid", "tanh"], n=1_000_000, repeats=15)
    steps = {k: [] for k in ("relu", "sigmoid")}
    for _ in range(2):  # alternate, so a busy moment on the machine hits both
        for key in steps:
            steps[key].append(_step_seconds(key, repeats=3))
    step = {k: min(v) for k, v in steps.items()}
    step_ratio = step["sigmoid"] / step["relu"]
    verdict: Verdict = "depends" if step_ratio < 1.5 else "holds"
    ms = {k: 1000 * v for k, v in per_element.items()}
    return Evidence(
        verdict,
        (
            Fact("ReLU, ms per million elements (forward + backward)", ms["relu"], _num(ms["relu"])),
            Fact("sigmoid, ms per million elements", ms["sigmoid"], _num(ms["sigmoid"])),
            Fact("tanh, ms per million elements", ms["tanh"], _num(ms["tanh"])),
            Fact("training step, ReLU (µs)", 1e6 * step["relu"], _num(1e6 * step["relu"])),
            Fact("training step, sigmoid (µs)", 1e6 * step["sigmoid"], _num(1e6 * step["sigmoid"])),
        ),
        f"Per element ReLU costs {_num(ms['relu'])} ms per million against sigmoid's "
        f"{_num(ms['sigmoid'])} and tanh's {_num(ms['tanh'])}; a whole training step with sigmoid takes "
        f"{step_ratio:.2f}× ReLU's, because the matrix products dominate.",
        "Activation cost: 10⁶ float32 elements, forward + backward, best of 15 interleaved rounds, one "
        "thread. Step: spiral, "
        "[2, 32, 32, 1], batch 32, SGD, best of 3 × 200 steps, ReLU and sigmoid alternated.",
    )


def zero_init() -> Evidence:
    """Rule: *fails* when, after training from all-zero weights, the largest difference between any two
    hidden units' incoming weights and biases is exactly 0 and the network stays at chance (≤ 60%
    training accuracy), while the same network from He init trains to ≥ 90%."""
    data = datasets.make("circle", n=200, seed=0)
    settings = TrainSettings(lr=0.03, optimizer="adam", batch_size=10)
    zeros, _ = _train(data, (8,), "relu", settings, 50, init="zeros")
    he, _ = _train(data, (8,), "relu", settings, 50, init="he")
    first = zeros.model[0]
    rows = torch.cat([first.weight, first.bias[:, None]], dim=1).detach()
    spread = float((rows[:, None, :] - rows[None, :, :]).abs().max())
    acc_zero, acc_he = zeros.evaluate().train_acc, he.evaluate().train_acc
    verdict: Verdict = "fails" if spread == 0.0 and acc_zero <= 0.6 and acc_he >= 0.9 else "holds"
    return Evidence(
        verdict,
        (
            Fact("max difference between hidden units after training", spread, _num(spread)),
            Fact("training accuracy from zero weights", acc_zero, _pct(acc_zero)),
            Fact("training accuracy from He init", acc_he, _pct(acc_he)),
        ),
        f"After 50 epochs from zero weights the largest difference between any two units is {_num(spread)}: "
        f"they are still identical, and the network is at {_pct(acc_zero)}. From He init: {_pct(acc_he)}.",
        "circle, 200 points, [2, 8, 1], ReLU, Adam 0.03, batch 10, 50 epochs, seed 0.",
    )


def unbounded_unstable() -> Evidence:
    """Rule: *holds* when LeakyReLU at learning rate 3 diverges (the trainer stops on a non-finite loss)
    and at 0.3 trains without diverging."""
    data = datasets.make("spiral", n=500, seed=0)
    fast, _ = _train(data, (8, 8), "leaky_relu", TrainSettings(lr=3.0, batch_size=10), 20)
    slow, _ = _train(data, (8, 8), "leaky_relu", TrainSettings(lr=0.3, batch_size=10), 20)
    slow_loss = float(slow.evaluate().train_loss)
    verdict: Verdict = "holds" if fast.status == "diverged" and slow.status == "ok" else "fails"
    return Evidence(
        verdict,
        (
            Fact("learning rate 3: epochs before the loss turned non-finite", fast.epoch, _num(fast.epoch)),
            Fact("learning rate 3: diverged", float(fast.status == "diverged"), fast.status),
            Fact("learning rate 0.3: training loss after 20 epochs", slow_loss, _num(slow_loss)),
        ),
        f"At learning rate 3 the loss turns non-finite after {_num(fast.epoch)} epochs ({fast.status}); at "
        f"0.3 the same network trains to loss {_num(slow_loss)}.",
        "spiral, 500 points, [2, 8, 8, 1], LeakyReLU, He init, SGD, batch 10, 20 epochs, seed 0.",
    )


def explosion_use_sigmoid() -> Evidence:
    """Rule: *depends* when sigmoid at learning rate 3 does not diverge where LeakyReLU does (bounded
    outputs help), but a 20-layer sigmoid network's first-layer gradient is below 10⁻³ of its last
    layer's, and LeakyReLU at a ten times lower rate (0.3) trains without diverging."""
    data = datasets.make("spiral", n=500, seed=0)
    leaky, _ = _train(data, (8, 8), "leaky_relu", TrainSettings(lr=3.0, batch_size=10), 20)
    sigmoid, _ = _train(data, (8, 8), "sigmoid", TrainSettings(lr=3.0, batch_size=10), 20)
    calmer, _ = _train(data, (8, 8), "leaky_relu", TrainSettings(lr=0.3, batch_size=10), 20)
    ratio = float(gradient_flow.gradient_ratio("sigmoid", [20], init="xavier")[0])
    bounded_helps = leaky.status == "diverged" and sigmoid.status == "ok"
    verdict: Verdict = "depends" if bounded_helps and ratio < 1e-3 and calmer.status == "ok" else "holds"
    sig_loss, calm_loss = float(sigmoid.evaluate().train_loss), float(calmer.evaluate().train_loss)
    return Evidence(
        verdict,
        (
            Fact("LeakyReLU at learning rate 3", float(leaky.status == "diverged"), leaky.status),
            Fact("sigmoid at learning rate 3: training loss", sig_loss, _num(sig_loss)),
            Fact("LeakyReLU at learning rate 0.3: training loss", calm_loss, _num(calm_loss)),
            Fact("first/last layer gradient, 20 sigmoid layers", ratio, _num(ratio)),
        ),
        f"At learning rate 3 LeakyReLU {leaky.status} and sigmoid did not (loss {_num(sig_loss)}); but a "
        f"lower rate fixes LeakyReLU too (loss {_num(calm_loss)} at 0.3), and 20 sigmoid layers pass only "
        f"{_num(ratio)} of the gradient to the first layer.",
        "spiral, 500 points, [2, 8, 8, 1], SGD, batch 10, 20 epochs, seed 0 (He init for LeakyReLU, Xavier "
        "for sigmoid); gradient ratio: width 64, seed 0.",
    )


MEASURES: dict[str, Callable[[], Evidence]] = {
    "relu_linear": relu_linear,
    "max_at_one": max_at_one,
    "levels_out": levels_out,
    "negative_inputs": negative_inputs,
    "same_result": same_result,
    "leaky_slope": leaky_slope,
    "derivative_choice": derivative_choice,
    "nondiff_harder": nondiff_harder,
    "backprop_nondiff": backprop_nondiff,
    "dead_negative": dead_negative,
    "dead_discontinuity": dead_discontinuity,
    "no_vanishing": no_vanishing,
    "leaky_rescues": leaky_rescues,
    "sparse_cheaper": sparse_cheaper,
    "sparsity_overfit": sparsity_overfit,
    "trains_faster": trains_faster,
    "efficient": efficient,
    "zero_init": zero_init,
    "unbounded_unstable": unbounded_unstable,
    "explosion_use_sigmoid": explosion_use_sigmoid,
}


def measure(claim_id: str) -> Evidence:
    """Run the demo behind the claim ``claim_id`` and return what it measured (``KeyError`` if none)."""
    return MEASURES[claim_id]()


def measure_all(progress: Callable[[float], None] | None = None) -> dict[str, Evidence]:
    """Every claim's demo, by claim id: the claims page's task for the helper process (about 3.5 s in
    all on one core; ``progress(fraction)`` after each demo)."""
    found: dict[str, Evidence] = {}
    for i, claim_id in enumerate(MEASURES):
        found[claim_id] = measure(claim_id)
        if progress is not None:
            progress((i + 1) / len(MEASURES))
    return found
