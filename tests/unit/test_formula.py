"""Tests for relu_viz.formula: values against torch's own ops, derivatives against finite differences,
kink conventions against torch itself, and hostile input that must be refused with a FormulaError."""

from __future__ import annotations

import builtins
import copy
import math
import pickle

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from relu_viz import formula
from relu_viz.formula import FUNCTIONS, FormulaActivation, FormulaError, parse

# 64 points: a grid through 0 plus values beyond softplus's threshold, as an 8x8 batch.
GRID = torch.cat([torch.linspace(-3.0, 3.0, 61, dtype=torch.float64), torch.tensor([0.0, 25.0, -25.0])])

VALUE_CASES = [
    ("x", lambda t: t),
    ("relu(x)", torch.relu),
    ("abs(x)", torch.abs),
    ("max(0, x) + 0.1*sin(x)", lambda t: torch.maximum(t, torch.zeros_like(t)) + 0.1 * torch.sin(t)),
    ("min(x, 2*x)", lambda t: torch.minimum(t, 2 * t)),
    ("clamp(x, -1)", lambda t: torch.clamp(t, min=-1.0)),
    ("clamp(x, -1, 1)", F.hardtanh),
    ("clamp(x, x/2, 1)", lambda t: torch.clamp(t, min=t / 2, max=torch.ones_like(t))),
    ("where(x > 0, x, 0.01*x)", F.leaky_relu),
    ("where(x >= 0, x, exp(x) - 1)", F.elu),
    ("where(0 < x < 1, x, 0)", lambda t: torch.where((t > 0) & (t < 1), t, torch.zeros_like(t))),
    ("where(x <= -1 or x >= 1, 1, 0)", lambda t: ((t <= -1) | (t >= 1)).to(t.dtype)),
    ("where((x > -2) & (x < 2), x, 0)", lambda t: torch.where(t.abs() < 2, t, torch.zeros_like(t))),
    ("where(x > -1 and x < 1, x, 0)", lambda t: torch.where(t.abs() < 1, t, torch.zeros_like(t))),
    ("where(pi > 3, x, 0)", lambda t: t),
    ("where(pi < 3, 0, x)", lambda t: t),
    ("clamp(x, x/2)", lambda t: torch.maximum(t, t / 2)),
    ("clamp(x, -1, x*x)", lambda t: torch.minimum(torch.maximum(t, -torch.ones_like(t)), t * t)),
    ("exp(x)", torch.exp),
    ("log(x)", torch.log),
    ("log1p(x)", torch.log1p),
    ("sqrt(x)", torch.sqrt),
    ("sin(x)", torch.sin),
    ("cos(x)", torch.cos),
    ("tanh(x)", torch.tanh),
    ("sigmoid(x)", torch.sigmoid),
    ("softplus(x)", F.softplus),
    ("erf(x)", torch.erf),
    ("sign(x)", torch.sign),
    ("step(x)", lambda t: torch.heaviside(t, torch.zeros_like(t))),
    ("square(x)", lambda t: t * t),
    ("gelu(x)", F.gelu),
    ("silu(x)", lambda t: t * torch.sigmoid(t)),
    ("leaky_relu(x)", F.leaky_relu),
    ("leaky_relu(x, 0.2)", lambda t: F.leaky_relu(t, 0.2)),
    ("x**3", lambda t: t * t * t),
    ("x ** 0.5", torch.sqrt),
    ("x**-1", torch.reciprocal),
    ("2**x", torch.exp2),
    ("x**x", lambda t: torch.pow(t, t)),
    ("-x + +x*2 - 1/4", lambda t: t - 0.25),
    ("pi*x + e", lambda t: math.pi * t + math.e),
    ("2", lambda t: torch.full_like(t, 2.0)),
    ("sin(pi/2) * x", lambda t: t),
    ("  relu(x)\t", torch.relu),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("text", "reference"), VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_values_match_torch(text, reference, dtype):
    t = GRID.to(dtype).reshape(8, 8)
    out = parse(text)(t)
    assert out.dtype == dtype
    assert out.shape == t.shape
    torch.testing.assert_close(out, reference(t), equal_nan=True)


# Smooth formulas, checked where they are differentiable (kinks of clamp at ±1 and of relu/abs at 0
# are avoided by the sample points below).
DERIVATIVE_CASES = [
    "max(0, x) + 0.1*sin(x)",
    "relu(x) - 0.5*abs(x)",
    "clamp(x, -1, 1) + x/3",
    "where(x > 0, x, exp(x) - 1)",
    "log(x*x + 1) + sqrt(x*x + 2)",
    "log1p(exp(x))",
    "tanh(x)*sigmoid(2*x)",
    "softplus(x) + erf(x) + cos(x)",
    "gelu(x) + silu(x) + square(x)",
    "x**3 - 2**x + x**-2",
    "leaky_relu(x, 0.3) + min(x, 1)",
    "step(x) + sign(x) + pi",
]
POINTS = torch.tensor([-2.7, -1.3, -0.4, 0.35, 0.8, 1.7, 2.6], dtype=torch.float64)


@pytest.mark.parametrize("text", DERIVATIVE_CASES)
def test_autograd_derivative_matches_central_differences(text):
    f = parse(text)
    x = POINTS.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x)
    h = 1e-6
    with torch.no_grad():
        numeric = (f(POINTS + h) - f(POINTS - h)) / (2 * h)
    torch.testing.assert_close(grad, numeric, rtol=1e-6, atol=1e-6)


