"""The numpy lines each captured piece of work becomes.

The ops on the hot paths (linear, relu, log_softmax, elementwise arithmetic, sums, the loss's pick, the
SGD and Adam updates) have an emitter here: the same numpy calls their eager code makes, in the same
order (so the results are bitwise equal), written with `out=` into buffers the planner preallocates.
Every other primitive replays through its own forward and backward (`run_forward`, `Cls.backward`):
the same work, in a line that names the op rather than spelling it out.
"""
from __future__ import annotations

import functools
import importlib.util
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..autograd import engine
from ..ops import backward_math as bm
from ..ops import elementwise, index, matmul, movement, reduce
from ..optim.adam import Adam
from ..optim.sgd import SGD
from ..tensor import Tensor
from .codegen import roots
from .program import Imported, Instr, Var

if TYPE_CHECKING:
    from .capture import Capture

# reductions as np.add.reduce / np.maximum.reduce: what ndarray.sum and .max call, without np.sum's
# Python-level wrapper (a few microseconds per call)
Names = Callable[[Any], str]
Buffers = Callable[[Var], str]


def out(b: Buffers, v: Var) -> str:
    """`, out=buffer` for a planned Var; nothing for a scalar (numpy returns scalars, no buffer needed)."""
    return f", out={b(v)}" if v.planned else ""


SMALL = 64  # elements: below, a fresh array costs less than passing out= (numpy's keyword handling)


def planned(*vars: Var) -> None:
    """Mark results that get a preallocated buffer: arrays of more than SMALL elements that eager made in C
    order (a buffer is C-ordered; numpy gives an op on transposed inputs a result in their order, and a
    later reduction over it sums in that order)."""
    for v in vars:
        v.planned = isinstance(v.value, np.ndarray) and v.value.size > SMALL and v.value.flags.c_contiguous


def scratch(shape: tuple, dtype: Any, hint: str) -> Var:
    """A planned array with no value at capture: scratch work (in an instruction's `temps`) or a mask."""
    var = Var("temp", np.empty(0, dtype), hint)
    var.shape, var.dtype = tuple(shape), np.dtype(dtype)
    var.planned = True
    return var


def is_array(v: Any) -> bool:
    return isinstance(v, Var) and isinstance(v.value, np.ndarray)


# ---------------------------------------------------------------------------------------------
# Forward emitters: (capture, reads, options, out, needs_input_grad, where) -> what backward needs,
# or None to fall back to run_forward


def linear_forward(capture: Capture, reads: list, opts: dict, o: Var, needs: tuple, where: str) -> Any:
    x, w, bias = reads
    if not (is_array(x) and is_array(w) and (bias is None or is_array(bias))):
        return None
    planned(o)
    temps = []
    if _transposed_product(x.shape):  # W x^T, then a C-ordered copy (here fused with the bias)
        wx = scratch((w.shape[0], x.shape[0]), o.dtype, "wx")
        temps.append(wx)

        def render(n: Names, b: Buffers) -> list[str]:
            first = f"{n(wx)} = np.dot({n(w)}, {n(x)}.T, out={b(wx)})"
            if bias is None:
                copy = f"np.copyto({b(o)}, {n(wx)}.T) or {b(o)}" if o.planned else f"np.ascontiguousarray({n(wx)}.T)"
                return [first, f"{n(o)} = {copy}"]
            # C order like eager's copy: numpy would give a fresh result wx.T's Fortran order, and later
            # reductions over it would sum in another order
            layout = out(b, o) if o.planned else ", order='C'"
            return [first, f"{n(o)} = np.add({n(wx)}.T, {n(bias)}{layout})"]
    else:
        def render(n: Names, b: Buffers) -> list[str]:
            lines = [f"{n(o)} = np.dot({n(x)}, {n(w)}.T{out(b, o)})"]
            return lines + ([] if bias is None else [f"np.add({n(o)}, {n(bias)}, out={n(o)})"])
    reads_ = [v for v in (x, w, bias) if v is not None]
    capture.add(Instr(reads_, [o], render, f"linear {where}".strip(), temps))
    return ("linear", x, w, bias, needs, o)


