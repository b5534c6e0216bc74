"""Property-based tests (hypothesis).

1. Random compositions of ops over random broadcastable shapes pass gradcheck in float64 (and the
   gradient of a composition is itself differentiable).
2. Shape ops accept exactly the shapes numpy/torch accept, and otherwise raise an error naming the op
   and the shapes.
3. Random bad arguments to public entry points never end in a Python-internal error (AttributeError,
   KeyError, ZeroDivisionError, RecursionError, or a numpy message without our op name): only
   ValueError/TypeError/IndexError/RuntimeError whose message names the entry point.
"""
from __future__ import annotations

import collections
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd import ShapeError, grad, gradcheck, gradgradcheck
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.data import DataLoader, TensorDataset
from tinygrad_ed.nn.optim import SGD

EXAMPLES = collections.Counter()  # examples run per property, printed by test_examples_were_counted
CLEAR_ERRORS = collections.Counter()  # the clear errors those examples raised, by exception type

EXAMPLES_SCALE = settings.default.max_examples / 100  # 1 by default, 20 under --hypothesis-profile=explore


def fuzz(n: int):
    return settings(max_examples=round(n * EXAMPLES_SCALE), suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# 1. random compositions pass gradcheck

# every op keeps values moderate (tanh-squashed factors), so finite differences stay accurate
UNARY = {
    "exp": lambda a: a.tanh().exp(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "square": lambda a: a * a.tanh(),
    "log": lambda a: (a * a + 1).log(),
    "sqrt": lambda a: (a * a + 0.5).sqrt(),
    "abs": lambda a: a.abs(),
    "neg": lambda a: -a,
    "pow_const": lambda a: (a * a + 1) ** 1.5,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b.tanh(),
    "div": lambda a, b: a / (b * b + 1),
    "pow": lambda a, b: (a * a + 1) ** b.tanh(),
    "maximum": lambda a, b: te.maximum(a, b),
    "minimum": lambda a, b: te.minimum(a, b),
    "where": lambda a, b: te.where(a.detach() > b.detach(), a * 2, b),
}
ALONG_DIM = {  # keepdim=True, so the result still broadcasts against the base shape
    "sum": lambda a, d: a.sum(d, keepdim=True),
    "mean": lambda a, d: a.mean(d, keepdim=True),
    "amax": lambda a, d: a.amax(d, keepdim=True),
    "amin": lambda a, d: a.amin(d, keepdim=True),
    "logsumexp": lambda a, d: a.logsumexp(d, keepdim=True),
    "softmax": lambda a, d: a.softmax(d),
    "log_softmax": lambda a, d: a.log_softmax(d),
    "var": lambda a, d: a.var(d, keepdim=True, correction=0),
}
FINAL = ["none", "sum", "permute", "flatten", "slice", "gather", "matmul", "cat", "stack", "transpose"]


@st.composite
def broadcastable_to(draw, base):
    lead = draw(st.integers(0, len(base)))
    return tuple(n if draw(st.booleans()) else 1 for n in base[lead:])


@st.composite
def programs(draw):
    base = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    leaves = [draw(broadcastable_to(base)) for _ in range(draw(st.integers(1, 3)))]
    ops = st.one_of(st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY))),
                    st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY))),
                    st.tuples(st.just("dim"), st.sampled_from(sorted(ALONG_DIM))),
                    st.tuples(st.just("expand"), st.just("")))
    steps = draw(st.lists(st.tuples(ops, st.integers(0, 99), st.integers(0, 99), st.integers(-3, 2)),
                          min_size=1, max_size=6))
    return base, leaves, steps, draw(st.sampled_from(FINAL)), draw(st.integers(0, 2**32 - 1))