def _slope_at_zero(text: str, dtype: torch.dtype = torch.float64) -> float:
    x = torch.zeros(1, dtype=dtype, requires_grad=True)
    (grad,) = torch.autograd.grad(parse(text)(x).sum(), x)
    return grad.item()


def test_torch_maximum_splits_the_gradient_at_a_tie():
    a = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    torch.maximum(a, b).sum().backward()
    assert (a.grad.item(), b.grad.item()) == (0.5, 0.5)


def test_torch_kink_conventions_of_relu_and_clamp():
    x = torch.zeros(1, requires_grad=True)
    (relu_grad,) = torch.autograd.grad(torch.relu(x).sum(), x)
    (clamp_grad,) = torch.autograd.grad(torch.clamp(x, min=0.0).sum(), x)
    assert (relu_grad.item(), clamp_grad.item()) == (0.0, 1.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("text", "slope"),
    [
        ("relu(x)", 0.0),
        ("where(x > 0, x, 0)", 0.0),
        ("clamp(x, 0)", 1.0),
        ("max(0, x)", 0.5),
        ("max(x, 0)", 0.5),
        ("min(0, x)", 0.5),
        ("abs(x)", 0.0),
        ("leaky_relu(x, 0.2)", 0.2),
        ("step(x)", 0.0),
        ("sign(x)", 0.0),
    ],
)
def test_kink_conventions_through_the_parser(text, slope, dtype):
    assert _slope_at_zero(text, dtype) == pytest.approx(slope)


def test_the_same_function_written_three_ways_has_three_slopes_at_zero():
    slopes = [_slope_at_zero(t) for t in ("relu(x)", "max(0, x)", "clamp(x, 0)")]
    assert slopes == [0.0, 0.5, 1.0]


def test_max_gradient_tie_is_shared_between_two_expressions_of_x():
    # max(x, x) = x, but each branch gets half the gradient at every point (all ties), total 1.
    x = GRID.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(parse("max(x, x)")(x).sum(), x)
    torch.testing.assert_close(grad, torch.ones_like(grad))


def test_constant_formula_has_input_shape_and_zero_gradient():
    x = torch.randn(3, 4, requires_grad=True)
    for text in ("2", "where(x > 0, 1, 0)", "step(x)"):
        out = parse(text)(x)
        assert out.shape == x.shape
        (grad,) = torch.autograd.grad(out.sum(), x)
        assert torch.count_nonzero(grad) == 0


@pytest.mark.parametrize("context", [torch.no_grad, torch.inference_mode])
def test_parse_works_inside_no_grad_and_inference_mode(context):
    with context():
        f = parse("relu(x) + 1")
        torch.testing.assert_close(f(torch.tensor([-1.0, 2.0])), torch.tensor([1.0, 3.0]))
    assert _slope_at_zero(f.text) == 0.0


