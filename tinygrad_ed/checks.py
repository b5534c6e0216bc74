"""Argument checks shared by the ops and nn, with torch's error types and wording."""
from __future__ import annotations

import numbers
from typing import Any


def check_probability(p: Any, op: str) -> None:
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability has to be between 0 and 1, but got {p}")
