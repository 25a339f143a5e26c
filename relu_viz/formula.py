"""Safe parser for typed activation formulas: text in ``x`` -> an elementwise torch function.

A formula is one expression f(x) built from

- the variable ``x`` and the constants ``pi`` = π and ``e`` = exp(1);
- numeric literals (int or float, |value| <= ``MAX_LITERAL``);
- ``+ - * / **`` and unary ``-``/``+``; a constant exponent must satisfy |p| <= ``MAX_EXPONENT``;
- calls of the functions in ``FUNCTIONS`` with positional arguments, e.g. ``max(0, x) + 0.1*sin(x)``;
- comparisons ``< <= > >=`` (chains such as ``0 < x < 1`` mean ``(0 < x) & (x < 1)``), combined with
  ``&``, ``|``, ``and``, ``or``, but only as the condition of ``where(cond, a, b)``.

The result is a callable t ↦ f(t) applied elementwise, built directly from torch ops, so it works on any
shape, in float32 and float64, and autograd gives f'(t) by the chain rule. Where f has a kink, the
derivative autograd reports is whatever the chosen op defines there (see ``FUNCTIONS``): for example at 0,
relu'(0) = 0, d/dx max(0, x) = 0.5 (torch.maximum splits a tie), d/dx clamp(x, 0) = 1.

Safety: ``ast.parse(text, mode="eval")`` is used only to obtain the syntax tree; the text is never given to
eval, exec or compile-for-execution. The tree is walked by hand against a whitelist of node types, names and
functions, and each allowed node is turned into a torch op. Before ``ast.parse`` runs, the text is limited
to ``MAX_CHARS`` printable ASCII characters with bracket depth <= ``MAX_DEPTH`` (the CPython parser itself
can be exhausted by pathological nesting); after it, the tree is limited to ``MAX_NODES`` nodes and depth
``MAX_DEPTH``, so the recursive walk is bounded. Constant sub-expressions are folded once in float64;
that is bounded work (at most ``MAX_NODES`` scalar ops, no Python big-integer arithmetic because every
literal is converted to float and exponents are capped). Every problem raises ``FormulaError`` carrying the
0-based character offset of the offending part.
"""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "FUNCTIONS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LITERAL",
    "MAX_NODES",
    "Formula",
    "FormulaActivation",
    "FormulaError",
    "FunctionInfo",
    "describe_functions",
    "is_piecewise_linear",
    "module",
    "normal_form",
    "parse",
]

MAX_CHARS = 200
MAX_NODES = 100
MAX_DEPTH = 30
MAX_LITERAL = 1e6
MAX_EXPONENT = 16.0

NAMES = ("x", "pi", "e")
_CONSTANTS = {"pi": 3.141592653589793, "e": 2.718281828459045}


