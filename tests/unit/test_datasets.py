"""Tests for relu_viz.datasets: generators against Playground's definitions, splits, and CSV upload."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_viz import datasets
from relu_viz.datasets import DataError, Dataset, load_csv, make

DATA = Path(__file__).resolve().parents[1] / "data"
ALL = datasets.names()


def radius(ds: Dataset) -> np.ndarray:
    return np.hypot(ds.x[:, 0].astype(np.float64), ds.x[:, 1].astype(np.float64))


# --- generators -------------------------------------------------------------------------------


def test_names_lists_all_generators_playground_first():
    # called here, not only at import (a module-level call is not seen by mutation testing)
    assert datasets.names() == ["circle", "xor", "gauss", "spiral", "moons", "checkerboard", "rings", "blobs"]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n", [50, 501, 2000])
def test_shapes_dtypes_and_class_names(name, n):
    ds = make(name, n=n, noise=0.3, seed=3)
    k = 3 if name in ("rings", "blobs") else 2
    assert ds.x.shape == (n, 2) and ds.x.dtype == np.float32
    assert ds.y.shape == (n,) and ds.y.dtype == np.int64
    assert ds.classes == tuple(str(c) for c in range(k))
    assert ds.n_classes == k and len(ds) == n and ds.name == name
    assert set(np.unique(ds.y)) <= set(range(k))
    assert np.isfinite(ds.x).all()


@pytest.mark.parametrize("name", ["circle", "gauss", "spiral", "moons", "checkerboard"])
def test_two_class_sets_are_exactly_balanced_at_noise_zero(name):
    assert make(name, n=500, seed=4).counts().tolist() == [250, 250]


def test_odd_n_gives_n_points_with_counts_differing_by_one():
    assert make("gauss", n=501, seed=0).counts().tolist() == [251, 250]
    assert make("spiral", n=51, seed=0).counts().tolist() == [26, 25]


def test_xor_is_roughly_balanced():
    share = make("xor", n=2000, seed=5).y.mean()
    assert 0.45 < share < 0.55


def test_rings_has_three_balanced_classes():
    assert make("rings", n=600, seed=1).counts().tolist() == [200, 200, 200]


@pytest.mark.parametrize(("k", "noise", "variance"), [(3, 0.0, 0.3), (4, 0.25, 0.9), (5, 0.5, 1.5)])
def test_blobs_has_k_balanced_classes_around_their_centres(k, noise, variance):
    ds = make("blobs", n=1200, noise=noise, seed=2, k=k)
    assert ds.n_classes == k and ds.counts().tolist() == [1200 // k] * k
    angles = np.pi / 2 + 2 * np.pi * np.arange(k) / k
    centres = 3.5 * np.column_stack([np.sin(angles), np.cos(angles)])
    clouds = [ds.x[ds.y == c].astype(np.float64) for c in range(k)]
    np.testing.assert_allclose([c.mean(axis=0) for c in clouds], centres, atol=0.25)
    np.testing.assert_allclose([c.var(axis=0) for c in clouds], variance, rtol=0.25)


def test_blobs_defaults_to_three_classes():
    assert make("blobs").n_classes == 3


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_data_and_different_seed_different_data(name):
    a, b, c = make(name, seed=7, noise=0.2), make(name, seed=7, noise=0.2), make(name, seed=8, noise=0.2)
    assert a == b
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_generation_does_not_touch_global_numpy_state():
    # The legacy global generator is exactly what make() must leave alone, so the test uses it.
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    make("circle", seed=1)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_circle_geometry_at_noise_zero():
    ds = make("circle", n=1000, seed=6)
    r = radius(ds)
    assert (r[ds.y == 1] < 2.5).all()
    assert (r[ds.y == 0] >= 3.5).all() and (r[ds.y == 0] <= 5.0 + 1e-6).all()


def test_xor_geometry_at_noise_zero():
    ds = make("xor", n=1000, seed=6)
    assert (np.abs(ds.x) >= 0.3 - 1e-6).all() and (np.abs(ds.x) <= 5.3 + 1e-6).all()
    np.testing.assert_array_equal(ds.y, (ds.x[:, 0] * ds.x[:, 1] > 0).astype(np.int64))


def test_spiral_points_lie_exactly_on_playgrounds_arms_at_noise_zero():
    n, m = 500, 250
    ds = make("spiral", n=n, seed=6)
    assert (radius(ds) <= 5.0).all()
    i = np.arange(m)
    for label, delta in ((1, 0.0), (0, np.pi)):
        t = 1.75 * 2 * np.pi * i / m + delta
        arm = np.column_stack([5 * i / m * np.sin(t), 5 * i / m * np.cos(t)])
        got = ds.x[ds.y == label]
        got = got[np.argsort(np.hypot(got[:, 0], got[:, 1]), kind="stable")]
        # Both arms start at the origin; sorting by radius puts each arm back in order of i.
        np.testing.assert_allclose(got, arm, atol=1e-5)


def test_spiral_jitter_is_bounded_by_noise():
    ds = make("spiral", n=500, noise=0.5, seed=6)
    assert (radius(ds) <= 5.0 + 0.5 * math.sqrt(2) + 1e-6).all()
    assert not np.array_equal(ds.x, make("spiral", n=500, seed=6).x)


@pytest.mark.parametrize(("noise", "variance"), [(0.0, 0.5), (0.25, 2.25), (0.5, 4.0)])
def test_gauss_centres_and_playground_variance(noise, variance):
    ds = make("gauss", n=2000, noise=noise, seed=9)
    for label, centre in ((1, 2.0), (0, -2.0)):
        cloud = ds.x[ds.y == label].astype(np.float64)
        np.testing.assert_allclose(cloud.mean(axis=0), [centre, centre], atol=0.2)
        np.testing.assert_allclose(cloud.var(axis=0), [variance, variance], rtol=0.15)


def test_moons_are_interleaved_half_moons():
    ds = make("moons", n=1000, seed=1)
    upper = (ds.x[ds.y == 0] / 3.0) + [0.5, 0.25]
    lower = (ds.x[ds.y == 1] / 3.0) + [0.5, 0.25]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-5)
    assert (upper[:, 1] >= -1e-6).all() and (lower[:, 1] <= 0.5 + 1e-6).all()


def test_checkerboard_labels_are_cell_parity_with_a_margin():
    ds = make("checkerboard", n=1000, seed=2)
    scaled = (ds.x.astype(np.float64) + 5.0) / 2.5
    cells = np.floor(scaled)
    np.testing.assert_array_equal(ds.y, cells.sum(axis=1).astype(np.int64) % 2)
    inside = scaled - cells
    assert (inside >= 0.15 / 2.5 - 1e-6).all() and (inside <= 1 - 0.15 / 2.5 + 1e-6).all()
    assert set(cells.ravel()) == {0.0, 1.0, 2.0, 3.0}


def test_rings_radii_lie_in_their_bands_at_noise_zero():
    ds = make("rings", n=900, seed=3)
    r = radius(ds)
    for label, (lo, hi) in enumerate(((0.0, 1.4), (2.0, 3.2), (3.8, 5.0))):
        assert (r[ds.y == label] >= lo - 1e-6).all() and (r[ds.y == label] <= hi + 1e-6).all()


def test_noise_flips_circle_labels():
    clean, noisy = make("circle", n=1000, seed=4), make("circle", n=1000, noise=0.5, seed=4)
    wrong = lambda ds: ((radius(ds) < 2.5) != (ds.y == 1)).sum()  # noqa: E731
    assert wrong(clean) == 0
    assert wrong(noisy) > 50


def test_circle_label_is_read_at_the_shifted_point_against_radius_2_5():
    # noise 0.1 shifts the label point by at most 0.5 per axis, i.e. 0.5·√2 in distance.
    ds = make("circle", n=2000, noise=0.1, seed=4)
    r = radius(ds)
    flipped = (r < 2.5) != (ds.y == 1)
    assert flipped.any()
    assert (np.abs(r[flipped] - 2.5) <= 0.5 * math.sqrt(2) + 1e-6).all()
    assert (r[flipped] < 2.25).any()  # with a threshold of 3 or more these could not flip


def test_rows_are_shuffled():
    ds = make("circle", n=500, seed=0)
    assert 50 < ds.y[:250].sum() < 200


def test_noise_flips_xor_labels():
    ds = make("xor", n=1000, noise=0.5, seed=4)
    flipped = (ds.y != (ds.x[:, 0] * ds.x[:, 1] > 0)).sum()
    assert 50 < flipped < 500


def test_noise_flips_checkerboard_and_rings_labels():
    board = make("checkerboard", n=1000, noise=0.5, seed=4)
    parity = np.floor((board.x + 5.0) / 2.5).sum(axis=1).astype(np.int64) % 2
    assert (board.y != parity).sum() > 50
    rings = make("rings", n=1000, noise=0.5, seed=4)
    band = np.searchsorted([1.7, 3.5], radius(rings), side="right")
    assert (rings.y != band).sum() > 50


@pytest.mark.parametrize("name", ALL)
def test_data_fits_the_trainer_view(name):
    assert (np.abs(make(name, n=1000, seed=1).x) <= 6).all()
    # Playground's gauss at 50 % noise has variance 4 around (±2, ±2): about 4.5 % falls outside.
    assert (np.abs(make(name, n=1000, noise=0.5, seed=1).x) <= 6).all(axis=1).mean() > 0.9


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        (("spirals",), {}, "Unknown dataset 'spirals'"),
        (("circle",), {"n": 49}, "n must be between 50 and 2000"),
        (("circle",), {"n": 2001}, "n must be between 50 and 2000"),
        (("circle",), {"n": 500.0}, "n must be a whole number"),
        (("circle",), {"n": True}, "n must be a whole number"),
        (("circle",), {"noise": -0.01}, "noise must be between 0.0 and 0.5"),
        (("circle",), {"noise": 0.51}, "noise must be between 0.0 and 0.5"),
        (("circle",), {"noise": float("nan")}, "noise must be finite"),
        (("circle",), {"noise": "0.1"}, "noise must be a number"),
        (("circle",), {"seed": -1}, "seed must be 0 or more"),
        (("circle",), {"seed": 1.5}, "seed must be a whole number"),
        (("blobs",), {"k": 2}, "k must be between 3 and 5"),
        (("blobs",), {"k": 6}, "k must be between 3 and 5"),
        (("circle",), {"k": 3}, "Dataset 'circle' takes no option 'k'"),
        (("blobs",), {"centres": 3}, "takes no option 'centres'"),
    ],
)
def test_make_rejects_bad_arguments(args, kwargs, fragment):
    with pytest.raises(DataError, match=fragment) as info:
        make(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    assert info.value.row is None and info.value.column is None


def test_make_accepts_numpy_integers_and_range_ends():
    ds = make("blobs", n=np.int64(50), noise=np.float32(0.5), seed=np.uint8(3), k=np.int32(5))
    assert len(ds) == 50 and ds.n_classes == 5
    assert len(make("circle", n=2000, noise=0.0)) == 2000


# --- Dataset ----------------------------------------------------------------------------------


def small() -> Dataset:
    return Dataset(np.array([[0, 0], [1, 1], [2, 2]]), np.array([0, 1, 1]), ("a", "b"), "small")


def test_dataset_is_immutable_and_copies_its_input():
    x, y = np.zeros((2, 2), dtype=np.float32), np.array([0, 1], dtype=np.int64)
    ds = Dataset(x, y, ("0", "1"))
    x[0, 0], y[0] = 5, 1  # the caller's arrays stay writable and are not shared
    assert ds.x[0, 0] == 0 and ds.y[0] == 0
    with pytest.raises(ValueError, match="read-only"):
        ds.x[0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        ds.y[0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]


def test_dataset_equality_hash_and_repr():
    assert small() == small() and hash(small()) == hash(small())
    assert small() != small().with_point(0, 0, 0)
    assert repr(small()) == "Dataset(name='small', n=3, classes=('a', 'b'))"


@pytest.mark.parametrize(
    ("x", "y", "classes", "fragment"),
    [
        (np.zeros((3, 3)), [0, 1, 0], ("a", "b"), "shape"),
        (np.zeros((3, 2)), [0, 1], ("a", "b"), "y must have shape"),
        (np.zeros((2, 2)), [0.0, 1.0], ("a", "b"), "integers"),
        (np.zeros((2, 2)), [0, 2], ("a", "b"), "0..1"),
        (np.zeros((2, 2)), [0, -1], ("a", "b"), "0..1"),
        (np.zeros((2, 2)), [0, 0], ("a",), "2 to 10 classes"),
        (np.zeros((2, 2)), [0, 1], ("a", "a"), "unique"),
        (np.zeros((2, 2)), [0, 1], ("a", ""), "unique, non-empty"),
        (np.array([[0, np.inf], [0, 0]]), [0, 1], ("a", "b"), "finite"),
    ],
)
def test_dataset_validates_its_fields(x, y, classes, fragment):
    with pytest.raises(DataError, match=fragment):
        Dataset(x, np.array(y), classes)


def test_empty_dataset_is_allowed_for_click_to_add():
    ds = Dataset(np.empty((0, 2)), np.empty(0, dtype=np.int64), ("0", "1"))
    grown = ds.with_point(1.5, -2.0, "1").with_point(0, 0, 0)
    np.testing.assert_array_equal(grown.x, [[1.5, -2.0], [0, 0]])
    assert grown.y.tolist() == [1, 0] and len(ds) == 0


def test_with_point_returns_a_new_dataset():
    ds = small()
    grown = ds.with_point(-1.25, 3, "a")
    assert len(ds) == 3 and len(grown) == 4
    np.testing.assert_array_equal(grown.x[-1], [-1.25, 3.0])
    assert grown.y[-1] == 0 and grown.classes == ds.classes and grown.name == ds.name
    assert ds.with_point(0, 0, 1).y[-1] == 1 and ds.with_point(0, 0, np.int64(1)).y[-1] == 1


@pytest.mark.parametrize(
    ("point", "fragment"),
    [
        ((0, 0, "c"), "Unknown class 'c'"),
        ((0, 0, 2), "out of range"),
        ((0, 0, -1), "out of range"),
        ((0, 0, 1.0), "class index or name"),
        ((float("nan"), 0, 0), "x1 must be finite"),
        ((0, 1e39, 0), "finite numbers"),
        (("1", 0, 0), "x1 must be a number"),
    ],
)
def test_with_point_rejects_bad_points(point, fragment):
    with pytest.raises(DataError, match=fragment):
        small().with_point(*point)


@pytest.mark.parametrize("share", [0.1, 0.5, 0.73, 0.9])
def test_split_shares_stratification_and_determinism(share):
    ds = make("blobs", n=503, seed=1, k=4)
    train, test = ds.split(share, seed=2)
    assert train.dtype == np.int64 and test.dtype == np.int64
    assert len(train) == math.floor(share * 503 + 0.5)
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(503))
    assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
    per_class = np.bincount(ds.y[train], minlength=4)
    assert (np.abs(per_class - share * ds.counts()) < 1).all()
    again = ds.split(share, seed=2)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])


def test_split_seed_changes_the_split():
    ds = make("circle", seed=1)
    assert not np.array_equal(ds.split(0.5, seed=1)[0], ds.split(0.5, seed=2)[0])


def test_split_moves_few_points_when_a_point_is_added():
    ds = make("circle", n=200, seed=1)
    before = np.zeros(200, bool)
    before[ds.split(0.5, seed=3)[0]] = True
    after = np.zeros(201, bool)
    after[ds.with_point(0.0, 0.0, 1).split(0.5, seed=3)[0]] = True
    assert (before != after[:200]).sum() <= 2


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 9])
@pytest.mark.parametrize("share", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_tiny_datasets_always_get_a_training_and_a_test_point(n, share):
    ds = Dataset(np.arange(2 * n, dtype=np.float32).reshape(n, 2), np.arange(n) % 2, ("a", "b"), "tiny")
    train, test = ds.split(share, seed=4)
    assert len(train) >= 1 and len(test) >= 1
    assert (len(train), len(test)) == datasets.split_sizes(n, share)
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
    if math.floor(share * n + 0.5) in range(1, n):  # nothing to move: the usual rule
        assert len(train) == math.floor(share * n + 0.5)


def test_four_points_at_the_extreme_shares():
    ds = Dataset(np.zeros((4, 2), dtype=np.float32), np.array([0, 0, 1, 1]), ("a", "b"), "drawn")
    assert datasets.split_sizes(4, 0.1) == (1, 3) and datasets.split_sizes(4, 0.9) == (3, 1)
    assert [len(s) for s in ds.split(0.1, seed=0)] == [1, 3]
    assert [len(s) for s in ds.split(0.9, seed=0)] == [3, 1]


@pytest.mark.parametrize("share", [0.0, 1.0, -0.5, 1.5, float("nan"), "0.5"])
def test_split_rejects_bad_shares(share):
    with pytest.raises(DataError, match="train_share"):
        small().split(share, seed=0)


# --- CSV round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_generated_data_round_trips_through_csv(name):
    ds = make(name, n=300, noise=0.4, seed=11)
    text = ds.to_csv()
    assert text.startswith("x1,x2,label\n")
    back = load_csv(text, name=name)
    assert back == ds
    assert load_csv(text.encode()) == dataclasses.replace(ds, name="upload")


def test_uploaded_data_round_trips_with_quoted_string_labels():
    ds = load_csv(b'x1,x2,label\n1,2,"big, red"\n3,4,"say ""hi"""\n5,6,plain\n')
    assert ds.classes == ("big, red", "plain", 'say "hi"')
    assert load_csv(ds.to_csv()) == ds


