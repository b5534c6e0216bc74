"""Benchmark tinygrad_ed against a hand-written numpy reference and PyTorch (when installed).

    python -m benchmarks.run [--quick] [--threads N] [--only NAMES] [--markdown FILE] [--readme README.md]

Run it from the repository root, so that it measures this checkout's tinygrad_ed. Each measurement
runs in its own fresh process (`python -m benchmarks.worker SPEC CONTENDER`) under the same pinned
thread and allocator settings; the contenders' processes are interleaved. See README.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import environment, memory, problems, report, suite

# compiled: tinygrad_ed under te.compile; torch-compiled: torch under torch.compile, only when named in
# --contenders (its compilation takes tens of seconds per worker)
CONTENDERS = ("numpy", "tinygrad_ed", "compiled", "torch", "torch-compiled")
DEFAULT_CONTENDERS = CONTENDERS[:-1]
REPO_ROOT = Path(__file__).resolve().parent.parent
README_START, README_END = "<!-- benchmark table: start -->", "<!-- benchmark table: end -->"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round: a smoke test")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    parser.add_argument("--only", help="comma-separated workload names or name prefixes (e.g. mlp,deep-1e4)")
    parser.add_argument("--rounds", type=int, help="workers per contender for the rows that run several "
                        "(default 3; more evens out a noisy machine)")
    parser.add_argument("--contenders", help=f"comma-separated subset of {','.join(CONTENDERS)} (numpy always "
                        "runs; default all, with --quick numpy,tinygrad_ed: torch takes seconds to start)")
    parser.add_argument("--markdown", help="also write the report to this file")
    parser.add_argument("--readme", help="also put the report into this file, between the lines "
                        f"{README_START!r} and {README_END!r}")
    return parser.parse_args(argv)


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def contenders_to_run(requested: str | None, quick: bool) -> tuple[list[str], dict[str, str]]:
    """The contenders to run, in table order, and the framework versions for the report; torch is
    left out where it cannot be imported."""
    import tinygrad_ed
    if requested is None:
        requested = "numpy,tinygrad_ed" if quick else ",".join(DEFAULT_CONTENDERS)
    names = set(requested.split(",")) | {"numpy"}
    unknown = names - set(CONTENDERS)
    if unknown:
        raise SystemExit(f"unknown contenders: {', '.join(sorted(unknown))}")
    versions = {"tinygrad_ed": tinygrad_ed.__version__}
    if names & {"torch", "torch-compiled"}:
        torch = torch_version()
        if torch is None:
            names -= {"torch", "torch-compiled"}
        versions["torch"] = torch or "not installed"
    return [c for c in CONTENDERS if c in names], versions


def selected_workloads(quick: bool, only: str | None, rounds: int | None) -> list[suite.Workload]:
    workloads = suite.workloads(quick)
    if only:
        parts = only.split(",")
        workloads = [w for w in workloads if any(w.name == p or w.name.startswith(p + "-") for p in parts)]
    if rounds:
        workloads = [dataclasses.replace(w, rounds=rounds) if w.rounds > 1 else w for w in workloads]
    return workloads


def write_data_sets(workloads: list[suite.Workload], directory: str) -> dict[int, str]:
    """The memory workloads' data files, written before any measurement: rows -> file prefix."""
    sizes = {w.spec["rows"] for w in workloads if w.spec["kind"] == "mem"}
    return {rows: problems.write_regression(directory, rows) for rows in sorted(sizes)}


def measure(workload: suite.Workload, contender: str, env: dict[str, str], data_sets: dict[int, str],
            profile_path: str | None = None) -> dict:
    """Run one worker process; its JSON outcome, or {"failure": "timeout" | "error", "detail": ...}."""
    spec = dict(workload.spec)
    if spec["kind"] == "mem":
        spec["data"] = data_sets[spec["rows"]]
    command = [sys.executable, "-m", "benchmarks.worker", json.dumps(spec), contender]
    if profile_path:
        command += ["--profile", profile_path]
    try:  # from the repository root: `-m` puts it first on the worker's sys.path
        done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=workload.timeout_s)
    except subprocess.TimeoutExpired:
        return {"failure": "timeout", "detail": f"no result within {workload.timeout_s:.0f} s"}
    if done.returncode != 0:
        return {"failure": "error", "detail": done.stderr.strip()[-3000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_suite(workloads: list[suite.Workload], contenders: list[str], env: dict[str, str]) -> report.Results:
    results: report.Results = {}
    with tempfile.TemporaryDirectory(prefix="tinygrad_ed-benchmark-") as directory:
        data_sets = write_data_sets(workloads, directory)
        for index, workload in enumerate(workloads, 1):
            start = time.perf_counter()
            row = results[workload.name] = {c: report.Result() for c in contenders}
            for _ in range(workload.rounds):
                for contender in contenders:  # interleaved: A B C A B C ...
                    if not contender.endswith("compiled") or workload.compiled:
                        row[contender].add(measure(workload, contender, env, data_sets))
            print(f"[{index}/{len(workloads)}] {workload.name} ({time.perf_counter() - start:.1f} s)",
                  file=sys.stderr, flush=True)
    return results


def setup_lines(args: argparse.Namespace, versions: dict[str, str]) -> list[str]:
    mode = "quick (tiny sizes, one round; not for comparison)" if args.quick else "full"
    return environment.describe(args.threads, versions) + [f"- mode: {mode}"]


def update_readme(path: Path, report_text: str) -> None:
    """Replace the table between the README's markers (the report without its title)."""
    readme = path.read_text()
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    body = "\n".join(line for line in report_text.splitlines() if not line.startswith("# "))
    path.write_text(readme[:start] + "\n" + body.strip() + "\n" + readme[end:])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    contenders, versions = contenders_to_run(args.contenders, args.quick)
    workloads = selected_workloads(args.quick, args.only, args.rounds)
    results = run_suite(workloads, contenders, environment.pinned_env(args.threads))
    text = report.document(workloads, contenders, results, setup_lines(args, versions), memory.method())
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    if args.readme:
        update_readme(Path(args.readme), text)
    failures = [p for w in workloads for p in report.disagreements(w, results) + report.errors(w, results)]
    if failures:
        print("\nBENCHMARK FAILED: the contenders do not agree or a worker crashed:\n" + "\n".join(failures),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
