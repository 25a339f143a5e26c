"""Classroom lessons and claims-versus-evidence, as plain data.

Each lesson and each claim carries one :class:`Link`: a page of the app and the URL query parameters that
open it with the right settings. The pages' widgets are bound to the URL, and a bound widget reads its
value *as displayed*, so every value here is the text the target widget shows (``LeakyReLU`` on the
dead-neurons page, ``leaky_relu`` on the trainer). :data:`PAGE_KEYS` lists the query keys each page reads;
the tests check it against the page sources and open every link.

This module never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

PageName = Literal["activations", "trainer", "dead_neurons"]
Verdict = Literal["holds", "fails", "depends"]

PAGE_FILES: MappingProxyType[str, str] = MappingProxyType(
    {
        "activations": "pages/activations.py",
        "trainer": "pages/trainer.py",
        "dead_neurons": "pages/dead_neurons.py",
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


@dataclass(frozen=True)
class Lesson:
    """One classroom lesson: what to look at, what to try next, the question for the class, and a link."""

    id: str
    title: str
    look: str
    try_next: str
    question: str
    link: Link

    @property
    def page(self) -> PageName:
        """The page the lesson's link opens."""
        return self.link.page


@dataclass(frozen=True)
class Claim:
    """A popular claim about ReLU, its verdict, a short explanation and a live demonstration."""

    id: str
    claim: str
    verdict: Verdict
    explanation: str
    link: Link
    evidence: str  # what the link shows, in one line


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "what_relu_computes",
        "What ReLU computes",
        "ReLU keeps a positive input and replaces a negative one with 0: f(x) = max(0, x). Read the curve at "
        "-5, -2, 0, 3 and 6: the outputs are 0, 0, 0, 3 and 6. The derivative is 0 on the left and 1 on "
        "the right.",
        "Switch the function to LeakyReLU and move its slope slider: the left half tilts.",
        "ReLU has no upper limit: what does that mean for a unit whose input keeps growing?",
        link("activations", fn="relu", tab="Overlay", cmp=("relu",)),
    ),
    Lesson(
        "derivative_at_zero",
        "The derivative at 0",
        "ReLU has a kink at 0, where the derivative is not defined. Autograd must still return a number: "
        "torch's relu gives 0. This formula, clamp(x, 0), is the same function, yet autograd gives 1 at 0.",
        "Type max(0, x) (gradient split 0.5/0.5) and where(x > 0, x, 0) (gives 0) and read the kink table.",
        "The three formulas draw the same curve. Why can their gradients at 0 differ, and does it matter?",
        link("activations", fn="custom", tab="Custom formula", formula="clamp(x, 0)"),
    ),
    Lesson(
        "vanishing_gradients",
        "Vanishing gradients through depth",
        "The chart shows the gradient reaching the first layer relative to the last, as depth grows. "
        "sigmoid' is at most 0.25, so each sigmoid layer shrinks the signal; ReLU's slope is 1 where active.",
        "Add tanh, then change the initialisation from auto to default and watch ReLU's line move.",
        "At 20 layers, how many times smaller is the sigmoid network's first-layer gradient?",
        link("activations", fn="sigmoid", tab="Vanishing gradients", vg=("sigmoid", "relu"), depth="20"),
    ),
    Lesson(
        "linear_or_not",
        "Linear or non-linear",
        "A network with identity activations is one linear map, however many layers: its decision boundary "
        "is a straight line and XOR stays unsolved. Press Play and watch the loss stall.",
        "Change the activation to relu and press Play again: the plane bends into pieces.",
        "Why does stacking linear layers never give more than one straight line?",
        link("trainer", ds="xor", layers="2", w1="8", w2="8", act="identity", view="outlines"),
    ),
    Lesson(
        "counting_pieces",
        "Counting the pieces",
        "Each colour is one linear region: on it the network is a single affine map. The count is exact, "
        "computed by splitting the plane neuron by neuron.",
        "Change the width of layer 1 and the number of layers; compare the count with 1 + n + n(n-1)/2 for "
        "one layer of n units.",
        "Does doubling the depth double the number of regions, or square it, or neither?",
        link("trainer", ds="spiral", layers="2", w1="16", w2="16", act="relu", init="he", view="regions"),
    ),
    Lesson(
        "sparsity",
        "Sparsity: exact zeros",
        "A ReLU unit outputs exactly 0 on every input where its pre-activation is negative. The monitor "
        "shows, per unit, the share of training inputs on which it is active; the rest are exact zeros.",
        "Compare with the variant beside it (LeakyReLU here): its outputs are small but never exactly 0.",
        "About what share of a ReLU layer's outputs is zero at initialisation, and why about that share?",
        link("dead_neurons", dn_width="16", dn_depth="2", dn_act="LeakyReLU"),
    ),
    Lesson(
        "dying_high_lr",
        "Dying ReLU: a high learning rate",
        "At learning rate 3 a few large updates push many units' biases and weights so that their input is "
        "negative everywhere: they die, and a dead unit gets no gradient to recover.",
        "Press Play, then lower the learning rate to 0.03 and reset: count the dead units again.",
        "Once a unit is dead, can gradient descent alone ever bring it back?",
        link("dead_neurons", dn_lr="3"),
    ),
    Lesson(
        "born_dead",
        "Dying ReLU: a negative bias (born dead)",
        "With every hidden bias at -3, most first-layer units are negative on every input before training "
        "starts: they are born dead.",
        "Move the bias slider back to 0, and then try deeper, narrower networks (width 2, 6 layers).",
        "Why does a deep, narrow ReLU network die more easily than a wide, shallow one?",
        link("dead_neurons", dn_bias="-3"),
    ),
    Lesson(
        "leaky_and_elu",
        "Leaky ReLU and ELU to the rescue",
        "The same high learning rate, with LeakyReLU trained beside ReLU: the leaky units keep a small "
        "slope for negative inputs, so gradient still flows and they do not die.",
        "Switch the variant to ELU, then to Sigmoid: which ones keep units alive, and at what cost?",
        "If leaky units never die, why is plain ReLU still the default?",
        link("dead_neurons", dn_lr="3", dn_act="LeakyReLU"),
    ),
    Lesson(
        "zero_init",
        "Zero initialisation and symmetry",
        "With all weights zero, every hidden unit computes the same thing and gets the same gradient, so "
        "they stay identical forever. Look at the unit thumbnails: all the same.",
        "Change the initialisation to he and train again: the units differ from the first step.",
        "Why is a random start needed even though the loss is the same for any ordering of the units?",
        link("trainer", ds="circle", layers="1", w1="8", act="relu", init="zeros"),
    ),
    Lesson(
        "init_schemes",
        "He versus Xavier versus PyTorch's default",
        "The gradient ratio through depth for ReLU under PyTorch's default init (kaiming_uniform with "
        "a=sqrt(5)), which is not He init: the signal shrinks layer by layer.",
        "Switch the initialisation to he, then xavier: He keeps ReLU's signal about level with depth.",
        "Why does ReLU want weights about sqrt(2) times larger than tanh does?",
        link("activations", fn="relu", tab="Vanishing gradients", vg=("relu",), init="default"),
    ),
    Lesson(
        "loss_functions",
        "Cross-entropy versus squared error",
        "The same data and network, trained with squared error on the probabilities. Watch how fast the "
        "loss falls and how sharp the boundary gets.",
        "Switch the loss to cross_entropy, reset and train again with the same seed.",
        "When the network is confidently wrong, which loss pushes back harder, and why?",
        link("trainer", ds="spiral", layers="2", w1="8", w2="8", act="relu", loss="squared_error"),
    ),
)

