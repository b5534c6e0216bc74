"""Process-wide switches torch scripts set at their top: the number of threads, deterministic algorithms
and float32 matmul precision. tinygrad_ed runs numpy on the CPU: its results are already deterministic
and its matmuls full float32, so those two are recorded and reported back; the thread count goes to the
BLAS library through threadpoolctl when it is installed."""
from __future__ import annotations

import os
from typing import Any

_settings: dict[str, Any] = {"threads": None, "deterministic": False, "precision": "highest"}
_PRECISIONS = ("highest", "high", "medium")


def set_num_threads(num: int) -> None:
    """The threads of the BLAS library behind matrix products (numpy's elementwise ops use one)."""
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise RuntimeError(f"set_num_threads: the number of threads must be a positive integer, got {num!r}")
    try:
        import threadpoolctl  # type: ignore[import-untyped]  # optional: else the BLAS keeps its start-up threads
    except ImportError:
        pass
    else:
        threadpoolctl.threadpool_limits(limits=num, user_api="blas")
    _settings["threads"] = num


def get_num_threads() -> int:
    """The count given to set_num_threads, else the cores this process may use."""
    if _settings["threads"]:
        return _settings["threads"]
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: every op here already gives the same result on every run."""
    _settings["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _settings["deterministic"]


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted and reported back: float32 matmuls are always computed in full float32 here."""
    if precision not in _PRECISIONS:
        raise RuntimeError(f"set_float32_matmul_precision: invalid precision {precision!r}, expected one of "
                           f"{_PRECISIONS}")
    _settings["precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["precision"]
