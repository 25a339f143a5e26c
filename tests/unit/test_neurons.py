"""relu_viz.neurons: dead/alive definitions, born dead vs died, revival, and the survival theory.

Behaviour is checked on real, small torch trainings (full-batch plain SGD on two interleaved moons made
here with numpy) across several seeds, and every statistic is compared with an independent computation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from relu_viz import formula, network, neurons
from tests.unit import toy_data

SEEDS = (0, 1, 2)


def moons(n: int = 400, seed: int = 0, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`tests.unit.toy_data.moons` as float32 tensors (labels as floats, for BCE)."""
    x, y = toy_data.moons(n, seed, scale)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def train(
    model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, lr: float, steps: int, callback=None
) -> float:
    """Full-batch plain SGD on the binary cross-entropy; callback(step, model) after each step."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss = torch.tensor(float("nan"))
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x)[:, 0], y)
        loss.backward()
        opt.step()
        if callback is not None:
            callback(step, model)
    return float(loss.detach())


def relu_dead_masks(model: nn.Sequential, x: torch.Tensor) -> list[np.ndarray]:
    """Independent ReLU definition: z <= 0 at every point, by explicit matrix products."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    masks, a = [], x.double()
    with torch.no_grad():
        for lin in linears[:-1]:
            z = a @ lin.weight.double().T + lin.bias.double()
            masks.append((z <= 0).all(dim=0).numpy())
            a = torch.relu(z)
    return masks


# --- activation derivative and "can die" -----------------------------------------------------------


def test_activation_gradient_matches_known_derivatives():
    z = torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0], dtype=torch.float64)
    relu = neurons.activation_gradient(nn.ReLU(), z)
    assert relu.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]  # ReLU'(0) = 0, as torch computes it
    leaky = neurons.activation_gradient(nn.LeakyReLU(0.2), z)
    assert leaky.tolist() == [0.2, 0.2, 0.2, 1.0, 1.0]
    elu = neurons.activation_gradient(nn.ELU(alpha=1.3), z)
    expected = torch.where(z > 0, torch.ones_like(z), 1.3 * torch.exp(z))
    torch.testing.assert_close(elu, expected)
    sig = neurons.activation_gradient(nn.Sigmoid(), z)
    s = torch.sigmoid(z)
    torch.testing.assert_close(sig, s * (1 - s))


def test_activation_gradient_works_inside_inference_mode_and_for_formulas():
    from relu_viz import formula

    z = torch.linspace(-2, 2, 9)
    with torch.inference_mode():
        g = neurons.activation_gradient(formula.module("where(x > 0, x, 0.1*x)"), z)
    torch.testing.assert_close(g, torch.where(z > 0, 1.0, 0.1))


def test_can_die_is_measured_from_the_flat_pieces_of_the_derivative():
    for act in (nn.ReLU(), nn.ReLU6(), nn.Hardtanh(), nn.Hardsigmoid(), nn.Threshold(0.1, 20.0)):
        assert neurons.can_die(act).all(), act
    for act in (nn.LeakyReLU(), nn.PReLU(), nn.ELU(), nn.SELU(), nn.Sigmoid(), nn.Tanh(), nn.GELU("tanh")):
        assert not neurons.can_die(act).any(), act


def test_can_die_is_per_unit_for_a_learned_prelu_slope():
    prelu = nn.PReLU(num_parameters=3)
    with torch.no_grad():
        prelu.weight[1] = 0.0  # a PReLU unit whose slope learned its way to 0 is a ReLU unit
    assert neurons.can_die(prelu, 3).tolist() == [False, True, False]


