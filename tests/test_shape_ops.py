"""Shape, joining and gather/scatter ops: values and shapes against torch (when installed), first and
second derivatives against finite differences in float64, and torch's errors."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck

# name -> (fn(lib, *tensors), input shapes); `lib` is te or torch, so one expression serves both.
CASES = {
    "view -1": (lambda lib, x: x.view(-1, 2) * 1, [(3, 4)]),
    "view_as": (lambda lib, x, y: x.view_as(y) * y, [(3, 4), (2, 6)]),
    "reshape_as": (lambda lib, x, y: x.reshape_as(y) * y, [(3, 4), (6, 2)]),
    "expand_as": (lambda lib, x, y: x.expand_as(y) * y, [(3, 1), (2, 3, 4)]),
    "repeat": (lambda lib, x: x.repeat(2, 1, 3), [(3, 2)]),
    "tile": (lambda lib, x: x.tile((2,)), [(3, 2)]),
    "tile more dims": (lambda lib, x: lib.tile(x, (2, 1, 2)), [(3, 2)]),
    "repeat_interleave int": (lambda lib, x: x.repeat_interleave(2, dim=1), [(3, 2)]),
    "repeat_interleave flat": (lambda lib, x: x.repeat_interleave(3), [(2, 2)]),
    "repeat_interleave one-element tensor": (lambda lib, x: x.repeat_interleave(lib.tensor([2]), dim=1), [(3, 2)]),
    "repeat_interleave tensor": (lambda lib, x: x.repeat_interleave(lib.tensor([1, 0, 3]), dim=0), [(3, 2)]),
    "flatten": (lambda lib, x: x.flatten(1), [(2, 3, 4)]),
    "unflatten": (lambda lib, x: x.unflatten(1, (2, -1)), [(3, 4)]),
    "squeeze tuple": (lambda lib, x: x.squeeze((0, 2)), [(1, 3, 1, 2)]),
    "unsqueeze": (lambda lib, x: x.unsqueeze(-1), [(3, 2)]),
    "transpose": (lambda lib, x: x.transpose(0, 2), [(2, 3, 4)]),
    "swapaxes": (lambda lib, x: x.swapaxes(0, 1), [(2, 3)]),
    "swapdims": (lambda lib, x: lib.swapdims(x, 0, 1), [(2, 3)]),
    "t": (lambda lib, x: x.t(), [(2, 3)]),
    "t 1-d": (lambda lib, x: x.t(), [(3,)]),
    "T": (lambda lib, x: x.T * 1, [(2, 3)]),
    "mT": (lambda lib, x: x.mT * 1, [(4, 2, 3)]),
    "permute": (lambda lib, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "movedim": (lambda lib, x: x.movedim(0, -1), [(2, 3, 4)]),
    "movedim tuple": (lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), [(2, 3, 4)]),
    "moveaxis": (lambda lib, x: lib.moveaxis(x, 1, 0), [(2, 3, 4)]),
    "contiguous": (lambda lib, x: x.t().contiguous() * 1, [(2, 3)]),
    "narrow": (lambda lib, x: x.narrow(1, 1, 2), [(3, 4)]),
    "narrow negative": (lambda lib, x: lib.narrow(x, 0, -2, 2), [(3, 4)]),
    "split int": (lambda lib, x: x.split(2, 1), [(3, 5)]),
    "split sizes": (lambda lib, x: lib.split(x, [1, 3, 1], dim=1), [(3, 5)]),
    "chunk": (lambda lib, x: x.chunk(3), [(5, 2)]),
    "chunk fewer": (lambda lib, x: lib.chunk(x, 4), [(6,)]),
    "unbind": (lambda lib, x: x.unbind(1), [(2, 3)]),
    "flip": (lambda lib, x: x.flip(0, 2), [(2, 3, 4)]),
    "flip list": (lambda lib, x: lib.flip(x, [1]), [(2, 3)]),
    "fliplr": (lambda lib, x: x.fliplr(), [(2, 3)]),
    "flipud": (lambda lib, x: lib.flipud(x), [(2, 3)]),
    "roll flat": (lambda lib, x: x.roll(1), [(3, 4)]),
    "roll dims": (lambda lib, x: x.roll((1, -5), (0, 1)), [(3, 4)]),
    "cat": (lambda lib, x, y: lib.cat([x, y], dim=1), [(2, 3), (2, 1)]),
    "concat": (lambda lib, x, y: lib.concat([x, y]), [(2, 3), (1, 3)]),
    "concatenate": (lambda lib, x, y: lib.concatenate((x, y), -1), [(2, 3), (2, 2)]),
    "stack": (lambda lib, x, y: lib.stack([x, y], dim=-1), [(2, 3), (2, 3)]),
    "hstack 1-d": (lambda lib, x, y: lib.hstack([x, y]), [(3,), (2,)]),
    "hstack 2-d": (lambda lib, x, y: lib.hstack([x, y]), [(2, 3), (2, 2)]),
    "vstack": (lambda lib, x, y: lib.vstack([x, y]), [(3,), (2, 3)]),
    "dstack": (lambda lib, x, y: lib.dstack([x, y]), [(3,), (1, 3)]),
    "column_stack": (lambda lib, x, y: lib.column_stack([x, y]), [(3,), (3, 2)]),
    "gather": (lambda lib, x: x.gather(1, lib.tensor([[0, 0], [2, 1]])), [(2, 3)]),
    "gather smaller index": (lambda lib, x: lib.gather(x, 0, lib.tensor([[1, 0, 1]])), [(2, 4)]),
    "scatter src": (lambda lib, x, s: x.scatter(1, lib.tensor([[2, 0], [1, 3]]), s), [(2, 4), (2, 3)]),
    "scatter value": (lambda lib, x: x.scatter(0, lib.tensor([[1, 0, 1]]), 2.5), [(2, 3)]),
    "scatter_add repeated": (lambda lib, x, s: x.scatter_add(1, lib.tensor([[0, 0, 2], [1, 1, 1]]), s),
                             [(2, 3), (2, 4)]),
    "gather 0-d": (lambda lib, x: x.gather(0, lib.tensor(0)) * x, [()]),
    "index_select 0-d": (lambda lib, x: x.index_select(0, lib.tensor([0])) * x, [()]),
    "roll 0-d": (lambda lib, x: x.roll(1) * x, [()]),
    "index_select repeated": (lambda lib, x: x.index_select(1, lib.tensor([2, 0, 2])), [(2, 3)]),
    "index_add repeated": (lambda lib, x, s: x.index_add(0, lib.tensor([1, 1, 0]), s, alpha=2.0),
                           [(2, 3), (3, 3)]),
    "masked_fill": (lambda lib, x: x.masked_fill(lib.tensor([True, False, True]), -1.0), [(2, 3)]),
    "masked_fill 0-d tensor": (lambda lib, x, v: x.masked_fill(lib.tensor([[True], [False]]), v), [(2, 3), ()]),
    "masked_select": (lambda lib, x: x.masked_select(lib.tensor([True, False, True])), [(2, 3)]),
    "take": (lambda lib, x: x.take(lib.tensor([[5, 0], [0, 2]])), [(2, 3)]),
    "take_along_dim": (lambda lib, x: x.take_along_dim(lib.tensor([[0, 0], [1, 2]]), 1), [(2, 3)]),
    "take_along_dim broadcast": (lambda lib, x: lib.take_along_dim(x, lib.tensor([[2], [0]]), dim=1), [(2, 3)]),
    "take_along_dim negative": (lambda lib, x: x.take_along_dim(lib.tensor([[-1], [-3]]), 1), [(2, 3)]),
    "take negative": (lambda lib, x: x.take(lib.tensor([-1, 0])), [(2, 3)]),
    "take_along_dim flat": (lambda lib, x: lib.take_along_dim(x, lib.tensor([4, 4, 1])), [(2, 3)]),
}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def _as_list(result):
    return list(result) if isinstance(result, tuple) else [result]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn, shapes = CASES[name]
    arrays = _inputs(shapes)
    expected = _as_list(fn(torch, *[torch.tensor(a) for a in arrays]))
    got = _as_list(fn(te, *[te.tensor(a) for a in arrays]))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == tuple(e.shape)
        assert g.dtype == np.float64
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients(name):
    fn, shapes = CASES[name]
    leaves = [te.tensor(a, requires_grad=True) for a in _inputs(shapes)]
    # a tuple result is joined so that every piece's gradient is checked
    joined = lambda *xs: te.cat([r.reshape(-1) for r in _as_list(fn(te, *xs))])  # noqa: E731
    assert gradcheck(joined, leaves)
    assert gradgradcheck(lambda *xs: joined(*xs) ** 2, leaves)


def test_scatter_gradient_skips_overwritten_entries():
    x = te.ones(2, 3, dtype=te.float64, requires_grad=True)
    src = te.full((1, 2), 5.0, dtype=te.float64, requires_grad=True)
    out = x.scatter(1, te.tensor([[2, 0]]), src)
    np.testing.assert_array_equal(out.detach().numpy(), [[5, 1, 5], [1, 1, 1]])
    (out * te.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [[0, 1, 0], [3, 4, 5]])
    np.testing.assert_array_equal(src.grad.detach().numpy(), [[2, 0]])


def test_scatter_reduce_forms_and_their_missing_derivative():
    x = te.tensor([[1.0, 2.0, 3.0]])
    index = te.tensor([[0, 0, 2]])
    np.testing.assert_array_equal(x.scatter(1, index, te.tensor([[1.0, 2.0, 3.0]]), reduce="add").detach().numpy(),
                                  [[4, 2, 6]])
    np.testing.assert_array_equal(x.scatter(1, index, 2.0, reduce="multiply").detach().numpy(), [[4, 2, 6]])
    with pytest.raises(RuntimeError, match="not implemented"):
        x.requires_grad_().scatter(1, index, 2.0, reduce="add")


def test_nonzero_and_one_argument_where():
    x = te.tensor([[0.0, 1.5], [2.0, 0.0]])
    np.testing.assert_array_equal(x.nonzero().detach().numpy(), [[0, 1], [1, 0]])
    assert x.nonzero().dtype == np.int64
    rows, cols = te.where(x > 0)
    np.testing.assert_array_equal(rows.detach().numpy(), [0, 1])
    np.testing.assert_array_equal(cols.detach().numpy(), [1, 0])
    assert len(te.nonzero(x, as_tuple=True)) == 2


def test_repeat_interleave_of_counts_alone():
    np.testing.assert_array_equal(te.repeat_interleave(te.tensor([2, 0, 1])).detach().numpy(), [0, 0, 2])


def test_view_is_reshape_on_numpy_storage():
    # torch's view refuses a transposed tensor; numpy storage has no such restriction, so view works as reshape
    x = te.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.t().view(-1).detach().numpy(), [0, 3, 1, 4, 2, 5])


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.view(2, -1, -1), RuntimeError, "one unknown dimension"),
    (lambda x: x.reshape(5, -1), RuntimeError, "shape"),
    (lambda x: x.repeat(2), RuntimeError, "number of repeat dims"),
    (lambda x: x.unflatten(1, (3, 3)), RuntimeError, "unflatten"),
    (lambda x: x.repeat_interleave(-1), RuntimeError, "non-negative"),
    (lambda x: x.repeat_interleave(te.tensor([1, 2]), dim=0), RuntimeError, "one count per entry"),
    (lambda x: x.repeat_interleave(2, dim=0, output_size=5), RuntimeError, "output_size"),
    (lambda x: x.narrow(1, 3, 2), IndexError, "narrow"),
    (lambda x: x.split([1, 1]), RuntimeError, "split"),
    (lambda x: x.chunk(0), RuntimeError, "chunk"),
    (lambda x: x.t().t().reshape(2, 2, 3).t(), RuntimeError, "t: expects"),
    (lambda x: x.gather(1, te.tensor([0, 1])), RuntimeError, "same number of dimensions"),
    (lambda x: x.gather(1, te.tensor([[0, 4]])), RuntimeError, "index 4 is out of bounds"),
    (lambda x: x.gather(1, te.tensor([[-1]])), RuntimeError, "index -1 is out of bounds"),
    (lambda x: x.scatter_add(0, te.tensor([[3]]), te.ones(1, 1)), RuntimeError, "out of bounds"),
    (lambda x: x.gather(1, te.tensor([[0.0]])), RuntimeError, "integer"),
    (lambda x: x.index_select(0, te.tensor([[0]])), IndexError, "index_select"),
    (lambda x: x.index_select(1, te.tensor([-1])), RuntimeError, "index -1 is out of bounds"),
    (lambda x: x.index_add(1, te.tensor([4]), te.ones(3, 1)), RuntimeError, "index 4 is out of bounds"),
    (lambda x: x.masked_fill(te.tensor([True, False, True]), 1.0), te.ShapeError, "broadcast"),
    (lambda x: x.masked_fill(te.tensor([True, False, True, False]), te.tensor([1.0, 2.0])), RuntimeError,
     "0-dimensional"),
    (lambda x: x.movedim((0, 0), (0, 1)), ValueError, "repeated"),
    (lambda x: te.cat([x, te.zeros(2, 3)]), RuntimeError, "differ"),
    (lambda x: te.stack([x, te.zeros(4, 3)]), RuntimeError, "equal shape"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(te.zeros(3, 4))


def test_torchs_keyword_spellings():
    torch = pytest.importorskip("torch")
    data = np.arange(6.0).reshape(2, 3)
    for lib in (te, torch):
        x = lib.tensor(data)
        results = [x.flip(dims=[0]), lib.flip(x, dims=(1,)), lib.permute(x, dims=(1, 0)), x.permute(dims=(1, 0)),
                   lib.roll(x, shifts=1, dims=0), *lib.split(x, split_size_or_sections=[1, 2], dim=1),
                   lib.movedim(x, source=0, destination=1), lib.narrow(x, dim=0, start=1, length=1),
                   lib.gather(x, dim=1, index=lib.tensor([[2], [0]]))]
        if lib is te:
            ours = [r.detach().numpy() for r in results]
        else:
            for got, expected in zip(ours, results):
                np.testing.assert_array_equal(got, expected.detach().numpy())


# ---------------------------------------------------------------------------------------------
# view(dtype): the same bytes read as another dtype, with torch's rules on sizes and strides

VIEW_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
VIEW_INPUTS = {  # a function of (tensor constructor, the tensor's transpose) giving the tensor to view
    "matrix": lambda t: t,
    "transposed": lambda t: t.t(),
    "offset 1": lambda t: t[:, 1:5],
    "offset 2": lambda t: t[:, 2:6],
    "odd row stride": lambda t: t.reshape(4, 6)[:, :4],
    "step 2": lambda t: t[:, ::2],
    "last dim 1, stride 2": lambda t: t[:, ::2][:, :1],
    "expanded": lambda t: t[:1].expand(3, 8),
    "0-d": lambda t: t[0, 0],
    "empty": lambda t: t[:0],
    "1-d": lambda t: t[0],
}


@pytest.mark.parametrize("source", ["int16", "float32", "uint8", "float64"])
@pytest.mark.parametrize("name", sorted(VIEW_INPUTS))
def test_view_dtype_matches_torch(source, name):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(3).integers(0, 50, size=(3, 8)).astype(source)
    for target in VIEW_DTYPES:
        try:
            expected = VIEW_INPUTS[name](torch.from_numpy(data.copy())).view(getattr(torch, target))
        except RuntimeError:
            with pytest.raises(RuntimeError, match="view"):
                VIEW_INPUTS[name](te.tensor(data)).view(getattr(te, target))
            continue
        got = VIEW_INPUTS[name](te.tensor(data)).view(getattr(te, target))
        assert got.shape == tuple(expected.shape) and got.dtype == getattr(te, target)
        np.testing.assert_array_equal(got.numpy(), expected.numpy(), err_msg=f"{name} {source} -> {target}")


def test_view_dtype_shares_memory_and_leaves_the_graph():
    torch = pytest.importorskip("torch")
    x = te.zeros(4, requires_grad=True)
    bits = x.view(te.int32)
    assert not bits.requires_grad and bits.grad_fn is None
    assert not torch.zeros(4, requires_grad=True).view(torch.int32).requires_grad  # torch's rule too
    base = te.zeros(4)
    base.view(dtype=te.int32)[0] = 1
    expected = torch.zeros(4)
    expected.view(dtype=torch.int32)[0] = 1
    np.testing.assert_array_equal(base.numpy(), expected.numpy())
    assert te.ones(2, 3).view(-1).shape == (6,) and te.ones(2, 3).view((3, 2)).shape == (3, 2)
    with pytest.raises(TypeError):
        te.ones(2).view(te.int32, 2)


# ---------------------------------------------------------------------------------------------
# scatter_reduce: values and gradients against torch; finite differences (grad of grad too)

REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]


def _scatter_reduce_inputs(rng, dtype=np.float64):
    """x of shape (3, 5) in half-integers, src (3, 4) in small integers (so srcs tie with each other but never
    with x), and an index along dim 1 that repeats positions and leaves some out (torch's backward fails for
    a src larger than the index)."""
    x = rng.integers(-4, 4, size=(3, 5)) + 0.5
    src = rng.integers(-2, 3, size=(3, 4)).astype(dtype)
    index = rng.integers(0, 3, size=(3, 4))  # x[:, 3:] is not reached
    return x.astype(dtype), src, index


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_matches_torch(reduce, include_self):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for _ in range(5):
        x, src, index = _scatter_reduce_inputs(rng)
        tx, tsrc = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
        ex, esrc = te.tensor(x, requires_grad=True), te.tensor(src, requires_grad=True)
        expected = tx.scatter_reduce(1, torch.tensor(index), tsrc, reduce, include_self=include_self)
        got = ex.scatter_reduce(1, te.tensor(index), esrc, reduce, include_self=include_self)
        np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy())
        weights = rng.standard_normal(x.shape)
        (expected * torch.tensor(weights)).sum().backward()
        (got * te.tensor(weights)).sum().backward()
        np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(esrc.grad.numpy(), tsrc.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_integers_and_forms_match_torch(reduce):
    torch = pytest.importorskip("torch")
    x, src, index = [5, -7, 9, 11], [1, 2, 3, 4, -6], [0, 0, 1, 1, 1]
    for include_self in (True, False):
        expected = torch.scatter_reduce(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src), reduce,
                                        include_self=include_self)
        got = te.scatter_reduce(te.tensor(x), 0, te.tensor(index), te.tensor(src), reduce, include_self=include_self)
        assert got.dtype == te.int64 and got.tolist() == expected.tolist()
        mine, theirs = te.tensor(x), torch.tensor(x)
        assert mine.scatter_reduce_(0, te.tensor(index), te.tensor(src), reduce, include_self=include_self) is mine
        theirs.scatter_reduce_(0, torch.tensor(index), torch.tensor(src), reduce, include_self=include_self)
        assert mine.tolist() == theirs.tolist()


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_gradcheck(reduce, include_self):
    rng = np.random.default_rng(12)
    x = te.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    src = te.tensor(rng.standard_normal((3, 4)), requires_grad=True)  # no ties: amax is smooth here
    index = te.tensor(rng.integers(0, 3, size=(3, 4)))

    def fn(x, src):
        return x.scatter_reduce(1, index, src, reduce, include_self=include_self)

    assert gradcheck(fn, (x, src))
    assert gradgradcheck(fn, (x, src))


def test_scatter_reduce_product_with_zeros_has_torchs_gradient():
    torch = pytest.importorskip("torch")
    x, src, index = [2.0, 0.0, 3.0], [0.0, 4.0, 0.0, 0.0, 5.0], [0, 0, 1, 2, 2]
    tx, tsrc = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    ex, esrc = te.tensor(x, requires_grad=True), te.tensor(src, requires_grad=True)
    tx.scatter_reduce(0, torch.tensor(index), tsrc, "prod").sum().backward()
    ex.scatter_reduce(0, te.tensor(index), esrc, "prod").sum().backward()
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(esrc.grad.numpy(), tsrc.grad.numpy())


def test_scatter_reduce_excluded_self_takes_no_share_of_a_tie():
    # Deliberate difference: torch (2.x) counts x's value in a tie even with include_self=False, so the two
    # tied srcs get 1/3 each and a third of the gradient is lost; here they split it: 1/2 each.
    x = te.tensor([3.0, 0.0], requires_grad=True)
    src = te.tensor([3.0, 3.0, 1.0], requires_grad=True)
    out = x.scatter_reduce(0, te.tensor([0, 0, 0]), src, "amax", include_self=False)
    out.sum().backward()
    assert out.tolist() == [3.0, 0.0]
    assert src.grad.tolist() == [0.5, 0.5, 0.0] and x.grad.tolist() == [0.0, 1.0]


BAD_SCATTER_REDUCE = [
    lambda lib, x: x.scatter_reduce(0, lib.tensor([0, 1]), lib.ones(2), "add"),
    lambda lib, x: x.scatter_reduce(0, lib.tensor([0, 1]), lib.ones(2, dtype=lib.int64), "sum"),
    lambda lib, x: x.scatter_reduce(0, lib.tensor([0, 1, 2]), lib.ones(2), "sum"),
    lambda lib, x: x.scatter_reduce(0, lib.tensor([0, 4]), lib.ones(2), "sum"),
]


def test_scatter_reduce_errors_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, te):
        x = lib.zeros(4)
        for bad in BAD_SCATTER_REDUCE:
            with pytest.raises(RuntimeError):
                bad(lib, x)
        assert x.tolist() == [0.0] * 4
        maxed = x.scatter_reduce(0, lib.tensor([0, 0]), lib.tensor([5.0, -6.0]), "max")  # torch's spellings
        assert maxed.tolist() == [5.0, 0.0, 0.0, 0.0]
        assert x.scatter_reduce(0, lib.tensor([0, 0]), lib.tensor([5.0, -6.0]), "min").tolist()[0] == -6.0
