"""Benchmark: evaluation speed and scale of the stack programs, on the recording mocks.

    venv/bin/python bench/run.py            # 5 runs each, then the offline test suite once
    venv/bin/python bench/run.py --runs 3 --no-suite

Every measurement is a fresh process (bench/evaluate.py), so imports are paid each time as they
are on every `pulumi preview`. Prints median and spread (min-max) per row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVALUATE = ROOT / "bench" / "evaluate.py"
SCALE = (1, 10, 100, 1000)
"""Consumer accounts and stacks the provider allows and accepts, one run each."""


def measure(args: list[str], runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, str(EVALUATE), *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
            if isinstance(value, (int, float)):
                samples.setdefault(key, []).append(float(value))
            elif isinstance(value, list):
                samples[key] = value  # the same every run (hops)
        print(".", end="", flush=True, file=sys.stderr)
    return samples


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-suite", action="store_true", help="skip timing the test suite")
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    floor = measure(["floor"], args.runs)
    floor_median = statistics.median(floor["total_s"])
    rows = [("floor: import pulumi + SDKs, touch used submodules", floor, None)]
    for what in ("provider", "consumer"):
        rows.append((f"{what} stack on mocks", measure([what], args.runs), None))

    print(
        f"\n{'what':52} {'total s (spread)':>20} {'eval s':>16} {'x floor':>8} "
        f"{'peak MB':>8} {'resources':>9}"
    )
    for name, samples, _ in rows:
        ratio = statistics.median(samples["total_s"]) / floor_median
        resources = int(statistics.median(samples["resources"])) if "resources" in samples else "-"
        print(
            f"{name:52} {spread(samples['total_s']):>20} "
            f"{statistics.median(samples['eval_s']):16.2f} {ratio:8.2f} "
            f"{statistics.median(samples['maxrss_mb']):8.0f} {resources!s:>9}"
        )

    print(
        f"\nscale: provider allowing and accepting N consumer accounts/stacks "
        f"(median of {args.runs})"
    )
    print(
        f"{'N':>5} {'total s (spread)':>20} {'eval s':>8} {'resources':>9} "
        f"{'eval ms per consumer':>21} {'... per added':>14}"
    )
    first: tuple[int, float] | None = None
    previous: tuple[int, float] | None = None
    for count in SCALE:
        samples = measure(["provider", "--consumers", str(count)], args.runs)
        eval_s = statistics.median(samples["eval_s"])
        per, added = "-", "-"
        if first is not None and previous is not None:
            # Above the one-consumer stack: what N consumers cost, each, and what the last
            # step's consumers cost, each (the two agree when growth is linear).
            per = f"{(eval_s - first[1]) / (count - first[0]) * 1000:.1f}"
            added = f"{(eval_s - previous[1]) / (count - previous[0]) * 1000:.1f}"
        print(
            f"{count:5} {spread(samples['total_s']):>20} {eval_s:8.2f} "
            f"{int(statistics.median(samples['resources'])):9} {per:>21} {added:>14}"
        )
        first = first or (count, eval_s)
        previous = (count, eval_s)
    print("consumer routes: not configurable (one greedy {proxy+} route and `/`), so not scaled")

    print("\nconsumer fronts: what each consumer account pays and crosses (bench/costs.py)")
    print(f"{'front':6} {'eval s':>7} {'resources':>9} {'fixed $/month':>14} {'hops':>5}  path")
    for front in ("rest", "http"):
        samples = measure(["consumer", "--frontend", front], 1)
        hops = [str(h) for h in samples["hops"]]
        print(
            f"{front:6} {statistics.median(samples['eval_s']):7.2f} "
            f"{int(samples['resources'][0]):9} {samples['monthly_usd'][0]:14.2f} "
            f"{len(hops):5}  API Gateway → {' → '.join(hops)}"
        )

    if not args.no_suite:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
        print(f"\noffline test suite: {time.perf_counter() - started:.1f} s wall ({last})")


if __name__ == "__main__":
    main()
