"""torch.linalg: `te.linalg.inv`, `det`, `slogdet`, `solve`, `matmul`, `cross`, `LinAlgError`."""
from .ops.linalg import LinAlgError
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_det as det
from .ops.linalg import linalg_inv as inv
from .ops.linalg import linalg_slogdet as slogdet
from .ops.linalg import linalg_solve as solve
from .ops.matmul import matmul

__all__ = ["LinAlgError", "cross", "det", "inv", "matmul", "slogdet", "solve"]
