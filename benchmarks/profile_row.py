"""Profile one workload's tinygrad_ed contender to see where a missed target's time goes.

    python -m benchmarks.profile_row WORKLOAD [--quick] [--top N] [--contender NAME] [--sort KEY] [--gc]

The worker runs as in run.py (fresh process, pinned environment) with cProfile enabled around
the measured region only; the functions with the most own time (tottime) are printed. With --gc
it runs without cProfile and reports the garbage collector's pauses instead (cProfile cannot
see them: they happen inside whichever call allocated).
"""
from __future__ import annotations

import argparse
import json
import os
import pstats
import statistics
import sys
import tempfile

from benchmarks import environment, run, suite, worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", help="a row name of run.py's table, e.g. mlp-b1")
    parser.add_argument("--quick", action="store_true", help="the --quick sizes")
    parser.add_argument("--top", type=int, default=25, help="how many functions to print")
    parser.add_argument("--contender", default="tinygrad_ed", choices=run.CONTENDERS)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ncalls)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--gc", action="store_true", help="report garbage-collector pauses instead of a profile")
    args = parser.parse_args(argv)
    by_name = {w.name: w for w in suite.workloads(args.quick)}
    if args.workload not in by_name:
        parser.error(f"unknown workload {args.workload!r}; choose from {', '.join(by_name)}")
    workload = by_name[args.workload]
    with tempfile.TemporaryDirectory(prefix="tinygrad_ed-profile-") as directory:
        data_sets = run.write_data_sets([workload], directory)
        stats_path = os.path.join(directory, "profile" + (worker.GC_LOG_SUFFIX if args.gc else ".stats"))
        outcome = run.measure(workload, args.contender, environment.pinned_env(args.threads), data_sets, stats_path)
        if "failure" in outcome:
            print(f"{workload.name}: {args.contender} {outcome['failure']}\n{outcome['detail']}", file=sys.stderr)
            return 1
        samples = outcome["times"]
        if args.gc:
            print_collector_pauses(f"{workload.name}, {args.contender}", stats_path)
            return 0
        print(f"{workload.name}, {args.contender}: median {statistics.median(samples) * 1e3:.4g} ms per sample "
              f"with the profiler on, over {len(samples)} samples (see README.md for what a sample is)")
        pstats.Stats(stats_path).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    return 0


def print_collector_pauses(title: str, path: str) -> None:
    with open(path) as file:
        log = json.load(file)
    total = sum(seconds for _, seconds in log["pauses"].values())
    print(f"{title}: the garbage collector paused {total * 1e3:.1f} ms of the {log['elapsed'] * 1e3:.1f} ms "
          f"measured ({total / log['elapsed']:.0%})")
    for generation, (count, seconds) in sorted(log["pauses"].items()):
        print(f"  generation {generation}: {count} collections, {seconds * 1e3:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