def _transposed_product(shape: tuple) -> bool:
    """Whether x W^T is faster as (W x^T)^T on OpenBLAS (measured): Linear.forward's choice below 64 rows,
    and here also below 192 rows of 512 features or more (5% faster for 128 rows of 784; narrower inputs
    lose from 64 rows on). BLAS sums each output over the features in the same order in both forms, so
    the values are eager's bit for bit (the tests check it on a 784-wide layer)."""
    rows, features = shape
    return rows < 64 or rows < 192 and features >= 512


def linear_backward(capture: Capture, record: Any, g: Var, outs: list, name: str) -> None:
    _, x, w, bias, needs, o = record
    gx, gw, gb = outs
    planned(*(v for v in outs if v is not None))
    ones = capture.filled(1, g.shape[:1], g.dtype) if gb is not None and bm.columns_by_blas(g.value) else None
    gemm = blas("gemm", gw.dtype) if gw is not None and gw.planned and x.shape[0] == 1 \
        and x.dtype == g.dtype == gw.dtype else None

    def render(n: Names, b: Buffers) -> list[str]:
        lines = []
        if gx is not None:
            lines.append(f"{n(gx)} = np.dot({n(g)}, {n(w)}{out(b, gx)})")
        if gemm is not None:  # one row: g.T @ x is an outer product, which np.dot writes at half BLAS's speed
            lines += [f"{n(gw)} = {b(gw)}",
                      f"{n(gemm)}(1.0, {n(x)}.T, {n(g)}.T, trans_b=1, c={n(gw)}.T, overwrite_c=1)"]
        elif gw is not None:
            lines.append(f"{n(gw)} = np.dot({n(g)}.T, {n(x)}{out(b, gw)})")
        if gb is not None and ones is not None:  # backward_math.column_sums, as Linear.backward takes them
            lines.append(f"{n(gb)} = np.dot({n(ones)}, {n(g)}{out(b, gb)})")
        elif gb is not None:
            lines.append(f"{n(gb)} = np.add.reduce({n(g)}, axis=0{out(b, gb)})")
        return lines
    capture.add(Instr(_vars_of(g, x, w, ones), [v for v in outs if v is not None], render,
                      f"{name} {_where(o)}".strip()))
    if gemm is not None:
        capture.outer_products[id(gw)] = (x, g, len(capture.instrs) - 1)


def relu_forward(capture: Capture, reads: list, opts: dict, o: Var, needs: tuple, where: str) -> Any:
    (x,) = reads
    if not is_array(x):
        return None
    planned(o)
    mask = None
    if needs[0]:
        mask = scratch(o.shape, bool, "positive")  # saved for the backward, planned like the output
        mask.planned = o.planned
    # numpy's maximum against a scalar runs about 3x slower than against an array of zeros (same results)
    zero = capture.filled(0, o.shape, o.dtype) if o.planned else 0

    def render(n: Names, b: Buffers) -> list[str]:
        lines = [f"{n(o)} = np.maximum({n(x)}, {n(zero)}{out(b, o)})"]
        if mask is not None:
            lines.append(f"{n(mask)} = np.greater({n(o)}, 0{out(b, mask)})")
        return lines
    capture.add(Instr(_vars_of(x, zero), [o] + ([mask] if mask else []), render, f"relu {where}".strip(),
                      elementwise=True))
    return ("relu", mask, o)


def relu_backward(capture: Capture, record: Any, g: Var, outs: list, name: str) -> None:
    _, mask, o = record
    (gx,) = outs
    planned(gx)
    capture.add(Instr([g, mask], [gx], lambda n, b: [f"{n(gx)} = np.multiply({n(g)}, {n(mask)}{out(b, gx)})"],
                      f"{name} {_where(o)}".strip(), elementwise=True))


