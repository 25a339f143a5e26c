"""How many linear regions a piecewise-linear network can have: exact integer bounds and a reference scale.

``widths`` lists input, hidden and output sizes, e.g. [2, 16, 16, 1]: n0 = widths[0] is the input
dimension, n_1..n_L = widths[1:-1] the hidden layers (the output layer adds no breakpoints).

- One layer (Zaslavsky 1975): n lines in general position cut R^d into at most Σ_{i=0}^{d} C(n, i)
  regions; for the plane (d = 2) that is 1 + n + C(n, 2) (8 units → 37, 16 → 137), and general position
  attains it.
- Deep ReLU nets (Serra, Tjandraatmadja & Ramalingam 2018, Theorem 1): at most
  Σ_{(j_1..j_L) ∈ J} Π_l C(n_l, j_l), J = {0 <= j_l <= min(n0, n_1 − j_1, ..., n_{l−1} − j_{l−1}, n_l)}.
  With one hidden layer it equals the one-layer maximum.
- Any continuous activation with b breakpoints per unit: inside each region of layer l − 1 the
  breakpoints of layer l are b·n_l straight lines, so there are at most Π_l one_layer_max(b_l n_l, n0)
  regions (Montúfar et al. 2014 style product bound).
- Typical counts (Hanin & Rolnick 2019): for random ReLU nets the number of regions meeting a set K of
  the plane grows like (T·N)² / 2! · area(K), N the number of hidden units, T a constant set by the
  weight and bias distributions; polynomial in N, not exponential in depth. We quote T = 1:
  N²/2 regions per unit area, a reference scale, not a bound (He-init nets land well below it).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb, prod


def one_layer_max(n: int, d: int = 2) -> int:
    """Σ_{i=0}^{d} C(n, i): the most regions n hyperplanes cut R^d into (1 + n + C(n, 2) for d = 2)."""
    if n < 0 or d < 0:
        raise ValueError(f"n and d must be >= 0, got n={n}, d={d}")
    return sum(comb(n, i) for i in range(min(n, d) + 1))


def serra_upper_bound(widths: Sequence[int]) -> int:
    """Serra et al. 2018, Theorem 1, for a ReLU net with these ``widths`` (input, hidden..., output).

    Summed by dynamic programming over the running cap m_l = min(n0, n_1 − j_1, ..., n_{l−1} − j_{l−1}):
    each layer picks j_l <= min(m_l, n_l) with weight C(n_l, j_l); exact integers throughout.
    """
    n0, hidden = _split(widths)
    # ways[m] = total weight of the partial sums whose running cap is m
    ways = {n0: 1}
    for n in hidden:
        nxt: dict[int, int] = {}
        for cap, w in ways.items():
            for j in range(min(cap, n) + 1):
                key = min(cap, n - j)
                nxt[key] = nxt.get(key, 0) + w * comb(n, j)
        ways = nxt
    return sum(ways.values())


def product_upper_bound(widths: Sequence[int], breakpoints: int | Sequence[int] = 1) -> int:
    """Π_l one_layer_max(b_l · n_l, n0): valid for any continuous activation with b_l breakpoints."""
    n0, hidden = _split(widths)
    bs = _per_layer(breakpoints, len(hidden))
    return prod(one_layer_max(b * n, n0) for b, n in zip(bs, hidden, strict=True))


def upper_bound(widths: Sequence[int], breakpoints: int | Sequence[int] = 1, relu_like: bool = True) -> int:
    """The tightest of the bounds above that holds for the activation.

    ``relu_like``: every activation is flat left of its first breakpoint (ReLU, ReLU6, Hardtanh,
    Hardsigmoid). Such a unit with b breakpoints is exactly b ReLUs (σ(z) = σ(−∞) + Σ_k Δs_k ReLU(z − t_k),
    the next layer absorbing the weights), with the same regions, so Serra's bound applies with b·n_l
    units. Otherwise (Leaky ReLU, PReLU, RReLU) only the product bound is used.
    """
    n0, hidden = _split(widths)
    bs = _per_layer(breakpoints, len(hidden))
    best = product_upper_bound(widths, bs)
    if relu_like:
        best = min(best, serra_upper_bound([n0, *(b * n for b, n in zip(bs, hidden, strict=True)), 1]))
    return best


def hanin_rolnick_scale(n_hidden: int, area: float) -> float:
    """N²/2 · area: Hanin & Rolnick's typical count for N hidden units in a region of that area (T = 1)."""
    return n_hidden**2 / 2 * area


def describe_count(
    n_regions: int,
    widths: Sequence[int],
    area: float,
    *,
    upper: int | None = None,
    truncated: bool = False,
    with_scale: bool = False,
) -> str:
    """The UI's one line, e.g. 'your network: 391 regions; the most it could have: 18,769'.

    ``upper`` overrides the ReLU bound (Partition.upper_bound knows the activation); ``truncated`` turns
    the count into 'more than …'; ``with_scale`` appends the Hanin–Rolnick reference scale.
    """
    bound = serra_upper_bound(widths) if upper is None else upper
    count = f"more than {n_regions:,}" if truncated else f"{n_regions:,}"
    noun = "region" if n_regions == 1 and not truncated else "regions"
    text = f"your network: {count} {noun}; the most it could have: {big_number(bound)}"
    if with_scale:
        n_hidden = sum(widths[1:-1])
        scale = round(hanin_rolnick_scale(n_hidden, area))
        text += f"; typical scale N²/2 per unit area (Hanin–Rolnick): {big_number(scale)}"
    return text


def big_number(n: int) -> str:
    """12,345 up to a trillion, then 1.2 × 10^15 style (exact integers can have dozens of digits)."""
    if n < 10**12:
        return f"{n:,}"
    exp = len(str(n)) - 1
    return f"{n / 10**exp:.1f} × 10^{exp}"


def _split(widths: Sequence[int]) -> tuple[int, list[int]]:
    ws = [int(w) for w in widths]
    if len(ws) < 2 or any(w < 0 for w in ws):
        raise ValueError(f"widths must list input, hidden... and output sizes (>= 0), got {list(widths)}")
    return ws[0], ws[1:-1]


def _per_layer(breakpoints: int | Sequence[int], n_layers: int) -> list[int]:
    if isinstance(breakpoints, int):
        return [breakpoints] * n_layers
    bs = [int(b) for b in breakpoints]
    if len(bs) != n_layers:
        raise ValueError(f"{len(bs)} breakpoint counts for {n_layers} hidden layers")
    return bs
