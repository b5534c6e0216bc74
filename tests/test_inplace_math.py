"""The in-place forms of the elementwise ops (`x.sin_()`, `x %= 3`, ...): the out-of-place op written into
the tensor, recorded in the graph so gradients equal the out-of-place version's; the same names as torch's."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te

UNARY = ("exp log sqrt abs relu sigmoid tanh square erf erfc sin cos tan asin acos atan sinh cosh asinh atanh exp2 "
         "expm1 log2 log10 log1p rsqrt reciprocal sign floor ceil trunc round frac logit nan_to_num").split()
BINARY = "atan2 hypot fmod remainder xlogy clamp_min clamp_max".split()


def inputs() -> np.ndarray:
    return np.array([0.15, 0.35, 0.8])  # inside every op's domain (asin, atanh, logit...)


@pytest.mark.parametrize("name", UNARY)
def test_unary_in_place_equals_out_of_place_in_value_and_gradient(name: str) -> None:
    a = te.tensor(inputs(), requires_grad=True)
    expected = getattr(a * 1, name)()
    (expected_grad,) = te.autograd.grad(expected.sum(), a)
    b = a * 1
    assert getattr(b, name + "_")() is b
    np.testing.assert_allclose(b.detach().numpy(), expected.detach().numpy())
    (grad,) = te.autograd.grad(b.sum(), a)
    np.testing.assert_allclose(grad.numpy(), expected_grad.numpy())


@pytest.mark.parametrize("name", BINARY)
def test_binary_in_place_equals_out_of_place(name: str) -> None:
    other = te.tensor([0.5, 0.25, 2.0], dtype=te.float64)
    a = te.tensor(inputs(), requires_grad=True)
    expected = getattr(a * 1, name)(other)
    b = a * 1
    getattr(b, name + "_")(other)
    np.testing.assert_allclose(b.detach().numpy(), expected.detach().numpy())


def test_integer_and_bitwise_augmented_assignment() -> None:
    i = te.tensor([5, 7, -3])
    i %= 3
    assert i.tolist() == [2, 1, 0]
    i //= 2
    assert i.tolist() == [1, 0, 0]
    mask = te.tensor([True, False, True])
    mask &= te.tensor([True, True, False])
    assert mask.tolist() == [True, False, False]


@pytest.mark.parametrize("name", UNARY + BINARY)
def test_torch_has_the_same_in_place_names(name: str) -> None:
    torch = pytest.importorskip("torch")
    assert hasattr(torch.Tensor, name + "_")