HOSTILE_LABELS = ("=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(A1)", "'=already", "-", "=", "**b**")


def test_csv_export_neutralises_formula_cells_and_reads_back_the_same_dataset():
    x = np.array(
        [[-1.5, 2.0], [3.0, -4.25], [-0.5, -0.5], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], np.float32
    )
    ds = Dataset(x, np.arange(8), tuple(sorted(HOSTILE_LABELS)), "upload")
    text = ds.to_csv()
    rows = [line.split(",", 2) for line in text.splitlines()[1:]]
    for x1, x2, label in rows:
        assert not label.startswith(datasets._FORMULA_TRIGGERS), label  # every text cell neutralised
        assert float(x1) == float(x1) and float(x2) == float(x2)  # coordinates stay numbers (-1.5, not '-1.5)
    assert "-1.5,2.0," in text and "'=cmd|' /C calc'!A0" in text and "''=already" in text
    assert load_csv(text) == ds


def test_numeric_labels_stay_numbers_in_the_csv():
    ds = Dataset(np.zeros((3, 2), np.float32), np.array([0, 1, 2]), ("-1", "+1", "-2.5e3"), "upload")
    assert ds.to_csv().splitlines()[1:] == ["0.0,0.0,-1", "0.0,0.0,+1", "0.0,0.0,-2.5e3"]
    assert [c for c in load_csv(ds.to_csv()).classes] == ["-2.5e3", "-1", "+1"]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("-7", "-7"),
        ("'a", "'a"),
    ],
)
def test_spreadsheet_safe(cell, safe):
    assert datasets.spreadsheet_safe(cell) == safe
    assert datasets._unquote(safe) == cell


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.tuples(st.floats(width=32, allow_nan=False, allow_infinity=False), st.integers(0, 2)),
        min_size=3,
        max_size=30,
    ),
    names_=st.lists(
        st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=8)
        .map(str.strip)
        .filter(bool),
        min_size=3,
        max_size=3,
        unique=True,
    ),
)
def test_any_dataset_round_trips_coordinates_and_label_names(values, names_):
    x = np.array([[v, -v] for v, _ in values], dtype=np.float32)
    y = np.array([c for _, c in values[:-3]] + [0, 1, 2])
    ds = Dataset(x, y, tuple(names_))
    back = load_csv(ds.to_csv())
    np.testing.assert_array_equal(back.x, ds.x)
    assert [back.classes[i] for i in back.y] == [ds.classes[i] for i in ds.y]


