"""DistributedDataParallel: synchronous data-parallel training of one module replicated on every rank.

At construction rank 0's parameters and buffers are broadcast, so every replica starts equal. Each
rank then runs forward and backward on its own shard of the batch; as `backward()` accumulates the
gradients, they are copied into a few flat buckets (one per `bucket_cap_mb` of gradients) and each
bucket is averaged across ranks with one all-reduce. Every rank ends up with the gradient of the
whole batch and takes the same optimizer step, so the replicas stay equal.
"""
from __future__ import annotations

import contextlib
import weakref
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...autograd.grad_mode import is_grad_enabled
from ...autograd.versions import record_write
from ...distributed.process_group import ProcessGroup, default_group, mpi
from ...tensor import Tensor
from ..module import Module, Parameter

_MIB = 1024 * 1024


class Bucket:
    """Parameters whose gradients are averaged together: copied into one flat array, all-reduced
    once, copied back. `pending` counts the gradients still to arrive in this backward pass."""

    def __init__(self, params: list[Parameter]):
        self.params = params
        sizes = [p.numel() for p in params]
        self.bounds = np.cumsum([0, *sizes]).tolist()
        self.flat = np.empty(self.bounds[-1], params[0].dtype)
        self.pending = len(params)

    def average(self, pg: ProcessGroup) -> None:
        self.pending = len(self.params)
        if pg.size() == 1:  # the average of one gradient is itself
            return
        flat, bounds = self.flat, self.bounds
        for i, p in enumerate(self.params):
            flat[bounds[i]:bounds[i + 1]] = p.grad.array.reshape(-1)  # type: ignore[union-attr]
        pg.comm.Allreduce(mpi().IN_PLACE, flat, op=mpi().SUM)
        flat /= pg.size()
        for i, p in enumerate(self.params):
            p.grad.array[...] = flat[bounds[i]:bounds[i + 1]].reshape(p.shape)  # type: ignore[union-attr]


def assign_buckets(params: list[Parameter], cap_bytes: int) -> list[Bucket]:
    """Buckets of about `cap_bytes` (one dtype each), filled in reverse parameter order as torch does:
    backward produces the last layers' gradients first. A bucket closes once it reaches the cap."""
    buckets: list[Bucket] = []
    open_lists: dict[np.dtype, list[Parameter]] = {}
    for p in reversed(params):
        members = open_lists.setdefault(p.dtype, [])
        members.append(p)
        if sum(m.array.nbytes for m in members) >= cap_bytes:
            buckets.append(Bucket(open_lists.pop(p.dtype)))
    buckets += [Bucket(members) for members in open_lists.values()]
    return buckets