def test_integer_input_is_promoted_to_float():
    out = parse("x/2")(torch.arange(4))
    assert out.dtype == torch.get_default_dtype()
    torch.testing.assert_close(out, torch.tensor([0.0, 0.5, 1.0, 1.5]))


def test_domain_errors_give_nan_like_torch():
    t = torch.tensor([-1.0, 0.0, 1.0])
    out = parse("log(x) + sqrt(x)")(t)
    assert torch.isnan(out[0]) and out[1] == -math.inf and out[2] == 1.0


# -- the function table --------------------------------------------------------------------------------


def test_function_table_has_the_required_functions():
    required = {"relu", "abs", "max", "min", "clamp", "where", "exp", "log", "log1p", "sqrt", "sin", "cos"}
    required |= {"tanh", "sigmoid", "softplus", "erf", "sign", "step", "square"}
    assert required <= set(FUNCTIONS)
    assert FUNCTIONS["max"].maps_to == "max(a, b) -> torch.maximum"
    assert "0.5" in FUNCTIONS["max"].note
    assert FUNCTIONS["clamp"].arities == (2, 3)
    assert all(info.name == name and info.note and info.torch_op for name, info in FUNCTIONS.items())


@pytest.mark.parametrize(("name", "arity"), [(n, a) for n, f in FUNCTIONS.items() for a in f.arities])
def test_every_table_entry_parses_with_its_arities(name, arity):
    args = ["x > 0", "x", "0.5"] if name == "where" else ["x", "0.5", "2"][:arity]
    f = parse(f"{name}({', '.join(args)})")
    x = GRID.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x)
    assert grad.shape == x.shape


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_wrong_arity_is_refused_at_the_call(name):
    arity = max(FUNCTIONS[name].arities) + 1
    text = "  " + name + "(" + ", ".join(["x"] * arity) + ")"
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert info.value.position == 2
    assert name in str(info.value)


def test_describe_functions_mentions_every_function_and_the_tie_rule():
    text = formula.describe_functions()
    assert all(f"{info.signature} -> {info.torch_op}" in text for info in FUNCTIONS.values())
    assert "torch.maximum" in text and "0.5" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x", True),
        ("relu(x)", True),
        ("2*relu(x) - relu(x - 1)/3 + 0.5", True),
        ("max(0.01*x, x)", True),
        ("clamp(x, -1, 1) + abs(x)", True),
        ("where(x > 0, x, 0.1*x)", True),
        ("leaky_relu(x, 0.1) + step(x)", True),
        ("sin(1)*x + exp(2)", True),
        ("x**1", True),
        ("x*x", False),
        ("relu(x)*x", False),
        ("1/x", False),
        ("x**2", False),
        ("2**x", False),
        ("tanh(x)", False),
        ("max(0, x) + 0.1*sin(x)", False),
        ("where(x*x > 1, x, 0)", False),
        ("where(x > 0, x, exp(x) - 1)", False),
    ],
)
def test_is_piecewise_linear(text, expected):
    assert formula.is_piecewise_linear(text) is expected


def test_is_piecewise_linear_refuses_invalid_text():
    with pytest.raises(FormulaError):
        formula.is_piecewise_linear("foo(x)")


# -- as a torch module ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_formula_activation_trains_inside_a_network(dtype):
    torch.manual_seed(0)
    act = formula.module("max(0, x) + 0.1*sin(x)")
    assert isinstance(act, FormulaActivation) and act.text == "max(0, x) + 0.1*sin(x)"
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), act, torch.nn.Linear(8, 1)).to(dtype)
    x = torch.randn(32, 2, dtype=dtype)
    hidden = net[0](x)
    torch.testing.assert_close(net(x), net[2](torch.relu(hidden) + 0.1 * torch.sin(hidden)))
    net(x).pow(2).mean().backward()
    assert net[0].weight.grad is not None and torch.isfinite(net[0].weight.grad).all()
    assert list(act.parameters()) == [] and act.state_dict() == {}


