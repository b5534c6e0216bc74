"""torch.nn.functional's one_hot, pad, normalize, cosine_similarity and pairwise_distance, composed of
primitive Tensor ops (indexing, cat, sums), so their gradients come from backpropagation."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops.dims import normalize_dim
from ..ops.elementwise import where
from ..ops.movement import cat
from ..checks import check_tensor
from ..tensor import Tensor

PAD_MODES = ("constant", "reflect", "replicate", "circular")


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor of shape (*tensor.shape, num_classes) with a 1 at each index; num_classes=-1
    takes the largest index + 1."""
    check_tensor(tensor, "one_hot", "tensor", 1)
    if not isinstance(tensor, Tensor) or tensor.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    labels = tensor.array
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.min() < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if labels.size and labels.max() >= num_classes:
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes ({num_classes}), "
                           f"got {int(labels.max())}.")
    return Tensor._make((labels[..., None] == np.arange(num_classes)).astype(np.int64))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the trailing dimensions: pad = (last_left, last_right, second_last_left, ...), as torch.

    'constant' fills with value (negative pads crop); 'reflect' mirrors without repeating the edge,
    'replicate' repeats the edge, 'circular' wraps around (these pad the last 1-3 dimensions of a
    batched input).
    """
    check_tensor(input, "pad", "input", 1)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("pad: Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {input.ndim}")
    if mode not in PAD_MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode}")
    pairs = [(input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    if mode == "constant":
        fill = 0.0 if value is None else value
        for axis, left, right in pairs:
            input = _pad_constant(input, axis, left, right, fill)
        return input
    if value is not None:
        raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    dims = len(pad) // 2
    if input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(f"pad: Padding size {len(pad)} is not supported for {input.ndim}D input tensor "
                                  f"({mode} padding of {dims} trailing dimension(s) needs a "
                                  f"{dims + 1}D or {dims + 2}D input)")
    for axis, left, right in pairs:
        input = input[(slice(None),) * axis + (_source_positions(input.shape[axis], left, right, mode, axis),)]
    return input


def _pad_constant(x: Tensor, axis: int, left: int, right: int, fill: float) -> Tensor:
    size = x.shape[axis]
    if size + left + right < 0 or min(left, right) < -size:
        raise RuntimeError(f"pad: negative padding ({left}, {right}) removes more than the {size} elements of "
                           f"dimension {axis}")
    before = (slice(None),) * axis
    if left < 0 or right < 0:
        x = x[before + (slice(max(-left, 0), size - max(-right, 0)),)]
    parts = []
    for width in (max(left, 0), max(right, 0)):
        shape = x.shape[:axis] + (width,) + x.shape[axis + 1:]
        parts.append(Tensor._make(np.full(shape, fill, dtype=x.dtype)) if width else None)
    return cat([p for p in (parts[0], x, parts[1]) if p is not None], axis) if left > 0 or right > 0 else x


def _source_positions(size: int, left: int, right: int, mode: str, axis: int) -> np.ndarray:
    """For each output position along the axis, the input position it copies."""
    positions = np.arange(-left, size + right)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "reflect":
        if max(left, right) >= size:
            raise RuntimeError(f"pad: Padding size should be less than the corresponding input dimension, but got: "
                               f"padding ({left}, {right}) at dimension {axis} of size {size}")
        positions = np.abs(positions)
        return np.where(positions >= size, 2 * (size - 1) - positions, positions)
    if max(left, right) > size:
        raise RuntimeError(f"pad: Padding value causes wrapping around more than once (padding ({left}, {right}) "
                           f"at dimension {axis} of size {size})")
    start, stop = max(-left, 0), size - max(-right, 0)  # circular wraps what negative padding leaves, as torch
    return start + np.arange(-max(left, 0), stop - start + max(right, 0)) % (stop - start)


def vector_norm(x: Tensor, p: float, dim: Any, keepdim: bool = False) -> Tensor:
    """The p-norm over dim, with a zero gradient (not nan) at a zero vector, as torch's."""
    check_tensor(x, "vector_norm", "x", 1)
    if p == math.inf:
        return x.abs().amax(dim, keepdim)
    if p == 1:
        return x.abs().sum(dim, keepdim)
    powered = (x * x).sum(dim, keepdim) if p == 2 else (x.abs() ** p).sum(dim, keepdim)
    nonzero = powered > 0
    safe = where(nonzero, powered, 1.0)  # keeps the root's gradient finite where the norm is 0
    return where(nonzero, safe.sqrt() if p == 2 else safe ** (1.0 / p), 0.0)


def _clamped_value(norm: Tensor, eps: float) -> Tensor:
    """norm's value clamped below at eps, its gradient the unclamped norm's (torch clamps under no_grad)."""
    return norm + Tensor._make(np.maximum(norm.array, eps) - norm.array)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:
    """input / max(||input||_p, eps) along dim."""
    check_tensor(input, "normalize", "input", 1)
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    return input / vector_norm(input, p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/||x1|| * x2/||x2||) along dim, each norm clamped below at eps (torch 2's formula: the
    clamp changes the values only, not the gradients)."""
    check_tensor(x1, "cosine_similarity", "x1", 1)
    check_tensor(x2, "cosine_similarity", "x2", 2)
    x1, x2 = _broadcast(x1, x2, "cosine_similarity")
    dim = normalize_dim(dim, x1.ndim, "cosine_similarity")
    n1 = _clamped_value(vector_norm(x1, 2, dim, keepdim=True), eps)
    n2 = _clamped_value(vector_norm(x2, 2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension."""
    check_tensor(x1, "pairwise_distance", "x1", 1)
    check_tensor(x2, "pairwise_distance", "x2", 2)
    x1, x2 = _broadcast(x1, x2, "pairwise_distance")
    return vector_norm(x1 - x2 + eps, p, -1 if x1.ndim else None, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distance between every pair of rows i < j of an (N, M) input, in row-major order."""
    check_tensor(input, "pdist", "input", 1)
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    first, second = np.triu_indices(input.shape[0], k=1)
    return vector_norm(input[first] - input[second], p, -1)


def _broadcast(x1: Any, x2: Any, op: str) -> tuple[Tensor, Tensor]:
    x1, x2 = (x if isinstance(x, Tensor) else Tensor(x) for x in (x1, x2))
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {x1.shape} and {x2.shape} cannot be broadcast together") from None
    return x1.expand(shape) if x1.shape != shape else x1, x2.expand(shape) if x2.shape != shape else x2