def run_program(base, steps, final, pool, weight):
    pool = list(pool)
    for (kind, name), i, j, dim in steps:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        if kind == "unary":
            pool.append(UNARY[name](a))
        elif kind == "binary":
            pool.append(BINARY[name](a, b))
        elif kind == "dim":
            pool.append(ALONG_DIM[name](a, dim % a.ndim if a.ndim else 0))
        else:
            pool.append(a.expand(*base))
    out = pool[-1] + sum(p.sum() for p in pool[:-1])  # every leaf and step reaches the output
    first = pool[0].expand(*base)
    if final == "sum":
        return out.sum()
    if final == "permute" and out.ndim:
        return out.permute(*reversed(range(out.ndim)))
    if final == "transpose" and out.ndim >= 2:
        return out.transpose(0, -1)
    if final == "flatten":
        return out.flatten()
    if final == "slice" and out.ndim:
        return out[..., ::2]
    if final == "gather" and out.ndim:
        return out[np.array([0, 0, out.shape[0] - 1])]  # a repeated index: gradients must accumulate
    if final == "matmul":
        return out.reshape(-1, 1) @ weight
    if final == "cat" and out.ndim:
        return te.cat([out.expand(*base), first], dim=-1)
    if final == "stack":
        return te.stack([out.expand(*base), first], dim=0)
    return out


def program_and_inputs(program):
    """The program as a function of its leaves and weight, and random leaves and weight to run it on."""
    base, leaf_shapes, steps, final, seed = program
    rng = np.random.default_rng(seed)
    leaves = [te.tensor(rng.standard_normal(s), requires_grad=True) for s in leaf_shapes]
    weight = te.tensor(rng.standard_normal((1, 2)), requires_grad=True)
    return (lambda *xs: run_program(base, steps, final, xs[:-1], xs[-1])), leaves + [weight]


@fuzz(100)
@given(programs())
def test_random_compositions_pass_gradcheck(program):
    EXAMPLES["gradcheck of compositions"] += 1
    fn, inputs = program_and_inputs(program)
    assert gradcheck(fn, inputs)


@fuzz(30)
@given(programs())
def test_random_compositions_are_twice_differentiable(program):
    EXAMPLES["gradgradcheck of compositions"] += 1
    fn, inputs = program_and_inputs(program)
    assert gradgradcheck(fn, inputs, atol=1e-4, rtol=1e-3, seed=program[-1])


# ---------------------------------------------------------------------------------------------
# 2. shape decisions: accept what numpy/torch accept, otherwise name the op and the shapes

SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "maximum": te.maximum, "minimum": te.minimum,
    "where": lambda a, b: te.where(a > 0, a, b), "lt": lambda a, b: a < b, "eq": lambda a, b: a == b,
}


def shape_text(shape):
    return str(tuple(shape))


@fuzz(150)
@given(name=st.sampled_from(sorted(OPS)), a=SHAPES, b=SHAPES)
def test_binary_ops_broadcast_like_numpy_or_name_both_shapes(name, a, b):
    EXAMPLES["binary broadcasting"] += 1
    x, y = te.ones(*a), te.ones(*b)
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        with pytest.raises(ShapeError) as error:
            OPS[name](x, y)
        message = str(error.value)
        assert name in message and shape_text(a) in message and shape_text(b) in message, message
        return
    assert OPS[name](x, y).shape == expected


def numpy_matmul_shape(a, b):
    try:
        return np.matmul(np.ones(a), np.ones(b)).shape if a and b else None
    except ValueError:
        return None


@fuzz(120)
@given(a=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3),
       b=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
def test_matmul_accepts_what_numpy_accepts(a, b):
    EXAMPLES["matmul shapes"] += 1
    expected = numpy_matmul_shape(a, b)
    if expected is None:
        with pytest.raises(ShapeError) as error:
            te.ones(*a) @ te.ones(*b)
        message = str(error.value)
        assert "matmul" in message and shape_text(a) in message and shape_text(b) in message, message
    else:
        assert (te.ones(*a) @ te.ones(*b)).shape == expected


SIZE = st.integers(-3, 5)


@fuzz(150)
@given(a=SHAPES, target=st.lists(SIZE, max_size=5))
def test_reshape_and_expand_decide_like_numpy(a, target):
    EXAMPLES["reshape/expand"] += 1
    x = te.ones(*a)
    target = tuple(target)
    try:  # numpy's reshape treats any negative size as "unknown": torch (and we) only take -1
        expected = None if min(target, default=0) < -1 else np.ones(a).reshape(target).shape
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ShapeError) as error:
            x.reshape(target)
        assert "reshape" in str(error.value) and shape_text(a) in str(error.value)
    else:
        assert x.reshape(target).shape == expected
    lead = len(target) - len(a)
    resolved = tuple(a[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(target))
    try:
        expected = None if lead < 0 or min(resolved, default=0) < 0 else np.broadcast_to(np.ones(a), resolved).shape
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ShapeError) as error:
            x.expand(*target)
        assert "expand" in str(error.value) and shape_text(a) in str(error.value)
    else:
        assert x.expand(*target).shape == expected


