"""Collectives on Tensors, written into each tensor's own numpy buffer (MPI.IN_PLACE where MPI
allows it): nothing is copied unless the tensor is a non-contiguous view (reduced through a
contiguous copy, then written back) or a list of tensors must be filled from one received block."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.versions import record_write
from ..tensor import Tensor
from .process_group import ProcessGroup, ReduceOp, Work, default_group, mpi


def _writable(tensor: Any, op: str, what: str = "tensor") -> np.ndarray:
    """The array MPI writes into: the tensor's own memory when contiguous, else a contiguous copy
    (`_written_back` stores it). A numpy scalar (an op's 0-d result) becomes a 0-d array."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(tensor).__name__}")
    array = tensor.array
    if not isinstance(array, np.ndarray):
        tensor.array = array = np.array(array)
    if not array.flags.writeable:
        raise RuntimeError(f"{op}: {what} of shape {tuple(array.shape)} is read-only memory "
                           "(e.g. a broadcast view); pass a tensor that owns writable memory (.clone())")
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _readable(tensor: Any, op: str, what: str = "tensor") -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(tensor).__name__}")
    return np.ascontiguousarray(tensor.array)


def _written_back(tensor: Tensor, buffer: np.ndarray) -> None:
    if buffer is not tensor.array:
        tensor.array[...] = buffer
    record_write(tensor.array)


def _done(async_op: bool) -> Work | None:
    return Work() if async_op else None


def _root(rank: int | None, group_rank: int | None, name: str, pg: ProcessGroup, op: str,
          default: int | None = None) -> int:
    """`src`/`dst` (or torch's `group_src`/`group_dst`, the same on the only group), checked;
    `default` when neither is given (gather and scatter: rank 0), else an error."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{op}: pass {name} or group_{name}, not both")
    root = rank if rank is not None else group_rank if group_rank is not None else default
    if root is None:
        raise ValueError(f"{op}: {name} is required")
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or not 0 <= root < pg.size():
        raise ValueError(f"{op}: invalid {name} rank {root!r}: the group has ranks 0..{pg.size() - 1}")
    return int(root)


_BOOL_OPS = {ReduceOp.SUM: "LOR", ReduceOp.MAX: "LOR", ReduceOp.BOR: "LOR", ReduceOp.PRODUCT: "LAND",
             ReduceOp.MIN: "LAND", ReduceOp.BAND: "LAND", ReduceOp.BXOR: "LXOR"}
_MPI_OPS = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD", ReduceOp.MIN: "MIN",
            ReduceOp.MAX: "MAX", ReduceOp.BAND: "BAND", ReduceOp.BOR: "BOR", ReduceOp.BXOR: "BXOR"}


def _mpi_op(op: Any, dtype: np.dtype, name: str) -> Any:
    """The MPI operation for `op` on `dtype` (bool: the logical one; MPI has no arithmetic on bool)."""
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{name}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR), got {op!r}")
    if op is ReduceOp.AVG and dtype.kind != "f":
        raise RuntimeError(f"{name}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "biu":
        raise RuntimeError(f"{name}: {op} needs an integer or bool tensor, got {dtype}")
    return getattr(mpi(), (_BOOL_OPS if dtype.kind == "b" else _MPI_OPS)[op])


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Combine `tensor` across all ranks with `op`; every rank's tensor holds the result."""
    pg = default_group(group)
    buffer = _writable(tensor, "all_reduce")
    pg.comm.Allreduce(mpi().IN_PLACE, buffer, op=_mpi_op(op, buffer.dtype, "all_reduce"))
    if op is ReduceOp.AVG:
        buffer /= pg.size()
    _written_back(tensor, buffer)
    return _done(async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
           async_op: bool = False, group_dst: int | None = None) -> Work | None:
    """Combine `tensor` across ranks into rank `dst`'s tensor; the others' tensors are left unchanged."""
    pg = default_group(group)
    root = _root(dst, group_dst, "dst", pg, "reduce")
    MPI = mpi()
    if pg.rank() != root:
        send = _readable(tensor, "reduce")
        pg.comm.Reduce(send, None, op=_mpi_op(op, send.dtype, "reduce"), root=root)
        return _done(async_op)
    buffer = _writable(tensor, "reduce")
    pg.comm.Reduce(MPI.IN_PLACE, buffer, op=_mpi_op(op, buffer.dtype, "reduce"), root=root)
    if op is ReduceOp.AVG:
        buffer /= pg.size()
    _written_back(tensor, buffer)
    return _done(async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None, async_op: bool = False,
              group_src: int | None = None) -> Work | None:
    """Copy rank `src`'s tensor into every other rank's tensor (same shape and dtype on all)."""
    pg = default_group(group)
    root = _root(src, group_src, "src", pg, "broadcast")
    buffer = _writable(tensor, "broadcast")
    pg.comm.Bcast(buffer, root=root)
    if pg.rank() != root:
        _written_back(tensor, buffer)
    return _done(async_op)