# --- born dead, died, the cure -------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_large_negative_bias_leaves_most_first_layer_units_born_dead(seed):
    x, _ = moons(seed=seed)
    model = network.build([2, 16, 16, 1], nn.ReLU, init="he", seed=seed, bias_init=-3.0)
    stats = neurons.unit_stats(model, x)
    assert stats.layer_dead_fraction[0] > 0.5
    assert stats.dead_on_data[0].tolist() == relu_dead_masks(model, x)[0].tolist()
    control = neurons.unit_stats(
        network.build([2, 16, 16, 1], nn.ReLU, init="he", seed=seed, bias_init=0.0), x
    )
    assert control.layer_dead_fraction[0] < 0.25


@pytest.mark.parametrize("seed", SEEDS)
def test_high_learning_rate_kills_most_units_during_training_and_a_small_one_few(seed):
    # Data on the app's scale (x1 within ±4.5); plain full-batch SGD, 300 steps.
    x, y = moons(seed=seed, scale=3.0)
    dead = {}
    for lr in (3.0, 0.03):
        model = network.build([2, 8, 8, 8, 1], nn.ReLU, init="he", seed=seed)
        tracker = neurons.DeathTracker()
        tracker.observe(0, model, x)
        train(
            model, x, y, lr, 300, callback=lambda s, m, t=tracker: t.observe(s, m, x) if s % 10 == 0 else None
        )
        stats = neurons.unit_stats(model, x)
        assert [d.tolist() for d in stats.dead_on_data] == [d.tolist() for d in relu_dead_masks(model, x)]
        dead[lr] = stats.dead_fraction
        if lr == 3.0:
            died = sum(int(d.sum()) for d in tracker.died)
            born = sum(int(b.sum()) for b in tracker.born_dead)
            assert died > born  # they died during training, they were not born dead
            assert (tracker.dead_fraction_history()[1][-1] == stats.layer_dead_fraction).all()
    assert dead[3.0] > 0.5
    assert dead[0.03] < 0.2


@pytest.mark.parametrize("seed", SEEDS)
def test_leaky_relu_never_dies_in_either_case(seed):
    x, _ = moons(seed=seed)
    born = neurons.unit_stats(
        network.build([2, 16, 16, 1], lambda: nn.LeakyReLU(0.01), init="he", seed=seed, bias_init=-3.0), x
    )
    assert born.n_dead == 0
    assert born.layer_negative_fraction[0] > 0.5  # the same units sit in the negative regime...
    assert not any(c.any() for c in born.can_die)  # ...but their gradient there is 0.01, not 0
    # The learning-rate case, observed every step. Leaky ReLU at lr 3 may blow up to nan (nothing dies
    # to stop it); from then on alive/dead means nothing, so the claim is checked while it is finite.
    x3, y3 = moons(seed=seed, scale=3.0)
    model = network.build([2, 8, 8, 8, 1], lambda: nn.LeakyReLU(0.01), init="he", seed=seed)
    tracker = neurons.DeathTracker()
    tracker.observe(0, model, x3)
    # Every step while a blow-up would start (within ~20 steps when it comes), then every 10th.
    watch = lambda s, m: tracker.observe(s, m, x3) if s <= 30 or s % 10 == 0 else None  # noqa: E731
    train(model, x3, y3, 3.0, 300, callback=watch)
    steps, dead = tracker.dead_fraction_history()
    finite = ~np.isnan(dead).any(axis=1)
    assert finite[:6].all()  # several real SGD steps at lr 3 before any blow-up
    assert (dead[finite] == 0).all()
    assert not [e for e in tracker.events if e.kind != "revived"]
    negative = tracker.dead_fraction_history("negative")[1][finite]
    assert (negative > 0).any()  # units did enter the negative regime, and came back or stayed alive
    if tracker.diverged_step is not None:
        assert not finite[steps >= tracker.diverged_step].any()


# --- statistics against independent computations -------------------------------------------------


