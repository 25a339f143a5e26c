"""Classroom lessons as plain data: what to look at, what to try next, the question for the class, and
one :class:`~relu_viz.links.Link` that opens the right page with the right settings.

Every statement a lesson makes is measured by a test (``tests/unit/test_lesson_texts.py``) on the very
settings its link opens. This module never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

from relu_viz.claims import CLAIMS
from relu_viz.links import PAGE_FILES, PAGE_KEYS, Link, PageName, QueryValue, link

__all__ = [
    "LESSONS",
    "PAGE_FILES",
    "PAGE_KEYS",
    "Lesson",
    "Link",
    "QueryValue",
    "all_links",
    "lesson",
    "link",
]


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
        "Every hidden bias starts at -2 and the optimizer is Adam. Most of ReLU's units are dead from the "
        "start and its loss stays at 0.693 (chance); LeakyReLU's units never die, because their small slope "
        "for negative inputs still passes gradient, and its loss falls below 0.1 within a few hundred steps.",
        "Switch the optimizer to SGD and reset: LeakyReLU now stalls beside ReLU, its gradient a hundred "
        "times smaller per layer. Then switch the variant to ELU, still with SGD: it learns.",
        "If leaky units never die, why is plain ReLU still the default?",
        link("dead_neurons", dn_bias="-2", dn_opt="Adam", dn_act="LeakyReLU"),
    ),
    Lesson(
        "zero_init",
        "Zero initialisation and symmetry",
        "With all weights zero, every hidden unit computes the same thing and gets the same gradient, so "
        "they stay identical forever. Look at the network diagram: every unit's picture is the same grey, "
        "and each layer reads max diff 0.",
        "Change the initialisation to he: the units differ from the first step, and max diff is above 0.",
        "Why is a random start needed even though the loss is the same for any ordering of the units?",
        link("trainer", ds="circle", layers="1", w1="8", act="relu", init="zeros"),
    ),
    Lesson(
        "init_schemes",
        "He versus Xavier versus PyTorch's default",
        "The gradient ratio through depth for ReLU under PyTorch's default init (kaiming_uniform with "
        "a=sqrt(5)), which is not He init: the signal shrinks layer by layer.",
        "Switch the initialisation to he: at 20 layers the ratio stays within a factor of ten of one "
        "layer's, where the default loses a factor of millions. Then try xavier.",
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
    Lesson(
        "one_kink_per_unit",
        "4 units, 4 kinks at most",
        "With one hidden layer the fit is a sum of hinges, one per unit (the panel under the fit): hinge j "
        "is 0 on one side of its breakpoint -b/w and a straight line on the other. So the fit is straight "
        "between kinks (red triangles), and 4 units make at most 4 kinks. Press Play: |x| needs only one "
        "kink, and within 500 epochs the error falls below 0.001.",
        "Switch the target to sawtooth (5 corners) and press Play: 4 units can't bend 5 times, so within "
        "1,000 epochs the error stays above 0.05. Then give the layer 16 units: it falls below 0.02.",
        "How many hidden units does one ReLU layer need to follow a zigzag with 10 corners?",
        link("fit", f_target="abs", f_layers="1", f_w1="4"),
    ),
    Lesson(
        "depth_multiplies_kinks",
        "Depth multiplies kinks",
        "Two hidden layers of 16 units: a second-layer unit can bend once on every piece the first layer "
        "hands it, so the most kinks is 17 x 17 - 1 = 288, against 16 for one layer of 16. Press Play: "
        "within 1,000 epochs the fit turns at all 5 corners of the sawtooth (a kink within 0.05 of each) "
        "and its error is below 0.001.",
        "Compare the kink count with the bound beside it: the trained fit uses about 30 of the 288. Then "
        "switch the activation to tanh: the fit is smooth, with no kinks to count.",
        "If two layers allow 288 kinks, why does the trained fit use only about 30?",
        link("fit", f_target="sawtooth", f_layers="2", f_w1="16", f_w2="16", f_speed="100"),
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