class FormulaError(ValueError):
    """A formula was rejected; ``position`` is the 0-based character offset of the offending part."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class FunctionInfo:
    """One entry of the function table: how a formula function maps onto torch, as data for the UI."""

    name: str
    arities: tuple[int, ...]
    signature: str
    torch_op: str
    note: str
    piecewise_linear: bool

    @property
    def maps_to(self) -> str:
        """E.g. ``"max(a, b) -> torch.maximum"``."""
        return f"{self.signature} -> {self.torch_op}"


def _info(signature: str, arities: tuple[int, ...], torch_op: str, note: str, pwl: bool) -> FunctionInfo:
    return FunctionInfo(signature.split("(")[0], arities, signature, torch_op, note, pwl)


_TABLE = (
    _info("abs(a)", (1,), "torch.abs", "|a|; slope 0 at a = 0 (torch uses sign(0) = 0)", True),
    _info(
        "clamp(a, lo[, hi])",
        (2, 3),
        "torch.clamp",
        "a limited to [lo, hi]; slope 1 on the closed interval, so clamp(x, 0) has slope 1 at 0",
        True,
    ),
    _info("cos(a)", (1,), "torch.cos", "cosine", False),
    _info("erf(a)", (1,), "torch.erf", "error function 2/√π ∫₀ᵃ exp(-t²) dt", False),
    _info("exp(a)", (1,), "torch.exp", "exponential; overflows to inf above ~88 (float32)", False),
    _info("gelu(a)", (1,), "torch.nn.functional.gelu", "a·Φ(a), exact erf form", False),
    _info(
        "leaky_relu(a[, slope])",
        (1, 2),
        "torch.nn.functional.leaky_relu",
        "a if a > 0 else slope·a (slope a constant, default 0.01); slope at 0 is the leak slope",
        True,
    ),
    _info("log(a)", (1,), "torch.log", "natural log; -inf at 0, NaN for a < 0", False),
    _info("log1p(a)", (1,), "torch.log1p", "log(1 + a), accurate near 0; NaN for a < -1", False),
    _info(
        "max(a, b)",
        (2,),
        "torch.maximum",
        "elementwise max; at a tie the gradient is split 0.5/0.5, so max(0, x) has slope 0.5 at 0",
        True,
    ),
    _info(
        "min(a, b)",
        (2,),
        "torch.minimum",
        "elementwise min; at a tie the gradient is split 0.5/0.5 between a and b",
        True,
    ),
    _info("relu(a)", (1,), "torch.relu", "max(0, a); slope 0 at a = 0", True),
    _info("sigmoid(a)", (1,), "torch.sigmoid", "1 / (1 + exp(-a)); slope at most 0.25", False),
    _info("sign(a)", (1,), "torch.sign", "-1, 0 or 1 (sign(0) = 0); gradient 0 everywhere", True),
    _info("silu(a)", (1,), "torch.nn.functional.silu", "a·sigmoid(a) (swish)", False),
    _info("sin(a)", (1,), "torch.sin", "sine", False),
    _info(
        "softplus(a)",
        (1,),
        "torch.nn.functional.softplus",
        "log(1 + exp(a)) with beta 1; returns a itself above threshold 20",
        False,
    ),
    _info("sqrt(a)", (1,), "torch.sqrt", "square root; slope inf at 0, NaN for a < 0", False),
    _info("square(a)", (1,), "torch.square", "a²", False),
    _info(
        "step(a)",
        (1,),
        "torch.relu(torch.sign(a))",
        "Heaviside step: 1 if a > 0 else 0 (step(0) = 0); gradient 0 everywhere",
        True,
    ),
    _info("tanh(a)", (1,), "torch.tanh", "hyperbolic tangent; slope at most 1", False),
    _info(
        "where(cond, a, b)",
        (3,),
        "torch.where",
        "a where cond holds, else b; cond uses < <= > >= (& | and or); "
        "gradient goes to the chosen branch only, so where(x > 0, x, 0) has slope 0 at 0",
        True,
    ),
)

#: The function table as data: name -> FunctionInfo (arity, torch op, note).
FUNCTIONS: Mapping[str, FunctionInfo] = MappingProxyType({f.name: f for f in _TABLE})

_ALLOWED_FUNCTIONS = ", ".join(sorted(FUNCTIONS))

_UNARY_TORCH: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "abs": torch.abs,
    "cos": torch.cos,
    "erf": torch.erf,
    "exp": torch.exp,
    "gelu": F.gelu,
    "log": torch.log,
    "log1p": torch.log1p,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "sign": torch.sign,
    "silu": F.silu,
    "sin": torch.sin,
    "softplus": F.softplus,
    "sqrt": torch.sqrt,
    "square": torch.square,
    "tanh": torch.tanh,
    # torch.heaviside has no derivative; relu(sign(a)) has the same values and a zero gradient that is
    # still attached to the graph, so autograd.grad works through it.
    "step": lambda a: torch.relu(torch.sign(a)),
}

_BINOPS: dict[type, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    ast.Add: torch.add,
    ast.Sub: torch.sub,
    ast.Mult: torch.mul,
    ast.Div: torch.div,
}

_COMPARE: dict[type, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    ast.Lt: torch.lt,
    ast.LtE: torch.le,
    ast.Gt: torch.gt,
    ast.GtE: torch.ge,
}

# How each operator is spelled, to point at it in the text and name it in messages.
_OP_SYMBOLS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Not: "not",
    ast.Invert: "~",
}

# Readable names for node types that are never allowed; anything else gets a generic message.
_FORBIDDEN: dict[type, str] = {
    ast.Attribute: "Attribute access is not allowed",
    ast.Subscript: "Subscripts are not allowed",
    ast.Slice: "Slices are not allowed",
    ast.Lambda: "Lambdas are not allowed",
    ast.ListComp: "Comprehensions are not allowed",
    ast.SetComp: "Comprehensions are not allowed",
    ast.DictComp: "Comprehensions are not allowed",
    ast.GeneratorExp: "Generator expressions are not allowed",
    ast.Starred: "Starred arguments are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "Assignment expressions (':=') are not allowed",
    ast.IfExp: "Conditional expressions 'a if c else b' are not allowed (use where(c, a, b))",
    ast.Tuple: "Tuples are not allowed",
    ast.List: "Lists are not allowed",
    ast.Set: "Sets are not allowed",
    ast.Dict: "Dicts are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}

# Copy-pasted maths often carries these; say what to type instead.
_ASCII_HINTS = {"−": "-", "×": "*", "·": "*", "÷": "/", "π": "pi", "²": "**2", "≤": "<=", "≥": ">="}

_Fn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class _Expr:
    """A compiled sub-formula: ``fn`` maps the input tensor to a tensor (0-d for constants).

    ``const`` is the float64 value of a sub-formula that does not involve x, folded once at parse time;
    ``is_cond`` marks boolean conditions (only legal as the first argument of where).
    """

    fn: _Fn
    uses_x: bool
    pwl: bool
    const: float | None = None
    is_cond: bool = False


def _fail(message: str, position: int) -> FormulaError:
    return FormulaError(f"{message} at position {position}.", position)


def _scan(text: Any) -> None:
    """Reject, before ast.parse sees it, anything the CPython parser should not be exposed to."""
    if not isinstance(text, str):
        raise FormulaError(f"A formula must be a string, not {type(text).__name__}.", 0)
    if len(text) > MAX_CHARS:
        raise FormulaError(
            f"Formula is too long: {len(text)} characters, the limit is {MAX_CHARS} "
            f"(position {MAX_CHARS} is past the limit).",
            MAX_CHARS,
        )
    depth = 0
    for i, ch in enumerate(text):
        if ch in _ASCII_HINTS:
            raise _fail(f"Character {ch!r} is not allowed (type {_ASCII_HINTS[ch]!r} instead)", i)
        # Non-ASCII is refused outright: identifiers are NFKC-normalised by Python, so a fullwidth 'ｍａｘ'
        # would otherwise silently become 'max', and column offsets from ast are in UTF-8 bytes.
        if not (" " <= ch <= "~" or ch == "\t"):
            code = f"U+{ord(ch):04X}"
            name = unicodedata.name(ch, code) if ch.isprintable() else code
            raise _fail(f"Character {ch!r} ({name}) is not allowed: use plain ASCII on one line", i)
        if ch in "'\"":
            raise _fail("Strings are not allowed (quote found)", i)
        if ch == "#":
            # Python's tokenizer would drop the rest of the line, and whatever it hid would still be
            # shown wherever the text is: refused rather than silently ignored.
            raise _fail("Comments ('#') are not allowed", i)
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(f"Brackets nested too deeply (more than {MAX_DEPTH} levels)", i)
        elif ch in ")]}":
            depth -= 1
    if not text.strip():
        raise FormulaError("Formula is empty: type an expression in x, e.g. max(0, x).", 0)


def _syntax_tree(text: str) -> tuple[ast.expr, int]:
    """Parse (not evaluate) the text; return the expression tree and the offset of its first character."""
    # compile() in eval mode refuses leading indentation, so parse the stripped text and shift offsets.
    lead = len(text) - len(text.lstrip(" \t"))
    try:
        tree = ast.parse(text[lead:], mode="eval")
    except SyntaxError as exc:
        line_ok = exc.lineno in (None, 1)
        pos = lead + (exc.offset - 1 if line_ok and exc.offset else len(text) - lead)
        pos = min(max(pos, 0), len(text))
        raise _fail(f"Syntax error: {exc.msg}", pos) from None
    except (ValueError, MemoryError, RecursionError) as exc:  # defensive: the scan should preclude these
        raise FormulaError(f"Could not read the formula: {exc}", 0) from None
    return tree.body, lead


def _check_size(body: ast.expr, lead: int) -> None:
    """Bound node count and depth iteratively, so the recursive compile below cannot recurse deeply."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        # Context and operator singletons (Load, Add, ...) are not parts a user wrote.
        if isinstance(node, ast.expr_context | ast.operator | ast.unaryop | ast.cmpop | ast.boolop):
            continue
        count += 1
        pos = lead + getattr(node, "col_offset", 0)
        if count > MAX_NODES:
            raise _fail(f"Formula has too many parts (more than {MAX_NODES})", pos)
        if depth > MAX_DEPTH:
            raise _fail(f"Formula nested too deeply (more than {MAX_DEPTH} levels)", pos)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _const_fn(value: float) -> _Fn:
    # Folded in float64 and cast like any computed value: a constant beyond the input dtype's range
    # becomes ±inf (as exp(89) computed in float32 would), where torch.full would raise. Made at each
    # call, in the caller's autograd mode: a tensor made once under inference_mode cannot join a graph.
    return lambda x: torch.full((), value, dtype=torch.float64, device=x.device).to(x.dtype)