CLAIMS: tuple[Claim, ...] = (
    Claim(
        "no_vanishing",
        "ReLU does not suffer from vanishing gradients",
        "depends",
        "Where a ReLU unit is active its slope is 1, so the gradient does not shrink layer by layer as it "
        "does through sigmoid. But a dead unit passes no gradient at all, and a high learning rate can kill "
        "most of a layer.",
        link("dead_neurons", dn_lr="3"),
        "Dead-neurons monitor at learning rate 3: watch the dead count rise (live).",
    ),
    Claim(
        "dead_negative",
        "Dead ReLU units output negative values",
        "fails",
        "A dead ReLU unit outputs exactly 0 on every input: its pre-activation is negative, and ReLU maps "
        "every negative number to 0. That is why it passes no gradient.",
        link("dead_neurons", dn_bias="-3"),
        "Born-dead units with bias -3: their outputs are exactly zero (live).",
    ),
    Claim(
        "max_at_one",
        "ReLU reaches its maximum value at x = 1",
        "fails",
        "ReLU is unbounded above: f(x) = x for every positive x, so there is no maximum. Bounded relatives "
        "exist (ReLU6 stops at 6, Hardtanh at 1), but they are different functions.",
        link("activations", fn="relu", tab="Overlay", cmp=("relu", "relu6", "hardtanh")),
        "ReLU, ReLU6 and Hardtanh overlaid (live).",
    ),
    Claim(
        "relu_linear",
        "ReLU is linear",
        "fails",
        "ReLU is piecewise linear: two straight pieces joined at 0. In a network the pieces combine, and "
        "the plane is carved into many convex regions, each with its own linear rule; that is what lets a "
        "ReLU network solve XOR.",
        link("trainer", ds="xor", layers="1", w1="4", act="relu", view="regions"),
        "A one-layer ReLU network on XOR, its linear regions in colour (live).",
    ),
    Claim(
        "zero_init",
        "Initialising all weights to zero is a good start",
        "fails",
        "With zero weights every hidden unit computes the same output and receives the same update, so the "
        "units stay identical and the layer acts like a single unit. Random initialisation breaks the "
        "symmetry.",
        link("trainer", ds="circle", layers="1", w1="8", act="relu", init="zeros"),
        "The trainer with all-zero init: identical unit thumbnails (live).",
    ),
    Claim(
        "derivative_choice",
        "The derivative at 0 has to be chosen as 0 or 1",
        "holds",
        "The derivative is undefined at the kink, so software picks a value: torch's relu takes 0. How the "
        "formula is written changes the choice: clamp(x, 0) takes 1, and max(0, x) splits the gradient, "
        "giving 0.5.",
        link("activations", fn="custom", tab="Custom formula", formula="max(0, x)"),
        "The custom-formula box: autograd's value at the kink for max(0, x) (live).",
    ),
    Claim(
        "trains_faster",
        "ReLU networks train faster than sigmoid networks",
        "depends",
        "In deep networks ReLU usually reaches a target loss in fewer epochs, because its gradient does not "
        "shrink through the layers. In a shallow network on easy data the difference can be small, and a "
        "badly initialised or dead ReLU network can be slower.",
        link("trainer", ds="spiral", layers="3", w1="8", w2="8", w3="8", act="sigmoid", limit="500"),
        "Measured below on request; or train sigmoid here for 500 epochs, then relu, and compare the curves.",
    ),
    Claim(
        "sparse_cheaper",
        "Sparse activations make ReLU networks cheaper",
        "depends",
        "ReLU itself is cheap to compute, and many of its outputs are exact zeros. But dense hardware and "
        "libraries multiply the zeros anyway, so sparsity saves time only with sparse kernels.",
        link("activations", fn="relu", tab="Cost"),
        "Measured below on request; the per-activation cost is on the Cost tab.",
    ),
    Claim(
        "unbounded_unstable",
        "ReLU's unbounded output can make training unstable",
        "holds",
        "Nothing caps a ReLU-like unit's output, so at a high learning rate activations and loss can grow "
        "without limit: with Leaky ReLU at learning rate 3 the loss turns infinite within one epoch and the "
        "trainer stops with the last good weights. Plain ReLU at the same rate mostly kills units instead "
        "(their zeros stop the blow-up); a rate of 0.3 keeps both stable.",
        link("trainer", ds="spiral", layers="2", w1="8", w2="8", act="leaky_relu", lr="3"),
        "The trainer with Leaky ReLU at learning rate 3: press Play, watch it diverge, then lower the rate "
        "(live).",
    ),
)


def lesson(lesson_id: str) -> Lesson:
    """The lesson with this id; ``KeyError`` if none."""
    for item in LESSONS:
        if item.id == lesson_id:
            return item
    raise KeyError(lesson_id)


def all_links() -> list[tuple[str, Link]]:
    """Every lesson and claim link, each with an id (``lesson:<id>`` or ``claim:<id>``)."""
    return [(f"lesson:{x.id}", x.link) for x in LESSONS] + [(f"claim:{c.id}", c.link) for c in CLAIMS]
