"""Capture: run the step eagerly once while recording, at the level of the numpy work, everything it
computes: each primitive's forward, each backward rule the engine runs, the engine's sums and casts
of gradients, the leaves' .grad, and each optimizer update.

Recording is switched on by swapping a handful of entry points for recording versions, only for
the duration of the capture (`Capture.active`); eager code pays nothing for it. Values are followed
by identity: every array a recorded piece of work produces gets a `Var`, and an array met later is
looked up by `id` (the capture keeps every array alive, so ids are not reused).
"""
from __future__ import annotations

from typing import Any, Callable

import sys

import numpy as np

from ..autograd import engine
from ..autograd.engine import Node
from ..nn.module import Module
from ..tensor import Tensor
from . import emitters
from .program import Instr, Var

class GraphBreak(Exception):
    """A value of the step was read back into Python, so the step cannot be one straight-line program."""

    def __init__(self, reason: str, where: str, line: int | None = None):
        super().__init__(f"{reason} at {where}" if where else reason)
        self.reason, self.where = reason, where
        self.line = line  # the line of the compiled function's own code that broke, when known


class Capture:
    """The record of one traced call: Vars, Instrs and what the replay must read and write."""

    active: Capture | None = None

    def __init__(self, fullgraph: bool, roots: dict[str, Module | Tensor], code: Any = None):
        self.fullgraph = fullgraph
        self.code = code  # the compiled function's code object: its frame's line is where a break splits it
        self.module_names: dict[int, str] = {}
        self.tensor_names: dict[int, str] = {}
        for root_name, root in roots.items():
            if isinstance(root, Module):
                self.name_modules(root_name, root)
            else:
                self.tensor_names[id(root)] = root_name
        self.vars: dict[int, Var] = {}
        self.untracked: dict[int, str] = {}  # id -> where: arrays made outside any recorded op (a comparison...)
        self.created: set[int] = set()  # ids of the tensors the step made with a constructor
        self.by_address: dict[tuple, Var] = {}  # (memory address, bytes, dtype) -> the value of the step there
        self.owners: set[int] = set()  # ids of the arrays owning the memory of the step's values
        self.keep: list[Any] = []  # every array seen: their ids stay unique while capturing
        self.shared: dict[tuple, Var] = {}  # constants the emitters add, by what they hold
        self.instrs: list[Instr] = []
        self.externals: list[Var] = []  # parameters, incoming grads, optimizer state and groups, in first use order
        self.modules: dict[int, Module] = {}  # every module called: their `training` flags are guarded
        self.module_stack: list[Module] = []
        self.forward_records: dict[int, Any] = {}  # id(node) -> what the node's backward emitter needs
        # id(node) -> (how the replay reaches the argument, the Var of its node): a compiled forward's result passed in
        self.graph_inputs: dict[int, tuple[str, Var]] = {}
        # id(weight gradient) -> (x, g, index of its line): it is g.T @ x, x one row
        self.outer_products: dict[int, tuple[Var, Var, int]] = {}
        self.grads_set: list[tuple[Tensor, Var | None]] = []  # (leaf, its new .grad), in order: the last one holds
        # id(leaf) -> (leaf, its .grad when the call began, whether the call's first use of it set it to None)
        self.grads_before: dict[int, tuple[Tensor, Any, bool]] = {}
        # (Python value, its Var, how it was read, where, the line of the compiled function's frame)
        self.readbacks: list[tuple[Any, Var | None, str, str, int | None]] = []
        self.stored: list[Var] = []  # parameters and buffers the step writes into with Tensor in-place ops
        self.groups: list[tuple[dict, dict]] = []  # (a param group, its settings when the step first read it)
        self.broken: str | None = None  # why recording stopped (the step then runs on eagerly)
        self.broken_line: int | None = None
        self.phase = "forward"
        self.depth = 0  # >0 inside a recorded op: its own numpy work is not recorded again

    def name_modules(self, root_name: str, root: Module) -> None:
        """Names for `root`, its submodules and their parameters, for the comments and variable names."""
        for path, module in root.named_modules():
            self.module_names.setdefault(id(module), f"{root_name}.{path}" if path else root_name)
        for path, t in [*root.named_parameters(), *root.named_buffers()]:
            self.tensor_names.setdefault(id(t), f"{root_name}.{path}")

    def give_up(self, reason: str, where: str) -> None:
        """Stop recording: with fullgraph=True an error, otherwise the step finishes eagerly."""
        if self.fullgraph:
            raise GraphBreak(reason, where)
        if self.broken is None:
            self.broken = f"{reason} at {where}"
            self.broken_line = self.own_line()

    def own_line(self) -> int | None:
        """The line the compiled function's own frame is at (None when it is not on the stack)."""
        frame = sys._getframe(1)
        while frame is not None and frame.f_code is not self.code:
            frame = frame.f_back  # type: ignore[assignment]
        return None if frame is None else frame.f_lineno

    # -- Vars ------------------------------------------------------------------------------------
    def new(self, value: Any, kind: str = "temp", hint: str = "t", source: Any = None) -> Var:
        var = Var(kind, value, hint, source)
        self.vars[id(value)] = var
        if kind in ("input", "param", "temp") and isinstance(value, np.ndarray):  # what views are looked up against
            self.by_address.setdefault(_address(value), var)
            self.owners.add(id(value if value.base is None else value.base))
        self.keep.append(value)
        return var

    def var_of_tensor(self, t: Tensor) -> Var:
        """The Var of a Tensor's array met as an op's input: known, or a view of a known one, or a tensor
        from outside the step (a parameter, a buffer or any other), which the replay reads afresh."""
        array = t.array
        var = self.vars.get(id(array))
        if var is not None:
            return var
        if t.grad_fn is not None:
            self.give_up("a tensor from a graph built outside the step", user_line())
        if t.requires_grad and id(t) in self.created:
            self.give_up("a tensor that requires grad made inside the step (a replay would reuse the capture's)",
                         user_line())
        if t.requires_grad or id(t) in self.tensor_names:
            var = self.new(array, "param", self.tensor_name(t), source=t)
            self.externals.append(var)
            return var
        var = self.value(array)
        if var.kind == "const" and var.value is array and id(t) not in self.created:  # from outside: read afresh
            var.kind, var.source, var.hint = "param", t, self.tensor_name(t)
            self.externals.append(var)
        return var

    def value(self, value: Any) -> Any:
        """An op's non-Tensor argument: a Var for an array (known, a view of a known one, or a constant),
        the value itself for anything else (rendered as a literal or a namespace constant)."""
        if isinstance(value, (np.ndarray, np.generic)):
            var = self.vars.get(id(value))
            if var is not None:
                return var
            known = self.by_address.get(_address(value)) \
                if isinstance(value, np.ndarray) and value.base is not None else None
            if known is not None and value.flags.c_contiguous and known.value.flags.c_contiguous:
                view = self.new(value, "temp", known.hint)
                view.view_of = [known]
                self.add(Instr([known], [view], _reshape_line(view, known), "a view of the same memory"))
                return view
            if id(value) in self.untracked:
                self.give_up("a tensor computed by an operation that has no recorded form", self.untracked[id(value)])
            if isinstance(value, np.ndarray) and value.base is not None \
                    and (id(value.base) in self.owners or id(value.base) in self.untracked):
                self.give_up("a view of a value of the step made outside the recorded ops", user_line())
            return self.new(value, "const", "const")
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def filled(self, fill: int, shape: tuple, dtype: Any) -> Var:
        """A constant array of zeros or ones (one per fill, shape and dtype)."""
        key = (fill, tuple(shape), np.dtype(dtype).str)
        if key not in self.shared:
            self.shared[key] = self.new(np.full(shape, fill, dtype), "const", ("zeros", "ones")[fill])
        return self.shared[key]

    def tensor_name(self, t: Tensor) -> str:
        return self.tensor_names.get(id(t), "param")

    def add(self, instr: Instr) -> Instr:
        instr.phase = self.phase
        self.instrs.append(instr)
        return instr

    def fold(self, since: int) -> None:
        """The emitted numpy work from instruction `since` on that reads constants only (d loss / d loss
        divided by the batch size, spread over the batch...) becomes constants: its values at capture are
        its values at every replay, so the program does not compute them."""
        tail = self.instrs[since:]
        del self.instrs[since:]
        for instr in tail:
            if instr.reads and all(v.kind == "const" for v in instr.reads) \
                    and all(np.shape(v.value) == v.shape for v in instr.writes):  # not scratch with no value
                for v in instr.writes:
                    v.kind, v.planned, v.hint = "const", False, v.hint + "_const"
                    if isinstance(v.value, np.ndarray):  # as it is now; the copy is what the capture goes on with
                        v.value = v.value.copy()
                        self.vars[id(v.value)] = v
                        self.keep.append(v.value)
            else:
                self.instrs.append(instr)

    def layer(self) -> str:
        """Where the current op is: the innermost module being called, as 'model.0 (Linear)'."""
        for module in reversed(self.module_stack):
            name = self.module_names.get(id(module))
            if name is not None:
                return f"{name} ({type(module).__name__})"
        return ""

    # -- recording -------------------------------------------------------------------------------
    def record_primitive(self, cls: type, args: tuple, options: dict, result: Tensor) -> None:
        reads = [self.var_of_tensor(a) if isinstance(a, Tensor) else self.value(a) for a in args]
        opts = {k: self.value(v) for k, v in options.items()}
        if any(v.kind != "const" and v.dtype == np.bool_ and v.shape for v in _vars_in([opts.get("index")])):
            self.give_up("indexing with a mask the step computes (the result's shape depends on its values)",
                         user_line())
        out = self.new(result.array, "temp", cls.__name__.lower(), source=self.layer())
        node = result.grad_fn
        needs = node.needs_input_grad if node is not None else (False,) * len(args)
        emitter = emitters.FORWARD.get(cls)
        where = self.layer()
        since = len(self.instrs)
        state = emitter(self, reads, opts, out, needs, where) if emitter is not None else None
        if state is None:
            state = self.fallback_forward(cls, reads, opts, out, needs, where)  # may draw random numbers
        else:
            self.fold(since)
        if node is not None:
            self.forward_records[id(node)] = state
            self.keep.append(node)

    def fallback_forward(self, cls: type, reads: list, opts: dict, out: Var, needs: tuple, where: str) -> Any:
        ctx = Var("object", None, f"ctx_{cls.__name__.lower()}")
        array_reads = _vars_in(reads) + _vars_in(list(opts.values()))
        out.view_of = list(array_reads)  # the op may return a view of an input

        def render(n: Callable[[Any], str], b: Callable[[Var], str]) -> list[str]:
            args = ", ".join([n(cls), n(needs)] + [n(r) for r in reads] + [f"{k}={n(v)}" for k, v in opts.items()])
            return [f"{n(out)}, {n(ctx)} = run_forward({args})"]
        self.add(Instr(array_reads, [out, ctx], render, f"{cls.__name__.lower()} {where}".strip()))
        for filled in (v for v in opts.values() if isinstance(v, dict)):
            self.follow_filled(filled, cls.__name__.lower())
        return ("fallback", ctx, array_reads + [out])

    def follow_filled(self, filled: dict, hint: str) -> None:
        """The arrays an op left in a dict it was given (batch norm's batch statistics): read from the dict
        after the op's line, and followed through the plain numpy code that uses them."""
        def entry(key: Any) -> Callable[[Callable[[Any], str]], str]:
            return lambda n: f"{n(filled)}[{key!r}]"
        for key, value in filled.items():
            if isinstance(value, np.ndarray):
                filled[key] = self.follow(value, entry(key), [], str(key), f"left by {hint}")

    def record_backward(self, node: Node, g: Var, grads: tuple) -> list[Var | None]:
        """The Vars of the gradients `node`'s backward returned for its inputs (None where none)."""
        outs: list[Var | None] = []
        fresh: list[Var] = []
        for a, needed in zip(grads, node.needs_input_grad):
            known = None if a is None else self.vars.get(id(a))
            if a is None or not needed or known is not None:
                outs.append(known if needed else None)  # add's backward hands `g` itself on: no new value
            else:
                made = self.new(a, "temp", "grad")
                outs.append(made)
                fresh.append(made)
        record = self.forward_records[id(node)]
        name = node.name()
        if record[0] != "fallback":
            since = len(self.instrs)
            emitters.BACKWARD[type(node)](self, record, g, outs, name)
            self.fold(since)
            return outs
        _, ctx, saved = record
        for o in fresh:
            o.view_of = [g] + saved

        def render(n: Callable[[Any], str], b: Callable[[Var], str]) -> list[str]:
            targets = ", ".join(n(o) if any(o is f for f in fresh) else "_" for o in outs)
            return [f"{targets}{',' if len(outs) == 1 else ''} = as_tuple({n(type(node))}.backward({n(ctx)}, {n(g)}))"]
        self.add(Instr([g, ctx] + saved, fresh, render, name))
        return outs

    def record_graph_backward(self, node: Node, g: Var, grads: tuple) -> list[Var | None]:
        """The backward of an argument's graph (a compiled forward's result, whose node is an input of the
        program): one call of that node's backward, which frees it."""
        outs: list[Var | None] = [None if a is None else self.new(a, "temp", "grad") for a in grads]
        node_var = self.graph_inputs[id(node)][1]

        def render(n: Callable[[Any], str], b: Callable[[Var], str]) -> list[str]:
            targets = ", ".join("_" if o is None else n(o) for o in outs)
            return [f"{targets}{',' if len(outs) == 1 else ''} = backward_once({n(node_var)}, {n(g)})"]
        self.add(Instr([g, node_var], [o for o in outs if o is not None], render, node.name()))
        return outs

    def record_store(self, tensor: Tensor, before: Any, value: Any, steps: tuple) -> None:
        """A Tensor in-place op's write into `tensor` (`before` is its array), as eager's `target[...] = value`."""
        if tensor.array is not before:
            self.give_up("an in-place write into a tensor holding a numpy scalar", user_line())
            return
        target = self.var_of_tensor(tensor)
        if self.broken:
            return
        if target.kind == "const":  # folded: its value lives in the program
            self.give_up("an in-place write into a value computed from constants", user_line())
            return
        source = self.var_of_tensor(value) if isinstance(value, Tensor) else self.value(value)
        where = self.value(steps)
        if target.kind == "param" and id(tensor) in self.created:
            self.give_up("an in-place write into a tensor made inside the step (a replay would start from the "
                         "value the previous call left in it)", user_line())
            return
        if target.kind == "param":
            self.stored.append(target)

        def render(n: Callable[[Any], str], b: Callable[[Var], str]) -> list[str]:
            path = "".join(f"[{n(s)}]" for s in where) if where else "[...]"
            return [f"{n(target)}{path} = {n(source)}"]
        self.add(Instr(_vars_in([source, target, where]), [], render, f"written in place {self.layer()}".strip()))

    def record_grad_set(self, leaf: Tensor, grad: Tensor | None) -> None:
        """`leaf.grad = grad` in the step's own code (`p.grad = None`...): the replay sets it too."""
        var = None if grad is None else self.vars.get(id(grad.array))
        if grad is not None and (var is None or var.kind != "temp" or var.view_of):
            self.give_up("a .grad set to a tensor the program does not compute afresh", user_line())
            return
        if var is not None:
            var.pinned = True
        self.grads_set.append((leaf, var))

    def record_zeroed_grad(self, leaf: Tensor, zeros: np.ndarray) -> None:
        """zero_grad(set_to_none=False): `leaf.grad` set to a fresh array of zeros."""
        name = self.tensor_name(leaf)
        var = self.new(zeros, "temp", "grad_" + name)
        var.pinned = True
        self.add(Instr([], [var], lambda n, b: [f"{n(var)} = np.zeros({zeros.shape!r}, np.{zeros.dtype.name})"],
                       f"{name}.grad zeroed"))
        self.grads_set.append((leaf, var))

    def record_grad_read(self, leaf: Tensor, grad: Tensor) -> None:
        """`leaf.grad` read in the step while it holds an array from outside the step: an argument, read afresh
        (`leaf.grad.array`, whichever Tensor .grad is then) at each replay."""
        if id(grad.array) not in self.vars and id(grad.array) not in self.untracked:
            self.externals.append(self.new(grad.array, "grad", "grad_" + self.tensor_name(leaf), source=leaf))

    def record_alias(self, tensor: Tensor, alias: np.ndarray) -> None:
        """A view of all of `tensor`'s memory made outside the ops (detach(), .data): at replay, a view of the
        same value, so that it is this call's value and a write into it reaches the tensor."""
        known = self.var_of_tensor(tensor)
        self.untracked.pop(id(alias), None)
        self.keep.append(alias)
        if known.kind == "const":  # a write into it then stops the capture, as one into `known` does
            self.vars[id(alias)] = known
            return
        var = self.new(alias, "temp", known.hint)
        var.view_of = [known]
        self.add(Instr([known], [var], lambda n, b: [f"{n(var)} = {n(known)}.view()"], "the same memory"))

    def follow(self, value: Any, expression: Callable[[Callable[[Any], str]], str], reads: list[Var], hint: str,
               comment: str) -> Any:
        """`value`, computed by `expression` outside any recorded op, as a Followed array with a Var."""
        if not isinstance(value, np.ndarray):
            return value
        value = value.view(Followed)
        var = self.new(value, "temp", hint)
        self.add(Instr(reads, [var], lambda n, b: [f"{n(var)} = {expression(n)}"], f"{comment} {self.layer()}".strip()))
        return value

    def record_readback(self, tensor: Tensor, how: str, result: Any) -> Any:
        """A value read back into Python: an output of the program when only returned, else a graph break
        (noted after the capture stopped too, so that a split finds every break of the call)."""
        var = self.vars.get(id(tensor.array))
        where = user_line()
        if self.broken:
            self.readbacks.append((result, None, how, where, self.own_line()))
            return result
        if var is None and id(tensor.array) not in self.untracked or var is not None and var.kind == "const":
            return result  # a value fixed at capture (a constant): reading it changes nothing
        if self.fullgraph:
            raise GraphBreak(f"{how} reads a value of the step back into Python (fullgraph=True)", where)
        if var is None:  # computed outside the recorded ops: it cannot become an output either
            self.give_up(f"{how} reads a value of the step back into Python", where)
            return result
        self.readbacks.append((result, var, how, where, self.own_line()))
        return result