def test_formula_activation_is_rebuilt_from_its_text_when_copied():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), formula.module("where(x > 0, x, 0.2*x)"))
    x = torch.randn(5, 2)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert clone[1].text == "where(x > 0, x, 0.2*x)"
        torch.testing.assert_close(clone(x), net(x))
    assert "where(x > 0, x, 0.2*x)" in repr(net)


def test_module_refuses_bad_text():
    with pytest.raises(FormulaError):
        formula.module("x.__class__")


# -- hostile and malformed input ------------------------------------------------------------------------

HOSTILE = [
    # (text, expected position, or None when any in-range position will do)
    ("x.__class__", 1),
    ("x.__class__.__mro__", 11),
    ("().__class__.__bases__[0]", 22),
    ("(1).__class__", 3),
    ("torch.relu(x)", 5),
    ("__import__('os')", 11),
    ("__import__(x)", 0),
    ("import os", 0),
    ("lambda: 0", 0),
    ("[x for x in [1]]", 0),
    ("relu(x for x in [1])", 4),
    ("clamp(x, min=0)", 9),
    ("relu(**x)", 5),
    ("max(*x)", 4),
    ("x[0]", 1),
    ("'x'", 0),
    ('"x"', 0),
    ("f'{x}'", 1),
    ("(y := x)", 1),
    ("relu(x)(x)", 7),
    ("x(2)", 0),
    ("1(2)", 1),
    ("y", 0),
    ("torch", 0),
    ("eval", 0),
    ("eval(x)", 0),
    ("relu", 0),
    ("x**1e9", 3),
    ("9**9**9", 3),
    ("2**1000", 3),
    ("x**17", 3),
    ("x**(4*5)", 4),
    ("1e999", 0),
    ("12345678901234567890", 0),
    ("x; x", 1),
    ("x\n+1", 1),
    ("x\x00", 1),
    ("\x00", 0),
    ("ｍａｘ(0, x)", 0),
    ("relu(х)", 5),  # Cyrillic х
    ("x − 1", 2),  # U+2212 minus
    ("x\u200b", 1),
    ("x if x > 0 else 0", 0),
    ("x == 0", 2),
    ("x != 0", 2),
    ("x is 0", 2),
    ("x // 2", 2),
    ("x % 2", 2),
    ("x @ x", 2),
    ("x ^ 2", 2),
    ("~x", 0),
    ("not x", 0),
    ("x > 0", 0),
    ("relu(x > 0)", 5),
    ("where(x, 1, 0)", 6),
    ("leaky_relu(x, x)", 14),
    ("True", 0),
    ("None", 0),
    ("1j", 0),
    ("...", 0),
    ("{x}", 0),
    ("{}", 0),
    ("[x]", 0),
    ("(x, x)", None),
    ("await x", 0),
    ("yield x", None),
    ("  foo(x)", 2),
    ("x +", 3),
    ("(x", 0),
    ("", 0),
    ("   ", 0),
    ("\t", 0),
    ("x" + " " * 200, 200),
    ("(" * 200 + "x" + ")" * 200, 200),
    ("(" * 31 + "x" + ")" * 31, 30),
    ("-(" * 40 + "x" + ")" * 40, 61),
    ("-" * 40 + "x", 30),
    ("x+" * 60 + "x", None),
]


@pytest.mark.parametrize(("text", "position"), HOSTILE, ids=[repr(h[0])[:40] for h in HOSTILE])
def test_hostile_input_is_refused_with_a_position(text, position):
    with pytest.raises(FormulaError) as info:
        parse(text)
    error = info.value
    assert isinstance(error, ValueError)
    assert 0 <= error.position <= len(text)
    if position is not None:
        assert error.position == position, str(error)
    assert ("position" in str(error)) or ("empty" in str(error) and not text.strip())
    assert "internal error" not in str(error)


