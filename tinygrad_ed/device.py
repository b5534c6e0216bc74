"""Devices: tinygrad_ed runs on the CPU only. `te.device("cuda")` can be named (scripts test for it),
but putting a tensor there raises a clear error."""
from __future__ import annotations

from typing import Any

_KNOWN_TYPES = ("cpu", "cuda", "mps", "meta", "xpu")


class device:
    """torch's device: `device("cpu")`, `device("cpu", 0)`, `device("cpu:0")`; `.type` and `.index`."""

    __slots__ = ("index", "type")
    type: str
    index: int | None

    def __init__(self, type: Any, index: int | None = None):
        if isinstance(type, device):
            type, index = str(type.type), type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch reads a bare integer as a CUDA device index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or a device, got {type.__class__.__name__}")
        name, _, number = type.partition(":")
        if name not in _KNOWN_TYPES or (number and not number.isdigit()):
            raise RuntimeError(f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of device "
                               f"string: {type}")
        if number:
            if index is not None:
                raise RuntimeError(f"device: type {type!r} already names an index; got index={index!r} too")
            index = int(number)
        if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
            raise RuntimeError(f"device: index must be a non-negative integer, got {index!r}")
        self.type, self.index = name, index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


def check_device(requested: Any, op: str) -> None:
    """Accept None and any spelling of the CPU; raise for every other device, saying why."""
    if requested is None or requested is CPU or requested == "cpu":
        return
    if device(requested).type != "cpu":
        raise RuntimeError(f"{op}: device {str(device(requested))!r} is not available: tinygrad_ed runs on the CPU "
                           "only (te.cuda.is_available() is False); use device='cpu'")


def set_default_device(requested: Any) -> None:
    """Only the CPU can be the default device."""
    check_device(requested, "set_default_device")


def get_default_device() -> device:
    return CPU