DIM = st.one_of(st.integers(-5, 5), st.tuples(st.integers(-5, 5), st.integers(-5, 5)), st.none(),
                st.just(1.5), st.just("0"))


@pytest.mark.filterwarnings("ignore:var... degrees of freedom:UserWarning")  # torch warns there too
@fuzz(200)
@given(a=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), dim=DIM,
       op=st.sampled_from(["sum", "mean", "amax", "logsumexp", "var", "softmax", "log_softmax", "argmax",
                           "squeeze", "unsqueeze", "max", "flatten", "transpose", "permute", "cat", "stack"]))
def test_dim_arguments_raise_clearly(a, dim, op):
    EXAMPLES["dim arguments"] += 1
    x = te.ones(*a, dtype=te.float64)
    calls = {
        "sum": lambda: x.sum(dim), "mean": lambda: x.mean(dim), "amax": lambda: x.amax(dim),
        # correction=0: var of one element along dim would (rightly) warn about its degrees of freedom
        "logsumexp": lambda: x.logsumexp(dim), "var": lambda: x.var(dim, correction=0),
        "softmax": lambda: x.softmax(dim), "log_softmax": lambda: x.log_softmax(dim),
        "argmax": lambda: x.argmax(dim), "squeeze": lambda: x.squeeze(dim), "unsqueeze": lambda: x.unsqueeze(dim),
        "max": lambda: x.max(dim), "flatten": lambda: x.flatten(dim if dim is not None else 0),
        "transpose": lambda: x.transpose(dim, 0), "permute": lambda: x.permute(dim),
        "cat": lambda: te.cat([x, x], dim), "stack": lambda: te.stack([x, x], dim),
    }
    names = {"max": ("max", "amax", "argmax"), "softmax": ("softmax",), "flatten": ("flatten",)}
    assert_clear(calls[op], names.get(op, (op,)))


# ---------------------------------------------------------------------------------------------
# 3. junk into every entry point: only clear errors

INTERNAL = (AttributeError, KeyError, ZeroDivisionError, RecursionError, NotImplementedError, UnboundLocalError,
            NameError, AssertionError, OverflowError, FloatingPointError)


def assert_clear(call, names):
    """`call()` succeeds, or raises a ValueError/TypeError/IndexError/RuntimeError naming one of `names`."""
    try:
        call()
    except MemoryError:  # te.arange(1e30): numpy's own clear error
        pass
    except INTERNAL as error:
        raise AssertionError(f"internal error {type(error).__name__}: {error}") from error
    except (ValueError, TypeError, IndexError, RuntimeError) as error:
        message = str(error)
        assert any(name in message for name in names), f"{type(error).__name__} without {names}: {message!r}"
        CLEAR_ERRORS[type(error).__name__] += 1


def tensors():
    return st.builds(lambda shape, kind, seed: _tensor(shape, kind, seed),
                     hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
                     st.sampled_from(["f32", "f64", "i64", "bool"]), st.integers(0, 1000))


def _tensor(shape, kind, seed):
    data = np.random.default_rng(seed).standard_normal(shape)
    if kind == "i64":
        return te.tensor((data * 3).astype(np.int64))
    if kind == "bool":
        return te.tensor(data > 0)
    return te.tensor(data, dtype=te.float32 if kind == "f32" else te.float64)


JUNK = st.one_of(
    st.integers(-4, 6), st.floats(-10, 10, width=32), st.sampled_from([math.nan, math.inf, -math.inf, 1e30]),
    st.booleans(), st.none(),
    st.text(max_size=3), st.lists(st.integers(-2, 4), max_size=3).map(tuple),
    st.lists(st.floats(-2, 2, width=32), max_size=3), tensors(),
    st.lists(st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), max_size=2)), min_size=1, max_size=3),
    st.just(object()), st.just({"a": 1}), st.just(np.array(["x"])), st.just(np.zeros((2, 2), dtype=object)),
    st.just([1, None]), st.just(1j), st.just(float("nan")),
)

