"""The package's one random generator, so that `manual_seed` makes every draw repeatable."""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed every random draw of tinygrad_ed (rand, randn, init, dropout, DataLoader shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    return _generator