# Attribute and method access of every kind, not only dunders: x.data would detach the gradient (the
# derivative shown would silently be 0), x.T / .real / .detach() would reach tensor methods. Each must be
# refused at the dot, every time (not left to the random fuzz below).
ATTRIBUTES = [
    ("x.data", "data"),
    ("x.T", "T"),
    ("x.mT", "mT"),
    ("x.real", "real"),
    ("x.imag", "imag"),
    ("x.grad", "grad"),
    ("x.detach()", "detach"),
    ("x.abs()", "abs"),
    ("x.relu()", "relu"),
    ("x.exp_()", "exp_"),
    ("x.requires_grad", "requires_grad"),
    ("relu(x).real", "real"),
    ("relu(x).data", "data"),
    ("sin(x).T", "T"),
    ("(x + 1).data", "data"),
    ("(x).data", "data"),
    ("pi.real", "real"),
    ("e.imag", "imag"),
    ("(1).real", "real"),
    ("1 .real", "real"),
    ("1.5.hex()", "hex"),
    ("max(0, x.data)", "data"),
    ("where(x > 0, x.data, 0)", "data"),
    ("where(x.T > 0, x, 0)", "T"),
    ("clamp(x, x.data)", "data"),
    ("leaky_relu(x, pi.real)", "real"),
    ("x ** x.data", "data"),
    ("-x.data", "data"),
    ("x.__class__", "__class__"),
    ("x.__dict__", "__dict__"),
    ("relu(x).__class__.__name__", "__name__"),
    ("x._version", "_version"),
    ("x.data.data", "data"),
    ("x . data", "data"),
]


@pytest.mark.parametrize(("text", "attr"), ATTRIBUTES, ids=[a[0] for a in ATTRIBUTES])
def test_attribute_and_method_access_is_refused_at_the_dot(text, attr):
    with pytest.raises(FormulaError) as info:
        parse(text)
    # The outermost attribute node is reported: the last dot of the text, found independently here.
    dot = text.rindex(".")
    if text == "1.5.hex()":
        dot = 3
    assert info.value.position == dot, str(info.value)
    assert str(info.value).startswith(f"Attribute access ('.{attr}') is not allowed at position {dot}.")
    with pytest.raises(FormulaError):
        formula.module(text)
    with pytest.raises(FormulaError):
        formula.is_piecewise_linear(text)


# Every accepted form (every table function, every operator, constants, conditions): the derivative
# autograd reports equals a central finite difference of the formula's own values, at points away from
# every kink (0, ±1, ±2 and the clamp/where switch points used below).
ACCEPTED_FORMS = [
    *(f"{name}(0.7*x + 0.1)" for name in sorted(FUNCTIONS) if FUNCTIONS[name].arities == (1,)),
    "x",
    "2",
    "pi*x + e",
    "-x + +x*2 - 1/4",
    "x/3 - 3/x",
    "x*x*x",
    "x**3 + x**-2 + x**0.5",
    "2**x + x**x + e**(x/2)",
    "(x + 1)**(x/4 + 2)",
    "max(0, x) + max(x, 2*x) + max(x*x, 1)",
    "min(x, 1) + min(0.5*x, -x)",
    "clamp(x, -1)",
    "clamp(x, -1, 1)",
    "clamp(x, x/2, 1.5)",
    "clamp(x, x/2)",
    "clamp(sin(x), -0.5, 0.5)",
    "leaky_relu(x)",
    "leaky_relu(x, 0.3)",
    "leaky_relu(2*x, -0.5)",
    "where(x > 0, x, 0.01*x)",
    "where(x >= 0.5, x*x, exp(x))",
    "where(x < 0, sin(x), x)",
    "where(x <= -1, -1, x)",
    "where(0 < x < 1, x, 0)",
    "where(x < -1 or x > 1, x*x, x)",
    "where(x > -2 and x < 2, x**3, 0)",
    "where((x > -1) & (x < 1), x, 2*x)",
    "where((x < -1) | (x > 1), 3*x, -x)",
    "sin(pi/2) * x + log(e) * x",
    "gelu(x) * sigmoid(x) - softplus(-x) / (1 + square(x))",
    "sqrt(x*x + 1) + log(x*x + 1) + log1p(x*x) + erf(x) * cos(x) + tanh(x) * silu(x)",
    "abs(x) + step(x) + sign(x) + relu(x)",
]
SMOOTH_POINTS = torch.tensor([-2.7, -1.3, -0.4, 0.35, 0.8, 1.7, 2.6], dtype=torch.float64)


