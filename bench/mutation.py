"""Mutation score of the engine, per module: the share of mutmut's one-line mutants the unit suite kills.

    nice -n 19 python bench/mutation.py regions datasets formula neurons
    nice -n 19 python bench/mutation.py            # all ten engine modules, one after the other
    python bench/mutation.py --survivors regions   # re-print a finished run's survivors (diffs)

CPU-heavy (minutes per module on 2 cores): run it under `nice -n 19`, one module at a time
(`--children 1`, the default). Never part of the test suite.

Each module runs in its own scratch copy (default /tmp/relu-viz-mutation/<module>) of the committed
tree (HEAD: uncommitted edits in the work tree are not measured): relu_viz/, tests/unit/, tests/data/,
the files some unit tests read (pages/, app.py, assets/, README.md) and pyproject.toml with a
[tool.mutmut] section added that mutates only that module. mutmut (pinned in requirements-dev.txt)
records which unit tests reach each function, then runs only those tests against each mutant. A
mutant counts as killed when a test fails or it times out (with hypothesis a failing fuzz test can
take long to shrink: formula's timeouts are mostly that); "no tests" (a function no unit test
reaches) counts as survived. The score printed is killed / (killed + survived), with the counts
beside it.

Not run: the unit tests that start processes or measure the machine (IGNORED below); they test the
worker and the classroom harness, not the engine modules measured here.

Equivalent mutants (reviewed by hand; they cannot be killed by any test) are listed in
bench/mutation_equivalent.txt as `module: mutant-name  reason`; they are left out of the score and
counted separately.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    "regions",
    "polygon_split",
    "bounds",
    "training",
    "network",
    "datasets",
    "formula",
    "activations",
    "neurons",
    "sweep",
]
IGNORED = [
    "tests/unit/test_worker.py",
    "tests/unit/test_worker_safety.py",
    "tests/unit/test_classroom_harness.py",
    "tests/unit/test_compute.py",
    "tests/unit/test_message_queue.py",
    "tests/unit/test_readme.py",
]
EXTRAS = ["pages", "app.py", "assets", "README.md", ".streamlit"]
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
SURVIVED = {"survived", "no tests"}


def equivalent(module: str) -> dict[str, str]:
    """Mutants reviewed as equivalent for this module: name -> reason."""
    found = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            m = re.match(r"\s*(\w+):\s*(\S+)\s*(.*)", line)
            if m and not line.lstrip().startswith("#") and m.group(1) == module:
                found[m.group(2)] = m.group(3)
    return found


def prepare(module: str, work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    # the committed tree, not the work tree: other people's uncommitted edits are not measured
    present = [
        p
        for p in ["relu_viz", "tests/__init__.py", "tests/unit", "tests/data", *EXTRAS]
        if (ROOT / p).exists()
    ]
    committed(present, work)
    for name in IGNORED:
        (work / name).unlink(missing_ok=True)
    config = (ROOT / "pyproject.toml").read_text()
    config += f"""
[tool.mutmut]
source_paths = ["relu_viz"]
also_copy = {json.dumps(EXTRAS)}
only_mutate = ["relu_viz/{module}.py"]
pytest_add_cli_args_test_selection = ["tests/unit"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]
process_isolation = "forkserver"
use_git_change_detection = false
"""
    (work / "pyproject.toml").write_text(config)


def committed(paths: list[str], into: Path) -> None:
    """Extract ``paths`` as committed at HEAD (not the work tree: others may be editing it) into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "HEAD", *paths], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def refresh_tests(work: Path, module: str) -> None:
    """The committed unit tests, and the committed engine except the mutated module, into a finished
    run's copy and its mutants/ (the mutated module keeps its mutants)."""
    fresh = work / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    committed(["relu_viz", "tests/unit"], fresh)
    (fresh / "relu_viz" / f"{module}.py").unlink()
    for base in (work, work / "mutants"):
        shutil.copytree(fresh / "tests" / "unit", base / "tests" / "unit", dirs_exist_ok=True)
        shutil.copytree(fresh / "relu_viz", base / "relu_viz", dirs_exist_ok=True)
        for name in IGNORED:
            (base / name).unlink(missing_ok=True)
    shutil.rmtree(fresh)


