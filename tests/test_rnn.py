"""Recurrent layers against torch (loaded with the same weights): outputs, final states and gradients for
multi-layer, bidirectional, batch-first inputs; parameter names, repr, initialisation; gradcheck."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
from tinygrad_ed.autograd import gradcheck


def load_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def as_pair(array, torch):
    return te.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_close(a, b):
    np.testing.assert_allclose(a.detach().numpy() if isinstance(a, te.Tensor) else a, b.detach().numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("options", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True),
                                     dict(num_layers=3, bias=False), dict(bidirectional=True)])
@pytest.mark.parametrize("with_state", [False, True])
def test_sequence_layers_match_torch(kind, options, with_state):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, kind)(3, 4, **options).double(), getattr(torch.nn, kind)(3, 4, **options).double()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3) if options.get("batch_first") else (5, 2, 3))
    xa, xb = as_pair(x, torch)
    count = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    states = [rng.standard_normal((count, 2, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    pairs = [as_pair(s, torch) for s in states]
    if with_state:
        hx_a = tuple(p[0] for p in pairs) if kind == "LSTM" else pairs[0][0]
        hx_b = tuple(p[1] for p in pairs) if kind == "LSTM" else pairs[0][1]
        out_a, final_a = ours(xa, hx_a)
        out_b, final_b = theirs(xb, hx_b)
    else:
        out_a, final_a = ours(xa)
        out_b, final_b = theirs(xb)
    assert_close(out_a, out_b)
    finals_a = final_a if kind == "LSTM" else (final_a,)
    finals_b = final_b if kind == "LSTM" else (final_b,)
    for a, b in zip(finals_a, finals_b):
        assert_close(a, b)
    g = rng.standard_normal(out_a.shape)
    loss_a = (out_a * te.tensor(g)).sum() + sum((f * f).sum() for f in finals_a)
    loss_b = (out_b * torch.tensor(g)).sum() + sum((f * f).sum() for f in finals_b)
    loss_a.backward()
    loss_b.backward()
    assert_close(xa.grad, xb.grad)
    if with_state:
        for a, b in pairs:
            assert_close(a.grad, b.grad)
    grads_b = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, grads_b[name].grad)


def test_unbatched_sequence_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LSTM(3, 4, num_layers=2).double(), torch.nn.LSTM(3, 4, num_layers=2).double()
    load_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal((6, 3))
    out_a, (h_a, c_a) = ours(te.tensor(x))
    out_b, (h_b, c_b) = theirs(torch.tensor(x))
    assert_close(out_a, out_b), assert_close(h_a, h_b), assert_close(c_a, c_b)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(kind, batched):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, kind)(3, 5).double(), getattr(torch.nn, kind)(3, 5).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(2)
    shape = (4,) if batched else ()
    xa, xb = as_pair(rng.standard_normal(shape + (3,)), torch)
    ha, hb = as_pair(rng.standard_normal(shape + (5,)), torch)
    if kind == "LSTMCell":
        ca, cb = as_pair(rng.standard_normal(shape + (5,)), torch)
        out_a, out_b = ours(xa, (ha, ca)), theirs(xb, (hb, cb))
        loss_a, loss_b = (out_a[0] * out_a[1]).sum(), (out_b[0] * out_b[1]).sum()
        assert_close(out_a[1], out_b[1])
        out_a, out_b = out_a[0], out_b[0]
    else:
        out_a, out_b = ours(xa, ha), theirs(xb, hb)
        loss_a, loss_b = (out_a * out_a).sum(), (out_b * out_b).sum()
    assert_close(out_a, out_b)
    loss_a.backward()
    loss_b.backward()
    assert_close(xa.grad, xb.grad), assert_close(ha.grad, hb.grad)
    assert_close(ours.weight_hh.grad, theirs.weight_hh.grad)


def test_rnn_relu_and_default_state():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.RNN(2, 3, nonlinearity="relu").double(), torch.nn.RNN(2, 3, nonlinearity="relu").double()
    load_from_torch(ours, theirs)
    x = np.random.default_rng(3).standard_normal((4, 1, 2))
    assert_close(ours(te.tensor(x))[0], theirs(torch.tensor(x))[0])
    assert repr(ours) == repr(theirs)


def test_initialisation_is_uniform_within_one_over_sqrt_hidden():
    te.manual_seed(0)
    layer = nn.GRU(10, 64)
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    bound = 1 / math.sqrt(64)
    assert np.abs(values).max() <= bound and values.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_gru_gradcheck():
    te.manual_seed(0)
    layer = nn.GRU(2, 3, bidirectional=True).double()
    x = te.tensor(np.random.default_rng(0).standard_normal((3, 1, 2)), requires_grad=True)
    assert gradcheck(lambda x: layer(x)[0], [x])


def test_bad_input_sizes_raise():
    with pytest.raises(RuntimeError, match="input_size"):
        nn.LSTM(3, 4)(te.randn(5, 2, 4))
    with pytest.raises(RuntimeError, match="hidden size"):
        nn.GRU(3, 4)(te.randn(5, 2, 3), te.randn(2, 2, 4))
    with pytest.raises(ValueError):
        nn.RNN(3, 4, nonlinearity="sigmoid")
