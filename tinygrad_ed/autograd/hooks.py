"""Tensor hooks: `register_hook` (on a node, or a leaf Tensor), `retain_grad` and post-accumulate
hooks. They are kept beside the graph, keyed by node or leaf, so that nodes and Tensors carry no
hook slot on the hot path; the engine asks only when a table is not empty."""
from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from ..tensor import Tensor


class IdentityTable:
    """A dict keyed by object identity that drops an entry when its key (a node or a Tensor) is freed.
    (A WeakKeyDictionary would compare Tensors with `==`, which is elementwise.)"""

    def __init__(self) -> None:
        self.entries: dict[int, tuple[weakref.ref, Any]] = {}

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __contains__(self, key: Any) -> bool:
        return id(key) in self.entries

    def get(self, key: Any, default: Any = None) -> Any:
        entry = self.entries.get(id(key))
        return default if entry is None else entry[1]

    def set(self, key: Any, value: Any) -> None:
        entries, ident = self.entries, id(key)
        entries[ident] = (weakref.ref(key, lambda _: entries.pop(ident, None)), value)

    def pop(self, key: Any) -> Any:
        return self.entries.pop(id(key))[1]


class RemovableHandle:
    """What `register_hook` returns; `.remove()` unregisters the hook."""

    def __init__(self, hooks: list[Callable], hook: Callable):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if any(h is self.hook for h in self.hooks):
            self.hooks.remove(self.hook)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


grad_hooks = IdentityTable()  # node, or leaf Tensor -> [hook(grad)]
retained = IdentityTable()  # node -> weak reference to the Tensor whose retain_grad() was called
post_accumulate_hooks = IdentityTable()  # leaf Tensor -> [hook(tensor)]


def add_hook(table: IdentityTable, key: Any, hook: Callable) -> RemovableHandle:
    hooks = table.get(key)
    if hooks is None:
        hooks = []
        table.set(key, hooks)
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def run_hooks(key: Any, g: Any) -> Any:
    """`g` after the hooks of `key` (which may replace it); fills a retained Tensor's `.grad`."""
    for hook in list(grad_hooks.get(key, ())):
        wrapped = g if isinstance(g, Tensor) else Tensor._make(g)
        result = hook(wrapped)
        if result is not None:
            if not isinstance(result, Tensor) or tuple(result.shape) != tuple(g.shape):
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned "
                                   f"{type(result).__name__} {getattr(result, 'shape', '')}; expected None or a "
                                   f"Tensor of shape {tuple(g.shape)}")
            g = result if isinstance(g, Tensor) else result.array
    owner = retained.get(key)
    tensor = owner() if owner is not None else None
    if tensor is not None:
        value = g if isinstance(g, Tensor) else Tensor._make(np.array(g))
        tensor.grad = value.detach() if tensor.grad is None else tensor.grad + value.detach()
    return g
