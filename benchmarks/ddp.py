"""Data-parallel scaling of one training step: `ddp-mlp-b1024` on 1, 2, ... MPI processes.

    python -m benchmarks.ddp                      # 1 and 2 processes, a markdown table
    python -m benchmarks.ddp --processes 1 2 4 --steps 40 --rounds 3

The step is benchmarks' `mlp-b1024` (MLP 784-256-128-10, mean cross-entropy, SGD with momentum)
wrapped in DistributedDataParallel, with the batch of 1024 rows split over the processes (strong
scaling: the same SGD step, computed by more workers). Each round is one `mpiexec -n N python -m
mpi4py -m benchmarks.ddp --worker` job under the benchmarks' pinned thread and allocator settings;
each rank times its steps and the time spent averaging gradients (copying them into the bucket,
the all-reduce, copying back), with a barrier just before it so that waiting for a slower rank is
counted apart; rank 0 reports the slowest rank's figures. A raw all-reduce of a gradient-sized
float32 buffer gives the transfer rate alone.
Needs the distributed extra (mpi4py, mpiexec).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .environment import pinned_env
from .problems import LEARNING_RATE, MLP_SIZES, MOMENTUM, mlp_data, mlp_weights

BATCH = 1024
ROW = f"ddp-mlp-b{BATCH}"


def build_model():
    import tinygrad_ed as te
    from tinygrad_ed import nn

    layers: list = []
    weights = mlp_weights()
    for i, (n_in, n_out) in enumerate(zip(MLP_SIZES, MLP_SIZES[1:])):
        linear = nn.Linear(n_in, n_out)
        linear.weight.data = te.from_numpy(weights[2 * i].copy())
        linear.bias.data = te.from_numpy(weights[2 * i + 1].copy())
        layers += [linear, nn.ReLU()] if i < len(MLP_SIZES) - 2 else [linear]
    return nn.Sequential(*layers)


def worker(steps: int) -> None:
    """One rank: time `steps` DDP steps on its 1024/N rows, and a raw all-reduce of the gradient size."""
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist
    from tinygrad_ed.nn import functional as F
    from tinygrad_ed.nn.parallel import DistributedDataParallel
    from tinygrad_ed.nn.parallel.distributed import Bucket

    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    rows = BATCH // size
    x, y = mlp_data(BATCH)
    xb, yb = te.from_numpy(x[rank * rows:(rank + 1) * rows]), te.from_numpy(y[rank * rows:(rank + 1) * rows])
    model = DistributedDataParallel(build_model())
    optimizer = te.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    waiting, averaging = [0.0], [0.0]
    plain_average = Bucket.average

    def timed_average(bucket: Bucket, pg) -> None:
        start = time.perf_counter()
        pg.comm.Barrier()  # only here, to tell waiting for a slower rank from averaging
        middle = time.perf_counter()
        plain_average(bucket, pg)
        waiting[0] += middle - start
        averaging[0] += time.perf_counter() - middle
    Bucket.average = timed_average  # type: ignore[method-assign]

    def step() -> None:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for _ in range(3):  # warm-up
        step()
    dist.barrier()
    waiting[0] = averaging[0] = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        step()
    step_seconds = (time.perf_counter() - start) / steps
    average_seconds, wait_seconds = averaging[0] / steps, waiting[0] / steps

    flat = te.zeros(sum(p.numel() for p in model.parameters()))
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        dist.all_reduce(flat)
    raw_seconds = (time.perf_counter() - start) / steps

    report: list = [None] * size
    dist.all_gather_object(report, [step_seconds, average_seconds, wait_seconds, raw_seconds])
    if rank == 0:
        slowest = max(report, key=lambda r: r[0])
        print(json.dumps({"processes": size, "rows_per_rank": rows, "gradient_floats": int(flat.numel()),
                          "step": slowest[0], "averaging": slowest[1], "waiting": slowest[2],
                          "raw_all_reduce": max(r[3] for r in report)}))
    dist.destroy_process_group()


def mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("benchmarks.ddp: mpiexec not found; install the distributed extra: pip install -e '.[distributed]'")
    return found


def run_job(processes: int, steps: int, threads: int) -> dict:
    command = [mpiexec(), "-n", str(processes), sys.executable, "-m", "mpi4py", "-m", "benchmarks.ddp",
               "--worker", "--steps", str(steps)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=pinned_env(threads))
    if result.returncode != 0:
        sys.exit(f"benchmarks.ddp: the {processes}-process job failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def table(results: dict[int, list[dict]]) -> list[str]:
    """Per process count: the median over rounds of each figure."""
    lines = ["| row | processes | rows per process | step (ms) | samples/s | speed-up | averaging gradients "
             "(ms/step) | fraction of the step | waiting for the slowest rank (ms/step) | raw all-reduce (ms) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    base = statistics.median(r["step"] for r in results[min(results)])
    for processes, rounds in sorted(results.items()):
        step = statistics.median(r["step"] for r in rounds)
        averaging = statistics.median(r["averaging"] for r in rounds)
        waiting = statistics.median(r["waiting"] for r in rounds)
        raw = statistics.median(r["raw_all_reduce"] for r in rounds)
        lines.append(f"| {ROW} | {processes} | {rounds[0]['rows_per_rank']} | {1e3 * step:.2f} | {BATCH / step:.0f} "
                     f"| {base / step:.2f}x | {1e3 * averaging:.3f} | {averaging / step:.1%} | {1e3 * waiting:.3f} "
                     f"| {1e3 * raw:.3f} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="process counts to run")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per job")
    parser.add_argument("--rounds", type=int, default=3, help="jobs per process count, interleaved")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per process")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.steps)
        return
    results: dict[int, list[dict]] = {n: [] for n in args.processes}
    for _ in range(args.rounds):
        for n in args.processes:
            results[n].append(run_job(n, args.steps, args.threads))
    gradient_mb = results[args.processes[0]][0]["gradient_floats"] * 4 / 2**20
    print(f"{ROW}: global batch {BATCH}, gradient {gradient_mb:.2f} MiB float32, median of {args.rounds} rounds "
          f"of {args.steps} steps, {args.threads} BLAS thread(s) per process")
    print("\n".join(table(results)))


if __name__ == "__main__":
    main()