@pytest.mark.parametrize("text", ACCEPTED_FORMS)
def test_every_accepted_form_has_the_finite_difference_derivative(text):
    f = parse(text)
    x = SMOOTH_POINTS.clone().requires_grad_(True)
    y = f(x)
    (grad,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
    grad = torch.zeros_like(x) if grad is None else grad
    h = 1e-6
    with torch.no_grad():
        numeric = (f(SMOOTH_POINTS + h) - f(SMOOTH_POINTS - h)) / (2 * h)
    ok = torch.isfinite(numeric)  # log, x**x, x**0.5: NaN values where undefined, no slope there
    assert ok.sum() >= 3
    torch.testing.assert_close(grad[ok], numeric[ok], rtol=1e-5, atol=1e-5)


def test_every_table_function_is_covered_by_the_derivative_check():
    used = {name for name in FUNCTIONS if any(name + "(" in form for form in ACCEPTED_FORMS)}
    assert used == set(FUNCTIONS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not x", "'not' is not allowed (flip the comparison instead) at position 0."),
        ("~x", "Operator '~' is not allowed at position 0."),
        ("[x]", "Lists are not allowed at position 0."),
        ("x [0]", "Subscripts are not allowed at position 2."),
        ("relu(x)((x))", "Only named functions can be called, e.g. relu(x) at position 7."),
        ("leaky_relu(x, x)", "The slope of leaky_relu must be a constant at position 14."),
        ("x**17", "Exponent 17 is too large (|exponent| at most 16) at position 3."),
        (
            "where(x, 1, 0)",
            "The condition of where must be a comparison such as x > 0, not 'x' at position 6.",
        ),
        (
            "relu((x > 0) & (x < 1))",
            "Comparison '(x > 0) & (x < 1)' is only allowed as the condition of where(cond, a, b) "
            "at position 5.",
        ),
    ],
)
def test_refusals_say_exactly_what_and_where(text, message):
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-relu(x)", True),
        ("relu(x)**1", True),
        ("relu(x)**0", True),
        ("relu(x)**2", False),
        ("where(x > 0 and x < 1, x, 0)", True),
        ("where((x > 0) | (x < -1), x, 0)", True),
        ("clamp(x, x/2)", True),
        ("clamp(x, x/2, 1)", True),
        ("clamp(x, sin(x))", False),
        ("clamp(x, -1, sin(x))", False),
    ],
)
def test_piecewise_linear_is_tracked_through_every_node(text, expected):
    assert formula.is_piecewise_linear(text) is expected


def test_unknown_function_message_names_it_and_lists_the_allowed_ones():
    with pytest.raises(FormulaError) as info:
        parse("relu(foo(x))")
    assert info.value.position == 5
    assert str(info.value).startswith("Unknown function 'foo' at position 5. Allowed: abs, clamp,")


def test_limits_are_inclusive():
    parse("x" + " " * 199)  # 200 characters
    parse("(" * 30 + "x" + ")" * 30)
    parse("-" * 29 + "x")
    parse("x**16 + x**-16 + 1000000*x")


def test_non_string_input_is_refused():
    for value in (None, 1, b"x", ["x"]):
        with pytest.raises(FormulaError):
            parse(value)


def test_parse_never_evaluates_or_executes(monkeypatch):
    compile_flags = []
    real_compile = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    def parse_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        # ast.parse is compile(..., flags=PyCF_ONLY_AST): it builds a tree and runs nothing.
        compile_flags.append(flags)
        if not flags & formula.ast.PyCF_ONLY_AST:
            raise AssertionError("compile for execution called")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", parse_only_compile)
    texts = [c[0] for c in VALUE_CASES] + [h[0] for h in HOSTILE]
    for text in texts:
        try:
            f = parse(text)
        except FormulaError:
            continue
        f(GRID.clone().requires_grad_(True)).sum().backward()
    assert compile_flags and all(flag & formula.ast.PyCF_ONLY_AST for flag in compile_flags)


# -- fuzzing ----------------------------------------------------------------------------------------------

