"""Module hooks, as torch's: forward pre-hooks, forward hooks and full backward hooks.

A full backward hook sees the gradients of a module's positional Tensor inputs and of its outputs:
two identity `Function`s wrap the inputs and the outputs, and their backward passes call the hook.
"""
from __future__ import annotations

from typing import Any, Callable

from ..autograd import Function
from ..autograd.hooks import RemovableHandle
from ..tensor import Tensor


class ModuleHooks:
    """The hooks of one Module (created when its first hook is registered)."""

    def __init__(self) -> None:
        self.forward_pre: list[Callable] = []
        self.forward: list[Callable] = []
        self.backward: list[Callable] = []

    def add(self, hooks: list[Callable], hook: Callable, prepend: bool) -> RemovableHandle:
        hooks.insert(0, hook) if prepend else hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def call(self, module: Any, forward: Callable, args: tuple, kwargs: dict) -> Any:
        for hook in list(self.forward_pre):
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        state: dict[str, Any] = {}
        if self.backward:
            args = _wrap(_InputGrads, (module, self.backward, state), args)
        output = forward(*args, **kwargs)
        for hook in list(self.forward):
            result = hook(module, args, output)
            if result is not None:
                output = result
        if self.backward:
            state["inputs_need_grad"] = any(isinstance(a, Tensor) and a.requires_grad for a in args)
            output = _wrap(_OutputGrads, (module, self.backward, state), output)
        return output


def _wrap(identity: Any, context: tuple, values: Any) -> Any:
    """`values` (a Tensor or a tuple of them and other things) passed through `identity`."""
    single = isinstance(values, Tensor)
    items = (values,) if single else values
    if not isinstance(items, tuple) or not any(isinstance(v, Tensor) and v.requires_grad for v in items):
        return values
    result = identity.apply(context, *items)
    return result if single or isinstance(result, tuple) else (result,)


class _InputGrads(Function):
    """Identity on a module's inputs; its backward has the inputs' gradients: the hooks run there."""

    @staticmethod
    def forward(ctx, context, *inputs):
        ctx.context, ctx.tensors = context, [isinstance(x, Tensor) for x in inputs]
        ctx.set_materialize_grads(False)
        return inputs if len(inputs) > 1 else inputs[0]

    @staticmethod
    def backward(ctx, *grads):
        module, hooks, state = ctx.context
        grad_input = tuple(g if is_tensor else None for g, is_tensor in zip(grads, ctx.tensors))
        for hook in list(hooks):
            result = hook(module, grad_input, state.get("grad_output", ()))
            if result is not None:
                grad_input = tuple(result)
        return (None, *grad_input)


class _OutputGrads(Function):
    """Identity on a module's outputs; its backward keeps their gradients for the hooks."""

    @staticmethod
    def forward(ctx, context, *outputs):
        ctx.context = context
        ctx.set_materialize_grads(False)
        return outputs if len(outputs) > 1 else outputs[0]

    @staticmethod
    def backward(ctx, *grads):
        module, hooks, state = ctx.context
        state["grad_output"] = grads
        if not state["inputs_need_grad"]:  # no input gradient will come: the hooks run now, as in torch
            for hook in list(hooks):
                hook(module, (None,), grads)
        return (None, *grads)
