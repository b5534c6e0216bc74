"""`te.accelerator`: torch's device-agnostic questions (`torch.accelerator.is_available()`), answered for a
framework that runs on the CPU only, so scripts that pick "the accelerator, else the CPU" take the CPU."""
from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:
    """None: there is no accelerator (torch returns None too on a machine without one)."""
    return None


def device_count() -> int:
    return 0
