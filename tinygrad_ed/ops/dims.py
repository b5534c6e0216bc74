"""Checking and normalising `dim` arguments, for every op that takes one."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """`dim` (int, tuple/list of ints or None) as sorted non-negative axes; None means all."""
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    size = builtins.max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in torch
    axes = []
    for d in dims:
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -size <= d < size:
            raise IndexError(f"{op}: dim {d!r} is out of range for a tensor of {ndim} dimensions "
                             f"(expected in [{-size}, {size - 1}])")
        axes.append(int(d) % size)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dim {dim!r} repeats a dimension")
    return tuple(sorted(axes)) if ndim else None


def normalize_dim(dim: Any, ndim: int, op: str) -> int:
    """One `dim` (an int, not a tuple) as a non-negative axis; 0 for a 0-d tensor."""
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be a single int, got {dim!r}")
    return (normalize_dims(dim, ndim, op) or (0,))[0]


def torch_aliases(op: str, dim: Any, keepdim: Any, aliases: dict[str, Any]) -> tuple[Any, Any]:
    """torch's numpy-style keyword aliases: `axis=` for `dim=`, `keepdims=` for `keepdim=`."""
    unknown = set(aliases) - {"axis", "keepdims"}
    if unknown:
        raise TypeError(f"{op}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if "axis" in aliases:
        if dim is not None:
            raise TypeError(f"{op}() got both dim and its alias axis")
        dim = aliases["axis"]
    return dim, aliases.get("keepdims", keepdim)


def dim_or_axis(op: str, dim: Any, axis: Any, default: int | None = None) -> Any:
    """`dim`, or torch's alias `axis` given instead; `default` when neither is given."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}() got both dim and its alias axis")
        return axis
    if dim is None:
        if default is None:
            raise TypeError(f"{op}() missing required argument 'dim'")
        return default
    return dim