_FOLD_PROBE = torch.zeros((), dtype=torch.float64)


class _Compiler:
    """Recursive walk of a size-checked tree; every node type not handled here is refused."""

    def __init__(self, text: str, lead: int) -> None:
        self.text = text
        self.lead = lead

    def pos(self, node: ast.AST) -> int:
        return self.lead + getattr(node, "col_offset", 0)

    def end(self, node: ast.AST) -> int:
        end = getattr(node, "end_col_offset", None)
        return self.lead + end if end is not None else self.pos(node)

    def find(self, symbol: str, start: int, stop: int, default: int) -> int:
        """Offset of ``symbol`` in text[start:stop] (an operator between two operands), else default."""
        i = self.text.find(symbol, start, stop)
        return i if i >= 0 else default

    def snippet(self, node: ast.AST) -> str:
        return self.text[self.pos(node) : self.end(node)]

    # -- values -------------------------------------------------------------------------------------------

    def value(self, node: ast.AST) -> _Expr:
        expr = self.node(node)
        if expr.is_cond:
            raise _fail(
                f"Comparison {self.snippet(node)!r} is only allowed as the condition of where(cond, a, b)",
                self.pos(node),
            )
        return expr

    def node(self, node: ast.AST) -> _Expr:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node)
        raise self.forbidden(node)

    def forbidden(self, node: ast.AST) -> FormulaError:
        message = _FORBIDDEN.get(type(node), f"Expressions of type {type(node).__name__} are not allowed")
        pos = self.pos(node)
        if isinstance(node, ast.Attribute):
            pos = self.find(".", self.end(node.value), self.end(node), pos)
            message = f"Attribute access ('.{node.attr}') is not allowed"
        if isinstance(node, ast.Subscript):
            pos = self.find("[", self.end(node.value), self.end(node), pos)
        return _fail(message, pos)

    def folded(self, fn: _Fn, uses_x: bool, pwl: bool) -> _Expr:
        """Wrap a value; a sub-formula free of x is evaluated once (float64 scalars, bounded work)."""
        if uses_x:
            return _Expr(fn, True, pwl)
        value = float(fn(_FOLD_PROBE))
        return _Expr(_const_fn(value), False, True, value)

    def constant(self, node: ast.Constant) -> _Expr:
        value = node.value
        # bool is an int subclass, and True/False are not numbers a formula should contain.
        if type(value) not in (int, float):
            raise _fail(f"Only int and float numbers are allowed, not {self.snippet(node)!r}", self.pos(node))
        # Compared as Python numbers, not converted: a 200-digit int literal is refused, never computed with.
        if not abs(value) <= MAX_LITERAL:
            raise _fail(f"Number {self.snippet(node)} is too large (limit {MAX_LITERAL:g})", self.pos(node))
        return _Expr(_const_fn(float(value)), False, True, float(value))

    def name(self, node: ast.Name) -> _Expr:
        if node.id == "x":
            return _Expr(lambda x: x, True, True)
        if node.id in _CONSTANTS:
            value = _CONSTANTS[node.id]
            return _Expr(_const_fn(value), False, True, value)
        if node.id in FUNCTIONS:
            raise _fail(f"{node.id!r} is a function: call it, e.g. {node.id}(x)", self.pos(node))
        raise _fail(f"Unknown name {node.id!r}; allowed names are x, pi and e", self.pos(node))

    def unary(self, node: ast.UnaryOp) -> _Expr:
        if isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.value(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            inner = operand.fn
            return self.folded(lambda x: torch.neg(inner(x)), operand.uses_x, operand.pwl)
        if isinstance(node.op, ast.Not):
            raise _fail("'not' is not allowed (flip the comparison instead)", self.pos(node))
        raise _fail(f"Operator {_OP_SYMBOLS.get(type(node.op), '?')!r} is not allowed", self.pos(node))

    def binop(self, node: ast.BinOp) -> _Expr:
        op_type = type(node.op)
        if op_type in (ast.BitAnd, ast.BitOr):
            logical_op = torch.logical_and if op_type is ast.BitAnd else torch.logical_or
            return self.logical([node.left, node.right], logical_op)
        if op_type is ast.Pow:
            return self.power(node)
        if op_type not in _BINOPS:
            symbol = _OP_SYMBOLS.get(op_type, "?")
            op_pos = self.find(symbol, self.end(node.left), self.pos(node.right), self.pos(node))
            raise _fail(f"Operator {symbol!r} is not allowed; use + - * / **", op_pos)
        left, right = self.value(node.left), self.value(node.right)
        torch_op = _BINOPS[op_type]
        lf, rf = left.fn, right.fn
        if op_type in (ast.Add, ast.Sub):
            pwl = left.pwl and right.pwl
        elif op_type is ast.Mult:
            pwl = left.pwl and right.pwl and not (left.uses_x and right.uses_x)
        else:
            pwl = left.pwl and not right.uses_x
        return self.folded(lambda x: torch_op(lf(x), rf(x)), left.uses_x or right.uses_x, pwl)

    def power(self, node: ast.BinOp) -> _Expr:
        base, exponent = self.value(node.left), self.value(node.right)
        bf = base.fn
        if exponent.const is None:
            # A tensor exponent costs no parse-time work; huge values just overflow to inf in torch.
            ef = exponent.fn
            return self.folded(lambda x: torch.pow(bf(x), ef(x)), True, False)
        p = exponent.const
        if not abs(p) <= MAX_EXPONENT:
            raise _fail(
                f"Exponent {self.snippet(node.right)} is too large (|exponent| at most {MAX_EXPONENT:g})",
                self.pos(node.right),
            )
        pwl = base.pwl and p in (0.0, 1.0)
        return self.folded(lambda x: torch.pow(bf(x), p), base.uses_x, pwl)

    # -- conditions ---------------------------------------------------------------------------------------

    def compare(self, node: ast.Compare) -> _Expr:
        nodes = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if type(op) not in _COMPARE:
                symbol = _OP_SYMBOLS.get(type(op), "?")
                gap = (self.end(nodes[i]), self.pos(nodes[i + 1]))
                op_pos = self.find(symbol.split()[0], *gap, self.pos(node))
                raise _fail(f"Comparison {symbol!r} is not allowed; use <, <=, > or >=", op_pos)
        operands = [self.value(n) for n in nodes]
        parts: list[_Fn] = []
        for i, op in enumerate(node.ops):
            compare_op = _COMPARE[type(op)]
            lf, rf = operands[i].fn, operands[i + 1].fn
            parts.append(lambda x, lf=lf, rf=rf, op=compare_op: op(lf(x), rf(x)))
        # A chain a < b < c means (a < b) & (b < c), as in Python and in maths.
        fn = parts[0]
        for part in parts[1:]:
            fn = (lambda f, g: lambda x: torch.logical_and(f(x), g(x)))(fn, part)
        uses_x = any(o.uses_x for o in operands)
        return _Expr(fn, uses_x, all(o.pwl for o in operands), is_cond=True)

    def condition(self, node: ast.AST) -> _Expr:
        if not isinstance(node, ast.Compare | ast.BoolOp) and not (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr)
        ):
            raise _fail(
                f"The condition of where must be a comparison such as x > 0, not {self.snippet(node)!r}",
                self.pos(node),
            )
        return self.node(node)

    def logical(self, operands: list[ast.expr], op: Callable[..., torch.Tensor]) -> _Expr:
        parts = [self.condition(o) for o in operands]
        fn = parts[0].fn
        for part in parts[1:]:
            fn = (lambda f, g: lambda x: op(f(x), g(x)))(fn, part.fn)
        return _Expr(fn, any(p.uses_x for p in parts), all(p.pwl for p in parts), is_cond=True)

    def boolop(self, node: ast.BoolOp) -> _Expr:
        op = torch.logical_and if isinstance(node.op, ast.And) else torch.logical_or
        return self.logical(node.values, op)

    # -- calls --------------------------------------------------------------------------------------------

    def call(self, node: ast.Call) -> _Expr:
        func = node.func
        if type(func) in _FORBIDDEN:  # e.g. torch.relu(x): report the attribute, not the call
            raise self.forbidden(func)
        if not isinstance(func, ast.Name):
            paren = self.find("(", self.end(func), self.end(node), self.pos(node))
            raise _fail("Only named functions can be called, e.g. relu(x)", paren)
        name = func.id
        if name not in FUNCTIONS:
            if name in NAMES:
                raise _fail(f"{name!r} is not a function (write {name}*(...) to multiply)", self.pos(func))
            pos = self.pos(func)
            message = f"Unknown function {name!r} at position {pos}. Allowed: {_ALLOWED_FUNCTIONS}."
            raise FormulaError(message, pos)
        if node.keywords:
            kw = node.keywords[0]
            label = f"'{kw.arg}='" if kw.arg else "'**'"
            message = f"Keyword arguments ({label}) are not allowed; pass arguments by position"
            raise _fail(message, self.pos(kw))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _fail("Starred arguments are not allowed", self.pos(arg))
        info = FUNCTIONS[name]
        if len(node.args) not in info.arities:
            expected = " or ".join(str(a) for a in info.arities)
            raise _fail(
                f"{name} takes {expected} argument{'s' if info.arities != (1,) else ''} "
                f"({info.signature}), got {len(node.args)}",
                self.pos(node),
            )
        if name == "where":
            return self.where(node)
        args = [self.value(a) for a in node.args]
        uses_x = any(a.uses_x for a in args)
        pwl = info.piecewise_linear and all(a.pwl for a in args)
        if name in _UNARY_TORCH:
            unary, af = _UNARY_TORCH[name], args[0].fn
            return self.folded(lambda x: unary(af(x)), uses_x, pwl)
        if name in ("max", "min"):
            binary = torch.maximum if name == "max" else torch.minimum
            af, bf = args[0].fn, args[1].fn
            return self.folded(lambda x: binary(af(x), bf(x)), uses_x, pwl)
        if name == "clamp":
            return self.clamp(args, pwl)
        if name == "leaky_relu":
            return self.leaky_relu(node, args, pwl)
        raise FormulaError(f"Function {name!r} has no implementation", self.pos(func))  # table/impl mismatch

    def where(self, node: ast.Call) -> _Expr:
        cond = self.condition(node.args[0])
        a, b = self.value(node.args[1]), self.value(node.args[2])
        cf, af, bf = cond.fn, a.fn, b.fn
        pwl = cond.pwl and a.pwl and b.pwl
        uses_x = cond.uses_x or a.uses_x or b.uses_x
        return self.folded(lambda x: torch.where(cf(x), af(x), bf(x)), uses_x, pwl)

    def clamp(self, args: list[_Expr], pwl: bool) -> _Expr:
        af = args[0].fn
        bounds = args[1:]
        uses_x = any(a.uses_x for a in args)
        if all(b.const is not None for b in bounds):
            # Constant bounds go in as Python floats: torch's scalar clamp, gradient 1 on [lo, hi].
            lo = bounds[0].const
            hi = bounds[1].const if len(bounds) == 2 else None
            return self.folded(lambda x: torch.clamp(af(x), min=lo, max=hi), uses_x, pwl)
        # torch.clamp refuses a tensor bound next to a scalar one, so every bound becomes a tensor.
        lof = bounds[0].fn
        if len(bounds) == 1:
            return self.folded(lambda x: torch.clamp(af(x), min=lof(x)), uses_x, pwl)
        hif = bounds[1].fn
        return self.folded(lambda x: torch.clamp(af(x), min=lof(x), max=hif(x)), uses_x, pwl)

    def leaky_relu(self, node: ast.Call, args: list[_Expr], pwl: bool) -> _Expr:
        slope = 0.01
        if len(args) == 2:
            if args[1].const is None:
                raise _fail("The slope of leaky_relu must be a constant", self.pos(node.args[1]))
            slope = args[1].const
        af = args[0].fn
        return self.folded(lambda x: F.leaky_relu(af(x), slope), args[0].uses_x, pwl)


