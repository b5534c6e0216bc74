"""`te.backends.cudnn`: not available; the flags scripts set (`deterministic`, `benchmark`) are accepted
and have no effect (the CPU results are deterministic already)."""

enabled = False
deterministic = False
benchmark = False


def is_available() -> bool:
    return False