ENTRY_POINTS = {  # name: (call(t, j, k), names its errors may carry)
    "tensor": (lambda t, j, k: te.tensor(j), ("tensor", "requires_grad")),
    "tensor_requires_grad": (lambda t, j, k: te.tensor(j, requires_grad=True), ("tensor", "requires_grad")),
    "tensor_dtype": (lambda t, j, k: te.Tensor(t, dtype=j), ("dtype", "Tensor")),
    "from_numpy": (lambda t, j, k: te.from_numpy(j), ("from_numpy",)),
    "zeros": (lambda t, j, k: te.zeros(j), ("zeros",)),
    "ones": (lambda t, j, k: te.ones(j, k), ("ones",)),
    "full": (lambda t, j, k: te.full(j, 1.0), ("full",)),
    "randn": (lambda t, j, k: te.randn(j), ("randn",)),
    "eye": (lambda t, j, k: te.eye(j), ("eye",)),
    "arange": (lambda t, j, k: te.arange(j), ("arange",)),
    "zeros_like": (lambda t, j, k: te.zeros_like(j), ("zeros_like",)),
    "add": (lambda t, j, k: t + j, ("add", "Tensor")),
    "radd": (lambda t, j, k: j + t, ("add", "Tensor", "unsupported operand")),
    "mul": (lambda t, j, k: t * j, ("mul", "Tensor")),
    "div": (lambda t, j, k: t / j, ("div", "Tensor")),
    "pow": (lambda t, j, k: t ** j, ("pow", "Tensor")),
    "matmul": (lambda t, j, k: t @ j, ("matmul", "Tensor", "linear")),
    "maximum": (lambda t, j, k: te.maximum(t, j), ("maximum", "Tensor")),
    "where": (lambda t, j, k: te.where(j, t, k), ("where", "Tensor")),
    "lt": (lambda t, j, k: t < j, ("lt", "Tensor")),
    "clamp": (lambda t, j, k: t.clamp(j, k), ("clamp", "Tensor", "lt", "gt")),
    "reshape": (lambda t, j, k: t.reshape(j), ("reshape",)),
    "view": (lambda t, j, k: t.view(j, k), ("reshape",)),
    "expand": (lambda t, j, k: t.expand(j), ("expand",)),
    "permute": (lambda t, j, k: t.permute(j), ("permute",)),
    "transpose": (lambda t, j, k: t.transpose(j, k), ("transpose",)),
    "sum": (lambda t, j, k: t.sum(j), ("sum",)),
    "argmax": (lambda t, j, k: t.argmax(j, keepdim=True), ("argmax",)),
    "mean": (lambda t, j, k: t.mean(j), ("mean",)),
    "softmax": (lambda t, j, k: t.softmax(j), ("softmax",)),
    "squeeze": (lambda t, j, k: t.squeeze(j), ("squeeze",)),
    "unsqueeze": (lambda t, j, k: t.unsqueeze(j), ("unsqueeze",)),
    "flatten": (lambda t, j, k: t.flatten(j), ("flatten",)),
    "getitem": (lambda t, j, k: t[j], ("getitem",)),
    "to": (lambda t, j, k: t.to(j), ("dtype", "Tensor", "device")),
    "item": (lambda t, j, k: t.item(), ("item",)),
    "cat": (lambda t, j, k: te.cat([t, j]), ("cat", "Tensor")),
    "cat_dim": (lambda t, j, k: te.cat([t, t], dim=j), ("cat",)),
    "stack": (lambda t, j, k: te.stack([t, j]), ("stack", "Tensor")),
    "backward": (lambda t, j, k: (t * 1.0).backward(j), ("backward",)),
    "requires_grad_": (lambda t, j, k: t.requires_grad_(), ("requires_grad",)),
    "mse_loss": (lambda t, j, k: F.mse_loss(t, j), ("mse_loss", "Tensor")),
    "l1_loss_reduction": (lambda t, j, k: F.l1_loss(t, t, reduction=j), ("l1_loss",)),
    "cross_entropy": (lambda t, j, k: F.cross_entropy(t, j), ("cross_entropy", "Tensor", "log_softmax")),
    "cross_entropy_weight": (lambda t, j, k: F.cross_entropy(t, k, weight=j),
                             ("cross_entropy", "Tensor", "log_softmax")),
    "nll_loss": (lambda t, j, k: F.nll_loss(t, j), ("nll_loss", "Tensor")),
    "bce": (lambda t, j, k: F.binary_cross_entropy(t, j), ("binary_cross_entropy", "Tensor")),
    "bce_logits": (lambda t, j, k: F.binary_cross_entropy_with_logits(t, j, pos_weight=k),
                   ("binary_cross_entropy_with_logits", "Tensor")),
    "Linear": (lambda t, j, k: nn.Linear(j, k), ("Linear",)),
    "dropout": (lambda t, j, k: F.dropout(t, j), ("dropout",)),
    "var": (lambda t, j, k: t.var(j, correction=k), ("var", "mean")),
    "max_dim": (lambda t, j, k: t.max(j, keepdim=True), ("max", "argmax")),
    "logsumexp": (lambda t, j, k: t.logsumexp(j), ("logsumexp",)),
    "grad": (lambda t, j, k: grad((t * 1.0).sum(), j), ("grad",)),
    "model_load_state_dict": (lambda t, j, k: nn.Linear(2, 1).load_state_dict({"weight": j, "bias": k}),
                              ("load_state_dict", "state_dict")),
    "opt_load_state_dict": (lambda t, j, k: SGD([te.ones(2, requires_grad=True)], lr=0.1).load_state_dict(
        {"state": {0: {"momentum_buffer": j}}, "param_groups": [{"lr": k, "params": [0]}]}),
        ("load_state_dict", "SGD")),
    "sgd": (lambda t, j, k: SGD([te.ones(2, requires_grad=True)], lr=j, momentum=k), ("SGD",)),
    "sgd_params": (lambda t, j, k: SGD(j, lr=0.1), ("SGD",)),
    "dataloader": (lambda t, j, k: DataLoader(TensorDataset(te.ones(3, 2)), batch_size=j), ("DataLoader",)),
    "dataset": (lambda t, j, k: TensorDataset(t, j), ("TensorDataset",)),
}


