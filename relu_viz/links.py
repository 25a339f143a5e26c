"""Links into the app: a page and the URL query parameters that open it with preset settings.

The pages' widgets are bound to the URL, and a bound widget reads its value *as displayed*, so every value
in a link is the text the target widget shows (``LeakyReLU`` on the dead-neurons page, ``leaky_relu`` on
the trainer). :data:`PAGE_KEYS` lists the query keys each page reads; the tests check it against the page
sources and open every link of the lessons and claims.

This module never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

PageName = Literal["activations", "trainer", "dead_neurons", "fit"]

PAGE_FILES: MappingProxyType[str, str] = MappingProxyType(
    {
        "activations": "pages/activations.py",
        "trainer": "pages/trainer.py",
        "dead_neurons": "pages/dead_neurons.py",
        "fit": "pages/fit.py",
    }
)

# The URL query keys each page reads (its widgets bound to the URL).
_TRAINER_KEYS = [
    "ds",
    "k",
    "n",
    "noise",
    "share",
    "seed",
    "test",
    "layers",
    "act",
    "perlayer",
    "feats",
    "init",
    "bias_on",
    "bias",
    "lr",
    "speed",
    "opt",
    "loss",
    "batch",
    "reg",
    "rr",
    "limit",
    "view",
]
PAGE_KEYS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "activations": frozenset(["fn", "xr", "d2", "tab", "formula", "cmp", "depth", "init", "vg"]),
        "trainer": frozenset(
            [*_TRAINER_KEYS, *(f"w{i}" for i in range(1, 7)), *(f"a{i}" for i in range(1, 7))]
        ),
        "dead_neurons": frozenset(
            [
                "dn_lr",
                "dn_bias",
                "dn_act",
                "dn_depth",
                "dn_width",
                "dn_init",
                "dn_opt",
                "dn_batch",
                "dn_ds",
                "dn_seed",
            ]
        ),
        "fit": frozenset(
            [
                "f_target",
                "f_formula",
                "f_n",
                "f_noise",
                "f_seed",
                "f_layers",
                *(f"f_w{i}" for i in range(1, 5)),
                "f_act",
                "f_init",
                "f_lr",
                "f_opt",
                "f_batch",
                "f_speed",
            ]
        ),
    }
)

QueryValue = str | tuple[str, ...]


@dataclass(frozen=True)
class Link:
    """A page of the app opened with preset settings: ``query`` maps URL keys to displayed values.

    A tuple value is a repeated parameter (a multiselect or a range slider).
    """

    page: PageName
    query: MappingProxyType[str, QueryValue] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def path(self) -> str:
        """The page's script path, as ``st.page_link`` takes it."""
        return PAGE_FILES[self.page]

    def query_params(self) -> dict[str, str | list[str]]:
        """The query as ``st.page_link(query_params=...)`` takes it (lists for repeated keys)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.query.items()}


def link(page: PageName, **query: QueryValue) -> Link:
    """A :class:`Link` to ``page`` with ``query`` (keyword arguments are the URL keys)."""
    return Link(page, MappingProxyType(dict(query)))
