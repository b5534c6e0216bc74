"""A compiled forward whose result is differentiated later, outside the step (a compiled Module inside
an eager training loop): a forward program, a backward program, and a graph node joining them.

At capture, the chain rule from the result is recorded too (with a stand-in incoming gradient), without
running it into .grad. The forward program returns the result and every value the backward reads
(fresh arrays, never planned buffers: a second forward may run before the first backward); the
replay's result gets a `CompiledBackward` node whose backward calls the backward program, and the
engine then adds the gradients into the leaves' .grad as usual.
"""
from __future__ import annotations

import builtins
import math
import types
from typing import Any, Callable

import numpy as np

from ..autograd import versions
from ..autograd.engine import Node
from ..nn.module import Module
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from . import codegen, runtime
from .capture import Capture, GraphBreak
from .program import Var
from .recording import record_later_backward


class CompiledBackward(Node):
    """The graph node of a compiled forward's result: one edge per leaf it depends on."""

    __slots__ = ("program", "saved", "reads", "saved_tensors")
    program: Callable[..., Any]  # the backward program
    saved: tuple  # what the forward program handed over for it
    reads: list[Callable[[], Any]]  # the parameters (and state) it reads, fetched when it runs

    def saved_arrays(self) -> tuple:
        return ()

    def name(self) -> str:
        return "CompiledFunctionBackward"

    @staticmethod
    def backward(ctx: CompiledBackward, g: Any) -> tuple:
        return tuple(ctx.program(g, *ctx.saved, *[read() for read in ctx.reads]))

    def differentiable_backward(self, g: Any) -> tuple:
        raise RuntimeError("the backward of a te.compile'd function is only once differentiable: use the "
                           "function without te.compile for create_graph=True")


def graph_alive(t: Tensor) -> bool:
    """Whether `t` has a graph its backward has not consumed yet."""
    return t.grad_fn is not None and getattr(t.grad_fn, "edges", None) is not None


def needs_backward(result: Any, args: tuple) -> bool:
    """Whether the result (a tensor, or tensors in tuples, lists and dicts: a model's `(logits, loss)`) holds a
    tensor computed in the call whose backward is still to run."""
    return any(graph_alive(t) and all(t is not a for a in args) for t in _tensors_in(result))


def split_programs(capture: Capture, name: str, inputs: list[Var], arguments: list[tuple[str, str, Tensor]],
                   result: Any, getter: Callable[[Var], Callable[[], Any]]) -> tuple[str, Callable[..., Any]]:
    """The programs' source (the forward, then a backward per result tensor whose backward is still to run) and
    the replay building the result, each such tensor with its CompiledBackward node."""
    kept = kept_tensors(capture, arguments)
    outputs = [t for t in _tensors_in(result) if id(t) not in kept]
    found = [capture.vars.get(id(t.array)) for t in outputs]
    outs = [v for v in found if v is not None and v.kind in ("temp", "input")]
    if len(outs) < len(found):
        raise GraphBreak("a result holding a tensor the call did not compute (return only computed tensors, or "
                         "compile the whole training step)", "return")
    backwards = []  # per tensor still to differentiate: its output index, stand-in gradient, lines, leaf gradients
    for index, t in enumerate(outputs):
        if graph_alive(t):
            grad_output = capture.new(np.ones_like(t.array), "input", "grad_output")
            start = len(capture.instrs)
            leaf_grads = record_later_backward(capture, t, grad_output)
            if capture.broken or not leaf_grads:
                raise GraphBreak(capture.broken or "a result whose backward reaches no leaf", "")
            backwards.append((index, grad_output, capture.instrs[start:], leaf_grads))
    forward = [i for i in capture.instrs if i.phase != "backward"]
    made = {id(v) for i in forward for v in i.writes}
    external = {id(v) for v in capture.externals}
    saved_each = [_unique([v for i in lines for v in i.reads if id(v) in made or v.kind == "input" and v is not g])
                  for _, g, lines, _ in backwards]
    externals_each = [_unique([v for i in lines for v in i.reads if id(v) in external]) for _, _, lines, _ in backwards]
    saved = _unique([v for vs in saved_each for v in vs])
    forward_externals = _unique([v for i in forward for v in i.reads if id(v) in external])
    for v in [*outs, *saved, *(g for *_, grads in backwards for g in grads.values())]:
        for r in codegen.roots(v):  # handed out of a program: fresh arrays, not buffers reused next call
            r.planned = False
    namer = codegen.Namer()
    namer.namespace.update(run_forward=runtime.run_forward, as_tuple=runtime.as_tuple)
    forward_name = namer.unique(name)
    sources = [codegen.generate(forward_name, forward, inputs + forward_externals, [*outs, *saved], [*outs, *saved],
                                namer)]
    names = [forward_name]
    for (_, grad_output, lines, leaf_grads), saved_here, externals_here in zip(backwards, saved_each, externals_each):
        grads = list(leaf_grads.values())
        names.append(namer.unique(name + "_backward"))
        sources.append(codegen.generate(names[-1], lines, [grad_output, *saved_here, *externals_here], grads, grads,
                                        namer))
    programs = []
    for source, function_name in zip(sources, names):
        namespace: dict[str, Any] = {"np": np, "math": math, **namer.namespace}
        exec(builtins.compile(source, f"<te.compile {function_name}>", "exec"), namespace)
        programs.append(namespace[function_name])
    reach = {key: recipe[1] for key, recipe in kept.items() if recipe[0] == "arg"}
    tensor_arguments = [reach[id(t)] for _, _, t in arguments]
    forward_reads = [getter(v) for v in forward_externals]
    nodes = {}  # output index -> (backward program, positions of its saved values, its reads, its edges)
    for (index, _, _, leaf_grads), saved_here, externals_here, program in zip(backwards, saved_each, externals_each,
                                                                             programs[1:]):
        nodes[index] = (program, [len(outs) + saved.index(v) for v in saved_here], [getter(v) for v in externals_here],
                        [(reach.get(id(leaf)), leaf) for leaf in leaf_grads])
    position = {id(t): i for i, t in enumerate(outputs)}
    structure = recipe(result, lambda v: kept.get(id(v)) or ("out", position[id(v)]) if isinstance(v, Tensor) else None)
    make, new, run_forward = Tensor._make, object.__new__, programs[0]

    def replay(*args: Any, **kwargs: Any) -> Any:
        values = run_forward(*[get(args, kwargs).array for get in tensor_arguments],
                             *[read() for read in forward_reads])
        built = []
        for index in range(len(outs)):
            if index not in nodes:
                built.append(make(values[index]))
                continue
            program, positions, reads, edges = nodes[index]
            node = new(CompiledBackward)
            node.edges = tuple(leaf if get is None else get(args, kwargs) for get, leaf in edges)
            node.needs_input_grad = (True,) * len(edges)
            node.sequence = next(versions.clock)
            node.array = values[index]
            node.program, node.saved, node.reads = program, tuple(values[p] for p in positions), reads
            built.append(make(values[index], node))
        return rebuild(structure, lambda made: built[made[1]], args, kwargs)
    return "\n\n".join(sources), replay


