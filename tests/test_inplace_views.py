"""Writes through a part `x[index]` are writes into `x` (torch's CopySlices): the gradient of every
tensor involved matches torch's, whether `x` was in the graph or not, through views of views and in
loops such as the lecture-series idiom `dC[ix] += demb[k, j]`."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te

torch = pytest.importorskip("torch")


def leaves(lib, rng):
    a = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    v = lib.tensor(rng.standard_normal(3), requires_grad=True)
    w = lib.tensor(rng.standard_normal(3), requires_grad=True)
    return a, v, w


def scatter_loop(lib, a, v, w):
    d = lib.zeros(4, 3, dtype=lib.float64)
    for ix in (0, 2, 0, 3):
        d[ix] += v * w
    return d


def kept_view_outside_graph(lib, a, v, w):
    d = lib.zeros(4, 3, dtype=lib.float64)
    row = d[1]
    row += v
    row *= w  # the second write through the same view reaches d too
    return d * a


def view_of_graph_tensor(lib, a, v, w):
    x = a * 1
    row = x[1]
    row *= w
    x[0] += v
    return x


def view_of_a_view(lib, a, v, w):
    x = a * 2
    x[1][0:2] += v[:2]
    x[2:, 1:][0].mul_(w[0])
    return x


def strided_and_column(lib, a, v, w):
    x = a.sin()  # saves its input, not x
    x[::2, 1:3] *= w[1:]
    x[..., 0].add_(v[:1])
    return x


def setitem_then_view_write(lib, a, v, w):
    d = lib.zeros(4, 3, dtype=lib.float64)
    d[1:3] = a[:2] * w
    tail = d[2:]
    tail.sub_(v)
    return d


def two_parts_written_in_turn(lib, a, v, w):
    x = a * 1
    first, second = x[0], x[1:3]
    second.mul_(w)
    first.mul_(v)  # first's own history predates the write through second: x's does not
    first.add_(1)
    return x


def narrow_and_select(lib, a, v, w):  # (torch refuses in-place writes into split's and chunk's views)
    x = a * 1
    x.narrow(1, 1, 2).mul_(w[:2])
    x.narrow(0, 2, 2).add_(v)
    x.select(1, 0).mul_(v[0])
    return x


CASES = [two_parts_written_in_turn, scatter_loop, kept_view_outside_graph, view_of_graph_tensor, view_of_a_view, strided_and_column,
         setitem_then_view_write, narrow_and_select]


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_writes_through_parts_match_torch(case):
    weights = np.arange(12.0).reshape(4, 3) - 5
    results = []
    for lib in (te, torch):
        a, v, w = leaves(lib, np.random.default_rng(7))
        out = case(lib, a, v, w)
        (out * lib.tensor(weights)).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() if t.grad is not None else None for t in (a, v, w)])
    for mine, theirs in zip(*results):
        if theirs is None:
            assert mine is None
        else:
            np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


def test_the_lecture_idiom_runs_unchanged():
    """makemore part 4's manual backprop into an embedding table: C's gradient by a loop of `+=`."""
    g = te.Generator().manual_seed(0)
    C = te.randn((27, 10), generator=g, requires_grad=True)
    Xb = te.randint(0, 27, (8, 3), generator=g)
    emb = C[Xb]
    loss = (emb ** 2).sum()
    loss.backward()
    demb = 2 * emb  # requires grad: computed from the graph, not under no_grad
    dC = te.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    assert dC.requires_grad
    np.testing.assert_allclose(dC.detach().numpy(), C.grad.numpy(), rtol=1e-6)


def test_a_write_through_another_kind_of_view_is_refused_not_wrong():
    """x.t() is a view whose relation to x is not recorded: a later recorded write into x raises
    instead of differentiating through values its history does not describe."""
    a = te.ones(3, 3, requires_grad=True)
    x = a * 1
    x.t().mul_(te.tensor(2.0, requires_grad=True))
    with pytest.raises(RuntimeError, match="modified in place through a view"):
        x[0] += te.ones(3, requires_grad=True)


@pytest.mark.parametrize("make", [lambda t: t.diagonal(), lambda t: t.diagonal(1), lambda t: t.diagonal(-1, 1, 0),
                                  lambda t: t.unfold(1, 2, 2), lambda t: t.unfold(0, 2, 2), lambda t: t.select(0, 2),
                                  lambda t: t.narrow(1, 0, 2)], ids=range(7))
def test_diagonal_unfold_select_narrow_share_memory_as_torch(make):
    mine, theirs = te.zeros(4, 3), torch.zeros(4, 3)
    make(mine).add_(te.ones(1))
    make(theirs).add_(torch.ones(1))
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_a_write_through_a_diagonal_of_a_graph_tensor_is_refused_not_wrong():
    """The diagonal shares the tensor's memory (as torch's); a recorded write through it changes the tensor
    behind its history, so using the tensor afterwards raises instead of giving a wrong gradient."""
    a = te.ones(3, 3, requires_grad=True)
    x = a * 1.5
    x.diagonal().mul_(2)
    assert x.tolist()[0] == [3.0, 1.5, 1.5]
    with pytest.raises(RuntimeError, match="modified in place through a view"):
        x.sum().backward()


def test_select_matches_torch():
    x = np.arange(24.0).reshape(2, 3, 4)
    for dim, index in ((0, 1), (1, -1), (-1, 2)):
        mine, theirs = te.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (mine.select(dim, index) * 2).sum().backward()
        (theirs.select(dim, index) * 2).sum().backward()
        np.testing.assert_array_equal(te.select(mine, dim, index).detach().numpy(),
                                      torch.select(theirs, dim, index).detach().numpy())
        np.testing.assert_array_equal(mine.grad.numpy(), theirs.grad.numpy())
    with pytest.raises(IndexError, match="select: index 3 out of range"):
        te.ones(2, 3).select(1, 3)


def test_an_in_place_op_on_an_expanded_tensor_raises_torchs_error():
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single"):
        torch.zeros(1, 3).expand(3, 3).add_(1.0)
    with pytest.raises(RuntimeError, match="add_: unsupported operation: more than one element of the written-to"):
        te.zeros(1, 3).expand(3, 3).add_(1.0)
