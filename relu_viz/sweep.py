"""Learning rate x bias initialisation phase diagram of dying ReLU, trained as one batched computation.

For every pair (eta_i, b_j) of a learning-rate list (R values) and a hidden-bias list (B values), model
(i, j) is ``network.build(widths, activation, init, seed, bias_init=b_j)``, trained by full-batch
plain gradient descent theta <- theta - eta_i * grad L(theta) for ``steps`` steps on one data set, where
L is the mean loss over the N points. The result holds (R, B) maps of the final dead fraction
(:mod:`relu_viz.neurons` definitions, on the training data), of the final loss, and of divergence.

All M = R·B models train together: their parameters are stacked along a leading model axis, each
layer is one batched product Z = W A + b with W (M, out, in), A (M, in, N) (``torch.baddbmm``; points
along the last axis, which is several times faster on CPU than the (M, N, in) layout), the M mean
losses are summed and differentiated once. Because the models share no parameter, d(sum)/d theta_m is
model m's own gradient, so this is the same computation as M separate runs (:func:`run_sequential`),
up to float rounding. A learning rate is an (M, 1, 1) tensor. Activations with parameters (PReLU)
or buffers go through ``torch.func.vmap`` over ``functional_call`` instead, so each model keeps its own.
Memory is bounded: models are trained in chunks of at most MAX_BATCH_ELEMENTS // (N·Σ widths) models
(one chunk for the 8 x 8 grid on 500 points).

Divergence: a model whose loss or parameters become non-finite is flagged (``diverged``, with the step)
and its loss reported as inf; nothing is clamped. Its nan/inf stay in its own rows of the stacked
tensors: the summed loss is nan then, but its gradient with respect to each model's loss is still 1,
so the other models are untouched.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from relu_viz import network, neurons

LOSSES = ("cross_entropy", "mse")
MAX_BATCH_ELEMENTS = 1 << 23  # stacked activations per chunk: M·N·Σwidths floats (32 MB)
Progress = Callable[[float], None]


@dataclass(frozen=True)
class PhaseResult:
    """Outcome of the R x B grid; maps are (R, B) with rows = learning rates, columns = bias inits.

    ``dead_fraction``: share of all hidden units dead on the data at the end (nan where diverged);
    ``no_gradient_fraction``: dead or cut off (no gradient reaches them); ``negative_fraction``: z <= 0
    on all data (the statistic for Leaky ReLU and friends); ``born_dead_fraction``: dead at
    initialisation; ``layer_dead_fraction``: (R, B, L) per hidden layer. ``final_loss``: mean training
    loss after the last step (inf where diverged); ``diverged``: bool; ``diverged_step``: first step
    whose loss was non-finite, ``steps`` if only the final state is, -1 if never.
    ``state``: final parameters stacked by ``state_dict`` key, each (R·B, ...) in row-major (i, j) order.
    """

    learning_rates: np.ndarray
    bias_inits: np.ndarray
    dead_fraction: np.ndarray
    no_gradient_fraction: np.ndarray
    negative_fraction: np.ndarray
    born_dead_fraction: np.ndarray
    layer_dead_fraction: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    diverged_step: np.ndarray
    steps: int
    seconds: float
    batched: bool
    state: dict[str, np.ndarray]

    def state_dict(self, i: int, j: int) -> dict[str, torch.Tensor]:
        """Final parameters of model (i, j), ready for ``model.load_state_dict`` on a same-shaped build."""
        m = i * len(self.bias_inits) + j
        return {k: torch.from_numpy(v[m].copy()) for k, v in self.state.items()}


def per_model_loss(out: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """Mean loss of each model over the N points: out (M, K, N) logits, y (N,) class indices -> (M,).

    K = 1 (binary): "cross_entropy" is log(1 + e^-z) for class 1 and log(1 + e^z) for class 0
    (``binary_cross_entropy_with_logits``), "mse" is (z - y)². K >= 2: softmax cross-entropy, or the
    squared error to the one-hot target averaged over the K outputs.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    m, k, n = out.shape
    if k == 1:
        z, target = out[:, 0, :], y.to(out.dtype).expand(m, n)
        if loss == "cross_entropy":
            return F.binary_cross_entropy_with_logits(z, target, reduction="none").mean(dim=1)
        return ((z - target) ** 2).mean(dim=1)
    if loss == "cross_entropy":
        return F.cross_entropy(out, y.long().expand(m, n), reduction="none").mean(dim=1)
    onehot = F.one_hot(y.long(), k).T.to(out.dtype)
    return ((out - onehot) ** 2).mean(dim=(1, 2))


