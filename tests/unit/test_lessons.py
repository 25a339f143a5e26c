"""Lesson and claim data: complete, and every link points at a page key that page really reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relu_viz import activations, claims, datasets, fit, lessons, network
from relu_viz.training import LEARNING_RATES, OPTIMIZERS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "activations": ["pages/activations.py", "relu_viz/ui/activation_views.py"],
    "trainer": ["pages/trainer.py", "relu_viz/ui/trainer_controls.py", "relu_viz/ui/trainer_views.py"],
    "dead_neurons": ["pages/dead_neurons.py", "relu_viz/ui/dead_neurons_views.py"],
    "fit": ["pages/fit.py", "relu_viz/ui/fit_views.py"],
}
LESSON_TOPICS = {
    "what_relu_computes",
    "derivative_at_zero",
    "vanishing_gradients",
    "linear_or_not",
    "counting_pieces",
    "sparsity",
    "dying_high_lr",
    "born_dead",
    "leaky_and_elu",
    "zero_init",
    "init_schemes",
    "loss_functions",
    "one_kink_per_unit",
    "depth_multiplies_kinks",
}
CLAIM_TOPICS = {
    "no_vanishing",
    "dead_negative",
    "max_at_one",
    "relu_linear",
    "zero_init",
    "derivative_choice",
    "trains_faster",
    "sparse_cheaper",
    "unbounded_unstable",
    # the popular statements issue 15 lists
    "levels_out",
    "negative_inputs",
    "same_result",
    "dead_discontinuity",
    "sparsity_overfit",
    "nondiff_harder",
    "backprop_nondiff",
    "leaky_slope",
    "explosion_use_sigmoid",
    "efficient",
}
LR_LABELS = {f"{v:g}" for v in LEARNING_RATES}
# Values a link may give, as the target widget displays them (None: not checked here).
DISPLAYED = {
    ("trainer", "ds"): set(datasets.names()),
    ("trainer", "act"): set(activations.names()),
    ("trainer", "init"): set(network.INIT_SCHEMES),
    ("trainer", "lr"): LR_LABELS,
    ("trainer", "loss"): {"cross_entropy", "squared_error"},
    ("trainer", "opt"): {"sgd", "momentum", "adam"},
    ("trainer", "view"): {"probabilities", "outlines", "regions"},
    ("activations", "fn"): {*activations.names(), "custom"},
    ("activations", "cmp"): {*activations.names(), "custom"},
    ("activations", "vg"): set(activations.names()),
    ("activations", "init"): {"auto", *network.INIT_SCHEMES},
    ("activations", "tab"): {"Overlay", "All functions", "Vanishing gradients", "Cost", "Custom formula"},
    ("dead_neurons", "dn_lr"): LR_LABELS,
    ("dead_neurons", "dn_act"): {activations.get(k).name for k in activations.names()},
    ("dead_neurons", "dn_init"): set(network.INIT_SCHEMES.values()),
    ("dead_neurons", "dn_opt"): set(OPTIMIZERS.values()),
    ("dead_neurons", "dn_ds"): set(datasets.names()),
    ("fit", "f_target"): set(fit.TARGET_KEYS),
    ("fit", "f_act"): set(fit.ACTIVATIONS),
    ("fit", "f_lr"): LR_LABELS,
    ("fit", "f_opt"): {"sgd", "momentum", "adam"},
    ("fit", "f_speed"): {"1", "5", "20", "100", "max"},
}


def source_keys(page: str) -> set[str]:
    """Widget keys written in a page's sources: ``key="x"`` literals and ``key=f"w{i + 1}"`` families."""
    text = "\n".join((ROOT / f).read_text(encoding="utf-8") for f in SOURCES[page])
    keys = set(re.findall(r'key="(\w+)"', text))
    for prefix in re.findall(r'key=f"(\w+)\{i \+ 1\}"', text):
        keys |= {f"{prefix}{i}" for i in range(1, 7)}
    return keys


