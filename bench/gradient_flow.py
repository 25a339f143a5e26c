"""Benchmark: the Activations page's vanishing-gradient table, gradient ratios through 1..30 layers.

Was a wall-clock assertion in tests/unit/test_gradient_flow.py (under 6 s; about 0.5 s alone), moved
here because a test must not depend on the machine's speed. Prints the median of ``--repeats`` timings
of the three curves the page draws. Run: ``python bench/gradient_flow.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relu_viz import gradient_flow

PAGE_BUDGET_SECONDS = 6.0  # the page shows the table without a progress bar below this


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for key in ("sigmoid", "tanh", "relu"):
            gradient_flow.gradient_ratio(key, range(1, 31), init=gradient_flow.default_init(key))
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"sigmoid, tanh, relu through 1..30 layers: median {median:.2f} s of {args.repeats} runs")
    print(f"page budget {PAGE_BUDGET_SECONDS:.0f} s: {median / PAGE_BUDGET_SECONDS:.0%} of it")


if __name__ == "__main__":
    main()
