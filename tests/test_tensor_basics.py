"""Tensor basics people print and poke at, against torch: sizes, clone, numpy(), tolist/item, repr with
torch's node names, format specs, len, iteration and `in`."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck


def pair(values, **kwargs):
    torch = pytest.importorskip("torch")
    return te.tensor(values, **kwargs), torch.tensor(values, **kwargs)


def test_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for values in ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], 3.0, [[[1]]], []):
        mine, theirs = te.tensor(values), torch.tensor(values)
        assert (mine.nelement(), mine.numel(), mine.dim(), mine.element_size()) == (
            theirs.nelement(), theirs.numel(), theirs.dim(), theirs.element_size())
        for dim in range(-theirs.dim(), theirs.dim()):
            assert mine.size(dim) == theirs.size(dim)
        for dim in (theirs.dim(), -theirs.dim() - 1):
            with pytest.raises(IndexError):
                theirs.size(dim)
            with pytest.raises(IndexError, match="dimension"):
                mine.size(dim)
    assert te.numel(te.ones(2, 3)) == 6 and te.ones(2, dtype=te.float64).element_size() == 8


def test_clone_copies_and_is_twice_differentiable():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.requires_grad and not y.is_leaf and not np.shares_memory(y.detach().numpy(), x.detach().numpy())
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    leaf = te.tensor([0.5, -1.5], dtype=te.float64, requires_grad=True)
    assert gradcheck(lambda t: te.clone(t) ** 3, (leaf,)) and gradgradcheck(lambda t: t.clone() ** 3, (leaf,))
    plain = te.ones(2)
    copy = plain.clone()
    copy.numpy()[0] = 5.0
    assert plain.tolist() == [1.0, 1.0] and not copy.requires_grad


def test_numpy_on_a_tensor_requiring_grad_raises_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, requires_grad=True).numpy()
    x = te.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as mine:
        x.numpy()
    assert str(mine.value) == str(theirs.value)
    with pytest.raises(RuntimeError):
        (x * 2).numpy()
    shared = x.detach().numpy()
    shared[0] = 3.0
    assert x.tolist() == [3.0, 1.0]  # detach shares memory
    forced, theirs_forced = x.numpy(force=True), (t := torch.ones(2, requires_grad=True)).numpy(force=True)
    forced[0], theirs_forced[0] = 9.0, 9.0
    assert x.tolist() == [9.0, 1.0] and t.tolist() == [9.0, 1.0]  # force shares memory too, as torch's on the CPU


def test_tolist_and_item_match_torch():
    for values in ([[1.5, 2.0]], [1, 2], 3.25, [True, False]):
        mine, theirs = pair(values)
        assert mine.tolist() == theirs.tolist()
    mine, theirs = pair([7])
    assert mine.item() == theirs.item() == 7 and type(mine.item()) is int


REPRS = [
    lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) + 1,
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) - 1,
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) / 2,
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) ** 2,
    lambda m: m.tensor([1.0, 2.0], requires_grad=True).sum(),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True).exp(),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True).log(),
    lambda m: m.tensor([-1.0, 2.0], requires_grad=True).relu(),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True).tanh(),
    lambda m: -m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([0.1234567, 2.0]),
    lambda m: m.tensor([[1, 2], [3, 4]]),
    lambda m: m.tensor([True, False]),
    lambda m: m.tensor(3.0),
]


@pytest.mark.parametrize("index", range(len(REPRS)))
def test_repr_matches_torch(index):
    torch = pytest.importorskip("torch")
    assert repr(REPRS[index](te)) == repr(REPRS[index](torch))
    assert str(REPRS[index](te)) == str(REPRS[index](torch))


def test_repr_names_a_non_default_dtype_and_grad_fn_has_torch_names():
    assert repr(te.tensor([1, 2], dtype=te.int32)) == "tensor([1, 2], dtype=int32)"
    y = te.tensor([1.0], requires_grad=True) * 3
    assert y.grad_fn.name() == "MulBackward0" and repr(y.grad_fn) == "<MulBackward0>"


def test_format_spec_on_zero_dim_tensors_only_as_torch():
    torch = pytest.importorskip("torch")
    for spec in (".4f", ".2e", "8.3f", ""):
        assert format(te.tensor(1.23456), spec) == format(torch.tensor(1.23456), spec)
    loss = te.tensor([2.0, 3.0], requires_grad=True).sum()
    assert f"loss {loss:.3f}" == "loss 5.000" and f"{te.tensor(7):d}" == "7"
    assert format(te.tensor([1.0, 2.0]), "") == str(te.tensor([1.0, 2.0]))
    for values in ([2.5], [1.0, 2.0]):
        with pytest.raises(TypeError):
            format(torch.tensor(values), ".2f")
        with pytest.raises(TypeError, match="format"):
            format(te.tensor(values), ".2f")


def test_len_iteration_and_in_match_torch():
    torch = pytest.importorskip("torch")
    mine, theirs = te.tensor([[1, 2], [3, 4], [5, 6]]), torch.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(mine) == len(theirs) == 3
    assert [row.tolist() for row in mine] == [row.tolist() for row in theirs]
    for element in (4, 7, 2.0, te.tensor(5)):
        their_element = torch.tensor(element.item()) if isinstance(element, te.Tensor) else element
        assert (element in mine) == (their_element in theirs)
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        "a" in mine  # noqa: B015
    with pytest.raises(TypeError):
        len(te.tensor(1.0))
    x = te.tensor([1.0, 2.0], requires_grad=True)
    rows = list(x)
    sum(rows).backward()
    assert x.grad.tolist() == [1.0, 1.0]  # iteration is differentiable indexing
    assert te.is_tensor(x) and not te.is_tensor(np.ones(1))


def test_is_contiguous_as_torch():
    torch = pytest.importorskip("torch")
    for make in (lambda lib: lib.ones(2, 3), lambda lib: lib.ones(2, 3).T, lambda lib: lib.ones(2, 4)[:, ::2],
                 lambda lib: lib.tensor(1.0), lambda lib: lib.ones(3, 4)[1:]):
        assert make(te).is_contiguous() == make(torch).is_contiguous()