@pytest.mark.filterwarnings("ignore:var... degrees of freedom:UserWarning")  # torch warns there too
@pytest.mark.filterwarnings("ignore:To copy construct from a tensor:UserWarning")  # torch warns there too
@fuzz(1500)
@given(entry=st.sampled_from(sorted(ENTRY_POINTS)), t=tensors(), j=JUNK, k=JUNK)
def test_junk_into_entry_points_gives_only_clear_errors(entry, t, j, k):
    EXAMPLES["junk into entry points"] += 1
    call, names = ENTRY_POINTS[entry]
    with np.errstate(all="ignore"):
        assert_clear(lambda: call(t, j, k), names)


@pytest.mark.filterwarnings("ignore:.*Using a target size:UserWarning")  # torch warns there too
@fuzz(150)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
       target=st.one_of(tensors(), st.lists(st.integers(-101, 4), max_size=4)),
       loss=st.sampled_from(["cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy",
                             "binary_cross_entropy_with_logits", "huber_loss", "smooth_l1_loss", "l1_loss"]),
       smoothing=st.sampled_from([0.0, 0.1]), ignore_index=st.sampled_from([-100, 0, 2]))
def test_losses_given_random_shapes_dtypes_and_labels(shape, target, loss, smoothing, ignore_index):
    EXAMPLES["losses on random targets"] += 1
    x = te.tensor(np.random.default_rng(0).uniform(0.05, 0.95, shape), requires_grad=True)
    options = {"cross_entropy": dict(label_smoothing=smoothing, ignore_index=ignore_index),
               "nll_loss": dict(ignore_index=ignore_index)}.get(loss, {})
    result = []

    def call():
        out = getattr(F, loss)(x, target, **options)
        result.append(out)

    with np.errstate(all="ignore"):
        assert_clear(call, (loss, "Tensor"))
    if result:  # a loss that was accepted also backpropagates to the input's shape
        out = result[0]
        assert out.ndim == 0
        out.backward()
        assert x.grad is None or x.grad.shape == x.shape