class Followed(np.ndarray):
    """An array the capture follows through plain numpy code outside the ops: random numbers drawn while
    capturing, what an op leaves in a dict it was given, and arrays computed from those (dropout's mask).
    numpy's own protocol records those computations, so a replay draws afresh and recomputes."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain = tuple(i.view(np.ndarray) if isinstance(i, Followed) else i for i in inputs)
        result = getattr(ufunc, method)(*plain, **kwargs)
        capture = Capture.active
        if capture is None or capture.depth or capture.broken or method != "__call__" or kwargs:
            return result
        reads = [capture.value(i) for i in inputs]
        return capture.follow(result, lambda n: f"np.{ufunc.__name__}({', '.join(n(r) for r in reads)})",
                              _vars_in(reads), ufunc.__name__, "computed")

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        result = self.view(np.ndarray).astype(dtype, *args, **kwargs)
        return self._followed(result, lambda n, source: f"{n(source)}.astype({n(np.dtype(dtype))})", "cast")

    def reshape(self, *shape: Any, **kwargs: Any) -> Any:
        result = self.view(np.ndarray).reshape(*shape, **kwargs)
        literal = (shape[0] if len(shape) == 1 else shape, kwargs)
        return self._followed(result, lambda n, source: f"{n(source)}.reshape({n(literal[0])}"
                              + "".join(f", {k}={n(v)}" for k, v in literal[1].items()) + ")", "reshape", view=True)

    def _followed(self, result: Any, expression: Callable[..., str], hint: str, view: bool = False) -> Any:
        capture = Capture.active
        if capture is None or capture.depth or capture.broken:
            return result
        source = capture.value(self)
        followed = capture.follow(result, lambda n: expression(n, source), [source], hint, "computed")
        if view and isinstance(followed, Followed):
            capture.vars[id(followed)].view_of = [source]
        return followed


def _reshape_line(view: Var, known: Var) -> Any:
    return lambda n, b: [f"{n(view)} = {n(known)}.reshape({view.shape})"]


def _address(array: np.ndarray) -> tuple:
    return (array.__array_interface__["data"][0], array.nbytes, array.dtype.str)


def _vars_in(values: Any) -> list[Var]:
    found: list[Var] = []
    for v in values:
        if isinstance(v, Var):
            found.append(v)
        elif isinstance(v, (tuple, list)):
            found += _vars_in(v)
    return found


user_line = engine.user_frame  # the innermost line of user code on the stack, as 'File ..., line N: source'
