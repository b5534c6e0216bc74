"""x[index] with torch's rules (integers are applied before tensor indices), its errors, and its
gradients (repeated indices accumulate), checked against torch when installed and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck

X = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)

# Each case is a function of a tensor constructor `T`, so the same index is built for torch and for us.
CASES = {
    "int, slice, tensor": lambda T: (0, slice(None), T([1, 2])),
    "tensor, slice, int": lambda T: (T([1, 0]), slice(None), 0),
    "slice, int, slice, tensor": lambda T: (slice(None), 0, slice(None), T([1, 2])),
    "int, tensor": lambda T: (0, T([1, 2])),
    "tensor, int": lambda T: (T([1, 0]), 0),
    "int, ellipsis, tensor": lambda T: (0, Ellipsis, T([1, 2])),
    "None, int, slice, tensor": lambda T: (None, 0, slice(None), T([1, 2])),
    "int, None, tensor": lambda T: (0, None, T([1, 2])),
    "tensor, None, tensor": lambda T: (T([0, 1]), None, T([1, 2])),
    "0-d tensor, slice, tensor": lambda T: (T(0), slice(None), T([1, 2])),
    "0-d tensors": lambda T: (T(0), slice(None), T(1)),
    "mask, slice, tensor": lambda T: (T([True, False]), slice(None), T([1, 2])),
    "int, slice, mask": lambda T: (0, slice(None), T([True, False, True, False])),
    "int, slice, 2-d mask": lambda T: (0, slice(None), T(np.ones((4, 5), bool))),
    "lists": lambda T: ([0, 1], slice(None), [1, 2]),
    "int, slice, list": lambda T: (0, slice(None), [1, 2]),
    "True": lambda T: (True,),
    "int, True, slice, tensor": lambda T: (0, True, slice(None), T([1, 2])),
    "int, slice, broadcast tensors": lambda T: (0, slice(None), T([[1], [2]]), T([0, 1])),
    "slice, int, tensor, int": lambda T: (slice(None), 0, T([1, 2]), 0),
    "tensor, slice, tensor, int": lambda T: (T([0, 1]), slice(None), T([1, 2]), 0),
    "tensor, int, tensor": lambda T: (T([0, 1]), 0, T([1, 2])),
    "numpy int": lambda T: (np.int64(1), slice(None), T([1, 2])),
    "repeated": lambda T: (T([1, 1, 0]), slice(1, None, 2)),
    "negative": lambda T: (-1, slice(None), T([-1, 0])),
    "steps": lambda T: (slice(None), slice(0, 3, 2), T([3, 1]), slice(None, None, 3)),
    "empty list": lambda T: ([],),
}


def _ours(values):
    return te.tensor(np.asarray(values)) if not isinstance(values, list) else te.tensor(values)


@pytest.mark.parametrize("name", sorted(CASES))
def test_getitem_matches_torch(name):
    torch = pytest.importorskip("torch")
    expected = torch.tensor(X)[CASES[name](lambda v: torch.tensor(np.asarray(v)))].numpy()
    got = te.tensor(X)[CASES[name](_ours)]
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.numpy(), expected)


def test_the_reported_case_has_torchs_shape():
    x = te.tensor(np.arange(24.0).reshape(2, 3, 4))
    out = x[0, :, te.tensor([1, 2])]
    assert out.shape == (3, 2)  # numpy's rule would give (2, 3)
    np.testing.assert_array_equal(out.numpy(), np.arange(24.0).reshape(2, 3, 4)[0][:, [1, 2]])


@pytest.mark.parametrize("name", sorted(CASES))
def test_getitem_gradients(name):
    x = te.tensor(np.random.default_rng(0).standard_normal(X.shape), requires_grad=True)
    index = CASES[name](_ours)
    assert gradcheck(lambda t: t[index] * 1.5, (x,))
    assert te.autograd.gradgradcheck(lambda t: t[index] ** 2, (x,))


def test_repeated_indices_accumulate_gradients():
    x = te.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[te.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_negative_step_is_refused_as_in_torch():
    x = te.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        te.zeros(2, 3)[:, ::-2]


def test_index_errors():
    x = te.zeros(2, 3)
    with pytest.raises(IndexError, match="out of bounds"):
        x[5]
    with pytest.raises(IndexError, match="out of bounds"):
        x[te.tensor([0, 3])]
    with pytest.raises(IndexError, match="integer or bool"):
        x[te.tensor([1.0])]
    with pytest.raises(IndexError):
        x[0, 0, 0]


def test_basic_slices_share_memory():
    base = np.arange(12.0).reshape(3, 4)
    x = te.from_numpy(base)
    assert np.shares_memory(x[1:, ::2].numpy(), base)
    assert np.shares_memory(x[0].numpy(), base)


def _random_index(rng):
    """A random mix of ints, positive-step slices, None, one Ellipsis, lists, masks, 0-d and 1-d/2-d tensors,
    as (kind, value) pairs."""
    items, dim, used_ellipsis = [], 0, False
    for _ in range(int(rng.integers(1, 5))):
        size = X.shape[min(dim, 3)]
        kind = ["int", "slice", "none", "ellipsis", "list", "mask", "0-d", "tensor"][int(rng.integers(0, 8))]
        if kind == "ellipsis" and used_ellipsis:
            kind = "none"
        value = {"int": lambda size=size: int(rng.integers(-size, size)),
                 "slice": lambda size=size: slice(int(rng.integers(0, size)), None, int(rng.integers(1, 3))),
                 "none": lambda size=size: None, "ellipsis": lambda size=size: Ellipsis,
                 "list": lambda size=size: rng.integers(-size, size, size=int(rng.integers(1, 3))).tolist(),
                 "mask": lambda size=size: rng.random(size) > 0.5,
                 "0-d": lambda size=size: np.int64(rng.integers(0, size)),
                 "tensor": lambda size=size: rng.integers(0, size, size=(2, 1) if rng.random() < 0.3 else (2,))}[kind]()
        items.append((kind, value))
        used_ellipsis |= kind == "ellipsis"
        dim += kind not in ("none", "ellipsis")
    return items


def _built(items, tensor):
    return tuple(tensor(np.asarray(v)) if kind in ("mask", "tensor", "0-d") else v for kind, v in items)


def test_random_indices_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for _ in range(500):
        items = _random_index(rng)
        try:
            expected, expected_error = torch.tensor(X)[_built(items, torch.tensor)].numpy(), None
        except (IndexError, RuntimeError, ValueError) as error:
            expected, expected_error = None, error
        if expected_error is not None:
            with pytest.raises((IndexError, RuntimeError, ValueError)):
                te.tensor(X)[_built(items, te.tensor)]
            continue
        got = te.tensor(X)[_built(items, te.tensor)]
        assert got.shape == expected.shape, items
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=str(items))


def test_random_indices_gradients():
    rng = np.random.default_rng(8)
    x = te.tensor(np.random.default_rng(0).standard_normal(X.shape), requires_grad=True)
    checked = 0
    while checked < 20:
        index = _built(_random_index(rng), te.tensor)
        try:
            x[index]
        except IndexError:
            continue
        assert gradcheck(lambda t, index=index: t[index] * 2.0, (x,))
        checked += 1


# ---------------------------------------------------------------------------------------------
# x[index] = value: the same rule as reading (the value broadcasts to torch's shape of x[index])


def _unique_positions(index, torch):
    """Whether `index` reaches every position at most once (else which write wins is torch's choice)."""
    ids = torch.arange(X.size).reshape(X.shape)[index].reshape(-1)
    return len(ids.unique()) == len(ids)


def _value_for(shape, rng):
    """A value that broadcasts to `shape`: full, with some dims 1, with leading dims dropped, or a number."""
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return float(rng.integers(-9, 9))
    dims = [n if (kind == 1 or rng.random() < 0.5) else 1 for n in shape]
    if kind == 3 and dims:
        dims = dims[int(rng.integers(0, len(dims) + 1)):]
    return rng.standard_normal(dims)


def _assign(make, index, value, tensor):
    x = make(X.copy())
    x[index] = tensor(value) if isinstance(value, np.ndarray) else value
    return x


def test_setitem_matches_torch_over_index_kinds():
    torch = pytest.importorskip("torch")
    rng, checked = np.random.default_rng(9), 0
    random_items = [_random_index(rng) for _ in range(400)]
    indices = [CASES[name] for name in sorted(CASES)] + [
        (lambda T, items=items: _built(items, T)) for items in random_items]
    for build in indices:
        torch_index = build(lambda v: torch.tensor(np.asarray(v)))
        try:
            shape = torch.tensor(X)[torch_index].shape
        except (IndexError, RuntimeError, ValueError):
            continue
        if not _unique_positions(torch_index, torch):
            continue
        value = _value_for(tuple(shape), rng)
        expected = _assign(torch.tensor, torch_index, value, torch.tensor).numpy()
        ours = _assign(te.tensor, build(_ours), value, te.tensor)
        np.testing.assert_array_equal(ours.numpy(), expected, err_msg=str(build(_ours)))
        checked += 1
    assert checked > 200


def test_setitem_refuses_values_torch_refuses():
    torch = pytest.importorskip("torch")
    for name in ("int, slice, tensor", "slice, int, tensor, int", "int, slice, broadcast tensors"):
        shape = tuple(torch.tensor(X)[CASES[name](lambda v: torch.tensor(np.asarray(v)))].shape)
        wrong = np.ones(shape[::-1] + (3,))  # numpy's order of the dims, or too many: torch refuses both
        with pytest.raises(RuntimeError):
            _assign(torch.tensor, CASES[name](lambda v: torch.tensor(np.asarray(v))), wrong, torch.tensor)
        x = te.tensor(X)
        with pytest.raises(RuntimeError):
            x[CASES[name](_ours)] = te.tensor(wrong)
        np.testing.assert_array_equal(x.numpy(), X)  # unchanged


@pytest.mark.parametrize("name", ["int, slice, tensor", "slice, int, tensor, int", "None, int, slice, tensor",
                                  "int, ellipsis, tensor", "tensor, slice, tensor, int"])
def test_setitem_in_the_graph_gradients(name):
    index = CASES[name](_ours)
    shape = te.tensor(X)[index].shape
    x = te.tensor(np.random.default_rng(1).standard_normal(X.shape), requires_grad=True)
    value = te.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)

    def assigned(x, value):
        y = x * 1.0
        y[index] = value * 3.0
        return y

    assert gradcheck(assigned, (x, value))
