"""In-place ops: one mechanism gives every out-of-place op `f` its in-place form `x.f_(...)`.

`x.f_(*args)` computes `f(x, *args)`, writes the result into x's memory and
bumps that memory's version (versions.py). When the graph is recorded, f's
node becomes x's new `grad_fn`, as torch rebases x: later uses of x
differentiate through the write, earlier ones through x's previous history.

To keep that exact, f runs on a snapshot of x (a copy, which x's previous node
now holds as its result), so nothing f saves for backward is overwritten by
the write. A write through a view of a tensor in the graph changes that tensor
behind its history: backward raises if the changed tensor is used afterwards
(engine.py), and an in-place op on a view of a leaf that requires grad raises
at once, as in torch. A recorded write into a part `x[index]` is a write into
`x` (`_write_through_view`, torch's CopySlices), so `dC[ix] += g` works also
when `dC` was outside the graph.

    sin_ = in_place(sin)     # in Tensor's class body (tensor.py): how an op gets its in-place form
"""
from __future__ import annotations

import functools
import sys
import weakref
from typing import Any, Callable

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from . import engine, hooks, versions
from .broadcast import broadcasts_to
from .grad_mode import mode

_uncounted: dict[int, weakref.ref] = {}  # id -> the arrays of `.data` tensors: writes through them are not counted


def write(tensor: Tensor, name: str, op: Callable[..., Tensor], args: tuple, kwargs: dict,
          casting: Any = "same_kind") -> Tensor:
    """`op(tensor, *args, **kwargs)` written into `tensor` (recorded in the graph when it needs to be).
    `casting` is numpy's rule for the result's dtype: arithmetic ops keep the kind, copies may change it."""
    if recording(tensor, *args, *kwargs.values()):
        return _recorded_write(tensor, name, op, args, kwargs, casting)
    store(tensor, name, op(tensor, *args, **kwargs), casting=casting)
    return tensor


def recording(tensor: Tensor, *args: Any) -> bool:
    """Whether an in-place op on `tensor` with these arguments is recorded in the graph."""
    return mode.enabled and (tensor.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args))


def store(tensor: Tensor, name: str, result: Any, writer: int = versions.UNTRACKED, steps: tuple = (),
          casting: Any = "same_kind") -> None:
    """Write `result` into `tensor` (numpy's broadcasting rules) and count the write. With `steps`,
    into tensor[steps[0]][steps[1]]...: all steps but the last are basic indices (views of tensor)."""
    value = result.array if isinstance(result, Tensor) else np.asarray(result)
    target = tensor._writable_array()
    if not target.flags.writeable and 0 in target.strides:
        raise RuntimeError(f"{name}: unsupported operation: more than one element of the written-to tensor refers "
                           "to a single memory location (it was expanded). Please clone() the tensor before "
                           "performing the operation.")
    if not np.can_cast(value.dtype, target.dtype, casting=casting):
        raise RuntimeError(f"{name}: result type {value.dtype} can't be cast to the desired output type "
                           f"{target.dtype}")
    if not steps and not broadcasts_to(value.shape, target.shape):
        raise ShapeError(f"{name}: output with shape {list(target.shape)} doesn't match the broadcast shape "
                         f"{list(value.shape)}")
    destination = target
    for step in steps[:-1]:
        destination = destination[step]
    try:
        destination[steps[-1] if steps else ...] = value
    except ValueError as error:
        raise ShapeError(f"{name}: a value of shape {list(value.shape)} does not fit ({error})") from error
    if id(target) not in _uncounted:
        versions.record_write(target, writer)


def _recorded_write(tensor: Tensor, name: str, op: Callable[..., Tensor], args: tuple, kwargs: dict,
                    casting: Any) -> Tensor:
    if tensor.requires_grad and tensor.grad_fn is None:
        raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an in-place operation. "
                           "(Do it under `with te.no_grad():`, as an optimizer step does.)")
    _refuse_view_of_leaf(tensor, name)
    base, index = getattr(tensor, "view_of", (None, None))
    if base is not None and versions.shares_storage(base.array, tensor.array):
        return _write_through_view(tensor, base, index, name, op, args, kwargs, casting)
    if tensor.grad_fn is None and versions.storage_of(tensor.array) is not tensor.array:
        raise RuntimeError(f"{name}: writing a value that requires grad into a view of a tensor outside the graph "
                           "is supported for views made by indexing only; write into that tensor itself, "
                           "e.g. buffer[0] += value")
    out = _checked_result(tensor, name, op(_snapshot(tensor, name), *args, **kwargs), casting)
    node = out.grad_fn
    store(tensor, name, out, versions.UNTRACKED if node is None else node.sequence, casting=casting)
    if node is not None:
        _rebase(tensor, node)
    return tensor