def log_softmax_forward(capture: Capture, reads: list, opts: dict, o: Var, needs: tuple, where: str) -> Any:
    (x,) = reads
    axis = opts["axis"]
    if not is_array(x) or o.value.ndim != 2:
        return None
    planned(o)
    kept = tuple(1 if i == axis % 2 else s for i, s in enumerate(o.shape))
    top, sums = scratch(kept, o.dtype, "top"), scratch(kept, o.dtype, "sums")
    shifted, e = scratch(o.shape, o.dtype, "shifted"), scratch(o.shape, o.dtype, "e")
    row_sum = _KeptSum(capture, o, axis)

    def render(n: Names, b: Buffers) -> list[str]:
        return [f"np.maximum.reduce({n(x)}, axis={axis}, keepdims=True, initial=-np.inf, out={b(top)})",
                f"np.subtract({n(x)}, {b(top)}, out={b(shifted)})",
                f"np.exp({b(shifted)}, out={b(e)})",
                row_sum(n, b(e), b(sums)),
                f"{n(o)} = np.subtract({b(shifted)}, np.log({b(sums)}, out={b(sums)}){out(b, o)})"]
    capture.add(Instr(_vars_of(x, row_sum.ones), [o], render, f"log_softmax {where}".strip(),
                      [top, sums, shifted, e]))
    return ("log_softmax", axis, o)


def log_softmax_backward(capture: Capture, record: Any, g: Var, outs: list, name: str) -> None:
    _, axis, o = record
    (gx,) = outs
    planned(gx)
    kept = tuple(1 if i == axis % 2 else s for i, s in enumerate(o.shape))
    e, sums = scratch(o.shape, o.dtype, "e"), scratch(kept, o.dtype, "sums")
    row_sum = _KeptSum(capture, o, axis)

    def render(n: Names, b: Buffers) -> list[str]:
        return [row_sum(n, n(g), b(sums)),
                f"np.multiply(np.exp({n(o)}, out={b(e)}), {b(sums)}, out={b(e)})",
                f"{n(gx)} = np.subtract({n(g)}, {b(e)}{out(b, gx)})"]
    capture.add(Instr(_vars_of(g, o, row_sum.ones), [gx], render, f"{name} {_where(o)}".strip(), [e, sums]))


class _KeptSum:
    """The line of backward_math.kept_sum over a matrix's `axis` into a planned buffer: the same BLAS product
    with ones (or reduction) as eager's, so the sums are bitwise equal."""

    def __init__(self, capture: Capture, o: Var, axis: int):
        self.axis = axis
        self.ones = capture.filled(1, o.shape[1:], o.dtype) if bm.rows_by_blas(o.value, axis) else None

    def __call__(self, n: Names, x: str, sums: str) -> str:
        if self.ones is None:
            return f"np.add.reduce({x}, axis={self.axis}, keepdims=True, out={sums})"
        return f"np.dot({x}, {n(self.ones)}, out={sums}[:, 0])"


def pick_forward(capture: Capture, reads: list, opts: dict, o: Var, needs: tuple, where: str) -> Any:
    """GetItem with an index of arrays (the loss's x[rows, labels]): a gather, its backward a scatter."""
    (x,) = reads
    idx = opts["index"]
    if not is_array(x) or opts["advanced"] or not isinstance(idx, tuple) \
            or not all(isinstance(i, Var) for i in idx):
        return None
    planned(o)

    def render(n: Names, b: Buffers) -> list[str]:
        return [f"{n(o)} = {n(x)}[{', '.join(n(i) for i in idx)}]"]
    capture.add(Instr([x, *idx], [o], render, f"getitem {where}".strip()))
    o.planned = False  # fancy indexing has no out=: numpy allocates the (small) result
    return ("pick", x, idx, o)


def pick_backward(capture: Capture, record: Any, g: Var, outs: list, name: str) -> None:
    _, x, idx, o = record
    (gx,) = outs
    planned(gx)

    def render(n: Names, b: Buffers) -> list[str]:
        start = [f"{n(gx)} = {b(gx)}", f"{n(gx)}.fill(0)"] if gx.planned else \
            [f"{n(gx)} = np.zeros({tuple(gx.shape)!r}, np.{np.dtype(gx.dtype).name})"]
        return start + [f"{n(gx)}[{', '.join(n(i) for i in idx)}] = {n(g)}"]
    capture.add(Instr([g, *idx], [gx], render, f"{name} {_where(o)}".strip()))


OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}