def _check_list(tensors: Any, like: np.ndarray, size: int, op: str, name: str) -> list[Tensor]:
    """`tensors`: a list of `size` Tensors of `like`'s shape and dtype."""
    if not isinstance(tensors, (list, tuple)) or len(tensors) != size:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{op}: {name} must be a list of {size} tensors (one per rank), got {got}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) or t.shape != like.shape or t.dtype != like.dtype:
            got = f"{t.dtype} {t.shape}" if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"{op}: {name}[{i}] is {got}; expected a Tensor of dtype {like.dtype} "
                             f"and shape {like.shape}")
    return list(tensors)


def _fill(tensors: list[Tensor], block: np.ndarray, op: str, name: str) -> None:
    for i, (t, part) in enumerate(zip(tensors, block)):
        _writable(t, op, f"{name}[{i}]")
        t.array[...] = part
        record_write(t.array)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """tensor_list[i] = rank i's `tensor`, on every rank."""
    pg = default_group(group)
    send = _readable(tensor, "all_gather")
    outputs = _check_list(tensor_list, send, pg.size(), "all_gather", "tensor_list")
    block = np.empty((pg.size(), *send.shape), send.dtype)
    pg.comm.Allgather(send, block)
    _fill(outputs, block, "all_gather", "tensor_list")
    return _done(async_op)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None,
           group: ProcessGroup | None = None, async_op: bool = False, group_dst: int | None = None) -> Work | None:
    """gather_list[i] = rank i's `tensor`, on rank `dst` only (the others pass no gather_list)."""
    pg = default_group(group)
    root = _root(dst, group_dst, "dst", pg, "gather", default=0)
    send = _readable(tensor, "gather")
    if pg.rank() != root:
        if gather_list:
            raise ValueError("gather: argument gather_list must NOT be specified on non-destination ranks")
        pg.comm.Gather(send, None, root=root)
        return _done(async_op)
    outputs = _check_list(gather_list, send, pg.size(), "gather", "gather_list")
    block = np.empty((pg.size(), *send.shape), send.dtype)
    pg.comm.Gather(send, block, root=root)
    _fill(outputs, block, "gather", "gather_list")
    return _done(async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None,
            group: ProcessGroup | None = None, async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Rank i's `tensor` = scatter_list[i] of rank `src` (the others pass no scatter_list)."""
    pg = default_group(group)
    root = _root(src, group_src, "src", pg, "scatter", default=0)
    buffer = _writable(tensor, "scatter")
    block = None
    if pg.rank() == root:
        inputs = _check_list(scatter_list, buffer, pg.size(), "scatter", "scatter_list")
        block = np.stack([t.array for t in inputs])
    elif scatter_list:
        raise ValueError("scatter: argument scatter_list must NOT be specified on non-source ranks")
    pg.comm.Scatter(block, buffer, root=root)
    _written_back(tensor, buffer)
    return _done(async_op)