def _inputs(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    xt = (
        x.detach().float()
        if isinstance(x, torch.Tensor)
        else torch.tensor(np.asarray(x), dtype=torch.float32)
    )
    yt = y.detach().long() if isinstance(y, torch.Tensor) else torch.tensor(np.asarray(y), dtype=torch.long)
    if xt.ndim != 2 or yt.shape != (xt.shape[0],):
        raise ValueError(f"x must be (N, d) and y (N,), got {tuple(xt.shape)} and {tuple(yt.shape)}")
    return xt, yt


def _grid(learning_rates: Sequence[float], bias_inits: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    lrs = np.asarray(learning_rates, dtype=float).reshape(-1)
    biases = np.asarray(bias_inits, dtype=float).reshape(-1)
    if lrs.size == 0 or biases.size == 0:
        raise ValueError("need at least one learning rate and one bias")
    if not (np.isfinite(lrs).all() and np.isfinite(biases).all()) or (lrs < 0).any():
        raise ValueError("learning rates must be finite and >= 0, biases finite")
    return lrs, biases


def _build_all(
    widths: Sequence[int],
    activation: network.ActivationSpec,
    init: str,
    seed: int,
    biases: np.ndarray,
    features: Sequence[str] | None,
) -> list[nn.Sequential]:
    return [
        network.build(widths, activation, init=init, seed=seed, bias_init=float(b), features=features)
        for b in biases
    ]


class _Progress:
    """Calls ``progress(fraction)`` each time another tenth of the work is done (and at the end)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.next_mark = progress, max(int(total), 1), 1

    def update(self, done: int) -> None:
        if self.progress is None:
            return
        while self.next_mark <= 10 and done * 10 >= self.next_mark * self.total:
            self.progress(min(1.0, self.next_mark / 10))
            self.next_mark += 1


def _fast_layout(model: nn.Sequential) -> tuple[nn.Module | None, list[int], list[nn.Module]] | None:
    """(features, Linear indices, activations) when the model is [Features?] Linear Act ... Linear with
    parameter-free activations; None otherwise (then the vmap path keeps per-model activation state)."""
    mods = list(model)
    features = mods[0] if mods and isinstance(mods[0], network.Features) else None
    body = mods[1:] if features is not None else mods
    linears, acts = body[0::2], body[1::2]
    if len(linears) != len(acts) + 1 or not all(isinstance(m, nn.Linear) for m in linears):
        return None
    if any(
        isinstance(a, nn.Linear) or any(True for _ in a.parameters()) or any(True for _ in a.buffers())
        for a in acts
    ):
        return None
    offset = 1 if features is not None else 0
    return features, [offset + 2 * k for k in range(len(linears))], acts


def _expand(values: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """Per-model scalars (M,) as a tensor (M, 1, ..., 1) broadcasting against ``like`` (M, ...)."""
    return torch.as_tensor(values, dtype=like.dtype).view(-1, *([1] * (like.dim() - 1)))


def phase_diagram(
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    widths: Sequence[int],
    activation: network.ActivationSpec,
    learning_rates: Sequence[float],
    bias_inits: Sequence[float],
    steps: int = 300,
    init: str = "he",
    seed: int = 0,
    loss: str = "cross_entropy",
    progress: Progress | None = None,
    features: Sequence[str] | None = None,
) -> PhaseResult:
    """Train the R x B grid of models as one batched computation and map their final state.

    x (N, 2) points, y (N,) class indices; ``widths``/``activation``/``init``/``seed``/``features`` as
    for ``network.build`` (a registry name rather than a factory keeps the arguments hashable for a
    cache); ``loss`` "cross_entropy" or "mse" (:func:`per_model_loss`). ``progress(fraction)`` is
    called after each tenth of the steps. See the module docstring for the method.
    """
    start = time.perf_counter()
    xt, yt = _inputs(x, y)
    lrs, biases = _grid(learning_rates, bias_inits)
    r, b = len(lrs), len(biases)
    built = _build_all(widths, activation, init, seed, biases, features)
    template = copy.deepcopy(built[0])
    # Model m = i·B + j starts as build(bias_j) and learns at rate lr_i. Models train in chunks small
    # enough that the stacked activations stay within MAX_BATCH_ELEMENTS (a handful of chunks at most
    # for the app's sizes; one for the 8 x 8 benchmark).
    per_model = xt.shape[0] * max(1, sum(int(w) for w in widths[1:]))
    chunk = max(1, min(r * b, MAX_BATCH_ELEMENTS // per_model))
    chunks = [range(lo, min(lo + chunk, r * b)) for lo in range(0, r * b, chunk)]
    tick = _Progress(progress, int(steps) * len(chunks))
    final = np.empty(r * b)
    diverged_step = np.full(r * b, -1, dtype=np.int64)
    states: list[dict[str, np.ndarray]] = []
    for c, ms in enumerate(chunks):
        models = [built[m % b] for m in ms]
        lr_m = np.array([lrs[m // b] for m in ms])
        state, final[ms.start : ms.stop], diverged_step[ms.start : ms.stop] = _train_batched(
            template, models, lr_m, xt, yt, int(steps), loss, lambda k, c=c: tick.update(c * int(steps) + k)
        )
        states.append(state)
    state = {k: np.concatenate([st[k] for st in states]) for k in states[0]}
    result = _assemble(
        template, built, state, final, diverged_step, xt, lrs, biases, steps, start, batched=True
    )
    if progress is not None:
        progress(1.0)
    return result


def _train_batched(
    template: nn.Sequential,
    models: list[nn.Sequential],
    lr_m: np.ndarray,
    xt: torch.Tensor,
    yt: torch.Tensor,
    steps: int,
    loss: str,
    on_step: Callable[[int], None],
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Train ``models`` stacked; return (final state (M, ...) by key, final losses (M,), diverged steps)."""
    names = [n for n, _ in template.named_parameters()]
    params = {
        n: torch.stack([dict(m.named_parameters())[n].detach() for m in models]).requires_grad_()
        for n in names
    }
    buffers = {
        n: torch.stack([dict(m.named_buffers())[n] for m in models]) for n, _ in template.named_buffers()
    }
    leaves = list(params.values())
    lr_views = [_expand(lr_m, p) for p in leaves]
    forward = _batched_forward(template, params, buffers, xt)
    diverged_step = np.full(len(models), -1, dtype=np.int64)
    for step in range(steps):
        losses = per_model_loss(forward(), yt, loss)
        bad = ~torch.isfinite(losses.detach()).numpy()
        diverged_step[bad & (diverged_step < 0)] = step
        grads = torch.autograd.grad(losses.sum(), leaves)
        with torch.no_grad():
            for p, g, rate in zip(leaves, grads, lr_views, strict=True):
                p.sub_(rate * g)
        on_step(step + 1)
    with torch.no_grad():
        final = per_model_loss(forward(), yt, loss).numpy().astype(float)
    state = {k: v.detach().numpy().copy() for k, v in {**params, **buffers}.items()}
    return state, final, diverged_step


def _batched_forward(
    template: nn.Sequential,
    params: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
    x: torch.Tensor,
) -> Callable[[], torch.Tensor]:
    """A closure computing the stacked logits (M, K, N) from the current stacked parameters."""
    layout = _fast_layout(template)
    m = next(iter(params.values())).shape[0] if params else 1
    if layout is not None:
        features, linear_at, acts = layout
        inp = features(x) if features is not None else x
        a0 = inp.T.contiguous().unsqueeze(0).expand(m, -1, -1)  # (M, d, N): shared, never copied
        weights = [params[f"{i}.weight"] for i in linear_at]
        biases = [params[f"{i}.bias"] for i in linear_at]

        def fast() -> torch.Tensor:
            h = a0
            for k, (w, bias) in enumerate(zip(weights, biases, strict=True)):
                h = torch.baddbmm(bias.unsqueeze(-1), w, h)
                if k < len(acts):
                    h = acts[k](h)
            return h

        return fast

    base = copy.deepcopy(template).to("meta")

    def one(p: dict[str, torch.Tensor], bufs: dict[str, torch.Tensor], inp: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(base, (p, bufs), (inp,))

    # "different": a random activation (RReLU in training mode) draws its own noise per model.
    batched = torch.func.vmap(one, in_dims=(0, 0, None), randomness="different")
    return lambda: batched(params, buffers, x).transpose(1, 2)


def run_sequential(
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    widths: Sequence[int],
    activation: network.ActivationSpec,
    learning_rates: Sequence[float],
    bias_inits: Sequence[float],
    steps: int = 300,
    init: str = "he",
    seed: int = 0,
    loss: str = "cross_entropy",
    progress: Progress | None = None,
    features: Sequence[str] | None = None,
) -> PhaseResult:
    """The same R x B runs one after another, each a plain ``torch.optim.SGD`` loop on its own model.

    The reference for :func:`phase_diagram` (same models, same loss, same result up to float rounding)
    and the baseline of ``bench/sweep.py``.
    """
    start = time.perf_counter()
    xt, yt = _inputs(x, y)
    lrs, biases = _grid(learning_rates, bias_inits)
    r, b = len(lrs), len(biases)
    built = _build_all(widths, activation, init, seed, biases, features)
    template = copy.deepcopy(built[0])
    finals, diverged_step, states = [], np.full(r * b, -1, dtype=np.int64), []
    tick = _Progress(progress, r * b * int(steps))
    for i in range(r):
        for j in range(b):
            m = i * b + j
            model = copy.deepcopy(built[j])
            opt = torch.optim.SGD(model.parameters(), lr=float(lrs[i]))
            for step in range(int(steps)):
                opt.zero_grad()
                value = per_model_loss(model(xt).T.unsqueeze(0), yt, loss)[0]
                if not torch.isfinite(value) and diverged_step[m] < 0:
                    diverged_step[m] = step
                value.backward()
                opt.step()
                tick.update(m * int(steps) + step + 1)
            with torch.no_grad():
                finals.append(float(per_model_loss(model(xt).T.unsqueeze(0), yt, loss)[0]))
            states.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})
    state = {k: np.stack([s[k] for s in states]) for k in states[0]}
    result = _assemble(
        template, built, state, np.array(finals), diverged_step, xt, lrs, biases, steps, start, batched=False
    )
    if progress is not None:
        progress(1.0)
    return result


def _assemble(
    template: nn.Sequential,
    built: list[nn.Sequential],
    state: dict[str, np.ndarray],
    final_loss: np.ndarray,
    diverged_step: np.ndarray,
    x: torch.Tensor,
    lrs: np.ndarray,
    biases: np.ndarray,
    steps: int,
    start: float,
    batched: bool,
) -> PhaseResult:
    """Unit statistics of each final model (on a reused template), divergence flags, (R, B) maps."""
    r, b = len(lrs), len(biases)
    n_layers = len(network.hidden_layers(template))
    finite_state = np.array([all(np.isfinite(v[m]).all() for v in state.values()) for m in range(r * b)])
    diverged = (diverged_step >= 0) | ~np.isfinite(final_loss) | ~finite_state
    diverged_step = np.where(diverged & (diverged_step < 0), int(steps), diverged_step)
    dead = np.full(r * b, np.nan)
    no_grad = np.full(r * b, np.nan)
    negative = np.full(r * b, np.nan)
    layer_dead = np.full((r * b, n_layers), np.nan)
    for m in range(r * b):
        if diverged[m]:
            continue
        template.load_state_dict({k: torch.from_numpy(v[m]) for k, v in state.items()})
        dead_masks, negative_masks, _ = neurons.layer_masks(template, x)
        cut = neurons.cut_off_units(template, dead_masks)
        dead[m] = neurons.share_of_units(dead_masks)
        no_grad[m] = neurons.share_of_units([d | c for d, c in zip(dead_masks, cut, strict=True)])
        negative[m] = neurons.share_of_units(negative_masks)
        layer_dead[m] = [d.mean() if d.size else 0.0 for d in dead_masks]
    born = np.array([neurons.share_of_units(neurons.layer_masks(model, x).dead) for model in built])
    return PhaseResult(
        learning_rates=lrs,
        bias_inits=biases,
        dead_fraction=dead.reshape(r, b),
        no_gradient_fraction=no_grad.reshape(r, b),
        negative_fraction=negative.reshape(r, b),
        born_dead_fraction=np.tile(born, (r, 1)),
        layer_dead_fraction=layer_dead.reshape(r, b, n_layers),
        final_loss=np.where(diverged, np.inf, final_loss).reshape(r, b),
        diverged=diverged.reshape(r, b),
        diverged_step=diverged_step.reshape(r, b),
        steps=int(steps),
        seconds=time.perf_counter() - start,
        batched=batched,
        state=state,
    )
