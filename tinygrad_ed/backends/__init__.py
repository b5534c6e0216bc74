"""`te.backends`: the accelerator back ends torch scripts query; none is available (CPU only)."""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
