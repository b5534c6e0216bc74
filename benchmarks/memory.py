"""Resident-memory readings for a worker process.

On Linux: VmRSS and VmHWM (the peak) from /proc/self/status, with the peak reset by writing 5
to /proc/self/clear_refs, so a worker measures the peak of just the region it cares about.
Elsewhere: getrusage's ru_maxrss, which cannot be reset, so the growth of the lifetime peak.
"""
from __future__ import annotations

import resource
import sys

STATUS = "/proc/self/status"


def _status_kib(field: str) -> int | None:
    try:
        with open(STATUS) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _max_rss() -> int:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def reset_peak() -> bool:
    """Make the current RSS the new peak; False where the OS does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def current() -> int:
    """Resident memory now, in bytes."""
    kib = _status_kib("VmRSS")
    return _max_rss() if kib is None else kib * 1024


def peak() -> int:
    """The highest resident memory since the last reset_peak(), in bytes."""
    kib = _status_kib("VmHWM")
    return _max_rss() if kib is None else kib * 1024


def method() -> str:
    """How the numbers were taken, for the report."""
    if _status_kib("VmHWM") is not None and reset_peak():
        return "peak RSS (VmHWM, reset through /proc/self/clear_refs at the start of the measured region)"
    return "peak RSS (ru_maxrss; it cannot be reset here, so this is growth of the process's lifetime peak)"
