"""A network on the wire: its structure once per run, its weights every frame, for the browser's renderer.

The browser (``relu_viz/js/forward.js``, ``partition.js``) runs the forward pass and the exact partition
itself; the server sends only what defines the function:

- :func:`structure` (JSON-able dict, sent once per run): input features, widths, one activation
  descriptor per hidden layer, whether the network is piecewise linear (and if not, the UI-ready reason
  :mod:`relu_viz.regions` gives) and the region-count upper bound ``Partition.upper_bound`` reports.
- :func:`weights` (a base64 string, sent every frame): the little-endian float32 concatenation, layer by
  layer, of W (row-major, shape (out, in)) then b (out,), for every ``nn.Linear`` in order. For
  [2, 16, 16, 16, 1] that is 609 floats, 3,248 characters.

Activation descriptors (``{"kind": ..., parameters}``; every one also carries ``"module"``, the torch
class name, for labels):

======================  =====================================================================
relu                    max(0, x)
leaky_relu {slope}      x > 0 ? x : slope·x
prelu {slopes}          leaky with one slope, or one per unit (list)
rrelu {lower, upper,    RReLU in eval mode: leaky with slope (lower + upper)/2
slope}
hardtanh {min, max}     clamp(x, min, max); ReLU6 is hardtanh 0..6
threshold {threshold,   x > threshold ? x : value
value}
hardsigmoid             clamp(x/6 + 1/2, 0, 1)
softshrink {lambd}      x − lambd·sign(x) outside [−lambd, lambd], else 0
hardshrink {lambd}      x outside [−lambd, lambd], else 0
elu {alpha}, celu       torch's formulas
{alpha}, selu
gelu {approximate}      "none" (erf) or "tanh"
silu, mish, softplus    softplus: x where beta·x > threshold, else log(1 + e^(beta·x))/beta
{beta, threshold},
sigmoid, tanh,
softsign, logsigmoid,
hardswish, tanhshrink,
identity
step                    relu_viz's binary step: 1 where x > 0, else 0
table {lo, hi, values}  anything else (typed formulas included): f sampled at TABLE_POINTS evenly
                        spaced points of [lo, hi] (base64 little-endian float32), linear
                        interpolation inside and linear extrapolation outside. APPROXIMATE: the
                        error is about h²/8·|f''| (h = (hi − lo)/(TABLE_POINTS − 1) ≈ 0.01) plus
                        float32 rounding, and f is not followed beyond [lo, hi].
======================  =====================================================================

Pure Python: never imports streamlit.
"""

from __future__ import annotations

import base64
import itertools

import numpy as np
import torch
from torch import nn

from relu_viz import regions
from relu_viz.activations import Step
from relu_viz.network import PLAIN_FEATURES

TABLE_POINTS = 4097
TABLE_RANGE = (-20.0, 20.0)

_PLAIN = {
    nn.ReLU: "relu",
    nn.Hardsigmoid: "hardsigmoid",
    nn.SELU: "selu",
    nn.SiLU: "silu",
    nn.Mish: "mish",
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.Softsign: "softsign",
    nn.LogSigmoid: "logsigmoid",
    nn.Hardswish: "hardswish",
    nn.Tanhshrink: "tanhshrink",
    nn.Identity: "identity",
    Step: "step",
}


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


@torch.no_grad()
def table(module: nn.Module, lo: float = TABLE_RANGE[0], hi: float = TABLE_RANGE[1]) -> dict:
    """The sampled descriptor of any elementwise module: f at TABLE_POINTS points of [lo, hi] (float32)."""
    x = torch.linspace(lo, hi, TABLE_POINTS, dtype=torch.float64)
    try:
        y = module(x)
    except (RuntimeError, TypeError):  # a module that only takes float32
        y = module(x.float())
    values = y.detach().to("cpu", torch.float64).numpy().reshape(-1)
    return {"kind": "table", "lo": float(lo), "hi": float(hi), "values": _b64(values)}


def activation(module: nn.Module) -> dict:
    """The descriptor of one activation module (see the module docstring); unknown modules get a table."""
    desc = _descriptor(module)
    desc["module"] = type(module).__name__
    return desc