def kept_tensors(capture: Capture, arguments: list[tuple[str, str, Tensor]]) -> dict[int, tuple]:
    """The tensors a call may return as they are, by id, each with its recipe: an argument, as ("arg", a function
    reaching it in the call's arguments), a tensor from outside the step (a parameter) as ("const", itself)."""
    kept: dict[int, tuple] = {id(v.source): ("const", v.source) for v in capture.externals
                              if v.kind == "param" and isinstance(v.source, Tensor) and v.source.array is v.value}
    for expression, _, t in arguments:
        kept[id(t)] = ("arg", eval(f"lambda args, kwargs: {expression}"))
    return kept


def _tensors_in(value: Any) -> list[Tensor]:
    """The distinct tensors in a result (inside tuples, lists and dicts), in order."""
    found: list[Tensor] = []
    if isinstance(value, Tensor):
        found.append(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            found += [t for t in _tensors_in(item) if all(t is not f for f in found)]
    elif isinstance(value, dict):
        found += [t for t in _tensors_in(list(value.values())) if all(t is not f for f in found)]
    return found


def recipe(value: Any, leaf: Callable[[Any], tuple | None]) -> tuple:
    """A result as a recipe for making it afresh at every replay: `leaf(value)` where that gives one (a tensor, a
    value read back), tuples, lists, named tuples and dicts of recipes, constant(value) for the rest."""
    made = leaf(value)
    if made is not None:
        return made
    if rebuilt_sequence(value):
        return (type(value), [recipe(v, leaf) for v in value])
    if type(value) is dict:
        return (dict, {k: recipe(v, leaf) for k, v in value.items()})
    return constant(value)


def rebuild(made: tuple, leaf: Callable[[tuple], Any], args: tuple, kwargs: dict) -> Any:
    """The value a recipe describes, for this call: ("const", v) as it is, ("arg", reach) from the call's arguments,
    containers afresh, any other kind by `leaf(recipe)`."""
    kind = made[0]
    if kind == "const":
        return made[1]
    if kind == "arg":
        return made[1](args, kwargs)
    if kind is dict:
        return {k: rebuild(v, leaf, args, kwargs) for k, v in made[1].items()}
    if isinstance(kind, type):
        items = [rebuild(v, leaf, args, kwargs) for v in made[1]]
        return kind(*items) if hasattr(kind, "_fields") else kind(items)  # a named tuple takes its fields
    return leaf(made)


def rebuilt_sequence(value: Any) -> bool:
    """A tuple, list or named tuple: a replay makes it afresh from its items."""
    return type(value) in (tuple, list) or isinstance(value, tuple) and hasattr(type(value), "_fields")


_KEPT = (int, float, complex, str, bytes, bool, type(None), np.generic, np.dtype, type, range, slice, frozenset,
         Module, Optimizer, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType)


def constant(value: Any) -> tuple:
    """("const", value): a value a replay hands on as the capture had it. A GraphBreak for any other object (a
    set, a defaultdict, an object of a class of yours...): the call may have made it, and a replay would hand
    on the capture's own, with what that call put in it."""
    if not isinstance(value, _KEPT):
        raise GraphBreak(f"a result holding a {type(value).__name__} (a replay cannot make it afresh)", "return")
    return ("const", value)


def _unique(values: list[Var]) -> list[Var]:
    seen: set[int] = set()
    return [v for v in values if not (id(v) in seen or seen.add(id(v)))]  # type: ignore[func-returns-value]