def _apply(ufunc: str, x: str, y: str, result: Var, b: Buffers) -> str:
    """`x op y` for scalars (numpy scalars compute with operators fastest), np.ufunc(x, y, out=...) else."""
    if result.planned:
        return f"np.{ufunc}({x}, {y}{out(b, result)})"
    return f"{x} {OPERATORS[ufunc]} {y}"


def _binary(ufunc: str) -> Callable[..., Any]:
    def forward(capture: Capture, reads: list, opts: dict, o: Var, needs: tuple, where: str) -> Any:
        a, c = reads
        if not isinstance(o.value, (np.ndarray, np.generic)):
            return None
        planned(o)
        capture.add(Instr(_vars_of(a, c), [o], lambda n, b: [f"{n(o)} = {_apply(ufunc, n(a), n(c), o, b)}"],
                          f"{ufunc} {where}".strip(), elementwise=True))
        return (ufunc, a, c, needs, o)
    return forward


def binary_backward(capture: Capture, record: Any, g: Var, outs: list, name: str) -> None:
    """Add: g, g (no line: the same array goes on). Sub: g, -g. Mul: g*b, g*a. Div: g/b, -(g/b)*a/b,
    Div.backward's exact sequence."""
    op, a, c, needs, o = record
    ga, gc = outs
    written = [v for v in outs if v is not None and v is not g]
    if not written:
        return
    planned(*written)
    lines: list[Callable[[Names, Buffers], str]] = []
    if op == "subtract":
        lines.append(lambda n, b: f"{n(gc)} = " + (f"np.negative({n(g)}{out(b, gc)})" if gc.planned else f"-{n(g)}"))
    elif op == "multiply":
        if ga is not None:
            lines.append(lambda n, b: f"{n(ga)} = {_apply('multiply', n(g), n(c), ga, b)}")
        if gc is not None:
            lines.append(lambda n, b: f"{n(gc)} = {_apply('multiply', n(g), n(a), gc, b)}")
    else:
        lines.append(lambda n, b: f"{n(ga)} = {_apply('divide', n(g), n(c), ga, b)}")
        if gc is not None:  # (-ga * a) / b, as Div.backward computes it
            gc.planned = False
            lines.append(lambda n, b: f"{n(gc)} = -{n(ga)} * {n(a)} / {n(c)}")
    used = {"subtract": (), "multiply": (c if ga is not None else None, a if gc is not None else None),
            "divide": (c, a if gc is not None else None)}[op]
    capture.add(Instr(_vars_of(g, *used), written, lambda n, b: [line(n, b) for line in lines],
                      f"{name} {_where(o)}".strip()))


def sum_forward(capture: Capture, reads: list, opts: dict, o: Var, needs: tuple, where: str) -> Any:
    (x,) = reads
    if not is_array(x) or opts["axis"] is not None or opts["keepdims"]:
        return None
    capture.add(Instr([x], [o], lambda n, b: [f"{n(o)} = {n(x)}.sum()"], f"sum {where}".strip()))
    return ("sum", x, o)


def sum_backward(capture: Capture, record: Any, g: Var, outs: list, name: str) -> None:
    _, x, o = record
    (gx,) = outs
    planned(gx)
    capture.add(Instr([g], [gx], lambda n, b: [f"{n(gx)} = {b(gx)}", f"{n(gx)}[...] = {n(g)}"] if gx.planned else
                      [f"{n(gx)} = np.full({tuple(gx.shape)!r}, {n(g)}, np.{np.dtype(gx.dtype).name})"],
                      f"{name} {_where(o)}".strip()))


def reshape_forward(capture: Capture, reads: list, opts: dict, o: Var, needs: tuple, where: str) -> Any:
    (x,) = reads
    if not is_array(x):
        return None
    o.view_of = [x]
    capture.add(Instr([x], [o], lambda n, b: [f"{n(o)} = {n(x)}.reshape({opts['shape']!r})"],
                      f"reshape {where}".strip()))
    return ("reshape", x, o)


def reshape_backward(capture: Capture, record: Any, g: Var, outs: list, name: str) -> None:
    _, x, o = record
    (gx,) = outs
    gx.view_of = [g]
    capture.add(Instr([g], [gx], lambda n, b: [f"{n(gx)} = {n(g)}.reshape({x.shape!r})"], name))


