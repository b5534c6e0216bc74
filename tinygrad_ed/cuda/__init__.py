"""`te.cuda`: tinygrad_ed runs on the CPU only, so there is no CUDA device. These answer the questions
scripts ask (`"cuda" if te.cuda.is_available() else "cpu"`) and make CUDA seeding a no-op, as torch
does on a machine without a GPU."""
from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (no CUDA device); `te.manual_seed` seeds the CPU generator."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed (no CUDA device); `te.manual_seed` seeds the CPU generator."""


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: no CUDA device (and no bfloat16 tensors here)."""
    return False


from . import amp  # noqa: E402, F401  (te.cuda.amp.GradScaler, as torch.cuda.amp.GradScaler)