def test_unit_stats_fractions_plane_and_rarely_active():
    x, _ = moons(n=500, seed=0)
    model = network.build([2, 6, 1], nn.ReLU, init="he", seed=0)
    lin = model[0]
    with torch.no_grad():
        lin.weight[:] = torch.tensor(
            [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 0.0], [0.0, -1.0]]
        )
        xs = torch.sort(x[:, 0]).values
        # unit 1: one point only; unit 2 (z = x2 - 10): dead everywhere on [-6, 6]²; units 4 and 5: just
        # inside / just outside the plane grid's outermost cell centres (±5.94), far from the data.
        lin.bias[:] = torch.tensor([0.0, -float(xs[-2] + xs[-1]) / 2, -10.0, 0.0, -5.9, -5.95])
    stats = neurons.unit_stats(model, x)
    w, b = lin.weight.detach().double(), lin.bias.detach().double()
    z = (x.double() @ w.T + b).numpy()
    np.testing.assert_allclose(stats.active_fraction[0], (z > 0).mean(axis=0), atol=1e-7)
    assert stats.active_fraction[0][1] == pytest.approx(1 / 500)
    assert stats.rarely_active[0].tolist() == [False, True, False, False, False, False]
    assert stats.dead_on_data[0].tolist() == [False, False, True, False, True, True]
    # The plane, built here from its definition: centres of a 100 x 100 grid of 0.12-wide cells over
    # [-6, 6]², i.e. -5.94, -5.82, ..., 5.94 on each axis.
    centres = -6.0 + 0.12 * (np.arange(100) + 0.5)
    plane = np.array([(a, c) for c in centres for a in centres])
    zp = plane @ w.numpy().T + b.numpy()
    assert stats.dead_on_plane[0].tolist() == (zp <= 0).all(axis=0).tolist()
    assert stats.dead_on_plane[0].tolist() == [False, False, True, False, False, True]


def test_plane_grid_is_the_cell_centres_of_the_map():
    centres = -6.0 + 0.12 * (np.arange(100) + 0.5)
    grid = neurons.plane_grid()
    assert grid.shape == (10_000, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[:100, 0], centres, atol=1e-6)  # x runs fastest (row-major by y)
    np.testing.assert_allclose(grid[::100, 1], centres, atol=1e-6)
    np.testing.assert_allclose(grid[:100, 1], -5.94, atol=1e-6)
    np.testing.assert_allclose(
        neurons.plane_grid(1.0, 4),
        [[a, c] for c in (-0.75, -0.25, 0.25, 0.75) for a in (-0.75, -0.25, 0.25, 0.75)],
    )


def test_dead_on_data_but_alive_elsewhere_on_the_plane():
    x, _ = moons(seed=1)
    model = network.build([2, 32, 1], nn.ReLU, init="he", seed=1, bias_init=-3.0)
    stats = neurons.unit_stats(model, x)
    only_data = stats.dead_on_data[0] & ~stats.dead_on_plane[0]
    assert only_data.any()  # the plane is larger than the data: these units fire out there
    assert not (stats.dead_on_plane[0] & ~stats.dead_on_data[0]).any()  # first layer: plane-dead ⇒ data-dead


def test_cut_off_units_really_get_no_gradient():
    x, y = moons(seed=0)
    model = network.build([2, 6, 4, 1], nn.ReLU, init="he", seed=0)
    with torch.no_grad():
        model[2].bias.fill_(-100.0)  # kill the whole last hidden layer
    stats = neurons.unit_stats(model, x)
    assert stats.layer_dead_fraction.tolist() == [0.0, 1.0]
    assert stats.cut_off[0].all() and stats.no_gradient_fraction == 1.0
    F.binary_cross_entropy_with_logits(model(x)[:, 0], y).backward()
    assert model[0].weight.grad.abs().max() == 0 and model[0].bias.grad.abs().max() == 0
    alive = network.build([2, 6, 4, 1], nn.ReLU, init="he", seed=0)
    assert not any(c.any() for c in neurons.unit_stats(alive, x).cut_off)


