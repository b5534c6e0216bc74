"""te.nn.utils: clip_grad_norm_ / clip_grad_value_ against torch and by hand; parameters <-> vector."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def with_grads(lib, scale):
    rng = np.random.default_rng(0)
    params = []
    for shape in [(3, 4), (5,), (2, 2)]:
        p = lib.tensor(rng.standard_normal(shape), requires_grad=True)
        p.grad = lib.tensor(scale * rng.standard_normal(shape))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [1, 2, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clip_grad_norm_matches_torch(norm_type, scale):
    torch = pytest.importorskip("torch")
    norm_type = float(norm_type)
    mine, theirs = with_grads(te, scale), with_grads(torch, scale)
    total = clip_grad_norm_(mine, max_norm=1.5, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, te.Tensor) and total.shape == ()
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(p.grad.detach().numpy(), q.grad.detach().numpy(), rtol=1e-12)


def test_clip_grad_norm_by_hand():
    params = with_grads(te, 10.0)
    before = np.concatenate([p.grad.detach().numpy().ravel() for p in params])
    total = clip_grad_norm_(params, 2.0)
    assert total.item() == pytest.approx(np.linalg.norm(before))
    after = np.concatenate([p.grad.detach().numpy().ravel() for p in params])
    np.testing.assert_allclose(after, before * 2.0 / (np.linalg.norm(before) + 1e-6))
    small = with_grads(te, 1e-3)
    kept = [p.grad.detach().numpy().copy() for p in small]
    clip_grad_norm_(small[0], 2.0)  # a single Tensor is accepted; a small norm is left as it is
    np.testing.assert_array_equal(small[0].grad.detach().numpy(), kept[0])


def test_clip_grad_norm_nonfinite():
    params = with_grads(te, 1.0)
    params[1].grad.array[0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_([te.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_value():
    params = with_grads(te, 3.0)
    expected = [np.clip(p.grad.detach().numpy(), -0.5, 0.5) for p in params]
    assert clip_grad_value_(params, 0.5) is None
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.grad.detach().numpy(), e)


def test_parameters_vector_round_trip():
    params = with_grads(te, 1.0)
    te.optim.SGD(params).zero_grad()
    vec = parameters_to_vector(params)
    np.testing.assert_array_equal(vec.detach().numpy(), np.concatenate([p.detach().numpy().ravel() for p in params]))
    vec.sum().backward()  # differentiable, like torch.cat
    np.testing.assert_array_equal(params[0].grad.detach().numpy(), np.ones((3, 4)))
    vector_to_parameters(te.arange(21, dtype=te.float64), params)
    np.testing.assert_array_equal(params[1].detach().numpy(), np.arange(12, 17))
    with pytest.raises(TypeError, match="expected Tensor"):
        vector_to_parameters(np.zeros(21), params)
