"""How tensors print: torch's format ("tensor([1., 2.], requires_grad=True)") through numpy's array2string,
and `te.set_printoptions` (precision, threshold, edgeitems, linewidth, profile, sci_mode) as torch's."""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import dtypes

PROFILES = {"default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
            "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
            "full": {"precision": 4, "threshold": sys.maxsize, "edgeitems": 3, "linewidth": 80}}
options: dict[str, Any] = {**PROFILES["default"], "sci_mode": None}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """torch.set_printoptions: a `profile` ('default', 'short', 'full') first, then the single options;
    `sci_mode` True or False forces or forbids the exponent form (None: chosen from the values)."""
    if profile is not None:
        if profile not in PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        options.update(PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems, "linewidth": linewidth}
    options.update({name: value for name, value in given.items() if value is not None})
    options["sci_mode"] = sci_mode


def tensor_repr(array: np.ndarray, extras: list[str]) -> str:
    """`array` as torch prints a tensor, followed by `extras` ("requires_grad=True", ...)."""
    precision, sci_mode = options["precision"], options["sci_mode"]
    # torch prints `precision` decimals unless every float is a whole number ("tensor([1., 2.])") that
    # fits without an exponent ("tensor([1.0000e+06, 1.0000e+00])")
    fixed = array.dtype.kind == "f" and (bool(np.any(np.isfinite(array) & (array != np.round(array))))
                                         or _needs_exponent(array) and sci_mode is not False)
    formatter: Any = None
    if sci_mode is not None and array.dtype.kind == "f":  # forced: every value the same way, unaligned
        decimals = f".{precision}e" if sci_mode else f".{precision}f" if fixed else ".0f"
        formatter = {"float_kind": lambda v: format(v, decimals) + ("." if decimals == ".0f" else "")}
    body = np.array2string(array, precision=precision, separator=", ", prefix="tensor(",
                           floatmode="fixed" if fixed else "maxprec",
                           threshold=int(min(options["threshold"], sys.maxsize)), edgeitems=options["edgeitems"],
                           max_line_width=options["linewidth"], formatter=formatter)
    body = body.replace(", ...,", ",  ...,")  # torch leaves two spaces before a summarised row's "..."
    if array.dtype not in (dtypes.default_float, dtypes.int64, dtypes.bool_):
        extras = [f"dtype={array.dtype}"] + extras
    return "tensor(" + ", ".join([body] + extras) + ")"


def _needs_exponent(data: np.ndarray) -> bool:
    """Whether numpy prints these whole floats in scientific notation (a large one, or a wide range)."""
    sizes = np.abs(data[np.isfinite(data) & (data != 0)].astype(np.float64))  # float16 would overflow
    return bool(sizes.size) and bool(sizes.max() >= 1e8 or sizes.max() / sizes.min() > 1000)