def test_preactivation_histograms_count_every_value_once():
    x, _ = moons(seed=0)
    model = network.build([2, 8, 5, 1], nn.ReLU, init="he", seed=0, bias_init=-1.0)
    hists = neurons.preactivation_histograms(model, x, bins=20)
    assert [int(c.sum()) for c, _ in hists] == [len(x) * 8, len(x) * 5]
    assert np.array_equal(hists[0][1], hists[1][1])
    clipped = neurons.preactivation_histograms(model, x, bins=10, value_range=(-0.5, 0.5))
    zs = network.preactivations(model, x)
    for (counts, edges), z in zip(clipped, zs, strict=True):
        assert counts[0] == int((z.detach().double() < edges[1]).sum())  # everything below lands in bin 0
        assert counts[-1] == int((z.detach().double() >= edges[-2]).sum())


# --- the death tracker -----------------------------------------------------------------------------


def test_tracker_records_born_dead_and_each_death_with_its_step_and_update():
    x, y = moons(seed=2, scale=3.0)
    model = network.build([2, 8, 8, 8, 1], nn.ReLU, init="he", seed=2, bias_init=-1.0)
    tracker = neurons.DeathTracker()
    events = tracker.observe(0, model, x)
    masks = [relu_dead_masks(model, x)]
    params = [
        [(lin.weight.detach().clone(), lin.bias.detach().clone()) for lin, _ in network.hidden_layers(model)]
    ]

    def watch(step, m):
        tracker.observe(step, m, x)
        masks.append(relu_dead_masks(m, x))
        params.append(
            [(lin.weight.detach().clone(), lin.bias.detach().clone()) for lin, _ in network.hidden_layers(m)]
        )

    train(model, x, y, 3.0, 60, callback=watch)
    assert [e.kind for e in events] == ["born_dead"] * len(events)
    assert [b.tolist() for b in tracker.born_dead] == [m.tolist() for m in masks[0]]
    assert sum(int(b.sum()) for b in tracker.born_dead) > 0

    expected = []
    for step in range(1, len(masks)):
        for layer, (now, before) in enumerate(zip(masks[step], masks[step - 1], strict=True)):
            for unit in np.flatnonzero(now != before):
                kind = "died" if now[unit] else "revived"
                (w, b), (w0, b0) = params[step][layer], params[step - 1][layer]
                dw = float(torch.linalg.vector_norm(w[unit] - w0[unit]))
                expected.append((step, layer, int(unit), kind, dw, float((b[unit] - b0[unit]).abs())))
    got = [(e.step, e.layer, e.unit, e.kind, e.weight_update, e.bias_update) for e in tracker.events]
    got = [g for g in got if g[3] != "born_dead"]
    assert any(e[3] == "died" for e in expected)
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    np.testing.assert_allclose([g[4:] for g in got], [e[4:] for e in expected], rtol=1e-5, atol=1e-7)
    for _, layer, unit, kind, *_ in expected:
        if kind == "died":
            last = max(s for s, la, u, k, *_ in expected if (la, u, k) == (layer, unit, "died"))
            assert tracker.death_step[layer][unit] == last
    steps, frac = tracker.dead_fraction_history()
    assert steps.tolist() == list(range(61))
    np.testing.assert_allclose(frac, [[m.mean() for m in ms] for ms in masks])