def link_problems(link: lessons.Link) -> list[str]:
    """What is wrong with a link: unknown page, keys the page does not read, values it does not display."""
    if link.page not in lessons.PAGE_FILES:
        return [f"unknown page {link.page}"]
    problems = []
    if not (ROOT / link.path).is_file():
        problems.append(f"missing file {link.path}")
    for key, value in link.query.items():
        if key not in lessons.PAGE_KEYS[link.page]:
            problems.append(f"{link.page} does not read {key!r}")
        allowed = DISPLAYED.get((link.page, key))
        values = value if isinstance(value, tuple) else (value,)
        if allowed is not None and not set(values) <= allowed:
            problems.append(f"{key}={value!r} is not a displayed value")
    return problems


def sentences(text: str) -> int:
    """Number of sentences: full stops (or ! ?) followed by a space or the end."""
    return len(re.findall(r"[.!?](?:\s|$)", text))


def test_lessons_cover_the_listed_topics():
    assert len(lessons.LESSONS) >= 12
    ids = [x.id for x in lessons.LESSONS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= LESSON_TOPICS
    for item in lessons.LESSONS:
        assert item.title and item.look and item.try_next and item.question, item.id
        assert item.question.rstrip().endswith("?"), item.id
        assert item.page in {"activations", "trainer", "dead_neurons", "fit"}


def test_claims_have_verdicts_groups_and_short_explanations():
    assert len(claims.CLAIMS) >= 18
    ids = [c.id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= CLAIM_TOPICS
    for claim in claims.CLAIMS:
        assert claim.verdict in {"holds", "fails", "depends"}, claim.id
        assert claim.group in claims.GROUPS, claim.id
        assert 2 <= sentences(claim.explanation) <= 3, (claim.id, claim.explanation)
        assert claim.claim and claim.evidence
    grouped = claims.grouped()
    assert [title for title, _ in grouped] == list(claims.GROUPS.values())
    assert all(items for _, items in grouped)  # no empty group
    assert sum(len(items) for _, items in grouped) == len(claims.CLAIMS)
    assert claims.claim("derivative_choice").verdict == "fails"  # any value in [0, 1] is a subgradient
    with pytest.raises(KeyError):
        claims.claim("nope")


def test_data_is_frozen():
    item = lessons.LESSONS[0]
    with pytest.raises(AttributeError):
        item.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        item.link.query["fn"] = "tanh"  # type: ignore[index]


@pytest.mark.parametrize("page", list(lessons.PAGE_KEYS))
def test_page_keys_table_matches_the_page_sources(page):
    missing = lessons.PAGE_KEYS[page] - source_keys(page)
    assert not missing, f"{page} has no widget with key(s) {sorted(missing)}"


@pytest.mark.parametrize(("name", "link"), lessons.all_links(), ids=[n for n, _ in lessons.all_links()])
def test_every_link_uses_keys_and_values_its_page_reads(name, link):
    assert link.query, name
    assert link_problems(link) == []


def test_link_check_catches_bad_keys_and_values():
    assert link_problems(lessons.link("trainer", nope="1"))
    assert link_problems(lessons.link("dead_neurons", dn_act="leaky_relu"))  # displayed as LeakyReLU
    assert link_problems(lessons.link("trainer", lr="0.030"))
    assert link_problems(lessons.link("activations", vg=("relu", "nope")))
    assert link_problems(lessons.link("trainer", lr="0.03", act="relu")) == []


def test_query_params_for_page_link():
    link = lessons.link("activations", fn="relu", cmp=("relu", "elu"))
    assert link.path == "pages/activations.py"
    assert link.query_params() == {"fn": "relu", "cmp": ["relu", "elu"]}
    assert lessons.lesson("born_dead").link.query_params() == {"dn_bias": "-3"}
    with pytest.raises(KeyError):
        lessons.lesson("nope")
