"""relu_viz.network: architecture, determinism, and the statistics each init scheme promises."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from relu_viz import network


def relu() -> nn.Module:
    return nn.ReLU()


def test_layout_matches_widths():
    model = network.build([2, 8, 5, 3], relu)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [m.out_features for m in model if isinstance(m, nn.Linear)] == [8, 5, 3]
    assert network.hidden_widths(model) == [8, 5]


def test_zero_hidden_layers_is_a_linear_model():
    model = network.build([2, 1], relu)
    assert len(model) == 1 and isinstance(model[0], nn.Linear)


def test_per_layer_activations():
    model = network.build([2, 4, 4, 1], [relu, nn.Tanh])
    assert isinstance(model[1], nn.ReLU) and isinstance(model[3], nn.Tanh)
    with pytest.raises(ValueError, match="activations given"):
        network.build([2, 4, 4, 1], [relu])


@pytest.mark.parametrize("init", list(network.INIT_SCHEMES))
def test_same_seed_same_weights(init):
    a = network.build([2, 16, 16, 1], relu, init=init, seed=3)
    b = network.build([2, 16, 16, 1], relu, init=init, seed=3)
    c = network.build([2, 16, 16, 1], relu, init=init, seed=4)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    if init not in ("zeros",):
        assert any(not torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters(), strict=True))


def test_he_variance_is_two_over_fan_in():
    model = network.build([2, 400, 400, 1], relu, init="he", seed=0)
    w = model[2].weight
    assert w.var().item() == pytest.approx(2 / 400, rel=0.05)
    assert torch.count_nonzero(model[2].bias) == 0


def test_default_is_pytorch_default_bound():
    model = network.build([2, 100, 1], relu, init="default", seed=0)
    w = model[2].weight
    assert w.abs().max().item() <= 1 / math.sqrt(100) + 1e-7
    # U(-a, a) has variance a²/3
    assert model[0].weight.var().item() == pytest.approx((1 / math.sqrt(2)) ** 2 / 3, rel=0.2)


def test_xavier_bound():
    model = network.build([2, 300, 200, 1], relu, init="xavier", seed=0)
    bound = math.sqrt(6 / (300 + 200))
    w = model[2].weight
    assert w.abs().max().item() <= bound + 1e-7
    assert w.abs().max().item() > 0.95 * bound


def test_zeros_makes_every_unit_identical():
    model = network.build([2, 6, 1], relu, init="zeros")
    assert all(torch.count_nonzero(p) == 0 for p in model.parameters())


def test_rai_has_one_positive_entry_per_row_from_beta():
    model = network.build([2, 64, 64, 1], relu, init="rai", seed=0)
    lin = model[2]
    rows = torch.cat([lin.weight, lin.bias[:, None]], dim=1)
    # the Beta(2,1) entry is in (0, 1): every row has a positive maximum, far above the N(0, σ²/64) rest
    assert (rows.max(dim=1).values > 0).all()
    assert rows.max(dim=1).values.mean().item() > 0.5


def test_bias_init_applies_to_hidden_layers_only():
    model = network.build([2, 8, 8, 1], relu, init="he", bias_init=-3.0)
    assert torch.all(model[0].bias == -3.0) and torch.all(model[2].bias == -3.0)
    assert torch.all(model[4].bias == 0.0)


def test_bias_std_spreads_biases():
    model = network.build([2, 2000, 1], relu, init="he", bias_init=0.0, bias_std=0.5)
    assert model[0].bias.std().item() == pytest.approx(0.5, rel=0.1)


def test_features_expand_input():
    model = network.build([2, 4, 1], relu, features=["x1", "x2", "x1sq", "sinx2"])
    assert isinstance(model[0], network.Features)
    assert model[1].in_features == 4
    pts = torch.tensor([[2.0, 0.5]])
    feats = model[0](pts)
    assert torch.allclose(feats, torch.tensor([[2.0, 0.5, 4.0, math.sin(0.5)]]))
    assert model(pts).shape == (1, 1)


def test_preactivations_are_linear_outputs():
    model = network.build([2, 5, 3, 1], relu, init="he", seed=1)
    x = torch.randn(7, 2)
    z = network.preactivations(model, x)
    assert [t.shape for t in z] == [(7, 5), (7, 3)]
    assert torch.allclose(z[0], model[0](x))
    assert torch.allclose(z[1], model[2](torch.relu(z[0])))


def test_bad_arguments():
    with pytest.raises(ValueError):
        network.build([2], relu)
    with pytest.raises(ValueError):
        network.build([2, 0, 1], relu)
    with pytest.raises(ValueError, match="Unknown init"):
        network.build([2, 4, 1], relu, init="magic")
    with pytest.raises(ValueError, match="Unknown input features"):
        network.build([2, 4, 1], relu, features=["x3"])