FORWARD: dict[type, Callable[..., Any]] = {
    matmul.Linear: linear_forward, elementwise.Relu: relu_forward, reduce.LogSoftmax: log_softmax_forward,
    index.GetItem: pick_forward, elementwise.Add: _binary("add"), elementwise.Sub: _binary("subtract"),
    elementwise.Mul: _binary("multiply"), elementwise.Div: _binary("divide"), reduce.Sum: sum_forward,
    movement.Reshape: reshape_forward,
}
BACKWARD: dict[type, Callable[..., None]] = {
    matmul.Linear: linear_backward, elementwise.Relu: relu_backward, reduce.LogSoftmax: log_softmax_backward,
    index.GetItem: pick_backward, elementwise.Add: binary_backward, elementwise.Sub: binary_backward,
    elementwise.Mul: binary_backward, elementwise.Div: binary_backward, reduce.Sum: sum_backward,
    movement.Reshape: reshape_backward,
}


def _where(o: Var) -> str:
    """The layer a forward result was computed in, for its backward's comment."""
    return o.source if isinstance(o.source, str) else ""


def _vars_of(*values: Any) -> list[Var]:
    return [v for v in values if isinstance(v, Var)]


# ---------------------------------------------------------------------------------------------
# The engine's own work on gradients


def add_gradients(capture: Capture, earlier: Var, pg: Var) -> Var:
    """Two contributions to one gradient: `earlier + pg`, as the engine sums them."""
    total = capture.new(earlier.value + pg.value, "temp", "grad")
    planned(total)
    capture.add(Instr([earlier, pg], [total], lambda n, b: [
        f"{n(total)} = {_apply('add', n(earlier), n(pg), total, b)}"], "two paths meet: their gradients add",
        elementwise=True))
    capture.fold(len(capture.instrs) - 1)
    return total


def call(capture: Capture, fn: Callable[..., Any], args: tuple, hint: str, comment: str) -> Var:
    """Record `fn(*args)` as one line calling it (the engine's sum_to and cast)."""
    value = fn(*(a.value if isinstance(a, Var) else a for a in args))
    result = capture.new(value, "temp", hint)
    result.view_of = _vars_of(*args)
    capture.add(Instr(_vars_of(*args), [result], lambda n, b: [
        f"{n(result)} = {n(fn)}({', '.join(n(a) for a in args)})"], comment))
    capture.fold(len(capture.instrs) - 1)
    return result


def accumulate_grad(capture: Capture, leaf: Tensor, g: Var, given: set) -> None:
    """The leaf's .grad, as engine.accumulate_grad sets it (run for real), recorded."""
    capture.depth += 1  # its `grad + g` is the line below, not an op of the step
    try:
        before = leaf.grad
        engine.accumulate_grad(leaf, g.value, given)
        assert leaf.grad is not None
        new = leaf.grad.array
    finally:
        capture.depth -= 1
    name = capture.tensor_name(leaf)
    if before is not None and getattr(capture.vars.get(id(leaf.array)), "kind", None) == "input":
        capture.give_up(f"a gradient added into the .grad argument {name} already had (a replay's argument is "
                        "another tensor)", engine.user_frame())
    if before is not None:
        held = capture.vars.get(id(before.array))  # set earlier in the step, or read by it
        if held is None or held.kind == "param":
            held = capture.new(before.array, "grad", "grad_" + name, source=leaf)
            capture.externals.append(held)
        var = capture.new(new, "temp", "grad_" + name)
        planned(var)
        capture.add(Instr([held, g], [var], lambda n, b: [f"{n(var)} = np.add({n(held)}, {n(g)}{out(b, var)})"],
                          f"{name}.grad += this step's gradient"))
    elif new is g.value:
        var = g
    else:
        var = capture.new(new, "temp", "grad_" + name)
        planned(var)
        capture.add(Instr([g], [var], lambda n, b: [f"{n(var)} = np.copyto({b(var)}, {n(g)}) or {b(var)}" if var.planned
                                                    else f"{n(var)} = np.array({n(g)})"],
                          f"{name}.grad: a copy (the array is shared or read-only)"))
    var.pinned = True
    if var.hint in ("grad", "t"):
        var.hint = "grad_" + name
    capture.grads_set.append((leaf, var))


