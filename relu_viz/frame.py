"""One frame of the live trainer: the arrays a redraw needs, computed from a network's current weights.

A frame is the class probabilities on the view grid, and, when the network is piecewise linear on the
plane, its exact partition (linear regions, decision boundary) from :mod:`relu_viz.regions`. Nothing
here draws; :mod:`relu_viz.figures.trainer` turns a frame into a figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from relu_viz import maps, network, regions

# A frame must stay cheap for a classroom of live sessions; past this many regions the partition is
# truncated (and the page says so) rather than stalling the redraw.
LIVE_MAX_REGIONS = 20_000
REGION_LOOKUPS = 2_000_000  # points x hidden units spent locating pixels in colour-per-region mode


@dataclass
class Frame:
    """Arrays for one redraw.

    ``probs`` (res², K) on ``grid``; ``partition`` None with ``regions_note`` explaining why when the
    model is not piecewise linear on the plane. In colour-per-region mode, ``region_ids`` and
    ``region_probs`` give the region index and class probabilities on the finer ``region_grid``.
    """

    grid: maps.Grid
    probs: np.ndarray
    partition: regions.Partition | None
    regions_note: str | None
    region_ids: np.ndarray | None
    region_grid: maps.Grid | None = None
    region_probs: np.ndarray | None = None
    box: maps.Box = maps.DEFAULT_BOX

    @property
    def region_count(self) -> int | None:
        return None if self.partition is None else int(self.partition.n_linear_regions)


def compute(
    model: nn.Sequential,
    *,
    box: maps.Box = maps.DEFAULT_BOX,
    res: int = 100,
    exact: bool = True,
    region_ids: bool = False,
    region_res: int = 200,
    max_regions: int = LIVE_MAX_REGIONS,
) -> Frame:
    """Probabilities on a ``res x res`` grid and (if ``exact``) the exact partition of ``box``.

    With ``region_ids``, also the region of every point of a ``region_res`` lattice: regions near the
    origin are often smaller than a cell of the 100 x 100 probability grid.
    """
    g = maps.grid(box, res)
    probs = maps.class_probabilities(model, g.points)
    part = None
    note = None
    ids = None
    if exact:
        try:
            part = regions.partition(model, box, max_regions=max_regions)
        except regions.NotPiecewiseLinear as err:
            note = str(err)
        else:
            if part.truncated:
                note = (
                    f"Stopped at {max_regions:,} regions to keep the page live: the counts below are "
                    "lower bounds."
                )
            if region_ids:
                # Locating a point costs one pattern row (a value per hidden unit): cap points x units
                # so deep, wide nets keep a live frame rate (100 x 100 at worst, as the probabilities).
                units = max(1, sum(network.hidden_widths(model)))
                res = int(np.clip(np.sqrt(REGION_LOOKUPS / units), 100, region_res))
                fine = maps.grid(box, res)
                ids = part.region_at(fine.points)
                return Frame(
                    g, probs, part, note, ids, fine, maps.class_probabilities(model, fine.points), box
                )
    return Frame(g, probs, part, note, ids, box=box)


def count_text(frame: Frame, model: nn.Sequential) -> str:
    """The one-line region count with its theoretical maximum, e.g. 'your network: 391 regions; ...'."""
    if frame.partition is None:
        return ""
    # the partition knows the activation's breakpoints (the bound) and whether the count is truncated
    return frame.partition.describe()