def broadcast_coalesced(tensors: list[Tensor], pg: ProcessGroup, src: int = 0) -> None:
    """Overwrite `tensors` with rank `src`'s values: one broadcast per dtype of all of them, flattened."""
    by_dtype: dict[np.dtype, list[Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for group in by_dtype.values():
        flat = np.concatenate([t.array.reshape(-1) for t in group])
        pg.comm.Bcast(flat, root=src)
        start = 0
        for t in group:
            t.array[...] = flat[start:start + t.array.size].reshape(t.shape)
            record_write(t.array)
            start += t.array.size


def check_same_shapes(params: list[Parameter], pg: ProcessGroup) -> None:
    """Every rank must wrap the same architecture: compare (count, elements, checksum of the shapes)."""
    shapes = ";".join(f"{p.dtype}{tuple(p.shape)}" for p in params)
    mine = np.array([len(params), sum(p.numel() for p in params), zlib.crc32(shapes.encode())], np.int64)
    everyone = np.empty((pg.size(), 3), np.int64)
    pg.comm.Allgather(mine, everyone)
    for rank, theirs in enumerate(everyone):
        if not np.array_equal(theirs, everyone[0]):
            raise RuntimeError(f"DistributedDataParallel: rank {rank}'s module has {theirs[0]} parameters with "
                               f"{theirs[1]} elements, rank 0's has {everyone[0][0]} with {everyone[0][1]} "
                               "(or their shapes differ): every rank must build the same model")


class DistributedDataParallel(Module):
    """Wrap `module` so that `backward()` leaves every rank holding the gradient averaged over all ranks;
    call the wrapper as the module. `state_dict()` names are the module's with torch's `module.` prefix
    (save `ddp.module.state_dict()` to load it into a plain model)."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group: ProcessGroup | None = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a Module, got {type(module).__name__}")
        if device_ids is not None or output_device is not None:
            raise ValueError("DistributedDataParallel: device_ids and output_device must be None for a CPU module "
                             f"(got {device_ids!r}, {output_device!r})")
        if find_unused_parameters:
            raise NotImplementedError("DistributedDataParallel: find_unused_parameters=True is not supported; "
                                      "every parameter that requires grad must take part in the loss")
        cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        if isinstance(cap_mb, bool) or not isinstance(cap_mb, (int, float)) or cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, got {cap_mb!r}")
        self.module = module
        self.dim, self.broadcast_buffers = dim, broadcast_buffers
        self.process_group = pg = default_group(process_group)
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int(cap_mb * _MIB)
        params = [p for p in module.parameters() if p.requires_grad]
        check_same_shapes(params, pg)
        if init_sync:
            broadcast_coalesced([*module.parameters(), *module.buffers()], pg)
        self.buckets = assign_buckets(params, self.bucket_bytes_cap)
        self.next_bucket = 0
        self.arrived: set[int] = set()  # ids of the parameters whose gradient this backward pass delivered
        self._install_hooks()

    def _install_hooks(self) -> None:
        """One post-accumulate-grad hook per parameter; it holds the wrapper weakly, and the hooks
        are removed when the wrapper is freed (the module may outlive it)."""
        me = weakref.ref(self)
        handles = []
        for index, bucket in enumerate(self.buckets):
            def ready(param: Tensor, index: int = index) -> None:
                ddp = me()
                if ddp is not None:
                    ddp._gradient_ready(param, index)
            handles += [p.register_post_accumulate_grad_hook(ready) for p in bucket.params]
        weakref.finalize(self, lambda: [h.remove() for h in handles])

    def _gradient_ready(self, param: Tensor, index: int) -> None:
        """Count one arrived gradient; all-reduce every full bucket in bucket order (the same order on
        every rank, whatever order the gradients arrived in: MPI matches collectives by order)."""
        if not self.require_backward_grad_sync:
            return
        if id(param) in self.arrived:
            raise RuntimeError("DistributedDataParallel: a parameter received a second gradient before all were "
                               "averaged (two backward passes through it in one iteration): expected to mark a "
                               "variable ready only once; use no_sync() for all but the last backward pass")
        self.arrived.add(id(param))
        self.buckets[index].pending -= 1
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            self.buckets[self.next_bucket].average(self.process_group)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self.next_bucket = 0
            self.arrived.clear()

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._check_previous_reduction()
            if self.broadcast_buffers:
                buffers = list(self.module.buffers())
                if buffers:
                    broadcast_coalesced(buffers, self.process_group)
        return self.module(*inputs, **kwargs)

    def _check_previous_reduction(self) -> None:
        if self.arrived:
            missing = [name for name, p in self.module.named_parameters()
                       if p.requires_grad and id(p) not in self.arrived]
            raise RuntimeError("DistributedDataParallel: expected to have finished reduction in the prior iteration "
                               "before starting a new one, but these parameters received no gradient in the last "
                               f"backward pass (not used in the loss?): {', '.join(missing)}. Every parameter that "
                               "requires grad must take part in the loss (find_unused_parameters is not supported)")

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside accumulate local gradients only; the first backward after it averages
        the accumulated sum (gradient accumulation over several micro-batches)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
