"""`te.backends`: the accelerator back ends torch scripts query; none is available (CPU only)."""
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
