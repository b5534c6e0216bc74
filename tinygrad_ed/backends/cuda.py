"""`te.backends.cuda`: no CUDA here. The precision flags scripts set (`matmul.allow_tf32 = True`) are accepted
and have no effect: products are computed in the tensors' own dtypes."""
from __future__ import annotations


class _MatmulFlags:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False