def test_tracker_history_is_bounded_and_keeps_the_latest_step():
    x, _ = moons(n=100, seed=0)
    model = network.build([2, 4, 1], nn.ReLU, init="he", seed=0)
    tracker = neurons.DeathTracker(max_history=8, max_events=5)
    for step in range(0, 1000, 10):
        with torch.no_grad():
            model[0].bias.fill_(-100.0 if (step // 10) % 2 else 100.0)  # every unit dies and revives
        tracker.observe(step, model, x)
    steps, frac = tracker.dead_fraction_history()
    assert len(steps) <= 9 and steps[-1] == 990 and steps[0] == 0
    assert np.all(np.diff(steps) > 0) and frac.shape == (len(steps), 1)
    assert len(tracker.events) == 5
    assert tracker.n_deaths[0].tolist() == [50] * 4 and tracker.n_revivals[0].tolist() == [49] * 4


# --- revive --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_revive_brings_dead_units_back_to_life_on_the_data(seed):
    x, y = moons(seed=seed)
    model = network.build([2, 16, 16, 1], nn.ReLU, init="he", seed=seed)
    with torch.no_grad():
        model[0].bias.fill_(-1.5)  # kills part of layer 1; the live rest still gets gradient through layer 2
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(5):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(x)[:, 0], y).backward()
        opt.step()
    stats = neurons.unit_stats(model, x)
    dead = [torch.as_tensor(d) for d in stats.dead_on_data]
    assert stats.n_dead > 0 and (~dead[0]).any()
    linears = [model[0], model[2]]
    before = [(lin.weight.detach().clone(), opt.state[lin.weight]["exp_avg"].clone()) for lin in linears]
    outgoing = model[4].weight.detach().clone()
    assert (before[0][1][~dead[0]] != 0).any()  # live units carry Adam momentum, to be kept

    n = neurons.revive(model, stats.dead_on_data, seed=seed, optimizer=opt, x_data=x)
    assert neurons.unit_stats(model, x).n_dead == 0
    assert sum(m.sum() for m in relu_dead_masks(model, x)) == 0
    revived = []
    for lin, d, (w, moment) in zip(linears, dead, before, strict=True):
        changed = (lin.weight.detach() != w).any(dim=1)
        assert changed[d].all()  # every dead unit got fresh weights (not its old row back)
        revived.append(changed)
        assert lin.bias.detach()[changed].eq(neurons.REVIVE_BIAS).all()
        assert (opt.state[lin.weight]["exp_avg"][changed] == 0).all()
        assert (opt.state[lin.weight]["exp_avg_sq"][changed] == 0).all()
        assert torch.equal(opt.state[lin.weight]["exp_avg"][~changed], moment[~changed])
    assert torch.equal(revived[0], dead[0])  # layer 1: exactly the dead ones
    # Layer 2 may also get units the new layer-1 rows killed (revive checks each layer on the data).
    assert n == sum(int(r.sum()) for r in revived) >= stats.n_dead
    assert torch.equal(model[4].weight.detach(), outgoing)  # outgoing weights are kept


def test_revive_flips_a_fresh_row_that_would_still_be_dead_on_the_data():
    # A tight cluster far from the origin: a fresh symmetric row w has w·x ≈ 10(w1 + w2) < 0 on every
    # point for about half the units, so without the flip those would stay dead.
    x = torch.tensor([10.0, 10.0]) + 0.01 * torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    model = network.build([2, 16, 1], nn.ReLU, init="he", seed=0, bias_init=-1000.0)
    assert neurons.unit_stats(model, x).n_dead == 16
    assert neurons.revive(model, [np.ones(16, dtype=bool)], x_data=x) == 16
    assert neurons.unit_stats(model, x).n_dead == 0
    plain = network.build([2, 16, 1], nn.ReLU, init="he", seed=0, bias_init=-1000.0)
    neurons.revive(plain, [np.ones(16, dtype=bool)])  # same draws, no data to check against
    assert 0 < neurons.unit_stats(plain, x).n_dead < 16
    flipped = (model[0].weight.detach() == -plain[0].weight.detach()).all(dim=1)
    assert flipped.sum() == neurons.unit_stats(plain, x).n_dead


def test_revive_without_data_still_resets_rows_and_leaves_global_rng_alone():
    model = network.build([2, 8, 1], nn.ReLU, init="he", seed=0, bias_init=-50.0)
    state = torch.get_rng_state()
    mask = np.array([True, False] * 4)
    assert neurons.revive(model, [mask], init="xavier", seed=3) == 4
    assert torch.equal(torch.get_rng_state(), state)
    assert model[0].bias.detach()[torch.as_tensor(mask)].eq(neurons.REVIVE_BIAS).all()
    assert model[0].bias.detach()[~torch.as_tensor(mask)].eq(-50.0).all()
    with pytest.raises(ValueError, match="masks given"):
        neurons.revive(model, [mask, mask])


# --- theory: survival of a point through a deep narrow ReLU net --------------------------------


def test_survival_formula_matches_the_published_values():
    # Lu, Shin, Su & Karniadakis (2019): depth 10, widths 2, 4, 8.
    assert neurons.survival_probability(2, 10) == pytest.approx(0.056, abs=5e-4)
    assert neurons.survival_probability(4, 10) == pytest.approx(0.52, abs=5e-3)
    assert neurons.survival_probability(8, 10) == pytest.approx(0.96, abs=5e-3)
    assert neurons.survival_probability(3, 0) == 1.0


@pytest.mark.parametrize(("width", "depth"), [(2, 10), (4, 10), (3, 6)])
def test_monte_carlo_survival_agrees_with_the_formula_at_a_symmetric_init(width, depth):
    widths = [2] + [width] * depth + [1]
    est, se = neurons.monte_carlo_survival(widths, init="he", bias_init=0.0, n_nets=300, n_points=64, seed=7)
    p = neurons.survival_probability(width, depth)
    assert 0 < se < 0.05
    assert abs(est - p) < 4 * se + 1e-3


def test_monte_carlo_survival_drops_below_the_formula_with_a_negative_bias():
    widths = [2] + [4] * 6 + [1]
    est, se = neurons.monte_carlo_survival(widths, init="he", bias_init=-1.0, n_nets=200, n_points=64, seed=1)
    assert est + 4 * se < neurons.survival_probability(4, 6)


# --- extreme settings ----------------------------------------------------------------------------


def test_extreme_settings_never_raise_and_end_in_a_clear_state():
    x, y = moons(seed=0, scale=3.0)
    model = network.build([2, 1, 1, 1, 1, 1, 1, 1], nn.ReLU, init="he", seed=0, bias_init=-5.0)
    tracker = neurons.DeathTracker()
    tracker.observe(0, model, x)
    loss = train(model, x, y, 10.0, 50, callback=lambda s, m: tracker.observe(s, m, x))
    stats = neurons.unit_stats(model, x)
    assert math.isfinite(loss)
    # Every unit is dead or, alive in layer 1, cut off behind dead ones: no gradient reaches any.
    assert stats.dead_fraction >= 5 / 6 and stats.no_gradient_fraction == 1.0
    assert not any(nf.any() for nf in stats.nonfinite)
    assert all(b.all() for b in tracker.born_dead[1:])
    frac = tracker.dead_fraction_history()[1]
    assert frac.shape == (51, 6) and (frac[:, 1:] == 1.0).all()
    hists = neurons.preactivation_histograms(model, x)
    assert all(np.isfinite(c).all() for c, _ in hists)
    assert neurons.revive(model, stats.dead_on_data, x_data=x) == stats.n_dead
    assert neurons.unit_stats(model, x).n_dead == 0


def test_can_die_is_memoised_for_parameter_free_activations_only():
    first = neurons.can_die(nn.ReLU(), 3)
    assert neurons.can_die(nn.ReLU(), 3) is first and not first.flags.writeable
    assert first.all() and not neurons.can_die(nn.LeakyReLU(), 3).any()
    assert not neurons.can_die(nn.LeakyReLU(0.0), 1).flags.writeable  # a different configuration
    assert neurons.can_die(nn.LeakyReLU(0.0), 1).all()
    prelu = nn.PReLU(2, init=0.25)
    assert not neurons.can_die(prelu, 2).any()
    with torch.no_grad():
        prelu.weight[1] = 0.0  # a learned slope reached 0: that unit can die now
    assert neurons.can_die(prelu, 2).tolist() == [False, True]


# --- pieces found by mutation testing (bench/mutation.py) -----------------------------------------


def test_longest_zero_run_by_hand():
    zero = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 1, 0]], dtype=bool)
    assert neurons._longest_zero_run(zero).tolist() == [2, 3, 0]


