"""`te.backends.mps`: Apple's GPU back end, not available (tinygrad_ed runs on the CPU only)."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
