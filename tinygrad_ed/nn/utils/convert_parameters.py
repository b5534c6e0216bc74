"""Parameters as one flat vector and back, as torch.nn.utils."""
from __future__ import annotations

from typing import Iterable

from ...autograd.versions import record_write
from ...ops.movement import cat
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated in order (differentiable, like torch.cat)."""
    params = list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected Tensor, but got: {type(p).__name__}")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vec` into each parameter's data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    params, flat, start = list(parameters), vec.array.reshape(-1), 0
    total = sum(p.numel() for p in params)
    if flat.shape[0] != total:
        raise RuntimeError(f"vector_to_parameters: the vector has {flat.shape[0]} elements, the parameters {total}")
    for p in params:
        n = p.numel()
        p.array[...] = flat[start:start + n].reshape(p.shape)
        record_write(p.array)
        start += n


__all__ = ["parameters_to_vector", "vector_to_parameters"]
