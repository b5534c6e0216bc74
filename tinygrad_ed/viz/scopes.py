"""Which module ran each op: `record_scopes(model)` and the membership `draw_graph(model=...)` reads.

Nothing is recorded unless a drawing asks for it: `record_scopes` installs forward hooks on the
model's modules for the length of a `with` block and removes them after, so `Module.__call__`
keeps its hook-free fast path everywhere else. Each module call takes two numbers from the
clock that numbers graph nodes; an op belongs to the innermost call whose numbers enclose its own.
Without a recording, an op belongs to the module owning a parameter it reads directly.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator
from weakref import WeakKeyDictionary

from ..autograd import versions
from ..autograd.engine import Node
from ..nn.module import Module
from ..tensor import Tensor

# the latest recording per model: (start, end, module name, input shapes, output shapes) of every call,
# in start order
Call = tuple[int, int, str, tuple, tuple]
_recordings: WeakKeyDictionary[Module, list[Call]] = WeakKeyDictionary()


def install_forward_hooks(modules: Iterable[Module], pre: Callable | None, post: Callable | None) -> Callable[[], None]:
    """Register `pre`/`post` as forward (pre-)hooks on `modules`; returns the function removing them all,
    which also gives a module that had no hooks before back its fast path."""
    handles, bare = [], []
    for module in modules:
        if module._module_hooks is None:
            bare.append(module)
        if pre is not None:
            handles.append(module.register_forward_pre_hook(pre))
        if post is not None:
            handles.append(module.register_forward_hook(post))

    def remove() -> None:
        for handle in handles:
            handle.remove()
        for module in bare:
            hooks = module._module_hooks
            if hooks is not None and not (hooks.forward_pre or hooks.forward or hooks.backward):
                object.__setattr__(module, "_module_hooks", None)
    return remove


@contextmanager
def record_scopes(model: Module) -> Iterator[None]:
    """Within the block, remember which of `model`'s modules runs each recorded op, for
    `draw_graph(..., model=model)` and `animate_backward(..., model=model)` to group ops by module.

    Costs nothing outside the block; a new recording of the same model replaces the previous one.
    """
    if not isinstance(model, Module):
        raise TypeError(f"record_scopes: expected an nn.Module, got {type(model).__name__}")
    names = {id(module): name for name, module in model.named_modules()}
    calls: list[Call] = []
    starts: dict[int, list[int]] = {}

    def enter(module: Module, args: Any) -> None:
        starts.setdefault(id(module), []).append(next(versions.clock))

    def leave(module: Module, args: Any, output: Any) -> None:
        calls.append((starts[id(module)].pop(), next(versions.clock), names[id(module)], _shapes(args),
                      _shapes(output if isinstance(output, tuple) else (output,))))

    remove = install_forward_hooks(model.modules(), enter, leave)
    try:
        yield
    finally:
        remove()
        calls.sort(key=lambda call: (call[0], -call[1]))
        _recordings[model] = calls


def _shapes(values: tuple) -> tuple:
    return tuple(tuple(v.shape) for v in values if isinstance(v, Tensor))


def recorded_shapes(model: Module) -> dict[str, tuple[dict[str, None], dict[str, None]]]:
    """Per module name, the distinct input and output shapes of its recorded calls (ordered sets)."""
    shapes: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for _, _, name, ins, outs in _recordings.get(model, ()):
        seen_in, seen_out = shapes.setdefault(name, ({}, {}))
        seen_in.update(dict.fromkeys(str(s) for s in ins))
        seen_out.update(dict.fromkeys(str(s) for s in outs))
    return shapes


def owners(boxes: list[Any], model: Module, parameter_names: dict[int, str]) -> list[str | None]:
    """Per box (an op's node or a leaf Tensor): the name of the module that ran or owns it, or None.

    An op inside a call of the model's latest recording belongs to its innermost module; any
    other op (none was recorded, or it ran after the recording) to the module of the first
    parameter it reads, if any."""
    result: list[str | None] = [None] * len(boxes)
    for i, box in enumerate(boxes):
        if isinstance(box, Tensor) and id(box) in parameter_names:
            result[i] = module_of(parameter_names[id(box)])
    ops = [(box.sequence, i) for i, box in enumerate(boxes) if isinstance(box, Node) and box.edges is not None]
    for i, name in _innermost_calls(sorted(ops), _recordings.get(model, [])):
        result[i] = name
    for _, i in ops:
        if result[i] is None:
            reads = (edge for edge in boxes[i].edges if isinstance(edge, Tensor) and id(edge) in parameter_names)
            parameter = next(reads, None)
            result[i] = module_of(parameter_names[id(parameter)]) if parameter is not None else None
    return result


def _innermost_calls(ops: list[tuple[int, int]], calls: list[Call]) -> Iterator[tuple[int, str]]:
    """(box index, module name) for every op inside a call; `ops` and `calls` sorted by start.
    Calls nest, so a stack of the calls open at each op's time has the innermost on top."""
    open_calls: list[Call] = []
    following = 0
    for sequence, i in ops:
        while following < len(calls) and calls[following][0] < sequence:
            while open_calls and open_calls[-1][1] < calls[following][0]:
                open_calls.pop()
            open_calls.append(calls[following])
            following += 1
        while open_calls and open_calls[-1][1] < sequence:
            open_calls.pop()
        if open_calls:
            yield i, open_calls[-1][2]


def module_of(parameter_name: str) -> str:
    """`encoder.0.weight` -> `encoder.0`; a parameter of the model itself -> `` (the root)."""
    return parameter_name.rpartition(".")[0]


def depth_of(name: str) -> int:
    return 0 if name == "" else name.count(".") + 1


def ancestor(name: str, depth: int) -> str:
    """The enclosing module of `name` at `depth` (`name` itself when it is not deeper)."""
    return ".".join(name.split(".")[:depth]) if depth_of(name) > depth else name