TOKENS = [
    "x", "pi", "e", "y", "0", "1", "2.5", "1e3", "1e9", "(", ")", ",", " ", "+", "-", "*", "/", "**",
    "<", "<=", ">", ">=", "==", "&", "|", " and ", " or ", " not ", ".", "[", "]", ":", "=", ";",
    "relu", "max", "min", "clamp", "where", "exp", "log", "sqrt", "step", "leaky_relu", "lambda", "__class__",
]  # fmt: skip


LEAVES = st.one_of(
    st.sampled_from(["x", "x", "pi", "e", "y", "True", "None", "__class__", "1j"]),
    st.integers(min_value=-(10**8), max_value=10**8).map(str),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e8, max_value=1e8).map(repr),
)
BINARY = ["+", "-", "*", "/", "**", "//", "%", "<", "<=", ">", ">=", "==", "&", "|", " and ", " or ", "."]
CALLEES = [*FUNCTIONS, "foo", "eval", "x"]


def _grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(BINARY), children).map(lambda t: f"({t[0]}{t[1]}{t[2]})")
    unary = st.tuples(st.sampled_from(["-", "-", "+", "not ", "~"]), children).map("".join)
    call = st.tuples(st.sampled_from(CALLEES), st.lists(children, min_size=1, max_size=3)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    )
    return st.one_of(binary, unary, call, call)


# Mostly well-formed expressions, so the fuzzing reaches the tree walk and the built torch ops.
EXPRESSIONS = st.recursive(LEAVES, _grow, max_leaves=12)


def _check_parse_outcome(text: str) -> None:
    """parse gives a working callable or a FormulaError pointing inside the text, nothing else."""
    try:
        f = parse(text)
    except FormulaError as error:
        assert 0 <= error.position <= max(len(text), 0)
        assert "internal error" not in str(error)
        return
    t = torch.linspace(-2.0, 2.0, 9, requires_grad=True)
    out = f(t)
    assert out.shape == t.shape and out.dtype == t.dtype
    out.sum().backward()


# Python itself warns (SyntaxWarning) on text like '1and x' while parsing it; the formula is still refused.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@pytest.mark.timeout(60)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=250))
def test_fuzz_arbitrary_text_parses_or_raises_formula_error(text):
    _check_parse_outcome(text)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@pytest.mark.timeout(60)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_fuzz_token_soup_parses_or_raises_formula_error(text):
    _check_parse_outcome(text)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@pytest.mark.timeout(60)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
@example(text="exp(89)")  # folded to a float64 beyond float32's range: torch.full raised on it
def test_fuzz_expression_trees_parse_or_raise_formula_error(text):
    _check_parse_outcome(text)


# -- the normal form: what the pages show of a typed formula -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("max(0,x)+.1*sin( x )", "max(0, x) + 0.1 * sin(x)"),
        ("((x))", "x"),
        ("x**-1", "x ** (-1)"),
        ("where(0<x<1,x,0)", "where(0 < x < 1, x, 0)"),
        ("\tleaky_relu(x,0.2)", "leaky_relu(x, 0.2)"),
        ("1_000*x", "1000 * x"),
    ],
)
def test_normal_form_is_written_from_the_tree(text, normal):
    assert formula.normal_form(text) == normal
    assert parse(text).normal == normal and parse(text).text == text
    assert formula.normal_form(normal) == normal


@pytest.mark.parametrize(
    "text", ["x # **BOLD** [lnk](https://example.com/x) ![i](https://evil.example/t.png)", "x#", "relu(x) #"]
)
def test_comments_are_refused_where_the_hash_is(text):
    with pytest.raises(FormulaError, match="Comments") as info:
        parse(text)
    assert info.value.position == text.index("#")
    with pytest.raises(FormulaError):
        formula.normal_form(text)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@pytest.mark.timeout(60)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_fuzz_normal_form_parses_to_the_same_function(text):
    try:
        original = parse(text)
    except FormulaError:
        return
    normal = original.normal
    assert set(normal) <= set("abcdefghijklmnopqrstuvwxyz_0123456789.+-*/()<>=&|, ")
    again = parse(normal) if len(normal) <= formula.MAX_CHARS else None
    if again is not None:
        with torch.no_grad():
            torch.testing.assert_close(again(GRID), original(GRID), equal_nan=True, rtol=0, atol=0)
