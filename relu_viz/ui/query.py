"""Every URL query parameter checked before any widget reads it.

Widgets bound to the URL (``bind="query-params"``) seed themselves from the link. Streamlit 1.67 drops
most values it cannot use, silently, but crashes on some: ``?seed=inf`` raises ``OverflowError`` inside
``number_input`` on every rerun while the parameter stays. So each page's keys are described here
(:data:`SPECS`: a range, a list of options, a flag, a text) and :func:`validate` runs first, from
``app.py`` and from each page's :func:`relu_viz.ui.entry.require_navigation`, before any widget exists:

- a number that is not finite or not a number at all becomes the widget's default;
- a number out of range (or off the widget's step) becomes the nearest allowed value;
- an unknown option becomes the default (a numeric ladder such as the learning rate: the nearest rung);
- a text longer than the widget accepts, an empty value or a malformed flag becomes the default.

Each change rewrites the link in the address bar, is logged on the server and is told to the user in a
small toast. The specs mirror the widgets' own arguments; ``tests/app/test_query_params.py`` checks that
they agree with what each page draws.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from relu_viz import activations, datasets, formula, network
from relu_viz.training import LEARNING_RATES, OPTIMIZERS, REG_RATES
from relu_viz.ui.text import plain

_LOG = logging.getLogger(__name__)

SHOWN_CHARS = 24  # how much of a rejected value a notice quotes (a link may carry kilobytes)
MAX_TOASTS = 3

Raw = str | list[str]


@dataclass(frozen=True)
class Fix:
    """What to do with a bad value: ``value`` None removes the parameter (the widget's default)."""

    value: Raw | None
    reason: str
    replacement: str  # how the new value reads in the notice


def _shown(raw: Raw) -> str:
    text = ",".join(raw) if isinstance(raw, list) else raw
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _last(raw: Raw) -> str:
    return raw[-1] if isinstance(raw, list) and raw else raw if isinstance(raw, str) else ""


def _number(text: str) -> float | None:
    """The value of a decimal number, or None (also for inf, nan and what overflows to them)."""
    text = text.strip()
    if not text or len(text) > 64:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _format(value: float, integer: bool) -> str:
    if integer:
        return str(int(value))
    text = f"{value:.10g}"
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class Number:
    """A slider or number input: [lo, hi] with ``step`` (grid from lo), ``default`` when unusable."""

    lo: float
    hi: float
    default: float
    step: float | None = None
    integer: bool = False

    def describe(self) -> str:
        return f"{_format(self.lo, self.integer)} to {_format(self.hi, self.integer)}"

    def check(self, raw: Raw) -> Fix | None:
        text = _last(raw)
        value = _number(text)
        default = _format(self.default, self.integer)
        if value is None:
            why = "empty" if not text.strip() else f"not a number from {self.describe()}"
            return Fix(None, why, default)
        fixed = self.nearest(value)
        new = _format(fixed, self.integer)
        if not self.lo <= value <= self.hi:
            return Fix(new, f"outside {self.describe()}", new)
        if not math.isclose(fixed, value, rel_tol=1e-9, abs_tol=1e-9):
            return Fix(new, "between the allowed steps", new)
        if isinstance(raw, list) and len(raw) > 1:
            return Fix(new, "given more than once", new)
        if self.integer and text.strip() != new:
            return Fix(new, "not written as a whole number", new)
        return None

    def nearest(self, value: float) -> float:
        value = min(max(value, self.lo), self.hi)
        if self.step:
            k = round((value - self.lo) / self.step)
            value = min(max(self.lo + k * self.step, self.lo), self.hi)
            value = float(f"{value:.12g}")
        if self.integer:
            value = float(round(value))
        return value


@dataclass(frozen=True)
class Range:
    """A range slider: two values in [lo, hi] on a grid of ``step``."""

    lo: float
    hi: float
    default: tuple[float, float]
    step: float

    def check(self, raw: Raw) -> Fix | None:
        parts = raw if isinstance(raw, list) else [raw]
        values = [_number(p) for p in parts]
        inner = Number(self.lo, self.hi, self.lo, self.step)
        default = f"{_format(self.default[0], False)} to {_format(self.default[1], False)}"
        if len(values) != 2 or None in values:
            return Fix(
                None, f"not two numbers from {_format(self.lo, False)} to {_format(self.hi, False)}", default
            )
        fixed = sorted(inner.nearest(v) for v in values if v is not None)
        if fixed == values:
            return None
        new = [_format(v, False) for v in fixed]
        return Fix(new, "outside the range or out of order", f"{new[0]} to {new[1]}")


@dataclass(frozen=True)
class Choice:
    """A selectbox, radio or segmented control: one of ``options`` as the widget displays them.

    ``values`` (same length) makes it a numeric ladder (a select slider): a number that is not a rung
    becomes the nearest rung, on a log scale when every rung is positive.
    """

    options: tuple[str, ...]
    default: str
    values: tuple[float, ...] | None = None

    def check(self, raw: Raw) -> Fix | None:
        text = _last(raw)
        if text in self.options:
            if isinstance(raw, list) and len(raw) > 1:
                return Fix(text, "given more than once", text)
            return None
        folded = {o.casefold(): o for o in self.options}
        if text.casefold() in folded:
            new = folded[text.casefold()]
            return Fix(new, "spelled differently", new)
        number = _number(text) if self.values else None
        if number is not None and self.values:
            rung = min(range(len(self.values)), key=lambda i: self._distance(self.values[i], number))
            new = self.options[rung]
            return Fix(new, "not one of the choices", new)
        why = "empty" if not text.strip() else "not one of the choices"
        return Fix(None, why, self.default)

    def _distance(self, rung: float, value: float) -> float:
        if self.values and min(self.values) > 0 and value > 0:
            return abs(math.log(rung) - math.log(value))
        return abs(rung - value)


@dataclass(frozen=True)
class Many:
    """A multiselect: any distinct subset of ``options`` (empty: nothing chosen)."""

    options: tuple[str, ...]

    def check(self, raw: Raw) -> Fix | None:
        parts = [p for p in (raw if isinstance(raw, list) else [raw]) if p != ""]
        kept = list(dict.fromkeys(p for p in parts if p in self.options))
        if kept == parts:
            return None
        if not kept:
            return Fix(None, "not among the choices", "the default")
        return Fix(kept, "partly not among the choices (or repeated)", ", ".join(kept))


@dataclass(frozen=True)
class Flag:
    """A toggle or checkbox: true or false."""

    default: bool = False

    def check(self, raw: Raw) -> Fix | None:
        text = _last(raw)
        if text.lower() in ("true", "false"):
            if (isinstance(raw, list) and len(raw) > 1) or text != text.lower():
                return Fix(text.lower(), "written unusually", text.lower())
            return None
        return Fix(None, "not true or false", str(self.default).lower())


@dataclass(frozen=True)
class Text:
    """A text input of at most ``max_chars`` characters on one line."""

    max_chars: int

    def check(self, raw: Raw) -> Fix | None:
        text = _last(raw)
        if len(text) > self.max_chars:
            return Fix(None, f"longer than {self.max_chars} characters", "the default")
        if any(ch in text for ch in "\r\n\x00"):
            return Fix(None, "not one line of text", "the default")
        if isinstance(raw, list) and len(raw) > 1:
            return Fix(text, "given more than once", "the last one")
        return None


Spec = Number | Range | Choice | Many | Flag | Text


def _g(value: float) -> str:
    return f"{value:g}"


def _ladder(values: Sequence[float], fmt: Callable[[float], str], default: float) -> Choice:
    return Choice(tuple(fmt(v) for v in values), fmt(default), tuple(float(v) for v in values))


# -- the pages' keys ---------------------------------------------------------------------------------------


def _trainer() -> dict[str, Spec]:
    from relu_viz.ui import trainer_controls as tc
    from relu_viz.ui import trainer_views as tv

    specs: dict[str, Spec] = {
        "ds": Choice((*datasets.names(), tc.CUSTOM_DATA), "spiral"),
        "k": Number(3, 5, 3, 1, integer=True),
        "n": Number(50, 2000, 500, 50, integer=True),
        "noise": Number(0, 50, 0, 5, integer=True),
        "share": Number(10, 90, 50, 10, integer=True),
        "seed": Number(0, tc.MAX_SEED, 0, 1, integer=True),
        "test": Flag(),
        "layers": Number(0, tc.MAX_LAYERS, 2, 1, integer=True),
        "perlayer": Flag(),
        "feats": Many(tuple(network.FEATURES)),
        "init": Choice(tuple(network.INIT_SCHEMES), list(network.INIT_SCHEMES)[1]),
        "bias_on": Flag(),
        "bias": Number(-5.0, 2.0, 0.0, 0.1),
        "lr": _ladder(LEARNING_RATES, tc.format_rate, 0.03),
        "speed": _ladder(tc.SPEEDS, tc.format_speed, 0),
        "opt": Choice(tuple(tc.OPTIMIZER_KEYS), tc.OPTIMIZER_KEYS[0]),
        "loss": Choice(tuple(tc.LOSSES), tc.LOSSES[0]),
        "batch": _ladder(tc.BATCH_SIZES, tc.format_batch, 10),
        "reg": Choice(tuple(tc.REGULARIZERS), tc.REGULARIZERS[0]),
        "rr": _ladder(REG_RATES, tc.format_rate, REG_RATES[0]),
        "limit": _ladder(tc.EPOCH_LIMITS, tc.format_limit, 0),
        "view": Choice(tuple(tv.VIEW_MODES), "outlines"),
    }
    options = tuple(tc.activation_options())
    specs["act"] = Choice(options, "relu")
    for i in range(1, tc.MAX_LAYERS + 1):
        specs[f"w{i}"] = Number(1, tc.MAX_WIDTH, 8, 1, integer=True)
        specs[f"a{i}"] = Choice(options, "the activation chosen above")
    return specs


def _activations() -> dict[str, Spec]:
    from relu_viz.network import INIT_SCHEMES
    from relu_viz.ui import activation_views as av

    keys = tuple(av.KEYS)
    specs: dict[str, Spec] = {
        "fn": Choice((*keys, av.CUSTOM), keys[0]),
        "xr": Range(-10.0, 10.0, av.FULL_RANGE, 0.5),
        "d2": Flag(),
        "tab": Choice(av.TABS, av.TABS[0]),
        "formula": Text(formula.MAX_CHARS),
        "cmp": Many((*keys, av.CUSTOM)),
        "depth": Number(1, av.MAX_DEPTH, av.MAX_DEPTH, 1, integer=True),
        "init": Choice((av.AUTO_INIT, *INIT_SCHEMES), av.AUTO_INIT),
        "vg": Many(keys),
    }
    for key in keys:
        for p in activations.get(key).params:
            specs[av.param_key(key, p.name)] = Number(
                float(p.min), float(p.max), float(p.default), float(p.step)
            )
    return specs


def _dead_neurons() -> dict[str, Spec]:
    # The page's widgets live in dead_neurons_views (its owners' file); these mirror them, and the
    # agreement test opens the page to compare.
    from relu_viz import dead_neurons as dn
    from relu_viz.ui import dead_neurons_views as dv

    variants = [k for k in activations.names() if k != dn.RELU]
    low, high = dn.BIAS_RANGE
    return {
        "dn_lr": _ladder(LEARNING_RATES, _g, 0.03),
        "dn_bias": Number(float(low), float(high), 0.0, 0.1),
        "dn_act": Choice(
            tuple(activations.get(k).name for k in variants), activations.get(dn.DEFAULT_VARIANT).name
        ),
        "dn_depth": Number(1, dv.MAX_DEPTH, 3, 1, integer=True),
        "dn_width": Number(1, dv.MAX_WIDTH, 8, 1, integer=True),
        "dn_init": Choice(tuple(network.INIT_SCHEMES.values()), network.INIT_SCHEMES["he"]),
        "dn_opt": Choice(tuple(OPTIMIZERS.values()), next(iter(OPTIMIZERS.values()))),
        "dn_batch": _ladder(dv.BATCH_SIZES, lambda b: "all" if b == 0 else str(int(b)), 10),
        "dn_ds": Choice(tuple(datasets.names()), "circle"),
        "dn_seed": Number(0, 1_000_000, 0, 1, integer=True),
    }


def _fit() -> dict[str, Spec]:
    from relu_viz import fit
    from relu_viz.ui import fit_views as fv

    specs: dict[str, Spec] = {
        "f_target": Choice(fit.TARGET_KEYS, fit.TARGET_KEYS[0]),
        "f_formula": Text(formula.MAX_CHARS),
        "f_n": Number(10, 500, 100, 10, integer=True),
        "f_noise": Number(0, 50, 0, 5, integer=True),
        "f_seed": Number(0, fv.MAX_SEED, 0, 1, integer=True),
        "f_layers": Number(0, fit.MAX_HIDDEN_LAYERS, 1, 1, integer=True),
        "f_act": Choice(fit.ACTIVATIONS, fit.ACTIVATIONS[0]),
        "f_init": Choice(tuple(network.INIT_SCHEMES), "default"),
        "f_lr": _ladder(LEARNING_RATES, fv.format_rate, 0.03),
        "f_opt": Choice(tuple(fv.OPTIMIZER_KEYS), fv.OPTIMIZER_KEYS[0]),
        "f_batch": _ladder(fv.BATCH_SIZES, fv.format_batch, 10),
        "f_speed": _ladder(fv.SPEEDS, fv.format_speed, 20),
    }
    for i in range(1, fit.MAX_HIDDEN_LAYERS + 1):
        specs[f"f_w{i}"] = Number(1, fit.MAX_UNITS, 8, 1, integer=True)
    return specs


def _app() -> dict[str, Spec]:
    from relu_viz.ui import theme

    return {"present": Flag(), "hide": Many(tuple(theme.HIDEABLE))}


_BUILDERS: Mapping[str, Callable[[], dict[str, Spec]]] = MappingProxyType(
    {
        "app": _app,
        "trainer": _trainer,
        "activations": _activations,
        "dead_neurons": _dead_neurons,
        "fit": _fit,
    }
)


def specs(page: str) -> dict[str, Spec]:
    """The URL keys ``page`` reads and what each accepts ("app": the keys app.py's sidebar reads).

    Built on each call: the trainer's activation options include this session's typed formula.
    """
    builder = _BUILDERS.get(page)
    return builder() if builder else {}


# -- applying ----------------------------------------------------------------------------------------------


def check(page: str, query: Mapping[str, Raw]) -> dict[str, Fix]:
    """The fixes the values in ``query`` need on ``page`` (keys it does not read are left alone)."""
    fixes = {}
    for key, spec in specs(page).items():
        if key in query:
            fix = spec.check(query[key])
            if fix is not None:
                fixes[key] = fix
    return fixes


def notice(key: str, raw: Raw, fix: Fix) -> str:
    """The toast for one replaced value; the rejected value is quoted as plain text, cut short."""
    return plain(f"Link setting {key}={_shown(raw)} is {fix.reason}: using {fix.replacement}.")


def validate(page: str) -> dict[str, Fix]:
    """Check ``page``'s keys in the current URL and replace bad values before any widget reads them.

    A replaced value is rewritten in the browser's address bar and in the values widgets seed from,
    logged on the server, and shown in a toast. Returns the fixes made (empty when the link is fine).
    """
    ctx = get_script_run_ctx()
    if ctx is None:
        return {}
    with ctx.session_state.query_params() as qp:
        query = {key: qp.get_all(key) for key in qp}
        fixes = check(page, {k: v[0] if len(v) == 1 else v for k, v in query.items()})
        for key, fix in fixes.items():
            if fix.value is None:
                qp.remove_param(key)
            else:
                kind = "string_array_value" if isinstance(fix.value, list) else "string_value"
                qp.set_corrected_value(key, fix.value, kind)
        if fixes:
            # Widgets seed from the link as it was when the run started: make that the corrected one.
            qp.set_initial_query_params_from_current()
    notices = []
    for key, fix in fixes.items():
        raw = query[key][0] if len(query[key]) == 1 else query[key]
        _LOG.warning(
            "Link parameter %s=%.80r on %s: %s; replaced by %r", key, raw, page, fix.reason, fix.value
        )
        notices.append(notice(key, raw, fix))
    if len(notices) > MAX_TOASTS:  # one toast for a link full of bad values, not a column of them
        shown = "  \n".join(notices[: MAX_TOASTS - 1])
        notices = [f"{shown}  \n…and {len(notices) - MAX_TOASTS + 1} more link settings replaced."]
    for text in notices:
        st.toast(text, icon=":material/link:")
    return fixes