# --- CSV upload: valid files ------------------------------------------------------------------


def test_sample_file_with_bom_crlf_header_quotes_and_blank_line():
    ds = load_csv((DATA / "three_species_bom_crlf.csv").read_bytes())
    assert ds.classes == ("setosa", "versicolor", "virginica")
    assert ds.counts().tolist() == [2, 2, 2] and ds.name == "upload"
    np.testing.assert_array_equal(ds.x[:2], [[-1.5, 2.0], [0.25, -3.5]])
    assert ds.y.tolist() == [0, 1, 2, 0, 1, 2]


def test_sample_file_without_header_maps_minus_one_to_class_zero():
    ds = load_csv((DATA / "no_header_numeric_labels.csv").read_text())
    assert ds.classes == ("-1", "1") and len(ds) == 5
    assert ds.y.tolist() == [1, 0, 0, 1, 1]


@pytest.mark.parametrize(
    ("text", "classes", "y"),
    [
        ("1,2,10\n3,4,2\n5,6,10\n", ("2", "10"), [1, 0, 1]),  # numeric labels sort as numbers
        ("1,2,b\n3,4,10\n5,6,2\n", ("10", "2", "b"), [2, 0, 1]),  # mixed labels sort as strings
        ("1,2,1\n3,4,1.0\n", ("1", "1.0"), [0, 1]),  # labels are names, not values
        ("  1 , 2 ,  a \n3,4,b\n", ("a", "b"), [0, 1]),  # spaces around fields are ignored
        ("1,2,a\n,,\n\n   \n3,4,b\n", ("a", "b"), [0, 1]),  # blank rows and ",," are skipped
        ("1,2,a\r3,4,b\r", ("a", "b"), [0, 1]),  # old Mac line ends
        ("x,y,z\n1,2,a\n3,4,b", ("a", "b"), [0, 1]),  # any header names; no final newline
        ('"1","2","a"\n"3","4","b"\n', ("a", "b"), [0, 1]),  # quoted numbers
        ("1e1,-.5,a\n+3.,4E-1,b\n", ("a", "b"), [0, 1]),
        ("1,2,a\n3,4,b\n5,6,c\n7,8,d\n9,0,e\n1,1,f\n2,2,g\n3,3,h\n4,4,i\n5,5,j\n", tuple("abcdefghij"), None),
    ],
)
def test_valid_files(text, classes, y):
    ds = load_csv(text)
    assert ds.classes == classes
    if y is not None:
        assert ds.y.tolist() == y