def test_a_flat_piece_at_the_end_of_the_probed_range_counts():
    # f' = 0 on [5.5, 6]: exactly FLAT_MIN_WIDTH = 0.5 wide, at the right end of [-6, 6] (so the probe
    # grid must reach 6 itself); starting at 5.505 it is too narrow
    assert neurons.can_die(formula.module("where(x < 5.5, x, 5.5)")).tolist() == [True]
    assert neurons.can_die(formula.module("where(x < 5.505, x, 5.505)")).tolist() == [False]


class _Float32Only(nn.Module):
    """ReLU that refuses float64 input, like a module that cannot be converted."""

    def __init__(self) -> None:
        super().__init__()
        self.slope = nn.Parameter(torch.zeros(1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dtype != torch.float32:
            raise RuntimeError("float32 only")
        return torch.where(z > 0, z, self.slope * z)


def test_can_die_falls_back_to_the_modules_own_dtype_and_leaves_it_unchanged():
    act = _Float32Only()
    assert neurons.can_die(act, width=2).tolist() == [True, True]  # slope 0 below zero
    prelu = nn.PReLU(3)
    with torch.no_grad():
        prelu.weight.copy_(torch.tensor([0.0, 0.25, 0.0]))
    assert neurons.can_die(prelu, width=3).tolist() == [True, False, True]
    assert prelu.weight.dtype == torch.float32  # measured on a copy, not converted in place


def test_exact_zero_share_and_histograms_on_edge_inputs():
    model = network.build([2, 4, 3, 1], nn.ReLU, init="he", seed=0)
    assert neurons.exact_zero_share(model, np.zeros((0, 2), dtype=np.float32)).tolist() == [0.0, 0.0]
    tiny = np.full((5, 2), 1e-6, dtype=np.float32)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.mul_(1e-3)
                m.bias.zero_()
    hist = neurons.preactivation_histograms(model, tiny)
    for counts, edges in hist:  # 40 bins by default over [-1, 1] (all |z| < 1 here)
        assert len(counts) == 40 and edges[0] == -1.0 and edges[-1] == 1.0


def test_survival_formula_edges_and_tracker_limits():
    assert neurons.survival_probability(1, 3) == 0.125  # (1 − 1/2)³
    assert neurons.survival_probability(4, 0) == 1.0
    for width, depth in ((0, 3), (2, -1), (0, -1)):
        with pytest.raises(ValueError, match=rf"^need width >= 1 and depth >= 0, got {width}, {depth}$"):
            neurons.survival_probability(width, depth)
    tracker = neurons.DeathTracker()
    assert tracker.max_history == 512 and tracker.events.maxlen == 1000
    assert neurons.DeathTracker(max_history=2).max_history == 2
    with pytest.raises(ValueError, match=r"^max_history must be at least 2$"):
        neurons.DeathTracker(max_history=1)


def test_monte_carlo_survival_defaults_seeding_and_points():
    widths = [2, 3, 3, 1]
    default = neurons.monte_carlo_survival(widths)
    assert default == neurons.monte_carlo_survival(
        widths, init="he", bias_init=0.0, n_nets=200, n_points=100, seed=0
    )
    assert default == neurons.monte_carlo_survival(widths)  # seeded: the same twice
    assert default != neurons.monte_carlo_survival(widths, seed=1)
    assert neurons.monte_carlo_survival(widths, init="xavier") != default
    pts = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    as_array = neurons.monte_carlo_survival(widths, n_nets=20, points=pts)
    assert as_array == neurons.monte_carlo_survival(widths, n_nets=20, points=torch.from_numpy(pts))
    assert neurons.monte_carlo_survival(widths, n_nets=2, n_points=5)[1] >= 0  # two nets are enough
    with pytest.raises(ValueError, match=r"^n_nets must be at least 2 for a standard error$"):
        neurons.monte_carlo_survival(widths, n_nets=1)
