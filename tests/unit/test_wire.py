"""The wire format (relu_viz.wire): structure and weights of a network, as the browser receives them."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch
from torch import nn

from relu_viz import activations, network, regions, wire
from relu_viz.js import JS_DIR, bundle


def _linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize(
    ("widths", "features"),
    [([2, 16, 16, 16, 1], None), ([2, 5, 3], None), ([2, 7, 1], ["x1", "x1sq", "sinx2"]), ([2, 1], None)],
)
def test_weights_round_trip_exactly(widths, features):
    model = network.build(widths, "relu", init="he", seed=3, bias_std=0.5, features=features)
    s = wire.structure(model)
    assert json.loads(json.dumps(s)) == s  # JSON-able as is
    assert s["features"] == (features or ["x1", "x2"])
    assert s["widths"] == [len(features or "ab"), *widths[1:]]
    assert len(s["activations"]) == len(widths) - 2
    decoded = wire.decode_weights(s, wire.weights(model))
    lins = _linears(model)
    assert len(decoded) == len(lins)
    for (W, b), lin in zip(decoded, lins, strict=True):
        assert np.array_equal(W, lin.weight.detach().numpy())
        assert np.array_equal(b, lin.bias.detach().numpy())


def test_weights_layout_is_little_endian_float32_w_then_b():
    model = network.build([2, 3, 1], "relu", seed=1)
    flat = np.frombuffer(base64.b64decode(wire.weights(model)), dtype="<f4")
    l1, l2 = _linears(model)
    expect = np.concatenate([t.detach().numpy().ravel() for t in (l1.weight, l1.bias, l2.weight, l2.bias)])
    assert np.array_equal(flat, expect)


def test_weights_of_the_trainer_size_fit_in_8_kb():
    model = network.build([2, 16, 16, 16, 1], "relu", init="he", seed=0)
    text = wire.weights(model)
    assert len(np.frombuffer(base64.b64decode(text), dtype="<f4")) == 609
    assert len(text.encode()) <= 8 * 1024


def test_decode_refuses_a_wrong_length():
    model = network.build([2, 4, 1], "relu")
    s = wire.structure(model)
    with pytest.raises(ValueError, match="floats on the wire"):
        wire.decode_weights({**s, "widths": [2, 5, 1]}, wire.weights(model))


KINDS = {
    "relu": ("relu", {}),
    "relu6": ("hardtanh", {"min": 0.0, "max": 6.0}),
    "leaky_relu": ("leaky_relu", {"slope": 0.01}),
    "prelu": ("prelu", {"slopes": [0.25]}),
    "rrelu": ("rrelu", {"slope": (1 / 8 + 1 / 3) / 2}),
    "threshold": ("threshold", {"threshold": 0.0, "value": 0.0}),
    "elu": ("elu", {"alpha": 1.0}),
    "celu": ("celu", {"alpha": 1.0}),
    "selu": ("selu", {}),
    "gelu": ("gelu", {"approximate": "none"}),
    "gelu_tanh": ("gelu", {"approximate": "tanh"}),
    "silu": ("silu", {}),
    "mish": ("mish", {}),
    "softplus": ("softplus", {"beta": 1.0, "threshold": 20.0}),
    "sigmoid": ("sigmoid", {}),
    "tanh": ("tanh", {}),
    "softsign": ("softsign", {}),
    "logsigmoid": ("logsigmoid", {}),
    "hardtanh": ("hardtanh", {"min": -1.0, "max": 1.0}),
    "hardsigmoid": ("hardsigmoid", {}),
    "hardswish": ("hardswish", {}),
    "hardshrink": ("hardshrink", {"lambd": 0.5}),
    "softshrink": ("softshrink", {"lambd": 0.5}),
    "tanhshrink": ("tanhshrink", {}),
    "identity": ("identity", {}),
    "step": ("step", {}),
}


def test_every_registry_activation_has_its_own_descriptor():
    assert sorted(KINDS) == sorted(activations.names())
    for name in activations.names():
        kind, params = KINDS[name]
        desc = wire.structure(network.build([2, 4, 1], name))["activations"][0]
        assert desc["kind"] == kind, name
        for key, value in params.items():
            assert desc[key] == pytest.approx(value), (name, key)


def test_per_unit_prelu_slopes_are_sent():
    model = network.build([2, 3, 1], lambda: nn.PReLU(3, init=0.1))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([0.1, 0.2, 0.3]))
    assert wire.structure(model)["activations"][0]["slopes"] == pytest.approx([0.1, 0.2, 0.3])


def test_formula_becomes_an_approximate_table():
    model = network.build([2, 4, 1], "formula:x*sin(x) + 0.5*x")
    desc = wire.structure(model)["activations"][0]
    assert desc["kind"] == "table"
    values = np.frombuffer(base64.b64decode(desc["values"]), dtype="<f4")
    assert len(values) == wire.TABLE_POINTS == 4097
    x = np.linspace(desc["lo"], desc["hi"], 4097)
    assert desc["lo"] <= -20 and desc["hi"] >= 20
    assert np.allclose(values, x * np.sin(x) + 0.5 * x, rtol=1e-6, atol=1e-5)


def test_piecewise_linear_flag_reason_and_bound_are_the_partitions():
    pwl = network.build([2, 8, 8, 1], "relu", init="he", seed=0, bias_std=0.5)
    s = wire.structure(pwl)
    assert s["piecewise_linear"] is True and s["not_pwl_reason"] is None
    assert s["region_bound"] == regions.partition(pwl, ((-2, 2), (-2, 2))).upper_bound
    for smooth in (
        network.build([2, 8, 1], "tanh"),
        network.build([2, 8, 1], "relu", features=["x1", "x1sq"]),
    ):
        s = wire.structure(smooth)
        assert s["piecewise_linear"] is False and s["region_bound"] is None
        with pytest.raises(regions.NotPiecewiseLinear) as err:
            regions.partition(smooth)
        assert s["not_pwl_reason"] == str(err.value)


def test_bundle_drops_relative_imports_and_keeps_exports(tmp_path):
    (tmp_path / "a.js").write_text("export const A = 1;\n")
    (tmp_path / "b.js").write_text(
        'import { A } from "./a.js";\nimport x from "lib";\nexport const B = A + 1;\n'
    )
    text = bundle(["a.js", "b.js"], directory=tmp_path)
    assert 'from "./a.js"' not in text and 'import x from "lib";' in text
    assert text.index("export const A") < text.index("export const B = A + 1;")
    assert "export function unpackNet" in bundle(["forward.js"])
    assert (JS_DIR / "forward.js").exists()