# ---------------------------------------------------------------------------------------------
# the same accept/reject decisions as torch (where installed)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def decision(call):
    try:
        out = call()
    except Exception as error:  # noqa: BLE001 - we compare only whether both raise
        return "error", type(error).__name__
    if min(out.shape, default=0) < 0:  # torch.ones(()).expand(0, -1) "succeeds" with a size of -1
        return "error", "negative size"
    return "ok", tuple(out.shape)


SHAPE_OPS = {  # m is tinygrad_ed or torch
    "add": lambda m, a, b, i: m.ones(a) + m.ones(b),
    "matmul": lambda m, a, b, i: m.ones(a) @ m.ones(b),
    "reshape": lambda m, a, b, i: m.ones(a).reshape(b),
    "expand": lambda m, a, b, i: m.ones(a).expand(b),
    "cat": lambda m, a, b, i: m.cat([m.ones(a), m.ones(b)], i),
    "stack": lambda m, a, b, i: m.stack([m.ones(a), m.ones(b)], i),
    "sum": lambda m, a, b, i: m.ones(a).sum(i),
    "unsqueeze": lambda m, a, b, i: m.ones(a).unsqueeze(i),
    "squeeze": lambda m, a, b, i: m.ones(a).squeeze(i),
    "transpose": lambda m, a, b, i: m.ones(a).transpose(i, 0),
    "flatten": lambda m, a, b, i: m.ones(a).flatten(i),
    "permute": lambda m, a, b, i: m.ones(a).permute(b),
    "softmax": lambda m, a, b, i: m.ones(a).softmax(i),
    "argmax": lambda m, a, b, i: m.ones(a).argmax(i if i > -4 else None, keepdim=bool(b)),
    "amax": lambda m, a, b, i: m.ones(a).amax(i),
}
SMALL = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


@fuzz(300)
@given(op=st.sampled_from(sorted(SHAPE_OPS)), a=SMALL,
       b=st.one_of(SMALL, st.lists(st.integers(-2, 3), max_size=3).map(tuple)), i=st.integers(-4, 3))
def test_shape_decisions_match_torch(torch, op, a, b, i):
    # torch's legacy exception: cat skips empty 1-D tensors of any other shape; we refuse those
    assume(not (op == "cat" and (a == (0,) or b == (0,))))
    EXAMPLES["shape decisions vs torch"] += 1
    with np.errstate(all="ignore"):
        ours = decision(lambda: SHAPE_OPS[op](te, a, b, i))
    theirs = decision(lambda: SHAPE_OPS[op](torch, a, b, i))
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert ours == theirs


NUMBER = st.one_of(st.integers(-2, 2), st.floats(allow_nan=False))  # torch accepts nan (it checks x < 0); we refuse


@fuzz(100)
@given(lr=NUMBER, momentum=NUMBER, dampening=st.sampled_from([0.0, 0.5]), weight_decay=NUMBER,
       nesterov=st.booleans())
def test_sgd_hyper_parameters_decide_like_torch(torch, lr, momentum, dampening, weight_decay, nesterov):
    EXAMPLES["SGD options vs torch"] += 1
    options = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
    ours = decision(lambda: SGD([te.ones(2, requires_grad=True)], **options) and te.ones(1))
    theirs = decision(lambda: torch.optim.SGD([torch.ones(2, requires_grad=True)], **options) and torch.ones(1))
    assert ours[0] == theirs[0], (options, ours, theirs)


def test_examples_were_counted():
    """Runs last in this file: the properties above drew their examples (-rP prints the counts)."""
    if not EXAMPLES:
        pytest.skip("run together with the properties above")
    print("examples:", dict(EXAMPLES), "total", sum(EXAMPLES.values()))
    print("clear errors raised:", dict(CLEAR_ERRORS))
    assert sum(EXAMPLES.values()) >= 1000
