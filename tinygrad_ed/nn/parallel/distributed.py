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
        for i, p in enumerate(self.params):  # no gradient (unused here, find_unused_parameters): adds 0
            flat[bounds[i]:bounds[i + 1]] = 0 if p.grad is None else p.grad.array.reshape(-1)
        pg.comm.Allreduce(mpi().IN_PLACE, flat, op=mpi().SUM)
        flat /= pg.size()
        for i, p in enumerate(self.params):
            if p.grad is not None:
                p.grad.array[...] = self.averaged(i)

    def averaged(self, i: int) -> np.ndarray:
        return self.flat[self.bounds[i]:self.bounds[i + 1]].reshape(self.params[i].shape)


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


def reached_leaves(output: Any) -> set[int]:
    """Ids of the leaf Tensors the autograd graph of `output` (Tensors in nested lists, tuples and
    dicts) leads to: the parameters this forward used."""
    stack, found, seen = [], set(), set()
    pending = [output]
    while pending:
        item = pending.pop()
        if isinstance(item, Tensor):
            if item.grad_fn is not None:
                stack.append(item.grad_fn)
            elif item.requires_grad:
                found.add(id(item))
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.edges or ():
            if isinstance(edge, Tensor):
                found.add(id(edge))
            elif edge is not None:
                stack.append(edge)
    return found


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
        cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        if isinstance(cap_mb, bool) or not isinstance(cap_mb, (int, float)) or cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, got {cap_mb!r}")
        self.module = module
        self.dim, self.broadcast_buffers, self.find_unused_parameters = dim, broadcast_buffers, find_unused_parameters
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
        self.reached: set[int] = set()  # find_unused_parameters: ids of the parameters the forward used
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
        if self.find_unused_parameters and not self.arrived:
            self._mark_unused_ready()
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
            if self.find_unused_parameters:
                self._share_gradients_of_unused()
                self.reached.clear()

    def _mark_unused_ready(self) -> None:
        """At the first gradient of a backward pass: the parameters the forward did not use will
        receive none, so count them as arrived (their bucket holds zeros for them, or the gradient
        they accumulated under no_sync)."""
        for bucket in self.buckets:
            for p in bucket.params:
                if id(p) not in self.reached:
                    self.arrived.add(id(p))
                    bucket.pending -= 1

    def _share_gradients_of_unused(self) -> None:
        """A parameter with no gradient here gets the averaged one if some rank had a gradient for it
        (all ranks agree on who had one, so all replicas take the same optimizer step); unused on
        every rank, its `.grad` stays None, as torch."""
        if self.process_group.size() == 1:
            return
        slots = [(bucket, i) for bucket in self.buckets for i in range(len(bucket.params))]
        used = np.array([bucket.params[i].grad is not None for bucket, i in slots], np.uint8)
        self.process_group.comm.Allreduce(mpi().IN_PLACE, used, op=mpi().MAX)
        for (bucket, i), anywhere in zip(slots, used):
            if anywhere and bucket.params[i].grad is None:
                bucket.params[i].grad = Tensor._make(bucket.averaged(i).copy())

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._check_previous_reduction()
            if self.broadcast_buffers:
                buffers = list(self.module.buffers())
                if buffers:
                    broadcast_coalesced(buffers, self.process_group)
        output = self.module(*inputs, **kwargs)
        if self.find_unused_parameters and is_grad_enabled() and self.require_backward_grad_sync:
            self.reached |= reached_leaves(output)
        return output

    def _check_previous_reduction(self) -> None:
        if self.arrived:
            missing = [name for name, p in self.module.named_parameters()
                       if p.requires_grad and id(p) not in self.arrived]
            raise RuntimeError("DistributedDataParallel: expected to have finished reduction in the prior iteration "
                               "before starting a new one, but these parameters received no gradient in the last "
                               f"backward pass (not used in the loss?): {', '.join(missing)}. Pass "
                               "find_unused_parameters=True if some parameters take no part in some steps")

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
