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
from typing import Any, Callable

import numpy as np

from ..autograd import versions
from ..autograd.engine import Node
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


def split_programs(capture: Capture, name: str, inputs: list[Var], arguments: list[tuple[str, str, Tensor]],
                   result: Tensor, getter: Callable[[Var], Callable[[], Any]]) -> tuple[str, Callable[..., Any]]:
    """The two programs' source and the replay building the result with its CompiledBackward node."""
    grad_output = capture.new(np.ones_like(result.array), "input", "grad_output")
    leaf_grads = record_later_backward(capture, result, grad_output)
    if capture.broken or not leaf_grads:
        raise GraphBreak(capture.broken or "a result whose backward reaches no leaf", "")
    out = capture.vars[id(result.array)]
    forward = [i for i in capture.instrs if i.phase != "backward"]
    backward = [i for i in capture.instrs if i.phase == "backward"]
    made = {id(v) for i in forward for v in i.writes}
    saved = _unique([v for i in backward for v in i.reads
                     if id(v) in made or v.kind == "input" and v is not grad_output])
    external = {id(v) for v in capture.externals}
    forward_externals = _unique([v for i in forward for v in i.reads if id(v) in external])
    backward_externals = _unique([v for i in backward for v in i.reads if id(v) in external])
    leaves, grads = list(leaf_grads), list(leaf_grads.values())
    for v in [out, *saved, *grads]:  # handed out of a program: fresh arrays, not buffers reused next call
        for r in codegen.roots(v):
            r.planned = False
    namer = codegen.Namer()
    namer.namespace.update(run_forward=runtime.run_forward, as_tuple=runtime.as_tuple)
    forward_name, backward_name = namer.unique(name), namer.unique(name + "_backward")
    sources = [codegen.generate(forward_name, forward, inputs + forward_externals, [out, *saved], [out, *saved],
                                namer),
               codegen.generate(backward_name, backward, [grad_output, *saved, *backward_externals], grads, grads,
                                namer)]
    programs = []
    for source, function_name in zip(sources, (forward_name, backward_name)):
        namespace: dict[str, Any] = {"np": np, "math": math, **namer.namespace}
        exec(builtins.compile(source, f"<te.compile {function_name}>", "exec"), namespace)
        programs.append(namespace[function_name])
    reach = {id(t): eval(f"lambda args, kwargs: {expression}") for expression, _, t in arguments}
    edges = [(reach.get(id(leaf)), leaf) for leaf in leaves]
    tensor_arguments = [reach[id(t)] for _, _, t in arguments]
    forward_reads = [getter(v) for v in forward_externals]
    backward_reads = [getter(v) for v in backward_externals]
    make, new = Tensor._make, object.__new__
    run_forward, run_backward = programs

    def replay(*args: Any, **kwargs: Any) -> Tensor:
        values = run_forward(*[get(args, kwargs).array for get in tensor_arguments],
                             *[read() for read in forward_reads])
        node = new(CompiledBackward)
        node.edges = tuple(leaf if get is None else get(args, kwargs) for get, leaf in edges)
        node.needs_input_grad = (True,) * len(edges)
        node.sequence = next(versions.clock)
        node.array = values[0]
        node.program, node.saved, node.reads = run_backward, values[1:], backward_reads
        return make(values[0], node)
    return "\n\n".join(sources), replay


def _unique(values: list[Var]) -> list[Var]:
    seen: set[int] = set()
    return [v for v in values if not (id(v) in seen or seen.add(id(v)))]  # type: ignore[func-returns-value]