def _write_through_view(view: Tensor, base: Tensor, index: Any, name: str, op: Callable[..., Tensor], args: tuple,
                        kwargs: dict, casting: Any) -> Tensor:
    """A recorded write into `view = base[index]` is a write into `base`, as torch's CopySlices: `base`'s
    history becomes its old values with that part replaced (so `dC[ix] += g` puts `dC` in the graph),
    and the view becomes that part of the new `base`."""
    part = _snapshot(base[index], name)  # from base's history, which has every write into its parts
    base[index] = _checked_result(view, name, op(part, *args, **kwargs), casting)
    _rebase(view, base[index].grad_fn)
    return view


def _checked_result(tensor: Tensor, name: str, out: Tensor, casting: Any) -> Tensor:
    """`out`, cast to `tensor`'s dtype where `casting` allows; it must have `tensor`'s shape."""
    if out.array.dtype != tensor.array.dtype:
        if not np.can_cast(out.array.dtype, tensor.array.dtype, casting=casting):
            raise RuntimeError(f"{name}: result type {out.array.dtype} can't be cast to the desired output type "
                               f"{tensor.array.dtype}")
        out = out.to(tensor.array.dtype)
    if out.shape != tensor.shape:
        raise ShapeError(f"{name}: output with shape {list(tensor.shape)} doesn't match the broadcast shape "
                         f"{list(out.shape)}")
    return out


def _snapshot(tensor: Tensor, name: str) -> Tensor:
    """`tensor` as it is now, in memory the write will not touch: its node's result becomes the copy."""
    node = tensor.grad_fn
    if node is not None and versions.tracked_writes_between(tensor.array, node.sequence, sys.maxsize,
                                                            node.sequence) is not None:
        # written through a view since its node computed it: the copy would hide that from backward
        raise RuntimeError(f"{name}: the tensor was modified in place through a view of it (one not made by "
                           "indexing, such as x.view(...) or x.t()) since it was computed; differentiating "
                           "through that is not supported. Write to the tensor itself or use out-of-place ops.")
    copy = np.array(tensor.array)
    if node is not None:
        node.array = copy
    return Tensor._make(copy, node)


def _rebase(tensor: Tensor, node: engine.Node) -> None:
    """Make `node` (which computed the values now in `tensor`) the tensor's history."""
    if isinstance(node, engine.Primitive):  # what it saved of its own result is now the tensor's memory
        node.saved_tensors = tuple(tensor.array if s is node.array else s for s in node.saved_tensors)
    node.array = tensor.array
    previous = tensor.grad_fn
    if previous is not None and previous in hooks.retained:
        hooks.retained.set(node, hooks.retained.pop(previous))
    tensor.grad_fn, tensor.requires_grad = node, True


def _refuse_view_of_leaf(tensor: Tensor, name: str) -> None:
    """Raise if `tensor` is a view (through ops that share memory) of a leaf that requires grad."""
    root = versions.storage_of(tensor.array)
    stack: list[Any] = [tensor.grad_fn] if tensor.grad_fn is not None and root is not None else []
    while stack:
        for edge in stack.pop().edges or ():
            if edge is None or versions.storage_of(edge.array) is not root:
                continue
            if isinstance(edge, Tensor):
                if edge.requires_grad:
                    raise RuntimeError(f"{name}: a view of a leaf Variable that requires grad is being used in an "
                                       "in-place operation.")
            else:
                stack.append(edge)


def _forget(key: int, _: Any) -> None:
    _uncounted.pop(key, None)


def uncounted_view(tensor: Tensor) -> np.ndarray:
    """A view of `tensor`'s memory whose in-place writes bump no version (what `.data` holds)."""
    view = tensor._writable_array().view()
    key = id(view)
    _uncounted[key] = weakref.ref(view, functools.partial(_forget, key))
    return view
