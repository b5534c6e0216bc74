"""`te.nn.parallel`: DistributedDataParallel (data-parallel training over te.distributed)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
