"""Does a ReLU variant keep learning where ReLU's units die? A search over the dead-neurons page's widgets.

The page (pages/dead_neurons.py) trains ReLU and a variant with identical settings and seed. This bench
runs the same two trainings (:func:`relu_viz.dead_neurons.train_outcome`: the page's data, network and
trainer, stepped as Play steps them) over a grid of the page's settings, and prints:

1. every setting (seed 0) where ReLU stalls (most units dead, training loss >= 0.6) and a variant ends
   at least 0.2 lower without diverging, within ``--steps`` steps (10,000 = 20 s of Play at the page's
   500 steps a second);
2. those settings re-run on ``--seeds`` seeds (the seed sets the data and the weights, as on the page),
   with every seed's dead units, losses and accuracies, and how many seeds rescue;
3. the same table for LeakyReLU at the page's own learning-rate-3 example, for the record.

    python bench/leaky_rescue.py                      # the full search, 2 processes (a few minutes)
    python bench/leaky_rescue.py --quick              # a smaller grid
    python bench/leaky_rescue.py --only "lr=1 bias=-3 depth=2 dataset=moons variant=leaky_relu"

Nothing here is asserted; tests/unit/test_dead_neurons_rescue.py checks the chosen setting
(:data:`relu_viz.dead_neurons.RESCUE_SETTINGS`, measured by :func:`relu_viz.dead_neurons.rescue`).

Found (2026-12-05): on the page's circle at its defaults (3 x 8, He, learning rate 0.03, batch 10) with
bias -2 and Adam, ReLU ends at loss 0.693 with 14-23 of 24 units dead while Leaky ReLU (slope 0.01)
is below 0.1 within 600 steps, on 8 of 8 seeds; with SGD or momentum at the same settings Leaky ReLU
stalls at 0.693 beside ReLU (0 of 5 seeds). ELU learns there with SGD too.

    python bench/leaky_rescue.py --seeds 8 --only "lr=0.03 bias=-2 optimizer=adam variant=leaky_relu" \
        --only "lr=0.03 bias=-2 optimizer=sgd variant=leaky_relu"
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from relu_viz import dead_neurons as dn

LRS = {"sgd": (0.3, 1.0, 3.0, 10.0), "momentum": (0.1, 0.3, 1.0, 3.0), "adam": (0.03, 0.1, 0.3, 1.0)}
BIASES = (0.0, -1.0, -2.0, -3.0, -4.0)
DEPTHS = (1, 2, 3)
WIDTHS = (8,)
DATASETS = ("circle", "xor", "moons", "gauss")
VARIANTS = ("leaky_relu", "prelu", "elu")
CHECKPOINTS = (500, 1_000, 2_500, 5_000, 10_000)  # steps where the tables read the loss (<= --steps)


def _init() -> None:
    torch.set_num_threads(1)


def _loss_at(out: dn.RunOutcome, step: int) -> float:
    """The run's training loss at the last history row at or before ``step``."""
    at = int(np.searchsorted(out.curve_steps, step, side="right")) - 1
    return float(out.curve_loss[at]) if at >= 0 else float("nan")


def _run(args: tuple) -> tuple[dn.MonitorSettings, str, dn.RunOutcome]:
    """Train one run ``steps`` steps. With ``beat`` (ReLU's final loss) given, train in chunks up to
    the checkpoints and stop at the first checkpoint where the run is ``RESCUE_MIN_GAP`` below it
    (or has diverged): the search only needs to know that, and when."""
    settings, activation, steps, beat = args
    run = dn.start_run(settings, activation)
    stops = [c for c in CHECKPOINTS[2:] if c < steps] + [steps] if beat is not None else [steps]
    for stop in stops:
        run.trainer.step(stop - run.trainer.step_count)
        if run.trainer.status != "ok":
            break
        if beat is not None and beat - run.trainer.evaluate().train_loss >= dn.RESCUE_MIN_GAP:
            break
    return settings, activation, dn.outcome(run, activation)


def stalled(out: dn.RunOutcome) -> bool:
    return out.dead > dn.MOST * out.n_units and out.loss >= dn.RESCUE_STUCK_LOSS


def rescues(relu: dn.RunOutcome, var: dn.RunOutcome) -> bool:
    return stalled(relu) and var.status == "ok" and relu.loss - var.loss >= dn.RESCUE_MIN_GAP


def short(s: dn.MonitorSettings) -> str:
    return (
        f"{s.dataset:7s} {s.optimizer:8s} lr={s.lr:<5g} bias={s.bias:<4g} depth={s.depth} width={s.width} "
        f"init={s.init} batch={s.batch_size} {s.variant}"
    )


def url(s: dn.MonitorSettings) -> str:
    """The page's link for these settings (every widget; bound widgets read their displayed labels)."""
    from urllib.parse import urlencode

    return "/dead_neurons?" + urlencode(dn.page_query(s, changed_only=False))


def grid(quick: bool) -> list[dn.MonitorSettings]:
    out = []
    datasets = ("circle", "moons") if quick else DATASETS
    for ds, (opt, lrs), bias, depth, width in itertools.product(
        datasets, LRS.items(), BIASES, DEPTHS, WIDTHS
    ):
        for lr in lrs:
            out.append(dn.MonitorSettings(lr, bias, "relu", depth, width, "he", opt, ds, 0, 10))
    return out