# ---------------------------------------------------------------------------------------------
# Optimizer updates


def optimizer_update(capture: Capture, optimizer: Any, param: np.ndarray, grad: np.ndarray, state: dict,
                     group: dict) -> None:
    """One parameter's update: the optimizer's numpy calls written out (SGD, Adam in their common
    settings) or a call of its `update` (every other optimizer and setting)."""
    p, g = capture.vars.get(id(param)), capture.vars.get(id(grad))
    if p is None:  # a parameter the step did not read before (a step whose forward ran in an earlier piece)
        owner = next((t for t in group["params"] if t.array is param), None)
        p = None if owner is None else capture.var_of_tensor(owner)
    if p is None or g is None or p.kind != "param":
        capture.give_up("an optimizer step on a parameter or gradient the step did not compute", engine.user_frame())
        return
    tensor = p.source
    st = _external(capture, state, "state", "state_" + p.hint, (optimizer, tensor))
    index = next(i for i, gr in enumerate(optimizer.param_groups) if gr is group)
    gr = _external(capture, group, "group", f"group{index}", (optimizer, index))
    emit = _UPDATES.get(type(optimizer))
    outer = _outer_factors(capture, g)
    lines = emit(group, param, grad, bool(outer)) if emit is not None else None
    temps = [scratch(p.shape, p.dtype, "work")] if lines is not None and any("{work}" in line for line in lines) else []
    if lines is None:
        lines = ["{opt}.update({p}, {g}, {state}, {group})"]
    routines = {r: blas(r, param.dtype) for r in ("axpy", "gemm") if any(f"{{{r}}}" in line for line in lines)}
    reads = [p, g, st, gr] + ([*outer] if any("{x}" in line for line in lines) else [])

    def render(n: Names, b: Buffers) -> list[str]:
        names = {"opt": n(optimizer), "p": n(p), "g": n(g), "state": n(st), "group": n(gr),
                 "work": b(temps[0]) if temps else "", **{r: n(f) for r, f in routines.items()}}
        if outer:
            names.update(x=n(outer[0]), g_out=n(outer[1]))
        return [line.format(**names) for line in lines]
    capture.add(Instr(reads, [], render, f"{type(optimizer).__name__} update of {p.hint}", temps))


def _outer_factors(capture: Capture, g: Var) -> tuple[Var, ...]:
    """(x, g_out) when the gradient `g` is g_out.T @ x and both still hold the values it was computed
    from: neither is (a view of) a parameter, which an earlier update may have changed, nor written since."""
    if id(g) not in capture.outer_products:
        return ()
    x, g_out, index = capture.outer_products[id(g)]
    factors = {id(r) for v in (x, g_out) for r in roots(v)}
    if any(r.kind == "param" for v in (x, g_out) for r in roots(v)) or any(
            id(r) in factors for instr in capture.instrs[index + 1:] for w in instr.writes for r in roots(w)):
        return ()
    return (x, g_out)


def _external(capture: Capture, obj: Any, kind: str, hint: str, source: Any) -> Var:
    var = capture.vars.get(id(obj))
    if var is None:
        var = capture.new(obj, kind, hint, source=source)
        capture.externals.append(var)
        if kind == "group":
            capture.groups.append((obj, {k: v for k, v in obj.items() if k != "params"}))
    return var


FUSED_MIN = 4096  # elements: from here a pass over memory costs more than a call, and one pass saved pays


def blas(routine: str, dtype: Any) -> Imported | None:
    """A BLAS routine from scipy ("axpy": y += a * x in one pass; "gemm": c = a @ b written in place)
    for float32 or float64, or None without scipy, or with a numpy whose reshape cannot refuse to copy
    (the flat views handed to axpy must be views, or the update would land in a copy)."""
    prefix = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(np.dtype(dtype))
    if prefix is None or not _has_scipy() or np.lib.NumpyVersion(np.__version__) < "2.1.0":
        return None
    return Imported("scipy.linalg.blas", prefix + routine)