def results(work: Path) -> dict[str, str]:
    """mutant name -> status, from `mutmut results --all true`."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            found[name] = status.strip()
    return found


def score(module: str, found: dict[str, str]) -> dict:
    eq = equivalent(module)
    killed = sum(1 for n, s in found.items() if s in KILLED and n not in eq)
    survived = sorted(n for n, s in found.items() if s in SURVIVED and n not in eq)
    other = sorted(f"{n}: {s}" for n, s in found.items() if s not in KILLED | SURVIVED and n not in eq)
    timeouts = sorted(n for n, s in found.items() if s == "timeout" and n not in eq)
    counted = killed + len(survived)
    return {
        "module": module,
        "mutants": len(found),
        "killed": killed,
        "survived": len(survived),
        "equivalent": sum(1 for n in found if n in eq),
        "other": other,
        "score": killed / counted if counted else float("nan"),
        "survivors": survived,
        "timeouts": timeouts,
        "not_checked": sum(1 for s in found.values() if s == "not checked"),
    }


def show(work: Path, names: list[str]) -> str:
    parts = []
    for name in names:
        out = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name], cwd=work, capture_output=True, text=True
        ).stdout
        parts.append(f"## {name}\n{out}")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("modules", nargs="*", default=MODULES, choices=MODULES)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/relu-viz-mutation"))
    parser.add_argument("--children", type=int, default=1, help="parallel mutant runs (default 1)")
    parser.add_argument("--survivors", action="store_true", help="re-read a finished run and print diffs")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="after adding tests: copy the current tests into a finished run and re-run only its survivors "
        "(killed mutants stay killed: tests were only added or strengthened)",
    )
    parser.add_argument(
        "--keep-timeouts", action="store_true", help="with --recheck: count earlier timeouts as killed"
    )
    args = parser.parse_args()
    summary = []
    for module in args.modules:
        work = args.workdir / module
        started = time.monotonic()
        if args.recheck:
            before = score(module, results(work))
            refresh_tests(work, module)
            log = work / "mutmut-recheck.log"
            with log.open("w") as fh:
                subprocess.run(
                    [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.children)]
                    + before["survivors"]
                    + ([] if args.keep_timeouts else before["timeouts"]),  # on a busy machine: run again
                    cwd=work,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                )
            print(f"{module:14s} before: {before['score']:6.1%} killed ({before['survived']} survivors)")
        elif not args.survivors:
            prepare(module, work)
            log = work / "mutmut.log"
            with log.open("w") as fh:
                run = subprocess.run(
                    [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.children)],
                    cwd=work,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                )
            if run.returncode != 0:
                print(f"{module}: mutmut run failed (exit {run.returncode}); see {log}", flush=True)
                continue
        found = results(work)
        row = score(module, found)
        row["minutes"] = round((time.monotonic() - started) / 60, 1)
        summary.append(row)
        print(
            f"{module:14s} {row['score']:6.1%} killed  ({row['killed']} killed, {row['survived']} survived, "
            f"{row['equivalent']} equivalent, {len(row['timeouts'])} of the killed by timeout, "
            f"{row['not_checked']} not checked; {row['minutes']} min)",
            flush=True,
        )
        (work / "survivors.txt").write_text(show(work, row["survivors"]))
        other = [o for o in row["other"] if not o.endswith("not checked")]
        if other:
            print("   other:", ", ".join(other[:10]), flush=True)
        print(f"   survivors: {len(row['survivors'])} (diffs in {work / 'survivors.txt'})", flush=True)
    (args.workdir / "summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