def _compile(text: Any) -> _Expr:
    return _compile_tree(text)[0]


def _compile_tree(text: Any) -> tuple[_Expr, ast.expr]:
    _scan(text)
    body, lead = _syntax_tree(text)
    _check_size(body, lead)
    return _Compiler(text, lead).value(body), body


def normal_form(text: str) -> str:
    """The formula as the parser read it, written back from its checked syntax tree: one space around
    binary operators and after commas, only the brackets the grouping needs, numbers as Python
    spells them (``max(0,x)+.1*sin( x )`` -> ``max(0, x) + 0.1 * sin(x)``). Only whitelisted nodes
    reach the writer, so the result is made of names, numbers, brackets and operators; it parses to the
    same function. Invalid text raises ``FormulaError``.
    """
    return ast.unparse(_compile_tree(text)[1])


class Formula:
    """A parsed formula: call it on a tensor t to get f(t) elementwise, differentiable by autograd.

    Integer or bool inputs are converted to torch's default float dtype; the output has the input's
    shape even when f does not involve x (its gradient is then 0, still attached to the graph).
    """

    def __init__(self, text: str, expr: _Expr, normal: str | None = None) -> None:
        self.text = text
        self.normal = text if normal is None else normal  # see normal_form
        self._fn = expr.fn
        self.piecewise_linear = expr.pwl

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_floating_point():
            x = x.to(torch.get_default_dtype())
        out = self._fn(x)
        if out.shape != x.shape or (x.requires_grad and not out.requires_grad):
            # where(True, out, x) broadcasts a constant to x's shape and links it to x with gradient 0,
            # so autograd.grad on e.g. 'step(x)' or '2' gives zeros instead of an error.
            out = torch.where(torch.ones_like(x, dtype=torch.bool), out, x)
        return out

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


