"""Batched geometry of convex polygons stored flat: cut many polygons, each by its own line, at once.

A batch of C convex polygons is one flat vertex array ``xy`` (T, 2) float64, counter-clockwise within
each polygon, with ``first`` (C,) the index of each polygon's first vertex and ``count`` (C,) its number
of vertices (>= 3); polygon c is ``xy[first[c] : first[c] + count[c]]``. Edge i of a polygon runs from its
vertex i to the next vertex of the same polygon (the last wraps to the first). An int32 ``tag`` per vertex
labels the edge that starts there (which cut made it; -1 for the sides of the box).

A cut is given by one signed value per vertex, ``d`` (T,): the normalised signed distance
d = (a·v + c − t) / |a| of the vertex v from the polygon's own line a·x + c = t, in the units of x.
Everything here is plain numpy on whole batches; there is no Python loop over polygons.
"""

from __future__ import annotations

import numpy as np


def firsts(count: np.ndarray) -> np.ndarray:
    """Exclusive prefix sum: where each polygon starts in a contiguous flat array, shape (C,)."""
    out = count.cumsum()
    out -= count
    return out


def flat_index(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices that gather polygons stored at ``start[c] : start[c] + count[c]`` into one contiguous batch.

    Returns ``(idx, first)``: ``pool[idx]`` is the batch, ``first`` (C,) where each polygon begins in it.
    """
    first = firsts(count)
    total = int(first[-1] + count[-1]) if len(count) else 0
    idx = np.repeat(start - first, count)
    idx += np.arange(total)
    return idx, first


def next_index(first: np.ndarray, count: np.ndarray, total: int) -> np.ndarray:
    """For each vertex of a contiguous batch, the index of the next vertex of its polygon (cyclic)."""
    nxt = np.arange(1, total + 1)
    nxt[first + count - 1] = first
    return nxt


def shoelace(xy: np.ndarray, first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Signed areas (C,) by the shoelace formula ½ Σ (x_i y_{i+1} − x_{i+1} y_i); > 0 for CCW polygons."""
    if len(count) == 0:
        return np.zeros(0)
    nxt = next_index(first, count, len(xy))
    x, y = xy[:, 0], xy[:, 1]
    cross = x * y.take(nxt)
    cross -= x.take(nxt) * y
    return 0.5 * np.add.reduceat(cross, first)


def split(
    xy: np.ndarray,
    tag: np.ndarray,
    d: np.ndarray,
    first: np.ndarray,
    count: np.ndarray,
    tol: float,
    cut_tag: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Cut every polygon of a batch by its own line; every polygon must have some d < −tol and some d > tol.

    Vertices with |d| <= tol count as on the line and go to both halves unchanged; an edge whose ends lie
    strictly on opposite sides is cut at v_i + d_i / (d_i − d_{i+1}) · (v_{i+1} − v_i). Walking each
    polygon once and emitting (kept vertex, crossing point) in order keeps both halves counter-clockwise.
    The edge running along the cut gets the polygon's ``cut_tag`` (given per vertex, (T,)); the others
    keep their tags.

    Returns one flat batch (xy, tag, count) of 2C polygons: the C positive halves (d > 0 side) in input
    order, then the C negative halves, and ``chord`` (C,), the length of each cut, when no vertex lies on
    its line (else None). Both halves are built by the same array operations: the walk is done on the
    doubled vertex list [v, v] with the signs of the second copy flipped.
    """
    total = len(xy)
    nxt = np.arange(1, total + 1)
    nxt[first + count - 1] = first
    sgn = (d > tol).astype(np.int8)
    sgn -= d < -tol
    sn = sgn.take(nxt)
    cross = (sgn * sn) < 0
    # array methods, not np.* functions: this runs once per cut round, on small arrays, where numpy's
    # Python-level dispatch costs more than the work
    ci = cross.nonzero()[0]
    cn = nxt.take(ci)
    dc = d.take(ci)
    pts = xy.take(ci, axis=0)
    pts += (dc / (dc - d.take(cn)))[:, None] * (xy.take(cn, axis=0) - pts)

    # Positive half: vertices with sgn >= 0; negative half: sgn <= 0; both with the crossing points.
    # The doubled walk: entries 0..T-1 are the vertices seen from the positive half, T..2T-1 from the
    # negative one; ``kept`` indexes the doubled list (kp, then kn + T).
    n_out = np.empty(2 * total, dtype=np.int64)
    n_out[:total] = sgn >= 0
    n_out[total:] = sgn <= 0
    kept = n_out.nonzero()[0]
    n_kp = int(n_out[:total].sum())
    n_out[ci] += 1
    n_out[ci + total] += 1
    end = n_out.cumsum()
    begin = end - n_out
    out_xy = np.empty((int(end[-1]), 2))
    out_tag = np.empty(len(out_xy), dtype=np.int32)
    src = kept.copy()
    src[n_kp:] -= total
    # A half's boundary leaves the old polygon along the cut at an on-line vertex whose successor lies on
    # the other side (sn < 0 for the positive half, > 0 for the negative), and at a crossing where the
    # walk exits this side.
    sn_s = sn.take(src)
    leaves = sn_s < 0
    leaves[n_kp:] = sn_s[n_kp:] > 0
    along = (sgn.take(src) == 0) & leaves
    at = begin.take(kept)
    out_xy[at] = xy.take(src, axis=0)
    out_tag[at] = np.where(along, cut_tag.take(src), tag.take(src))
    s_ci = sgn.take(ci)
    leaving_pos = s_ci > 0
    at_p = begin.take(ci) + (s_ci >= 0)
    at_n = begin.take(ci + total) + (s_ci <= 0)
    ct, tg = cut_tag.take(ci), tag.take(ci)
    out_xy[at_p] = pts
    out_xy[at_n] = pts
    out_tag[at_p] = np.where(leaving_pos, ct, tg)
    out_tag[at_n] = np.where(leaving_pos, tg, ct)
    # Halves are consecutive in the doubled walk, so each one begins where the previous one ends.
    last = first + count - 1
    out_count = end.take(np.concatenate([last, last + total]))
    out_count[1:] -= out_count[:-1].copy()  # np.diff(prepend=0), without its dispatch
    chord = None
    if len(ci) == 2 * len(count) and len(kept) == total:  # two crossings each, none on the line
        chord = np.hypot(*(pts[1::2] - pts[0::2]).T)
    return out_xy, out_tag, out_count, chord


def select(xy: np.ndarray, tag: np.ndarray, count: np.ndarray, keep: np.ndarray):
    """The polygons of a contiguous batch where ``keep`` (C,) is True: (xy, tag, count)."""
    vmask = np.repeat(keep, count)
    return np.compress(vmask, xy, axis=0), tag[vmask], count[keep]


def zero_segments(
    xy: np.ndarray, d: np.ndarray, first: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where an affine function, given by its values d at each polygon's vertices, is 0 inside the polygon.

    On a convex polygon {d > 0} meets the boundary in one arc, so the zero set is one segment, from the
    crossing where d turns positive (walking CCW) to the crossing where it turns non-positive. Returns
    ``(poly, p0, p1)``: polygon index (S,) and the segment's ends (S, 2) for every polygon that d crosses.
    No tolerance: a polygon that d only touches at a vertex yields a segment of length ~0 or none.
    """
    if len(xy) == 0:
        return np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((0, 2))
    nxt = next_index(first, count, len(xy))
    pos = d > 0
    pn = pos[nxt]
    poly_of = np.repeat(np.arange(len(count)), count)

    def crossing(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i = np.flatnonzero(mask)
        j = nxt[i]
        t = d[i] / (d[i] - d[j])
        return poly_of[i], xy[i] + t[:, None] * (xy[j] - xy[i])

    rise_poly, rise = crossing(~pos & pn)
    fall_poly, fall = crossing(pos & ~pn)
    n = len(count)
    has_rise = np.zeros(n, bool)
    has_rise[rise_poly] = True
    has_fall = np.zeros(n, bool)
    has_fall[fall_poly] = True
    start = np.empty((n, 2))
    start[rise_poly] = rise
    end = np.empty((n, 2))
    end[fall_poly] = fall
    poly = np.flatnonzero(has_rise & has_fall)
    return poly, start[poly], end[poly]


def locate(
    points: np.ndarray, xy: np.ndarray, first: np.ndarray, count: np.ndarray, slack: float
) -> np.ndarray:
    """Point location: for each point (P, 2), the index of a polygon containing it, else −1.

    A point is inside a CCW convex polygon when cross(v_{i+1} − v_i, p − v_i) >= −slack·|v_{i+1} − v_i|
    for every edge i (slack in the units of x). Polygons are bucketed by bounding box on a G x G grid
    (G ≈ √C) over their extent, so each point is tested against the few polygons of its cell only.
    """
    out = np.full(len(points), -1, dtype=np.int64)
    C = len(count)
    if len(points) == 0 or C == 0:
        return out
    x, y = xy[:, 0], xy[:, 1]
    lo = np.stack([np.minimum.reduceat(x, first), np.minimum.reduceat(y, first)], axis=1) - slack
    hi = np.stack([np.maximum.reduceat(x, first), np.maximum.reduceat(y, first)], axis=1) + slack
    origin, extent = lo.min(axis=0), hi.max(axis=0) - lo.min(axis=0)
    g = max(1, int(np.sqrt(C)))
    size = np.where(extent > 0, extent / g, 1.0)

    def cell(v: np.ndarray) -> np.ndarray:
        return np.clip(np.floor((v - origin) / size).astype(np.int64), 0, g - 1)

    c0, c1 = cell(lo), cell(hi)
    wx = c1[:, 0] - c0[:, 0] + 1
    n_cells = wx * (c1[:, 1] - c0[:, 1] + 1)
    poly = np.repeat(np.arange(C), n_cells)
    local = np.arange(len(poly)) - np.repeat(firsts(n_cells), n_cells)
    cells = (c0[poly, 1] + local // wx[poly]) * g + c0[poly, 0] + local % wx[poly]
    order = np.argsort(cells, kind="stable")
    poly, cells = poly[order], cells[order]
    cell_start = np.searchsorted(cells, np.arange(g * g + 1))

    pts = np.asarray(points, dtype=np.float64)
    inside_box = np.all((pts >= origin) & (pts <= origin + extent), axis=1)
    pid = np.flatnonzero(inside_box)
    pc = cell(pts[pid])
    pcell = pc[:, 1] * g + pc[:, 0]
    n_cand = cell_start[pcell + 1] - cell_start[pcell]
    # (point, candidate polygon) pairs, then (pair, edge) rows
    pair_pt = np.repeat(pid, n_cand)
    pair_poly = poly[np.repeat(cell_start[pcell] - firsts(n_cand), n_cand) + np.arange(n_cand.sum())]
    if len(pair_poly) == 0:
        return out
    ne = count[pair_poly]
    row_pair = np.repeat(np.arange(len(pair_poly)), ne)
    vi = np.repeat(first[pair_poly], ne) + np.arange(ne.sum()) - np.repeat(firsts(ne), ne)
    nxt = next_index(first, count, len(xy))
    e = xy[nxt[vi]] - xy[vi]
    rel = pts[pair_pt[row_pair]] - xy[vi]
    ok = e[:, 0] * rel[:, 1] - e[:, 1] * rel[:, 0] >= -slack * np.hypot(e[:, 0], e[:, 1])
    inside = np.logical_and.reduceat(ok, firsts(ne))
    hit = np.flatnonzero(inside)
    # first hit per point wins: write in reverse so the earliest candidate is written last
    out[pair_pt[hit[::-1]]] = pair_poly[hit[::-1]]
    return out
