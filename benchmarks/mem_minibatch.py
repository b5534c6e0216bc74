"""Peak memory of one mini-batch training step on a memory-mapped data set: it should grow with
the batch, not with the data set.

    python -m benchmarks.mem_minibatch [--quick] [--contender NAME] [--threads N]

Runs run.py's mem workload (one linear-regression step on rows sliced from np.load(mmap_mode="r")
through the contender's from_numpy) for two data-set sizes, each several times the larger batch,
and two batch sizes; prints the extra memory of each step. Exits 1 when the extra memory depends
on the data set's size.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

from benchmarks import environment, report, run, suite

SIZES = {"full": ((500_000, 2_000_000), (1024, 16384)), "quick": ((40_000, 160_000), (256, 4096))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data sets and batches")
    parser.add_argument("--contender", default="tinygrad_ed", choices=run.CONTENDERS)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    row_counts, batches = SIZES["quick" if args.quick else "full"]
    grid = {(rows, batch): suite.mem_workload("mini", "mmap", rows, batch=batch)
            for rows in row_counts for batch in batches}
    env = environment.pinned_env(args.threads)
    results = {}
    with tempfile.TemporaryDirectory(prefix="tinygrad_ed-benchmark-") as directory:
        data_sets = run.write_data_sets(list(grid.values()), directory)
        for key, workload in grid.items():
            results[key] = report.Result()
            results[key].add(run.measure(workload, args.contender, env, data_sets))
    failed = [r for r in results.values() if not r.ok]
    if failed:
        print("\n".join(f"{r.failure}: {r.detail}" for r in failed), file=sys.stderr)
        return 1
    print("\n".join(document(args.contender, row_counts, batches, results)))
    independent = all(report.independent_of_data_size(results[row_counts[0], b], results[row_counts[1], b])
                      for b in batches)
    print("\nextra memory independent of the data set's size:", "yes" if independent else "NO")
    return 0 if independent else 1


def document(contender: str, row_counts, batches, results) -> list[str]:
    batch_mib = {b: b * results[row_counts[0], b].data_bytes / row_counts[0] / report.MIB for b in batches}
    header = ["data set"] + [f"batch {b} ({batch_mib[b]:.2f} MiB)" for b in batches]
    lines = [f"Extra peak memory (MiB) of one mini-batch step of {contender} on a memory-mapped data set, "
             "beyond the batch's own rows:", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rows in row_counts:
        size = results[rows, batches[0]].data_bytes / report.MIB
        cells = [f"{rows:,} rows ({size:.0f} MiB)"] + [f"{results[rows, b].memory / report.MIB:.2f}" for b in batches]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