def parse(text: str) -> Formula:
    """Parse ``text`` (a formula in x) into a callable t ↦ f(t) built from torch ops.

    The callable is elementwise, broadcasts constants, keeps the input dtype (float32 or float64) and
    supports autograd. Any problem with the text raises ``FormulaError`` (a ``ValueError``) whose
    ``position`` is the 0-based offset of the offending character; nothing in the text is executed.
    """
    try:
        expr, body = _compile_tree(text)
        formula = Formula(text, expr, ast.unparse(body))
        # A forward and backward pass on a few float64 points (bounded: at most MAX_NODES ops) turns any
        # op combination torch would refuse into a FormulaError now, rather than mid-training. Callers
        # may be inside no_grad or inference_mode, so grad is switched on explicitly for the probe.
        with torch.inference_mode(False), torch.enable_grad():
            probe = torch.linspace(-2.0, 2.0, 5, dtype=torch.float64, requires_grad=True)
            formula(probe).sum().backward()
    except FormulaError:
        raise
    except Exception as exc:  # the promise is "FormulaError or a callable", whatever the input
        message = f"Could not build the formula (internal error: {type(exc).__name__}: {exc})"
        raise FormulaError(message, 0) from exc
    return formula


def is_piecewise_linear(text: str) -> bool:
    """True when f is syntactically piecewise linear: f is affine on each piece of a finite partition.

    Conservative: built only from x, constants, +, -, multiplication by a constant, division by a
    constant, relu, abs, max, min, clamp, leaky_relu, sign, step and where with comparisons of such
    expressions (sub-formulas free of x count as constants). ``x*x`` or ``sin(x)`` make it False even
    where the result happens to be linear. Invalid text raises ``FormulaError``.
    """
    return _compile(text).pwl


