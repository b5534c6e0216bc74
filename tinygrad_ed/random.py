"""Random number generators: torch's `Generator` over numpy's PCG64, and the package's default one.

numpy's PCG64 stream and its distributions do not depend on the platform, so a seed gives the
same numbers everywhere (not torch's numbers: torch uses a different generator).
"""
from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from .device import CPU, check_device
from .tensor import Tensor

_STATE_BYTES = 16 + 16 + 1 + 4 + 8  # PCG64 state, increment, has_uint32, uinteger, initial seed
_SEED_RANGE = 2**64


class Generator:
    """A random stream; pass it as `generator=` to draw from it instead of the default one.

    >>> g = Generator().manual_seed(0)
    >>> g.initial_seed()
    0
    """

    def __init__(self, device: Any = "cpu"):
        check_device(device, "Generator")
        self.device = CPU
        self.seed()

    def manual_seed(self, seed: Any) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        seed = int(seed)
        if not -2**63 <= seed < _SEED_RANGE:
            raise RuntimeError(f"manual_seed: seed must be within [-2**63, 2**64), got {seed}")
        self._initial_seed = seed % _SEED_RANGE  # torch keeps a negative seed as its unsigned 64-bit value
        self.numpy = np.random.Generator(np.random.PCG64(self._initial_seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed used."""
        self.manual_seed(secrets.randbits(63))
        return self._initial_seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> Any:
        """The stream's position as a uint8 Tensor (our own layout, not torch's); `set_state` restores it."""
        state = self.numpy.bit_generator.state
        parts = [state["state"]["state"].to_bytes(16, "little"), state["state"]["inc"].to_bytes(16, "little"),
                 int(state["has_uint32"]).to_bytes(1, "little"), int(state["uinteger"]).to_bytes(4, "little"),
                 self._initial_seed.to_bytes(8, "little")]
        return Tensor._make(np.frombuffer(b"".join(parts), np.uint8).copy())

    def set_state(self, new_state: Any) -> Generator:
        array = getattr(new_state, "array", None)
        if array is None or array.dtype != np.uint8 or array.shape != (_STATE_BYTES,):
            shape = getattr(new_state, "shape", None)
            raise RuntimeError(f"set_state: expected a uint8 Tensor of shape ({_STATE_BYTES},) from get_state(), "
                               f"got {type(new_state).__name__} of shape {shape}")
        raw = array.tobytes()
        state, inc = int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:32], "little")
        self._initial_seed = int.from_bytes(raw[37:], "little")
        self.numpy = np.random.Generator(np.random.PCG64())
        self.numpy.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                                          "has_uint32": raw[32], "uinteger": int.from_bytes(raw[33:37], "little")}
        return self

    def __repr__(self) -> str:
        return f"<tinygrad_ed.Generator initial_seed={self._initial_seed}>"


default_generator = Generator()


def generator(given: Generator | None = None) -> np.random.Generator:
    """The numpy stream of `given`, or of the default generator (what `manual_seed` seeds)."""
    if given is None:
        return default_generator.numpy
    if not isinstance(given, Generator):
        raise TypeError(f"generator must be a tinygrad_ed.Generator, got {type(given).__name__}")
    return given.numpy


def manual_seed(seed: int) -> Generator:
    """Seed every random draw of tinygrad_ed (rand, randn, init, dropout, DataLoader shuffling)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    default_generator.set_state(new_state)