def search(
    pool: ProcessPoolExecutor, steps: int, quick: bool, variants: list[str], cache: str | None
) -> list:
    """Seed 0: ReLU everywhere; each variant only where ReLU stalled (stopping at its first rescue)."""
    t0 = time.perf_counter()
    base = grid(quick)
    relu = None
    if cache and Path(cache).exists():
        relu = pickle.loads(Path(cache).read_bytes())
        relu = relu if set(relu) == set(base) else None
    if relu is None:
        relu = {s: o for s, _, o in pool.map(_run, [(s, "relu", steps, None) for s in base], chunksize=4)}
        if cache:
            Path(cache).write_bytes(pickle.dumps(relu))
    stuck = [s for s, o in relu.items() if stalled(o)]
    print(f"ReLU: {len(base)} settings, {len(stuck)} stall ({time.perf_counter() - t0:.0f} s)", flush=True)
    hits = []
    for v in variants:
        jobs = [(replace(s, variant=v), v, steps, relu[s].loss) for s in stuck]
        found = 0
        for s, _, o in pool.map(_run, jobs, chunksize=2):
            r = relu[replace(s, variant="relu")]
            if rescues(r, o):
                hits.append((s, r, o))
                found += 1
        print(
            f"{v}: {len(jobs)} runs, {found} rescue on seed 0 ({time.perf_counter() - t0:.0f} s)", flush=True
        )
    return hits


def across_seeds(
    pool: ProcessPoolExecutor, settings: list[dn.MonitorSettings], seeds: list[int], steps: int
) -> dict:
    jobs = [
        (replace(s, seed=k), a, steps, None) for s in settings for k in seeds for a in ("relu", s.variant)
    ]
    got = {(s, a): o for s, a, o in pool.map(_run, jobs, chunksize=2)}
    table = {}
    for s in settings:
        rows = []
        for k in seeds:
            sk = replace(s, seed=k)
            rows.append((k, got[(sk, "relu")], got[(sk, s.variant)]))
        table[s] = rows
    return table


def print_table(s: dn.MonitorSettings, rows: list) -> int:
    ok = sum(rescues(r, v) for _, r, v in rows)
    print(f"\n{short(s)}   rescued on {ok} of {len(rows)} seeds   URL {url(s)}")
    at = [c for c in CHECKPOINTS if c < rows[0][1].steps] + [rows[0][1].steps]
    cps = " ".join(f"{'loss@' + format(c / 1000, 'g') + 'k':>8s}" for c in at)
    print(f"  seed | ReLU dead {cps}  acc   | {s.variant:10s} dead z<=0 {cps}  acc   status  | gap  rescued")
    for k, r, v in rows:
        rl = " ".join(f"{_loss_at(r, c):8.3f}" for c in at)
        vl = " ".join(f"{_loss_at(v, c):8.3f}" for c in at)
        print(
            f"  {k:4d} | {r.dead:3d}/{r.n_units:<3d} {rl} {r.accuracy:5.2f} | {v.dead:3d}/{v.n_units:<3d} "
            f"{v.negative:3d} {vl} {v.accuracy:5.2f} {v.status:8s} | {r.loss - v.loss:+.3f} {rescues(r, v)}"
        )
    return ok


def parse_only(text: str) -> dn.MonitorSettings:
    kw = {}
    for part in text.split():
        k, v = part.split("=")
        field = {"batch": "batch_size", "opt": "optimizer", "ds": "dataset"}.get(k, k)
        kw[field] = (
            v
            if field in ("variant", "init", "optimizer", "dataset")
            else float(v)
            if field in ("lr", "bias")
            else int(v)
        )
    return dn.MonitorSettings(**kw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 for the candidates")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated registry keys")
    ap.add_argument("--cache", default=None, help="a file to keep the ReLU runs in between invocations")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--top", type=int, default=12, help="how many seed-0 hits to re-run on every seed")
    ap.add_argument(
        "--only", action="append", default=[], help='e.g. "lr=1 bias=-3 dataset=moons variant=elu"'
    )
    a = ap.parse_args()
    _init()
    seeds = list(range(a.seeds))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.workers, initializer=_init) as pool:
        if a.only:
            chosen = [parse_only(t) for t in a.only]
        else:
            hits = search(pool, a.steps, a.quick, a.variants.split(","), a.cache)
            hits.sort(key=lambda h: -(h[1].loss - h[2].loss))
            print(
                "\nseed-0 hits (ReLU stalls, the variant >= 0.2 lower by the step shown), largest gap first:"
            )
            for s, r, v in hits:
                print(
                    f"  {short(s)}  ReLU {r.dead}/{r.n_units} dead, loss {r.loss:.3f} | variant {v.loss:.3f} "
                    f"at step {v.steps}"
                )
            hits.sort(key=lambda h: (h[2].steps, -(h[1].loss - h[2].loss)))
            chosen = []
            for v in a.variants.split(","):  # each variant's quickest rescues
                chosen += [s for s, _, o in hits if o.activation == v][: a.top]
            chosen.append(dn.MonitorSettings(lr=3.0))  # the page's own example, for the record
        table = across_seeds(pool, chosen, seeds, a.steps)
    summary = [(s, print_table(s, rows)) for s, rows in table.items()]
    print("\nsummary (rescued seeds of", len(seeds), "):")
    for s, ok in sorted(summary, key=lambda t: -t[1]):
        print(f"  {ok}/{len(seeds)}  {short(s)}")
    per_s = dn.STEPS_PER_SECOND
    print(f"\n{time.perf_counter() - t0:.0f} s, {a.steps} steps per run (the page plays {per_s:g} steps/s)")


if __name__ == "__main__":
    main()
