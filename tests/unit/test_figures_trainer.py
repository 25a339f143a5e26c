"""figures.trainer: PNG images, colour maps, and the plotly figures of the trainer page."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.io as pio
import pytest
from PIL import Image

from relu_viz import datasets, maps, network, regions
from relu_viz.figures import trainer as ft

BOX = ((-6.0, 6.0), (-6.0, 6.0))
PREFIX = "data:image/png;base64,"


def decode(uri: str) -> np.ndarray:
    assert uri.startswith(PREFIX)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri[len(PREFIX) :]))).convert("RGB"))


def full_strength(k: int) -> np.ndarray:
    """Class k's colour at full confidence: white + s·(colour − white) (the module's documented blend)."""
    return ft.WHITE + ft._MAP_STRENGTH * (ft.CLASS_COLORS[k] - ft.WHITE)


# -- PNG ------------------------------------------------------------------------------------------


def test_png_data_uri_round_trips_pixels():
    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode(ft.png_data_uri(rgb)), rgb)


def test_png_data_uri_of_a_flipped_view():
    rgb = np.random.default_rng(1).integers(0, 256, size=(4, 6, 3), dtype=np.uint8)
    view = rgb[::-1, ::2]  # not contiguous
    np.testing.assert_array_equal(decode(ft.png_data_uri(view)), view)


# -- probability colours --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 5])
def test_confident_pixel_has_its_class_colour_at_full_strength(k):
    for cls in range(k):
        probs = np.full((4, k), 0.0)
        probs[:, cls] = 1.0
        rgb = ft.probability_rgb(probs, 2)
        assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
        np.testing.assert_allclose(rgb.reshape(-1, 3), np.tile(full_strength(cls), (4, 1)), atol=1)


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_undecided_pixel_is_white(k, dtype):
    probs = np.full((9, k), 1.0 / k, dtype=dtype)
    np.testing.assert_array_equal(ft.probability_rgb(probs, 3), 255)


def test_half_sure_pixel_is_between_white_and_full_colour():
    probs = np.array([[0.75, 0.25]])  # confidence (0.75 − 0.5)/0.5 = ½
    rgb = ft.probability_rgb(probs, 1)[0, 0].astype(float)
    mix = 0.75 * ft.CLASS_COLORS[0] + 0.25 * ft.CLASS_COLORS[1]
    np.testing.assert_allclose(rgb, ft.WHITE + 0.5 * ft._MAP_STRENGTH * (mix - ft.WHITE), atol=1)


def test_probability_image_top_row_is_highest_y():
    res = 3
    probs = np.zeros((res * res, 2))
    ys_row = np.repeat(np.arange(res), res)  # points are row-major by y, bottom row first
    probs[ys_row == res - 1, 1] = 1.0  # top row (highest y): class 1
    probs[ys_row < res - 1, 0] = 1.0
    rgb = ft.probability_rgb(probs, res)
    np.testing.assert_allclose(rgb[0], np.tile(full_strength(1), (res, 1)), atol=1)
    np.testing.assert_allclose(rgb[-1], np.tile(full_strength(0), (res, 1)), atol=1)


def test_probability_image_columns_follow_x():
    res = 4
    probs = np.zeros((res * res, 2))
    col = np.tile(np.arange(res), res)
    probs[col == 0, 1] = 1.0  # leftmost column (lowest x): class 1
    probs[col != 0, 0] = 1.0
    rgb = ft.probability_rgb(probs, res)
    np.testing.assert_allclose(rgb[:, 0], np.tile(full_strength(1), (res, 1)), atol=1)
    np.testing.assert_allclose(rgb[:, 1:].reshape(-1, 3), np.tile(full_strength(0), (res * 3, 1)), atol=1)


# -- region colours -------------------------------------------------------------------------------


def test_region_colours_same_id_same_colour_negative_white():
    ids = np.array([3, 3, 7, -1, 7, 3, 12, -1, 0])
    rgb = ft.region_rgb(ids, 3)[::-1].reshape(-1, 3)  # back to point order
    assert rgb.dtype == np.uint8
    for i in range(9):
        for j in range(9):
            if ids[i] == ids[j]:
                np.testing.assert_array_equal(rgb[i], rgb[j])
    np.testing.assert_array_equal(rgb[ids < 0], 255)
    assert not np.array_equal(rgb[0], rgb[2])


def test_region_colours_usually_differ():
    ids = np.arange(400)
    rgb = ft.region_rgb(ids, 20).reshape(-1, 3)
    assert len({tuple(c) for c in rgb}) >= 390
    # not white: regions are visible
    assert np.all(rgb.min(axis=1) < 255)


def test_region_image_is_flipped_and_keeps_colour_with_probs():
    res = 2
    ids = np.array([0, 1, 2, 3])  # bottom-left, bottom-right, top-left, top-right
    plain = ft.region_rgb(ids, res)
    np.testing.assert_array_equal(plain[1, 0], ft.region_rgb(np.array([0]), 1)[0, 0])
    np.testing.assert_array_equal(plain[0, 1], ft.region_rgb(np.array([3]), 1)[0, 0])
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.9, 0.1]])
    ids2 = np.array([5, 5, 5, -2])
    tinted = ft.region_rgb(ids2, res, probs)[::-1].reshape(-1, 3)
    np.testing.assert_array_equal(tinted[0], tinted[1])  # same region, same class
    assert not np.array_equal(tinted[0], tinted[2])  # same region, other class: tinted differently
    np.testing.assert_array_equal(tinted[3], 255)


# -- decision map ---------------------------------------------------------------------------------


def _groups(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return [
        ("0", rng.uniform(-5, 5, (n, 2)), 0, False),
        ("1", rng.uniform(-5, 5, (n, 2)), 1, False),
        ("0", np.zeros((0, 2)), 0, True),
        ("1", rng.uniform(-5, 5, (3, 2)), 1, True),
    ]


def test_decision_map_trace_order_with_lines():
    bg = np.full((10, 10, 3), 200, dtype=np.uint8)
    line = (np.array([0.0, 1.0, np.nan, 2.0, 3.0]), np.array([0.0, 1.0, np.nan, 2.0, 3.0]))
    groups = _groups()
    fig = ft.decision_map_figure(bg, BOX, groups, boundary_xy=line, outline_xy=line)
    types = [t.type for t in fig.data]
    assert types == ["image", "scatter", "scatter", "scatter", "scatter", "scatter"]
    assert [t.mode for t in fig.data[1:3]] == ["lines", "lines"]
    markers = fig.data[3:]
    assert all(t.mode == "markers" for t in markers)
    # one scatter per non-empty group, carrying exactly that group's points
    for trace, (_, xy, _, _) in zip(markers, [g for g in groups if len(g[1])], strict=True):
        np.testing.assert_allclose(trace.x, xy[:, 0])
        np.testing.assert_allclose(trace.y, xy[:, 1])
    assert markers[0].marker.color != markers[1].marker.color
    assert markers[1].marker.color == markers[2].marker.color  # class 1, train and test
    np.testing.assert_array_equal(np.isnan(np.asarray(fig.data[2].x, dtype=float)), np.isnan(line[0]))


def test_decision_map_without_lines():
    bg = np.full((10, 10, 3), 200, dtype=np.uint8)
    fig = ft.decision_map_figure(bg, BOX, _groups())
    assert [t.type for t in fig.data] == ["image", "scatter", "scatter", "scatter"]
    assert all(t.mode == "markers" for t in fig.data[1:])
    only_outline = ft.decision_map_figure(bg, BOX, [], outline_xy=(np.zeros(2), np.ones(2)))
    assert [t.type for t in only_outline.data] == ["image", "scatter"]


@pytest.mark.parametrize("box", [BOX, ((-1.0, 3.0), (0.0, 2.0))])
def test_decision_map_axes_and_image_cover_the_box(box):
    h, w = 8, 16
    rgb = np.random.default_rng(3).integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    fig = ft.decision_map_figure(rgb, box, [])
    (x0, x1), (y0, y1) = box
    assert tuple(fig.layout.xaxis.range) == (x0, x1)
    assert tuple(fig.layout.yaxis.range) == (y0, y1)
    img = fig.data[0]
    # the picture goes bottom row first with dy > 0: plotly.js ignores a negative dy for a source
    # image on an upward y axis (the paused map was drawn upside down, seen in Chromium)
    np.testing.assert_array_equal(decode(img.source), rgb[::-1])
    assert img.dy > 0
    # pixel centres at x0 + (c + ½)·dx; the image's outer edges are the box's
    assert img.x0 - img.dx / 2 == pytest.approx(x0)
    assert img.x0 + (w - 0.5) * img.dx == pytest.approx(x1)
    # the source's row 0 (the given top row) has its centre half a pixel above y0
    assert img.y0 - img.dy / 2 == pytest.approx(y0)
    assert img.y0 + (h - 0.5) * img.dy == pytest.approx(y1)


def test_decision_map_json_stays_small():
    model = network.build([2, 16, 16, 1], "relu", init="he", seed=0, bias_std=0.5)
    part = regions.partition(model, BOX)
    assert part.n_activation_regions >= 500
    grid = maps.grid(BOX, 100)
    ds = datasets.make("spiral", n=500, noise=0.1, seed=0)
    groups = [(c, ds.x[ds.y == k], k, False) for k, c in enumerate(ds.classes)]
    fig = ft.decision_map_figure(
        ft.probability_rgb(maps.class_probabilities(model, grid.points), grid.res),
        BOX,
        groups,
        boundary_xy=part.boundary_xy(),
        outline_xy=part.outline_xy(),
    )
    assert len(pio.to_json(fig, validate=False)) < 150_000


# -- hidden view ----------------------------------------------------------------------------------


def test_hidden_view_figure_one_scatter_per_present_class():
    rng = np.random.default_rng(6)
    data = rng.normal(size=(30, 2))
    labels = np.array([0] * 10 + [2] * 20)
    lines = [rng.normal(size=(8, 2)) for _ in range(4)]
    fig = ft.hidden_view_figure(data, labels, lines, ["a", "b", "c"], ("unit 1", "unit 2"))
    assert fig.data[0].mode == "lines"
    assert np.isnan(np.asarray(fig.data[0].x, dtype=float)).sum() == 4
    scatters = fig.data[1:]
    assert [t.name for t in scatters] == ["a", "c"]
    np.testing.assert_allclose(scatters[1].x, data[labels == 2, 0])
    np.testing.assert_allclose(scatters[1].y, data[labels == 2, 1])
    assert scatters[0].marker.color != scatters[1].marker.color
    assert fig.layout.xaxis.title.text == "unit 1" and fig.layout.yaxis.title.text == "unit 2"
