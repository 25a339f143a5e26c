"""Benchmark: the 'ReLU is more efficient' claim's measurement, repeated: its whole-step ratio (sigmoid /
ReLU, [2, 32, 32, 1], batch 32, SGD) and the verdict its rule gives (depends below 1.5x, holds above).

The unit tests check the rule on fixed timings (a timing ratio measured on a busy machine is no fact);
this prints what the machine measures. Run: ``python bench/efficiency_claim.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relu_viz import evidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ratios = []
    for i in range(args.rounds):
        found = evidence.efficient()
        relu, sigmoid = found.fact("training step, ReLU (µs)"), found.fact("training step, sigmoid (µs)")
        ratios.append(sigmoid / relu)
        print(f"round {i + 1}: ReLU {relu:.1f} µs, sigmoid {sigmoid:.1f} µs a step: ", end="")
        print(f"{ratios[-1]:.2f}x, {found.verdict}")
    print(f"median ratio {statistics.median(ratios):.2f}x (rule: depends below 1.5x)")


if __name__ == "__main__":
    main()
