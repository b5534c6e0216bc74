"""The settings every worker process runs under, and a description of the machine for the report.

Every contender gets the same BLAS thread count and the same glibc allocator settings. The
allocator values are glibc's own steady state for a long-running process (its dynamic mmap
threshold stops growing at 32 MiB, and it trims the heap above twice that), fixed from the
start so that no contender pays for page faults that another avoids by luck of timing.
"""
from __future__ import annotations

import os
import platform

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
ALLOCATOR = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(64 << 20),
}


def pinned_env(threads: int) -> dict[str, str]:
    """This process's environment with the thread and allocator settings pinned."""
    env = dict(os.environ)
    env.update(ALLOCATOR)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    return env


def worker_threads() -> int:
    """The thread count a worker was started with (torch.set_num_threads gets the same)."""
    return int(os.environ.get("OMP_NUM_THREADS", "1"))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def blas_name() -> str:
    import numpy as np
    config = getattr(np.__config__, "CONFIG", {})
    return config.get("Build Dependencies", {}).get("blas", {}).get("name", "unknown")


def describe(threads: int, versions: dict[str, str]) -> list[str]:
    """Markdown bullet lines: machine, versions, thread and allocator settings."""
    import numpy as np
    version_text = ", ".join(f"{name} {version}" for name, version in versions.items())
    allocator = " ".join(f"{name}={value}" for name, value in ALLOCATOR.items())
    return [
        f"- machine: {cpu_model()}, {os.cpu_count()} cores ({usable_cores()} usable), {platform.system()}",
        f"- Python {platform.python_version()}, numpy {np.__version__} (BLAS: {blas_name()}), {version_text}",
        f"- threads: {'='.join(THREAD_VARIABLES)}={threads}, torch.set_num_threads({threads})",
        f"- allocator (glibc): {allocator}",
    ]