def test_valid_file_parses_coordinates():
    ds = load_csv("1e1,-.5,a\n+3.,4E-1,b\n")
    np.testing.assert_array_equal(ds.x, np.array([[10, -0.5], [3, 0.4]], dtype=np.float32))


def test_exactly_max_rows_and_bytearray_input_are_accepted():
    text = "x1,x2,label\n" + "1,2,a\n3,4,b\n" * (datasets.MAX_ROWS // 2)
    assert len(load_csv(bytearray(text.encode()))) == datasets.MAX_ROWS


def test_load_csv_rejects_non_text_input_types():
    with pytest.raises(TypeError):
        load_csv(123)  # type: ignore[arg-type]


# --- CSV upload: malformed files --------------------------------------------------------------

ELEVEN_CLASSES = "".join(f"{i},{i},c{i}\n" for i in range(10)).encode() + b"0,0,c0\n1,1,new\n"
TOO_MANY_ROWS = b"x1,x2,label\n" + b"1,2,a\n3,4,b\n" * 5000 + b"5,6,a\n"

MALFORMED = [
    # (id, file content, row, column, message fragment)
    ("empty", b"", None, None, "The file is empty."),
    ("only blank lines", b"\n\r\n  \n", None, None, "no data rows"),
    ("header only", b"x1,x2,label\n", None, None, "header but no data rows"),
    ("nul byte", b"x1,x2,label\n1,2\x00,a\n", None, None, "not a text CSV file"),
    ("not utf-8", b"1,2,caf\xe9\n3,4,b\n", None, None, "not a text CSV file"),
    ("utf-16", "1,2,a\n3,4,b\n".encode("utf-16"), None, None, "not a text CSV file"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, None, "not a text CSV file"),
    ("two columns", b"1,2\n3,4,b\n", 1, None, "Row 1: expected 3 columns (x1, x2, label), found 2."),
    ("four columns later", b"x1,x2,label\n1,2,a\n\n3,4,b,5\n", 4, None, "found 4"),
    ("trailing comma", b"1,2,a,\n", 1, None, "found 4"),
    ("semicolons", b"x1;x2;label\n1;2;a\n", 1, None, "seems to use ';'"),
    ("tabs", b"1\t2\ta\n", 1, None, "seems to use '\\t'"),
    ("header with two columns", b"x1,x2\n1,2,a\n", 1, None, "found 2"),
    ("text in x2", b"1,2,a\n" * 16 + b"3,abc,b\n", 17, "x2", "Row 17, column x2: 'abc' is not a number."),
    ("text in x1 first row", b"abc,2,a\n3,4,b\n", 1, "x1", "Row 1, column x1: 'abc' is not a number."),
    ("text in x2 first row", b"1,abc,a\n3,4,b\n", 1, "x2", "'abc' is not a number"),
    (
        "inf",
        b"1,2,a\n2,3,b\n3,4,a\n4,5,b\ninf,6,a\n",
        5,
        "x1",
        "Row 5, column x1: 'inf' is not a finite number.",
    ),
    ("nan first row", b"nan,nan,a\n1,2,b\n", 1, "x1", "'nan' is not a finite number"),
    ("minus infinity", b"1,2,a\n1,-Infinity,b\n", 2, "x2", "'-Infinity' is not a finite number"),
    ("overflowing float64", b"1,2,a\n1e999,2,b\n", 2, "x1", "'1e999' is not a finite number"),
    ("beyond float32", b"1,2,a\n1,-1e39,b\n", 2, "x2", "too large"),
    ("underscore digits", b"1,2,a\n1_000,2,b\n", 2, "x1", "'1_000' is not a number"),
    ("non-ascii digits", "1,2,a\n١,2,b\n".encode(), 2, "x1", "is not a number"),
    ("decimal comma", b'1,2,a\n"1,5",2,b\n', 2, "x1", "'1,5' is not a number"),
    ("empty x1", b"1,2,a\n ,2,b\n", 2, "x1", "Row 2, column x1: the value is empty."),
    ("empty label", b"1,2,a\n1,2, \n", 2, "label", "Row 2, column label: the label is empty."),
    ("long label", b"1,2,a\n1,2," + b"z" * 41 + b"\n", 2, "label", "longer than 40 characters"),
    ("control char label", b'1,2,a\n1,2,"b\x07"\n', 2, "label", "control character"),
    ("bidi override label", "1,2,a\n1,2,b\u202ec\n".encode(), 2, "label", "control character"),
    ("one class", b"x1,x2,label\n1,2,a\n3,4,a\n", None, "label", "only one class ('a')"),
    ("eleven classes", b"x1,x2,label\n" + ELEVEN_CLASSES, 13, "label", "'new' would be class 11"),
    ("bad quoting", b'1,2,a\n1,2,"b"c\n', 2, None, "Row 2: the CSV is malformed"),
    ("unterminated quote", b'1,2,a\n3,4,"b\n', 2, None, "Row 2: the CSV is malformed"),
    ("blank lines count in line numbers", b"\n\nx1,x2,label\n\n1,abc,0\n", 5, "x2", "Row 5, column x2"),
    ("crlf line numbers", b"x1,x2,label\r\n1,2,a\r\n\r\n1,2,\r\n", 4, "label", "Row 4, column label"),
    ("bom then bad row", "\ufeffx1,x2,label\n1,2,a\nq,2,b\n".encode(), 3, "x1", "Row 3, column x1: 'q'"),
    ("too many rows", TOO_MANY_ROWS, None, None, "more than 10,000 data rows"),
    ("over 1 MB", b"1,2,a\n" * 166_667 + b"\n", None, None, "larger than the limit of 1,000,000 bytes"),
]


@pytest.mark.parametrize(
    ("content", "row", "column", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in MALFORMED],
)
def test_malformed_files_raise_data_error_naming_row_and_column(content, row, column, fragment):
    with pytest.raises(DataError) as info:
        load_csv(content)
    assert fragment in str(info.value)
    assert (info.value.row, info.value.column) == (row, column)


def test_malformed_str_input_gives_the_same_errors():
    with pytest.raises(DataError, match="not a finite number") as info:
        load_csv("1,2,a\n2,nan,b\n")
    assert (info.value.row, info.value.column) == (2, "x2")
    with pytest.raises(DataError, match="larger than the limit"):
        load_csv("é" * 500_001)  # 500,001 characters but 1,000,002 bytes
    with pytest.raises(DataError, match="not a text CSV"):
        load_csv("1,2,a\x00\n")


def test_sample_bad_file_names_row_and_column():
    with pytest.raises(DataError, match=r"^Row 4, column x2: 'abc' is not a number\.$"):
        load_csv((DATA / "bad_text_in_x2.csv").read_bytes())


def test_messages_quote_only_a_short_piece_of_hostile_values():
    with pytest.raises(DataError) as info:
        load_csv(b"1,2,a\n" + b"x" * 5000 + b",2,b\n")
    assert len(str(info.value)) < 100


def test_fit_to_view_rescales_far_data_and_keeps_near_data():
    # By hand: the bounding box is x1 in [1000, 1020], x2 in [2000, 2004]: centre (1010, 2002), half of
    # the largest side 10, so scale 5 / 10 = 0.5 and x' = (x − centre) · 0.5.
    far = datasets.Dataset(
        np.array([[1000.0, 2000.0], [1020.0, 2004.0], [1005.0, 2001.0]]), [0, 1, 0], ("a", "b"), "upload"
    )
    moved, scale, centre = datasets.fit_to_view(far)
    assert scale == 0.5 and centre.tolist() == [1010.0, 2002.0]
    np.testing.assert_allclose(moved.x, [[-5.0, -1.0], [5.0, 1.0], [-2.5, -0.5]], atol=1e-6)
    assert np.array_equal(moved.y, far.y) and moved.classes == far.classes and moved.name == "upload"
    near = datasets.make("circle", n=100, seed=0)
    same, scale, centre = datasets.fit_to_view(near)
    assert same is near and scale == 1.0 and centre.tolist() == [0.0, 0.0]


def test_fit_to_view_limits_and_a_single_far_point():
    def one(*rows):
        return datasets.Dataset(np.array(rows, dtype=float), [0] * len(rows), ("a", "b"))

    edge = one([6.0, -6.0], [0.0, 1.0])  # exactly radius + 1: left alone
    assert datasets.fit_to_view(edge)[0] is edge
    beyond = one([6.5, 0.0], [-6.5, 1.0])  # past it: rescaled to ±5
    moved, scale, _ = datasets.fit_to_view(beyond)
    assert scale == pytest.approx(5 / 6.5) and np.abs(moved.x).max() == pytest.approx(5.0)
    lone = one([1000.0, -300.0])  # one far point goes to the centre of the view
    moved, scale, centre = datasets.fit_to_view(lone)
    assert moved.x.tolist() == [[0.0, 0.0]] and centre.tolist() == [1000.0, -300.0] and scale == 5e12


def test_with_point_messages_and_limits():
    ds = datasets.Dataset(np.zeros((2, 2)), [0, 1], ("a", "b"))
    with pytest.raises(DataError, match=r"^Unknown class 'c'; the classes are a, b\.$"):
        ds.with_point(0.0, 0.0, "c")
    with pytest.raises(DataError, match=r"^Class index 2 is out of range 0\.\.1\.$"):
        ds.with_point(0.0, 0.0, 2)
    with pytest.raises(DataError, match=r"^x2 must be a number, got 'y'\.$"):
        ds.with_point(0.0, "y", 0)
    big = float(np.finfo(np.float32).max)
    assert ds.with_point(big, -big, 1).x[-1].tolist() == [big, -big]  # float32's largest: accepted
    with pytest.raises(DataError, match=r"^The point's coordinates must be finite numbers\.$"):
        ds.with_point(big * 1.001, 0.0, 0)


@pytest.mark.parametrize(("sep", "shown"), [(";", "';'"), ("\t", "'\\t'"), ("|", "'|'")])
def test_a_file_with_another_separator_is_named(sep, shown):
    with pytest.raises(DataError) as info:
        load_csv(f"x1{sep}x2{sep}label\n1{sep}2{sep}a\n3{sep}4{sep}b\n")
    assert str(info.value) == (
        f"Row 1: expected 3 columns (x1, x2, label), found 1. The file seems to use {shown} between fields; "
        "use commas."
    )


def test_long_bad_values_are_quoted_up_to_30_characters():
    for text, shown in (("a" * 30, repr("a" * 30)), ("a" * 31, repr("a" * 30 + "…"))):
        with pytest.raises(DataError) as info:
            load_csv(f"1,{text},red\n2,3,blue\n")
        assert f"Row 1, column x2: {shown} is not a number." in str(info.value)


# --- noise paths: labels recomputed from the shifted points --------------------------------------
#
# Reference generators written from the module docstring (Playground's formulas), drawing from
# default_rng(seed) in the documented order: the points, then the per-axis label shifts (or jitter),
# then the row shuffle. Each label is recomputed here from its own shifted point with the documented
# rule (radius 2.5; signs; cell parity; radii 1.7 and 3.5), so a changed threshold, shift scale or
# jitter scale changes labels or points and fails the exact comparison below.


def _ref_polar(r, a):
    return np.column_stack([r * np.sin(a), r * np.cos(a)])


def _ref_halves(n, k=2):
    return [n // k + (c < n % k) for c in range(k)]


def reference(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if name == "circle":
        outer, inner = _ref_halves(n)
        r = np.concatenate([rng.uniform(3.5, 5.0, outer), rng.uniform(0.0, 2.5, inner)])
        x = _ref_polar(r, rng.uniform(0.0, 2 * np.pi, n))
        s = x + noise * rng.uniform(-5.0, 5.0, (n, 2))
        y = (s[:, 0] ** 2 + s[:, 1] ** 2 < 2.5**2).astype(int)
    elif name == "xor":
        x = rng.uniform(-5.0, 5.0, (n, 2))
        x = x + 0.3 * np.sign(x)
        s = x + noise * rng.uniform(-5.0, 5.0, (n, 2))
        y = (np.sign(s[:, 0]) * np.sign(s[:, 1]) >= 0).astype(int)
    elif name == "gauss":
        v = 0.5 + 7.0 * noise
        a, b = _ref_halves(n)
        x = np.concatenate([np.full((a, 2), -2.0), np.full((b, 2), 2.0)]) + rng.normal(
            0, math.sqrt(v), (n, 2)
        )
        y = np.repeat([0, 1], [a, b])
    elif name == "spiral":
        xs, ys = [], []
        for label, (m, delta) in enumerate(zip(_ref_halves(n), (np.pi, 0.0), strict=True)):
            i = np.arange(m)
            xs.append(_ref_polar(5 * i / m, 3.5 * np.pi * i / m + delta) + noise * rng.uniform(-1, 1, (m, 2)))
            ys.append(np.full(m, label))
        x, y = np.concatenate(xs), np.concatenate(ys)
    elif name == "moons":
        a, b = _ref_halves(n)
        t0, t1 = rng.uniform(0, np.pi, a), rng.uniform(0, np.pi, b)
        up = np.column_stack([np.cos(t0), np.sin(t0)])
        down = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
        x = 3.0 * (np.concatenate([up, down]) - [0.5, 0.25]) + rng.normal(0.0, 2 * noise, (n, 2))
        y = np.repeat([0, 1], [a, b])
    elif name == "checkerboard":
        parts = []
        for colour, m in enumerate(_ref_halves(n)):
            cells = [(i, j) for i in range(4) for j in range(4) if (i + j) % 2 == colour]
            pick = np.array(cells)[rng.integers(0, 8, m)]
            parts.append(-5.0 + 2.5 * pick + rng.uniform(0.15, 2.35, (m, 2)))
        x = np.concatenate(parts)
        s = x + noise * rng.uniform(-2.5, 2.5, (n, 2))
        y = (np.floor(s[:, 0] / 2.5 + 2) + np.floor(s[:, 1] / 2.5 + 2)).astype(int) % 2
    elif name == "rings":
        m = _ref_halves(n, 3)
        r = np.concatenate(
            [rng.uniform(0.0, 1.4, m[0]), rng.uniform(2.0, 3.2, m[1]), rng.uniform(3.8, 5.0, m[2])]
        )
        x = _ref_polar(r, rng.uniform(0.0, 2 * np.pi, n))
        s = x + noise * rng.uniform(-5.0, 5.0, (n, 2))
        d = np.hypot(s[:, 0], s[:, 1])
        y = np.where(d < 1.7, 0, np.where(d < 3.5, 1, 2))
    else:  # blobs, k = 3
        v = 0.3 + 2.4 * noise
        m = _ref_halves(n, 3)
        centres = _ref_polar(np.full(3, 3.5), np.pi / 2 + 2 * np.pi * np.arange(3) / 3)
        x = np.repeat(centres, m, axis=0) + rng.normal(0.0, math.sqrt(v), (n, 2))
        y = np.repeat([0, 1, 2], m)
    order = rng.permutation(n)
    return x[order], y[order]


@pytest.mark.parametrize("noise", [0.05, 0.3, 0.5])
@pytest.mark.parametrize("name", ALL)
def test_noisy_generators_match_the_reference_point_for_point(name, noise):
    n = 601  # odd: uneven class sizes too
    ds = make(name, n=n, noise=noise, seed=13)
    x, y = reference(name, n, noise, 13)
    np.testing.assert_allclose(ds.x, x, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ds.y, y)


def _shift_box_labels(name: str, p: np.ndarray, h: float) -> list[set[int]]:
    """Every label the rule can give a point p shifted anywhere in p + [-h, h]² (exact, draw-order free)."""
    out = []
    for x1, x2 in p.astype(np.float64):
        lo, hi = np.array([x1 - h, x2 - h]), np.array([x1 + h, x2 + h])
        near = np.hypot(*np.clip(0.0, lo, hi))  # distance from the origin to the square
        far = max(np.hypot(a, b) for a in (lo[0], hi[0]) for b in (lo[1], hi[1]))
        if name == "circle":
            out.append({c for c, ok in ((1, near < 2.5), (0, far >= 2.5)) if ok})
        elif name == "rings":
            out.append(
                {c for c, (a, b) in enumerate(((0, 1.7), (1.7, 3.5), (3.5, np.inf))) if near < b and far >= a}
            )
        elif name == "xor":
            signs = [
                {s for s, ok in ((1, h_ >= 0), (-1, l_ < 0)) if ok} for l_, h_ in zip(lo, hi, strict=True)
            ]
            out.append({int(a * b >= 0) for a in signs[0] for b in signs[1]})
        else:  # checkerboard: the parities of the cells the square touches
            i = range(int(np.floor(lo[0] / 2.5 + 2)), int(np.floor(hi[0] / 2.5 + 2)) + 1)
            j = range(int(np.floor(lo[1] / 2.5 + 2)), int(np.floor(hi[1] / 2.5 + 2)) + 1)
            out.append({(a + b) % 2 for a in i for b in j})
    return out


@pytest.mark.parametrize(
    ("name", "half"), [("circle", 5.0), ("xor", 5.0), ("checkerboard", 2.5), ("rings", 5.0)]
)
@pytest.mark.parametrize("noise", [0.2, 0.5])
def test_every_noisy_label_is_one_its_shift_box_allows(name, half, noise):
    # Draw-order free: the label point lies in the point's square of half-width noise·half, so every
    # label must be one of those the rule gives somewhere in that square; and points whose square holds
    # two labels do get both (the noise really moves the label point, by the documented amount).
    ds = make(name, n=2000, noise=noise, seed=21)
    allowed = _shift_box_labels(name, ds.x, noise * half + 1e-6)
    assert all(int(c) in ok for c, ok in zip(ds.y, allowed, strict=True))
    tight = _shift_box_labels(name, ds.x, 0.5 * noise * half)  # labels the inner half-square allows
    mixed = np.array([len(ok) > 1 for ok in tight])
    assert mixed.sum() > 20
    clean = np.array([min(ok) if len(ok) == 1 else -1 for ok in _shift_box_labels(name, ds.x, 0.0)])
    assert (ds.y[mixed] != clean[mixed]).sum() > 5


@pytest.mark.parametrize("noise", [0.05, 0.1])
def test_moons_jitter_has_the_documented_scale(noise):
    # Each point is its moon's arc (radius 3 after scaling, centres (-1.5, -0.75) and (1.5, 0.75)) plus
    # N(0, (2·noise)²) per axis: the radial residual has standard deviation 2·noise.
    ds = make("moons", n=2000, noise=noise, seed=5)
    centre = np.where(ds.y[:, None] == 0, [-1.5, -0.75], [1.5, 0.75])
    residual = np.hypot(*(ds.x - centre).T.astype(np.float64)) - 3.0
    assert np.std(residual) == pytest.approx(2 * noise, rel=0.08)


def test_tiny_split_lends_and_keeps_back_from_the_largest_class():
    # three points, class 1 the larger: a 10 % share rounds to no training point, so class 1 lends
    # one; a 90 % share rounds to no test point, so class 1 keeps one back
    ds = Dataset(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]), [1, 0, 1], ("a", "b"))
    train, test = ds.split(0.1)
    assert len(train) == 1 and ds.y[train].tolist() == [1]
    train, test = ds.split(0.9)
    assert len(test) == 1 and ds.y[test].tolist() == [1]


def test_dataset_fields_are_normalised_and_compared_in_full():
    ds = Dataset([[0.0, 1.0], [2.0, 3.0]], np.array([0, 1], dtype=np.uint8), ["a", "b"], name=7)
    assert ds.y.dtype == np.int64 and ds.classes == ("a", "b") and ds.name == "7"
    assert Dataset(np.zeros(0), np.zeros(0, dtype=np.int64), ("a", "b")).x.shape == (0, 2)
    other_x = Dataset([[0.0, 1.5], [2.0, 3.0]], [0, 1], ("a", "b"), name="7")
    assert ds != other_x  # same labels, classes and name: the points still count
    assert Dataset([[0, 0]], [0], ("a", "b", "c")).counts().tolist() == [1, 0, 0]
    with pytest.raises(DataError, match=r"^x must be finite\.$"):
        Dataset([[np.inf, 0.0]], [0], ("a", "b"))
    with pytest.raises(DataError, match=r"^y must have shape \(2,\), got \(3,\)\.$"):
        Dataset([[0, 0], [1, 1]], [0, 1, 0], ("a", "b"))
    with pytest.raises(DataError, match=r"^classes must be unique, non-empty strings\.$"):
        Dataset([[0, 0]], [0], ("a", "a"))


def test_make_messages_name_the_argument():
    with pytest.raises(DataError, match=r"^Unknown dataset 'spirals'; choose one of: circle, xor, gauss, "):
        make("spirals")
    with pytest.raises(DataError, match=r"^k must be a whole number, got 3.5\.$"):
        make("blobs", k=3.5)


def test_upload_messages_and_limits_exactly():
    def refused(data) -> str:
        with pytest.raises(DataError) as info:
            load_csv(data)
        return str(info.value)

    assert refused(b"") == "The file is empty."
    not_text = "This is not a text CSV file (it has NUL bytes or is not UTF-8); save it as CSV (UTF-8)."
    assert refused(b"1,2,a\x00\n") == not_text and refused(b"1,2,\xff\n") == not_text
    assert refused("x1,x2,label\n") == "The file has a header but no data rows."
    assert refused("\n\n") == "The file has no data rows."
    assert refused("1,2\n").startswith("Row 1: expected 3 columns (x1, x2, label), found 2.")
    assert refused("abc\n") == "Row 1: expected 3 columns (x1, x2, label), found 1."  # no separator hint
    with pytest.raises(TypeError, match=r"^load_csv needs bytes or str, got int\.$"):
        load_csv(12)
    # a byte-order mark is dropped from the start only; exactly MAX_BYTES is accepted, one more is not
    assert load_csv("\ufeffx1,x2,label\n1,2,a\n3,4,b\n").classes == ("a", "b")
    row = "1,2,a\n3,4,b\n"
    exact = row + "\n" * (datasets.MAX_BYTES - len(row))  # blank lines are skipped
    assert len(exact.encode()) == datasets.MAX_BYTES and len(load_csv(exact)) == 2
    assert refused(exact + " ").startswith("The file is larger than the limit of 1,000,000 bytes")
    # labels up to 40 characters
    assert load_csv(f"1,2,{'a' * 40}\n3,4,b\n").classes[0] == "a" * 40
    assert (
        refused(f"1,2,{'a' * 41}\n3,4,b\n") == "Row 1, column label: the label is longer than 40 characters."
    )
