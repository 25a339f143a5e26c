"""frame.compute: probabilities on the view grid, the exact partition (or why not), region ids, count text.

Region ids are checked against the model itself: the region found for a point must contain it (polygon
geometry) and carry an affine map that reproduces the model's output there.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch

from relu_viz import frame, maps, network, regions

BOX = ((-2.0, 2.0), (-2.0, 2.0))


def relu_net(widths=(2, 8, 8, 1), seed=0, act="relu", **kw):
    return network.build(list(widths), act, init="he", seed=seed, **kw)


def forward64(model, points: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return copy.deepcopy(model).double()(torch.tensor(np.asarray(points, dtype=np.float64))).numpy()


def inside_convex(poly: np.ndarray, p: np.ndarray, tol: float) -> bool:
    """p inside (or on) a convex polygon, whichever way round its vertices go."""
    e = np.roll(poly, -1, axis=0) - poly
    r = p - poly
    cross = e[:, 0] * r[:, 1] - e[:, 1] * r[:, 0]
    return bool(np.all(cross >= -tol) or np.all(cross <= tol))


def test_relu_frame_probs_and_partition():
    model = relu_net()
    fr = frame.compute(model, res=30)
    assert fr.probs.shape == (900, 2)
    assert fr.grid.res == 30
    z = forward64(model, fr.grid.points)[:, 0]
    np.testing.assert_allclose(fr.probs[:, 1], 1 / (1 + np.exp(-z)), atol=1e-5)
    assert fr.partition is not None
    assert fr.partition.n_linear_regions >= 1
    assert fr.region_count == fr.partition.n_linear_regions
    assert isinstance(fr.region_count, int)
    assert fr.regions_note is None
    assert fr.region_ids is None and fr.region_grid is None and fr.region_probs is None


def test_k_class_frame():
    model = relu_net((2, 6, 3), seed=1)
    fr = frame.compute(model, res=20, box=BOX)
    assert fr.probs.shape == (400, 3)
    np.testing.assert_allclose(fr.probs.sum(axis=1), 1, atol=1e-6)
    assert fr.partition is not None and fr.region_count >= 1
    assert fr.partition.box == BOX


def test_single_hidden_unit_splits_the_box_in_two():
    """One ReLU unit whose line crosses the box splits it in two; the output is then affine on each half."""
    model = relu_net((2, 1, 1), seed=0)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0]]))
        model[0].bias.zero_()
        model[2].weight.fill_(1.0)
    fr = frame.compute(model, res=10)
    assert fr.region_count == 2


def test_tanh_net_has_no_partition_and_says_why():
    model = relu_net(act="tanh")
    fr = frame.compute(model, res=10)
    assert fr.partition is None
    assert fr.region_count is None
    with pytest.raises(regions.NotPiecewiseLinear) as err:
        regions.partition(model, maps.DEFAULT_BOX)
    assert fr.regions_note
    assert fr.regions_note == str(err.value)
    assert fr.probs.shape == (100, 2)
    assert frame.count_text(fr, model) == ""


def test_tanh_net_with_region_ids_requested_still_has_none():
    fr = frame.compute(relu_net(act="tanh"), res=10, region_ids=True, region_res=12)
    assert fr.partition is None and fr.region_ids is None


def test_exact_false_skips_the_partition():
    fr = frame.compute(relu_net(), res=10, exact=False, region_ids=True)
    assert fr.partition is None
    assert fr.regions_note is None
    assert fr.region_ids is None
    assert fr.probs.shape == (100, 2)


@pytest.mark.parametrize(("widths", "act"), [((2, 8, 8, 1), "relu"), ((2, 6, 5, 3), "leaky_relu")])
def test_region_ids_index_regions_that_contain_their_points(widths, act):
    model = relu_net(widths, seed=2, act=act, bias_std=0.5)
    fr = frame.compute(model, box=BOX, res=10, region_ids=True, region_res=40)
    part = fr.partition
    assert fr.region_grid is not None and fr.region_grid.res == 40
    ids = fr.region_ids
    assert ids.shape == (1600,)
    assert np.all(ids >= 0) and np.all(ids < part.n_activation_regions)
    assert len(np.unique(ids)) > 1
    k = widths[-1] if widths[-1] > 1 else 2
    assert fr.region_probs.shape == (1600, k)
    np.testing.assert_allclose(fr.region_probs, maps.class_probabilities(model, fr.region_grid.points))

    pts = fr.region_grid.points.astype(np.float64)
    # the region's affine map reproduces the network at the point
    affine = np.einsum("nkd,nd->nk", part.A[ids], pts) + part.c[ids]
    np.testing.assert_allclose(affine, forward64(model, pts), atol=1e-6)
    # and the point lies in the region's polygon
    polys = part.polygons
    for i in range(0, len(pts), 7):
        assert inside_convex(polys[ids[i]], pts[i], tol=1e-9)


def test_small_max_regions_truncates_with_a_note():
    model = relu_net((2, 16, 16, 1), seed=0, bias_std=0.5)
    full = frame.compute(model, res=10)
    assert full.region_count > 10
    fr = frame.compute(model, res=10, max_regions=10, region_ids=True, region_res=30)
    assert fr.partition.truncated
    assert fr.regions_note and "10" in fr.regions_note
    assert fr.region_count < full.region_count
    # ids still point at (merged) polygons that contain their points
    ids = fr.region_ids
    assert np.all(ids >= 0) and np.all(ids < fr.partition.n_activation_regions)
    polys = fr.partition.polygons
    pts = fr.region_grid.points.astype(np.float64)
    for i in range(0, len(pts), 11):
        assert inside_convex(polys[ids[i]], pts[i], tol=1e-9)
    text = frame.count_text(fr, model)
    assert f"{fr.region_count:,}" in text
    assert "more than" in text  # a truncated count is a lower bound, not the count


def _numbers(text: str) -> list[int]:
    return [int(s.replace(",", "")) for s in re.findall(r"\d[\d,]*", text)]


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "hardtanh"])
def test_count_text_mentions_the_count_and_a_bound_above_it(act):
    model = relu_net((2, 8, 8, 1), seed=1, act=act)
    fr = frame.compute(model, box=BOX, res=10)
    text = frame.count_text(fr, model)
    assert f"{fr.region_count:,}" in text
    nums = _numbers(text)
    assert fr.region_count in nums
    # "the most it could have" can't be below what the network has
    assert max(nums) >= fr.region_count
    bound = int(re.search(r"most it could have: ([\d,]+)", text).group(1).replace(",", ""))
    assert bound >= fr.region_count