@functools.cache
def _has_scipy() -> bool:
    return importlib.util.find_spec("scipy") is not None


def _fusable(param: np.ndarray, *arrays: Any) -> bool:
    """Whether `param -= lr * x` may be one BLAS axpy: a large float array, everything C-contiguous."""
    return param.size >= FUSED_MIN and blas("axpy", param.dtype) is not None \
        and all(isinstance(a, np.ndarray) and a.dtype == param.dtype and a.flags.c_contiguous
                for a in (param, *arrays))


FLAT = ".reshape(-1, copy=False)"


def sgd_lines(group: dict, param: np.ndarray, grad: np.ndarray, outer: bool) -> list[str] | None:
    """SGD.update's numpy calls for momentum without weight decay, dampening, Nesterov or maximize.

    On a large parameter two lines are fused (BLAS), each saving a pass over the parameter's size: `p -= lr
    * buf` is one axpy, and when the gradient is an outer product g.T @ x (`outer`: a batch of one),
    `buf = momentum * buf + grad` is one gemm computing it afresh into buf. Fused products are not
    rounded on their own, so buf and p differ from eager's by round-off."""
    if group["weight_decay"] or group["dampening"] or group["nesterov"] or group["maximize"]:
        return None
    step = "buf" if group["momentum"] else "{g}"
    if not _fusable(param, grad):
        update = f"np.subtract({{p}}, np.multiply({step}, {{group}}['lr'], out={{work}}), out={{p}})"
        outer = False
    else:
        update = f"{{axpy}}({step}{FLAT}, {{p}}{FLAT}, a=-{{group}}['lr'])"
    if not group["momentum"]:
        return [update]
    if outer:  # buf.T, Fortran-ordered as BLAS writes it in place (reshape refuses to copy a strided buf)
        buf_t = f"buf{FLAT}.reshape({param.shape[::-1]!r}, order='F')"
        momentum = [f"{{gemm}}(1.0, {{x}}.T, {{g_out}}.T, trans_b=1, beta={{group}}['momentum'], c={buf_t}, "
                    "overwrite_c=1)"]
    else:
        momentum = ["np.multiply(buf, {group}['momentum'], out=buf)", "np.add(buf, {g}, out=buf)"]
    return ["buf = {state}['momentum_buffer']", *momentum, update]


def adam_lines(group: dict, param: np.ndarray, grad: np.ndarray, outer: bool) -> list[str] | None:
    """Adam.update's numpy calls without weight decay, amsgrad or maximize; on a large parameter the
    last, `p -= step_size * exp_avg / denom`, is one BLAS axpy (as in SGD)."""
    if group["weight_decay"] or group["amsgrad"] or group["maximize"]:
        return None
    if _fusable(param, grad):
        update = ["np.divide(exp_avg, {work}, out={work})",
                  f"{{axpy}}({{work}}{FLAT}, {{p}}{FLAT}, a=-(lr / (1 - beta1 ** count)))"]
    else:
        update = ["np.subtract({p}, np.multiply(np.divide(exp_avg, {work}, out={work}), lr / (1 - beta1 ** count), "
                  "out={work}), out={p})"]
    return ["lr, (beta1, beta2) = {group}['lr'], {group}['betas']",
            "{state}['step'] = count = {state}['step'] + 1",
            "exp_avg, exp_avg_sq = {state}['exp_avg'], {state}['exp_avg_sq']",
            "np.add(exp_avg, np.multiply(np.subtract({g}, exp_avg, out={work}), 1 - beta1, out={work}), out=exp_avg)",
            "np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)",
            "np.add(exp_avg_sq, np.multiply(np.multiply({g}, {g}, out={work}), 1 - beta2, out={work}), "
            "out=exp_avg_sq)",
            "np.sqrt(exp_avg_sq, out={work})",
            "np.divide({work}, math.sqrt(1 - beta2 ** count), out={work})",
            "np.add({work}, {group}['eps'], out={work})", *update]


# (group, param, grad, whether grad is an outer product) -> the update's lines
_UPDATES: dict[type, Callable[[dict, np.ndarray, np.ndarray, bool], list[str] | None]] = {
    SGD: sgd_lines, Adam: adam_lines}