def _descriptor(module: nn.Module) -> dict:
    kind = _PLAIN.get(type(module))
    if kind is not None:
        return {"kind": kind}
    if isinstance(module, nn.LeakyReLU):
        return {"kind": "leaky_relu", "slope": float(module.negative_slope)}
    if isinstance(module, nn.PReLU):
        slopes = module.weight.detach().to("cpu", torch.float64).reshape(-1).tolist()
        return {"kind": "prelu", "slopes": slopes}
    if isinstance(module, nn.RReLU):
        lo, up = float(module.lower), float(module.upper)
        return {"kind": "rrelu", "lower": lo, "upper": up, "slope": (lo + up) / 2}
    if isinstance(module, nn.Hardtanh):  # ReLU6 too
        return {"kind": "hardtanh", "min": float(module.min_val), "max": float(module.max_val)}
    if isinstance(module, nn.Threshold):
        return {"kind": "threshold", "threshold": float(module.threshold), "value": float(module.value)}
    if isinstance(module, nn.Softshrink):
        return {"kind": "softshrink", "lambd": float(module.lambd)}
    if isinstance(module, nn.Hardshrink):
        return {"kind": "hardshrink", "lambd": float(module.lambd)}
    if isinstance(module, nn.ELU):
        return {"kind": "elu", "alpha": float(module.alpha)}
    if isinstance(module, nn.CELU):
        return {"kind": "celu", "alpha": float(module.alpha)}
    if isinstance(module, nn.GELU):
        return {"kind": "gelu", "approximate": str(module.approximate)}
    if isinstance(module, nn.Softplus):
        return {"kind": "softplus", "beta": float(module.beta), "threshold": float(module.threshold)}
    return table(module)


def _walk(model: nn.Sequential) -> tuple[list[str], list[nn.Linear], list[nn.Module | None]]:
    """(feature keys, Linear layers, the activation after each Linear but the last, None for none)."""
    mods = [m for m in regions.flatten(model) if not (isinstance(m, nn.Dropout) and not m.training)]
    features = list(PLAIN_FEATURES)
    if mods and type(mods[0]).__name__ == "Features" and hasattr(mods[0], "keys"):
        features = list(mods.pop(0).keys)
    linears: list[nn.Linear] = []
    acts: list[nn.Module | None] = []
    for m in mods:
        if isinstance(m, nn.Linear):
            if linears and len(acts) < len(linears):
                acts.append(None)  # two Linears in a row: identity between them
            linears.append(m)
        elif not linears or len(acts) == len(linears):
            raise ValueError(f"{type(m).__name__} must follow a Linear layer (one activation per layer)")
        else:
            acts.append(m)
    if not linears or len(acts) != len(linears) - 1:
        raise ValueError("the model must end with a Linear layer")
    return features, linears, acts


def structure(model: nn.Sequential) -> dict:
    """The JSON-able description of ``model`` sent once per run (see the module docstring)."""
    features, linears, acts = _walk(model)
    widths = [linears[0].in_features, *(lin.out_features for lin in linears)]
    try:
        regions.check_piecewise_linear(model)
        reason, bound = None, regions.upper_bound(model)
    except regions.NotPiecewiseLinear as exc:
        reason, bound = str(exc), None
    return {
        "features": features,
        "widths": widths,
        "activations": [
            {"kind": "identity", "module": "Identity"} if a is None else activation(a) for a in acts
        ],
        "piecewise_linear": reason is None,
        "not_pwl_reason": reason,
        "region_bound": bound,
    }


@torch.no_grad()
def weights(model: nn.Sequential) -> str:
    """Base64 of the little-endian float32 W (row-major, (out, in)) then b (out,) of each Linear, in order."""
    parts = []
    for lin in _walk(model)[1]:
        parts.append(lin.weight.detach().to("cpu", torch.float32).reshape(-1).numpy())
        b = lin.bias
        parts.append(
            np.zeros(lin.out_features, np.float32)
            if b is None
            else b.detach().to("cpu", torch.float32).numpy()
        )
    return _b64(np.concatenate(parts))


def decode_weights(struct: dict, text: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inverse of :func:`weights` given the :func:`structure`: [(W (out, in), b (out,)) float32, ...]."""
    flat = np.frombuffer(base64.b64decode(text), dtype="<f4")
    widths = struct["widths"]
    need = sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(widths))
    if need != len(flat):
        raise ValueError(f"{len(flat)} floats on the wire, the structure needs {need}")
    out, at = [], 0
    for n_in, n_out in itertools.pairwise(widths):
        W = flat[at : at + n_out * n_in].reshape(n_out, n_in).astype(np.float32)
        at += n_out * n_in
        b = flat[at : at + n_out].astype(np.float32)
        at += n_out
        out.append((W, b))
    return out
