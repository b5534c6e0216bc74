"""What a capture produces: `Var`s (symbolic buffers) and `Instr`s (lines of numpy code over them).

A Var stands for one array (or Python object) of the captured step. Its `kind` says where the
value comes from at replay: an argument of the step ("input"), a Tensor that lives outside the
step (a parameter: "param", its incoming .grad: "grad", an optimizer's "state" dict or param
"group"), a value baked into the program ("const"), or an instruction's result ("temp"/"object").

An Instr is one recorded piece of work: the Vars it reads and writes, and `render(name, buf)`,
which returns its lines of Python given the names chosen for Vars and for planned buffers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class Var:
    __slots__ = ("kind", "value", "hint", "shape", "dtype", "view_of", "planned", "pinned", "source")
    shape: Any
    dtype: Any

    def __init__(self, kind: str, value: Any, hint: str = "t", source: Any = None):
        self.kind, self.value, self.hint, self.source = kind, value, hint, source
        self.shape = getattr(value, "shape", None)
        self.dtype = getattr(value, "dtype", None)
        self.view_of: list[Var] = []  # Vars whose memory this one may share: they live as long as it
        self.planned = False  # written into a preallocated buffer chosen by the planner
        self.pinned = False  # outlives the step (a .grad, a returned array): a buffer of its own

    def __repr__(self) -> str:
        return f"<Var {self.kind} {self.hint} {self.shape}>"


Render = Callable[[Callable[[Any], str], Callable[[Var], str]], list[str]]


@dataclass
class Instr:
    reads: list[Var]
    writes: list[Var]
    render: Render
    comment: str = ""
    temps: list[Var] = field(default_factory=list)  # planned scratch that dies with the instruction
    phase: str = "forward"
    # its first write is computed element by element from the same elements of its reads: it may be
    # written over a read of its shape that dies here (in place: memory the op just read is in cache)
    elementwise: bool = False


@dataclass(frozen=True)
class Imported:
    """A function the generated module imports by name (`from module import name`): a BLAS routine."""
    module: str
    name: str


def literal(value: Any) -> str | None:
    """Python source for a plain value, or None when it has none (it then lives in the namespace)."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if np.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, np.generic) and value.dtype.kind in "fiub" and value.shape == ():
        return f"np.{value.dtype.name}({literal(value.item())})"
    if isinstance(value, np.dtype):
        return f"np.{value.name}"
    if isinstance(value, tuple):
        parts = [literal(v) for v in value]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join(str(p) for p in parts) + ("," if len(parts) == 1 else "") + ")"
    if isinstance(value, slice):
        parts = [literal(v) for v in (value.start, value.stop, value.step)]
        return None if None in parts else f"slice({', '.join(parts)})"  # type: ignore[arg-type]
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub" and not value.any() \
            and not np.signbit(value).any():
        return f"np.zeros({value.shape!r}, np.{value.dtype.name})"
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub" and value.size and (value == 1).all():
        return f"np.ones({value.shape!r}, np.{value.dtype.name})"
    if isinstance(value, np.ndarray) and value.size <= 16 and value.dtype.kind in "fiub":
        return f"np.array({_nested(value.tolist())}, np.{value.dtype.name})"
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "i" \
            and np.array_equal(value, np.arange(len(value))):
        return f"np.arange({len(value)})"
    return None


def _nested(items: Any) -> str:
    """A nested list of numbers as source (inf and nan as float('inf'): their repr is no Python literal)."""
    if isinstance(items, list):
        return "[" + ", ".join(_nested(item) for item in items) + "]"
    return str(literal(items))
