"""MultiheadAttention and TransformerEncoderLayer against torch (same weights): outputs, attention
weights and gradients with masks, batch_first, unbatched input; names, repr, initialisation."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn

torch = pytest.importorskip("torch")


def load_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def assert_close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-11)


def attend_and_compare(ours, theirs, arrays, kwargs, rng):
    """Outputs, attention weights and the gradients of inputs and every parameter, ours vs torch's."""
    a = [te.tensor(x, requires_grad=True) for x in arrays]
    b = [torch.tensor(x, requires_grad=True) for x in arrays]
    wrap = {k: (v, v) if isinstance(v, bool) else (te.tensor(v), torch.tensor(v)) for k, v in kwargs.items()}
    out_a, w_a = ours(*a, **{k: v[0] for k, v in wrap.items()})
    out_b, w_b = theirs(*b, **{k: v[1] for k, v in wrap.items()})
    assert_close(out_a, out_b)
    assert_close(w_a, w_b)
    g = rng.standard_normal(out_a.shape)
    (out_a * te.tensor(g)).sum().backward()
    (out_b * torch.tensor(g)).sum().backward()
    for x, y in zip(a, b):
        assert_close(x.grad, y.grad)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "padding", "both3d"])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_torch(batch_first, masks, average):
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(0)
    shape_q, shape_k = ((2, 3, 8), (2, 5, 8)) if batch_first else ((3, 2, 8), (5, 2, 8))
    arrays = [rng.standard_normal(s) for s in (shape_q, shape_k, shape_k)]
    blocked = rng.random((3, 5)) > 0.6
    blocked[:, 0] = False
    kwargs = {"none": {}, "bool": {"attn_mask": blocked}, "float": {"attn_mask": rng.standard_normal((3, 5))},
              "padding": {"key_padding_mask": np.array([[False] * 4 + [True], [False] * 5])},
              "both3d": {"attn_mask": np.broadcast_to(blocked, (4, 3, 5)).copy(),
                         "key_padding_mask": np.array([[False] * 4 + [True], [False] * 5])}}[masks]
    attend_and_compare(ours, theirs, arrays, dict(kwargs, average_attn_weights=average), rng)


def test_unbatched_attention_and_no_weights():
    ours, theirs = nn.MultiheadAttention(4, 4).double(), torch.nn.MultiheadAttention(4, 4).double()
    load_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal((3, 4))
    out_a, w_a = ours(te.tensor(x), te.tensor(x), te.tensor(x))
    out_b, w_b = theirs(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    assert_close(out_a, out_b), assert_close(w_a, w_b)
    assert ours(te.tensor(x), te.tensor(x), te.tensor(x), need_weights=False)[1] is None


def test_attention_initialisation():
    te.manual_seed(0)
    layer = nn.MultiheadAttention(16, 4)
    bound = np.sqrt(6 / (16 + 48))
    assert np.abs(layer.in_proj_weight.detach().numpy()).max() <= bound
    assert not layer.in_proj_bias.detach().numpy().any() and not layer.out_proj.bias.detach().numpy().any()


@pytest.mark.parametrize("options", [dict(kdim=3, vdim=5), dict(add_bias_kv=True), dict(add_zero_attn=True),
                                     dict(kdim=6, add_bias_kv=True, add_zero_attn=True, batch_first=True)])
@pytest.mark.parametrize("masks", [False, True])
def test_multihead_attention_options_match_torch(options, masks):
    ours = nn.MultiheadAttention(8, 2, **options).double()
    theirs = torch.nn.MultiheadAttention(8, 2, **options).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(3)
    kdim, vdim = options.get("kdim", 8), options.get("vdim", 8)
    batch_first = options.get("batch_first", False)
    shapes = [(3, 2, 8), (5, 2, kdim), (5, 2, vdim)]
    shapes = [(s[1], s[0], s[2]) for s in shapes] if batch_first else shapes
    arrays = [rng.standard_normal(s) for s in shapes]
    kwargs = {}
    if masks:
        blocked = rng.random((3, 5)) > 0.6
        blocked[:, 0] = False
        kwargs = {"attn_mask": blocked, "key_padding_mask": np.array([[False] * 4 + [True], [False] * 5])}
    attend_and_compare(ours, theirs, arrays, kwargs, rng)


def test_attention_extra_parameters_initialisation():
    te.manual_seed(0)
    layer = nn.MultiheadAttention(64, 4, kdim=32, vdim=16, add_bias_kv=True)
    assert layer.in_proj_weight is None and layer.k_proj_weight.shape == (64, 32)
    assert np.abs(layer.k_proj_weight.detach().numpy()).max() <= np.sqrt(6 / (64 + 32))
    std = np.sqrt(2 / (64 + 64))  # xavier_normal_ of a (1, 1, 64) tensor: fan_in = fan_out = 64
    assert layer.bias_k.shape == (1, 1, 64) and 0.5 * std < layer.bias_k.detach().numpy().std() < 1.5 * std


@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_layer_matches_torch(norm_first, batch_first, activation):
    act = {"callable": None}.get(activation, activation)
    ours = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, norm_first=norm_first, batch_first=batch_first,
                                      activation=act or nn.functional.silu).double()
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, norm_first=norm_first,
                                              batch_first=batch_first,
                                              activation=act or torch.nn.functional.silu).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    load_from_torch(ours, theirs)
    ours.eval(), theirs.eval()
    x = np.random.default_rng(2).standard_normal((2, 5, 8) if batch_first else (5, 2, 8))
    causal = np.triu(np.ones((5, 5), bool), 1)
    xa, xb = te.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_a = ours(xa, src_mask=te.tensor(causal))
    out_b = theirs(xb, src_mask=torch.tensor(causal))
    assert_close(out_a, out_b)
    (out_a * out_a).sum().backward()
    (out_b * out_b).sum().backward()
    assert_close(xa.grad, xb.grad)
    assert_close(ours.linear1.weight.grad, theirs.linear1.weight.grad)


def test_transformer_dropout_is_active_in_training_only():
    te.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    x = te.randn(4, 2, 8)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    with pytest.raises(RuntimeError, match="attn_mask"):
        layer.self_attn(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
