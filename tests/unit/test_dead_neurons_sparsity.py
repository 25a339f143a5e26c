"""Exact zeros per hidden layer (the sparsity the dead-neuron monitor prints under each run's grid):
the engine's share against hand-built networks whose answer is known, and against an independent numpy
forward pass; the monitor's frame and its browser payload carry it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import datasets, network, neurons, stream
from relu_viz import dead_neurons as dn

# Four points; the first hidden layer copies the inputs (identity weights, bias 0), so its outputs
# are f(x0), f(x1). The second layer (one unit) sums the two outputs and subtracts 2.
POINTS = np.array([[1.0, -1.0], [-1.0, -2.0], [2.0, 3.0], [0.0, 5.0]], dtype=np.float32)


def hand_built(act: type[nn.Module]) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(2, 2), act(), nn.Linear(2, 1), act(), nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
        model[2].weight.fill_(1.0)
        model[2].bias.fill_(-2.0)
        model[4].weight.fill_(1.0)
        model[4].bias.zero_()
    return model


def test_relu_hand_built_net_has_the_zeros_counted_by_hand():
    # layer 1: relu(x0) = 1, 0, 2, 0 and relu(x1) = 0, 0, 3, 5: 4 zeros of 4 points x 2 units
    # layer 2: relu(h0 + h1 - 2) = relu(-1), relu(-2), relu(3), relu(3) = 0, 0, 3, 3: 2 zeros of 4
    share = neurons.exact_zero_share(hand_built(nn.ReLU), POINTS)
    assert share.tolist() == [4 / 8, 2 / 4]


def test_leaky_relu_is_exactly_zero_only_where_z_is_exactly_zero():
    # layer 1: only x0 = 0 at the fourth point gives 0.01 * 0 = 0; every negative z gives a non-zero
    # output. Layer 2: z = h0 + h1 - 2 is never exactly 0 here.
    share = neurons.exact_zero_share(hand_built(nn.LeakyReLU), POINTS)
    assert share.tolist() == [1 / 8, 0.0]


def numpy_zero_share(model: nn.Sequential, x: np.ndarray) -> list[float]:
    """An independent forward pass in float64 numpy: ReLU layers only."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    h, out = x.astype(np.float64), []
    for lin in linears[:-1]:
        z = h @ lin.weight.detach().double().numpy().T + lin.bias.detach().double().numpy()
        h = np.maximum(z, 0.0)
        out.append(float((h == 0).sum()) / h.size)
    return out


@pytest.mark.parametrize("bias", [0.0, -1.0, 0.5])
def test_relu_share_matches_an_independent_forward_pass(bias):
    model = network.build([2, 16, 8, 12, 1], "relu", init="he", seed=3, bias_init=bias)
    x = np.random.default_rng(1).normal(size=(300, 2)).astype(np.float32)
    got = neurons.exact_zero_share(model, x)
    want = numpy_zero_share(model, x)
    # float32 vs float64 may flip a z within rounding of 0; none of 300 x 36 values sits that close
    np.testing.assert_allclose(got, want, atol=1 / (300 * 16))
    stats = neurons.unit_stats(model, x)
    np.testing.assert_allclose(stats.layer_zero_share, got)


def test_monitor_frame_and_payload_carry_the_share_relu_about_half_leaky_none():
    data = dn.standardise(datasets.make("circle", n=dn.N_POINTS, seed=0), dn.TRAIN_SHARE, 0)
    settings = dn.MonitorSettings()
    shares = {}
    for act in (dn.RELU, "leaky_relu"):
        model = settings.spec(act).build(2)
        tracker = neurons.DeathTracker()
        tracker.observe(0, model, data.x_train)
        fr = dn.frame(model, data.x_train, data.plane(), tracker)
        np.testing.assert_allclose(fr.zero_share, neurons.exact_zero_share(model, data.x_train))
        payload = stream.monitor_run("t", act, "#000", fr, tracker, {})
        assert payload["zero_share"] == pytest.approx(fr.zero_share.tolist())
        shares[act] = fr.zero_share
    assert shares[dn.RELU].shape == (settings.depth,)
    # He init, bias 0: z is symmetric about 0, so about half of each ReLU layer's outputs are 0
    assert all(0.3 <= s <= 0.7 for s in shares[dn.RELU]), shares[dn.RELU]
    assert shares["leaky_relu"].tolist() == [0.0] * settings.depth
