"""Popular claims about ReLU, as plain data: the statement, the verdict the page shows, a short
explanation, a live demonstration one click away, and the group a teacher looks under.

The verdict written here is a promise, checked: :mod:`relu_viz.evidence` measures each claim with a small
seeded demo and derives its verdict from the numbers; a unit test per claim requires the two to agree.
This module never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from relu_viz.links import Link, link

Verdict = Literal["holds", "fails", "depends"]
Group = Literal["definition", "derivative", "dead_units", "sparsity", "training"]

GROUPS: MappingProxyType[str, str] = MappingProxyType(
    {
        "definition": "What ReLU is",
        "derivative": "The derivative and the kink",
        "dead_units": "Dead units",
        "sparsity": "Sparsity",
        "training": "Training",
    }
)


@dataclass(frozen=True)
class Claim:
    """A popular claim about ReLU, its verdict, a short explanation and a live demonstration."""

    id: str
    group: Group
    claim: str
    verdict: Verdict
    explanation: str
    link: Link
    evidence: str  # what the link shows, in one line


CLAIMS: tuple[Claim, ...] = (
    # ------------------------------------------------------------------------------ what ReLU is
    Claim(
        "relu_linear",
        "definition",
        "ReLU is linear",
        "fails",
        "ReLU is piecewise linear: two straight pieces joined at 0, so f(1) + f(−1) = 1 while f(0) = 0. In a "
        "network the pieces combine, and the plane is carved into many convex regions, each with its own "
        "linear rule; that is what lets a ReLU network solve XOR.",
        link("trainer", ds="xor", layers="1", w1="4", act="relu", view="regions"),
        "A one-layer ReLU network on XOR, its linear regions in colour (live).",
    ),
    Claim(
        "max_at_one",
        "definition",
        "ReLU reaches its maximum value at x = 1",
        "fails",
        "ReLU is unbounded above: f(x) = x for every positive x, so there is no maximum. Bounded relatives "
        "exist (ReLU6 stops at 6, Hardtanh at 1), but they are different functions.",
        link("activations", fn="relu", tab="Overlay", cmp=("relu", "relu6", "hardtanh")),
        "ReLU, ReLU6 and Hardtanh overlaid (live).",
    ),
    Claim(
        "levels_out",
        "definition",
        "When the input is large enough, ReLU's output will level out",
        "fails",
        "ReLU's output keeps rising with slope 1 however large the input: f(10⁶) = 10⁶. Sigmoid and tanh "
        "are the functions that level out (saturate), and their slope falls towards 0 as they do.",
        link("activations", fn="relu", tab="Overlay", cmp=("relu", "sigmoid", "tanh")),
        "ReLU, sigmoid and tanh overlaid with their derivatives (live).",
    ),
    Claim(
        "negative_inputs",
        "definition",
        "ReLU turns any negative input into zero, so it cannot be used when inputs are negative",
        "fails",
        "ReLU zeroes a unit's negative pre-activation, not the network's inputs: the weights and bias before "
        "it can flip signs, so relu(−x) is positive for negative x. A ReLU network trained on data whose "
        "every coordinate is negative classifies it perfectly.",
        link("trainer", ds="circle", layers="1", w1="8", act="relu"),
        "The circle data, half of whose coordinates are negative, learned by a ReLU network (live).",
    ),
    Claim(
        "same_result",
        "definition",
        "No matter what you feed into ReLU, you always get back the same result",
        "fails",
        "ReLU gives 0 for every negative input and the input itself for every positive one, so different "
        "positive inputs give different outputs. It is deterministic (the same input always gives the "
        "same output), which may be what the sentence meant.",
        link("activations", fn="relu", tab="Overlay", cmp=("relu",)),
        "ReLU's curve: flat at 0 on the left, rising on the right (live).",
    ),
    Claim(
        "leaky_slope",
        "definition",
        "Leaky ReLU introduces a small negative slope for negative inputs",
        "depends",
        "For negative inputs Leaky ReLU's slope is small and positive (0.01 in torch), so the function rises "
        "everywhere; it is the outputs there that are small negative numbers. torch calls the parameter "
        "negative_slope because it is the slope on the negative side, not because it is below zero.",
        link("activations", fn="leaky_relu", tab="Overlay", cmp=("relu", "leaky_relu")),
        "Leaky ReLU beside ReLU: move its slope slider and read f′ on the left (live).",
    ),
    # ------------------------------------------------------------------------------ the derivative
    Claim(
        "derivative_choice",
        "derivative",
        "The derivative at 0 has to be chosen as 0 or 1",
        "fails",
        "The derivative is undefined at the kink, and any value in [0, 1] is a valid subgradient there; "
        "software simply picks one. torch's relu takes 0, clamp(x, 0) takes 1, and max(0, x) splits the "
        "gradient and gives 0.5.",
        link("activations", fn="custom", tab="Custom formula", formula="max(0, x)"),
        "The custom-formula box: autograd's value at the kink for max(0, x) (live).",
    ),
    Claim(
        "nondiff_harder",
        "derivative",
        "Because ReLU is not differentiable at zero, optimisation that relies on derivatives has a harder "
        "time with it",
        "fails",
        "A pre-activation lands exactly on 0 practically never in floating point, so the missing derivative "
        "at one point is never used. Trained three times with the value at 0 set to 0, 1 and 0.5, the same "
        "network ends at the same loss to the last bit.",
        link("trainer", ds="spiral", layers="2", w1="8", w2="8", act="relu", init="he", opt="adam"),
        "A ReLU network learning the spiral by gradient descent (live).",
    ),
    Claim(
        "backprop_nondiff",
        "derivative",
        "Backpropagation cannot handle non-differentiable activation functions",
        "fails",
        "Backpropagation needs a derivative almost everywhere and some value at the few points where there "
        "is none; ReLU has one such point. Every ReLU network in this app is trained by backpropagation, "
        "and its gradients match finite differences.",
        link("trainer", ds="xor", layers="1", w1="8", act="relu"),
        "XOR learned by backpropagation through ReLU (live).",
    ),
    # ------------------------------------------------------------------------------ dead units
    Claim(
        "dead_negative",
        "dead_units",
        "Dead ReLU units output negative values",
        "fails",
        "A dead ReLU unit outputs exactly 0 on every input: its pre-activation is negative, and ReLU maps "
        "every negative number to 0. That is why it passes no gradient.",
        link("dead_neurons", dn_bias="-3"),
        "Born-dead units with bias -3: their outputs are exactly zero (live).",
    ),
    Claim(
        "dead_discontinuity",
        "dead_units",
        "Dead ReLU happens because of the discontinuity of the ReLU function",
        "fails",
        "ReLU is continuous; only its slope jumps, at 0. A dead unit's input stays below 0 on every training "
        "point, on the flat piece where the slope is exactly 0, so no gradient reaches its weights: a flat "
        "piece, not a jump, traps it.",
        link("dead_neurons", dn_lr="3"),
        "Units dying at learning rate 3, their inputs (z histograms) left of 0 (live).",
    ),
    Claim(
        "no_vanishing",
        "dead_units",
        "ReLU does not suffer from vanishing gradients",
        "depends",
        "Where a ReLU unit is active its slope is 1, so the gradient does not shrink layer by layer as it "
        "does through sigmoid. But a dead unit passes no gradient at all, and a high learning rate can kill "
        "most of a layer.",
        link("dead_neurons", dn_lr="3"),
        "Dead-neurons monitor at learning rate 3: watch the dead count rise (live).",
    ),
    Claim(
        "leaky_rescues",
        "dead_units",
        "Leaky ReLU fixes the dying ReLU problem",
        "depends",
        "A Leaky ReLU unit never dies: its slope for negative inputs is 0.01, not 0, so some gradient "
        "always flows. But a hundred times less gradient per layer can be too little for plain SGD, and the "
        "network stalls beside ReLU; Adam, which scales each weight's step to its own gradients, trains on.",
        link("dead_neurons", dn_bias="-2", dn_opt="Adam"),
        "ReLU beside Leaky ReLU with every bias at −2 and Adam; then switch the optimizer to SGD (live).",
    ),
    # ------------------------------------------------------------------------------ sparsity
    Claim(
        "sparse_cheaper",
        "sparsity",
        "Sparse activations make ReLU networks cheaper",
        "depends",
        "ReLU itself is cheap to compute, and many of its outputs are exact zeros. But dense hardware and "
        "libraries multiply the zeros anyway, so sparsity saves time only with sparse kernels.",
        link("activations", fn="relu", tab="Cost"),
        "The per-activation cost on the Cost tab (live).",
    ),
    Claim(
        "sparsity_overfit",
        "sparsity",
        "Sparsity makes networks more interpretable and protects against overfitting",
        "depends",
        "Exact zeros mean each input uses only some of the units, which makes one input's computation "
        "easier to trace. They do not stop overfitting: a large ReLU network fits 25 noisy points perfectly "
        "and does no better than chance on new ones.",
        link(
            "trainer",
            ds="circle",
            n="50",
            noise="50",
            layers="2",
            w1="32",
            w2="32",
            act="relu",
            opt="adam",
            test="true",
        ),
        "A large ReLU network on 50 noisy points: training loss falls, test loss rises (live).",
    ),
    # ------------------------------------------------------------------------------ training
    Claim(
        "trains_faster",
        "training",
        "ReLU networks train faster than sigmoid networks",
        "depends",
        "In a deep network ReLU reaches a target loss in a few epochs where sigmoid stalls, because its "
        "gradient does not shrink through the layers. On a shallow network and easy data the two are level, "
        "and a narrow ReLU network whose units die can lose to sigmoid.",
        link(
            "trainer",
            ds="circle",
            layers="4",
            w1="8",
            w2="8",
            w3="8",
            w4="8",
            act="sigmoid",
            init="xavier",
            opt="momentum",
            lr="0.1",
        ),
        "A deep sigmoid network stalling on the circle; switch to relu and he, then press Play (live).",
    ),
    Claim(
        "efficient",
        "training",
        "ReLU makes the network more computationally efficient than sigmoid or tanh",
        "depends",
        "ReLU itself is cheap: a comparison, where sigmoid and tanh need an exponential (the numbers below "
        "time all three on this server). But in a training step the matrix products take most of the time, "
        "so the whole step is barely faster.",
        link("activations", fn="relu", tab="Cost"),
        "The Cost tab: forward + backward time per million elements, measured on this server (live).",
    ),
    Claim(
        "zero_init",
        "training",
        "Initialising all weights to zero is a good start",
        "fails",
        "With zero weights every hidden unit computes the same output and receives the same update, so the "
        "units stay identical and the layer acts like a single unit. Random initialisation breaks the "
        "symmetry.",
        link("trainer", ds="circle", layers="1", w1="8", act="relu", init="zeros"),
        "The trainer with all-zero init: identical unit pictures in the network diagram (live).",
    ),
    Claim(
        "unbounded_unstable",
        "training",
        "ReLU's unbounded output can make training unstable",
        "holds",
        "Nothing caps a ReLU-like unit's output, so at a high learning rate activations and loss can grow "
        "without limit: with Leaky ReLU at learning rate 3 the loss turns infinite within one epoch and the "
        "trainer stops with the last good weights. A rate of 0.3 keeps it stable.",
        link("trainer", ds="spiral", layers="2", w1="8", w2="8", act="leaky_relu", lr="3"),
        "The trainer with Leaky ReLU at learning rate 3: press Play, watch it diverge, then lower the rate "
        "(live).",
    ),
    Claim(
        "explosion_use_sigmoid",
        "training",
        "To avoid numerical instability ('ReLU explosion'), use more stable activations like sigmoid or tanh",
        "depends",
        "Sigmoid's bounded output does not blow up at a learning rate where Leaky ReLU diverges. But a lower "
        "learning rate cures the blow-up too, and a deep sigmoid network passes almost no gradient to its "
        "first layers, so the usual cures are a smaller rate, careful initialisation and normalisation.",
        link("trainer", ds="spiral", layers="2", w1="8", w2="8", act="sigmoid", lr="3"),
        "Sigmoid at learning rate 3 stays finite; switch to leaky_relu to see it diverge (live).",
    ),
)


def claim(claim_id: str) -> Claim:
    """The claim with this id; ``KeyError`` if none."""
    for item in CLAIMS:
        if item.id == claim_id:
            return item
    raise KeyError(claim_id)


def grouped() -> list[tuple[str, list[Claim]]]:
    """The claims under their groups' titles, in :data:`GROUPS` order."""
    return [(title, [c for c in CLAIMS if c.group == key]) for key, title in GROUPS.items()]