class FormulaActivation(torch.nn.Module):
    """An activation layer applying a typed formula f elementwise; rebuilt from ``.text`` when copied.

    The parsed closure is not picklable, so pickling, ``copy.deepcopy`` and ``torch.save`` store only the
    text and re-parse it on load.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self._formula = parse(text)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """f(x), elementwise."""
        return self._formula(x)

    def extra_repr(self) -> str:
        return repr(self.text)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_formula", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._formula = parse(self.text)


def module(text: str) -> FormulaActivation:
    """An ``nn.Module`` computing the formula f(x) elementwise (see ``parse``)."""
    return FormulaActivation(text)


def describe_functions() -> str:
    """Plain-text help for the formula box: one line per function with its torch op and kink convention."""
    lines = [
        "Write one expression in x. Names: x, pi, e. Operators: + - * / ** and unary -.",
        f"Numbers up to {MAX_LITERAL:g} in size; constant exponents up to {MAX_EXPONENT:g}; "
        f"at most {MAX_CHARS} characters.",
        "Comparisons < <= > >= (also 0 < x < 1, &, |, and, or) only as the condition of where(cond, a, b).",
        "Functions:",
    ]
    lines += [f"  {f.maps_to}: {f.note}" for f in FUNCTIONS.values()]
    return "\n".join(lines)
