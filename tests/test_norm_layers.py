"""Normalisation, embedding, dropout, interpolation and attention (functional and layers), and the
layers' state_dict keys, repr and initialisation, against torch; gradcheck in float64; closed forms."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
import tinygrad_ed.nn.functional as F
from tinygrad_ed.autograd import gradcheck, gradgradcheck

from test_conv_pool import channels_last, compare_with_torch


def test_layer_norm_and_group_norm_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    compare_with_torch(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), lambda x, w, b: tf.layer_norm(x, (3, 4), w, b),
                       [(2, 5, 3, 4), (3, 4), (3, 4)])
    compare_with_torch(lambda x: F.layer_norm(x, 4), lambda x: tf.layer_norm(x, (4,)), [(3, 4)], np.float32)
    compare_with_torch(lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: tf.group_norm(x, 2, w, b),
                       [(2, 4, 3, 5), (4,), (4,)])


def test_layer_norm_closed_form():
    out = F.layer_norm(te.tensor([[1.0, 3.0]]), 2, eps=0.0).detach().numpy()
    np.testing.assert_allclose(out, [[-1.0, 1.0]])


@pytest.mark.parametrize("fn, shapes", [
    (lambda x, w, b: F.layer_norm(x, (3,), w, b), [(2, 3), (3,), (3,)]),
    (lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3, 2), (3,), (3,)]),
    (lambda x, w: F.batch_norm(x, None, None, w, None, training=True), [(3, 2, 2, 2), (2,)]),
    (lambda x: F.batch_norm(x, None, None, None, None, training=True), [(5, 2)]),
])
def test_norms_gradcheck_and_gradgradcheck(fn, shapes):
    rng = np.random.default_rng(0)
    inputs = [te.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 4), (4, 3, 2, 5)])
def test_batch_norm_running_stats_over_steps_train_and_eval(momentum, shape):
    torch = pytest.importorskip("torch")
    layer = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d}[len(shape)](3, momentum=momentum).double()
    ref = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d}[len(shape)](3, momentum=momentum)
    ref = ref.double()
    rng = np.random.default_rng(0)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        a, b = te.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = layer(a), ref(b)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        (out * out).sum().backward()
        (expected * expected).sum().backward()
        np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.detach().numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(layer.weight.grad.detach().numpy(), ref.weight.grad.detach().numpy(), rtol=1e-8, atol=1e-10)
    for name, value in ref.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[name].detach().numpy(), value.detach().numpy(), rtol=1e-12, err_msg=name)
    layer.eval(), ref.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(layer(te.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert int(layer.num_batches_tracked.detach().numpy()) == 4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape, order", [((64, 16, 8, 8), None), ((7, 5, 3, 2), None), ((9, 4), None),
                                          ((64, 16, 8, 8), (2, 3, 0, 1)), ((7, 5, 3, 2), (0, 2, 3, 1))])
def test_batch_norm_training_values_and_gradients_match_torch(dtype, affine, shape, order):
    """order: the input's memory laid out channels-last in that order (as conv2d's 3x3 routes leave it),
    which the output and the input's gradient keep."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    channels = shape[1]
    layer = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(channels, affine=affine)
    ref = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(channels, affine=affine)
    if dtype == np.float64:
        layer, ref = layer.double(), ref.double()
    if affine:
        weight, bias = rng.standard_normal(channels).astype(dtype), rng.standard_normal(channels).astype(dtype)
        layer.weight.data, layer.bias.data = te.tensor(weight), te.tensor(bias)
        ref.weight.data, ref.bias.data = torch.tensor(weight), torch.tensor(bias)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    a, b = te.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if order is not None:
        a, g = te.from_numpy(channels_last(x, order)).requires_grad_(), channels_last(g, order)
    out, expected = layer(a), ref(b)
    (out * te.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)
    assert out.dtype == a.grad.dtype == dtype
    if order is not None:
        assert out.stride(1) == a.grad.stride(1) == 1
    if affine:
        np.testing.assert_allclose(layer.weight.grad.numpy(), ref.weight.grad.numpy(), **tol)
        np.testing.assert_allclose(layer.bias.grad.numpy(), ref.bias.grad.numpy(), **tol)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(layer, name).numpy(), getattr(ref, name).detach().numpy(), **tol)


def test_batch_norm_without_running_stats_and_errors():
    torch = pytest.importorskip("torch")
    layer, ref = nn.BatchNorm1d(3, affine=False, track_running_stats=False), torch.nn.BatchNorm1d(3, affine=False,
                                                                                                   track_running_stats=False)
    assert list(layer.state_dict()) == list(ref.state_dict()) == []
    layer.eval(), ref.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(te.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(3)(te.randn(1, 3))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(te.randn(2, 3, 4))


def test_embedding_padding_idx_gets_no_gradient():
    torch = pytest.importorskip("torch")
    index = np.array([[0, 2, 1], [2, 2, 4]])
    compare_with_torch(lambda w: F.embedding(te.tensor(index), w, padding_idx=2),
                       lambda w: torch.nn.functional.embedding(torch.tensor(index), w, padding_idx=2), [(5, 3)])
    layer = nn.Embedding(5, 3, padding_idx=-1)
    assert layer.padding_idx == 4 and not layer.weight.detach().numpy()[4].any()
    with pytest.raises(IndexError):
        layer(te.tensor([5]))


def test_embedding_from_pretrained():
    table = te.tensor(np.arange(6.0).reshape(3, 2))
    layer = nn.Embedding.from_pretrained(table)
    assert not layer.weight.requires_grad
    np.testing.assert_array_equal(layer(te.tensor([2, 0])).detach().numpy(), [[4, 5], [0, 1]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


@pytest.mark.parametrize("options", [dict(size=(5, 7), mode="bilinear", align_corners=False),
                                     dict(scale_factor=2.5, mode="bilinear", align_corners=True),
                                     dict(scale_factor=(0.5, 1.7)), dict(size=(7, 3)), dict(scale_factor=2),
                                     dict(size=(9, 11), mode="bicubic", align_corners=False),
                                     dict(size=(3, 2), mode="bicubic", align_corners=False),
                                     dict(scale_factor=(2.5, 1.5), mode="bicubic", align_corners=True),
                                     dict(size=(1, 7), mode="bicubic", align_corners=True),
                                     dict(scale_factor=1.7, mode="bicubic")])
def test_interpolate_matches_torch(options):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: F.interpolate(x, **options), lambda x: torch.nn.functional.interpolate(x, **options),
                       [(2, 3, 4, 5)])


def test_interpolate_linear_1d_matches_torch():
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: F.interpolate(x, size=7, mode="linear"),
                       lambda x: torch.nn.functional.interpolate(x, size=7, mode="linear"), [(2, 3, 4)])


def test_sdpa_matches_torch_with_masks():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(1)
    mask = rng.random((4, 6)) > 0.3
    mask[:, 0] = True
    compare_with_torch(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=te.tensor(mask)),
                       lambda q, k, v: tf.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
                       [(2, 4, 3), (2, 6, 3), (2, 6, 5)])
    compare_with_torch(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
                       lambda q, k, v: tf.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
                       [(2, 2, 4, 3), (2, 2, 4, 3), (2, 2, 4, 5)])
    bias = rng.standard_normal((4, 4))
    compare_with_torch(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=te.tensor(bias)),
                       lambda q, k, v: tf.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(bias)),
                       [(2, 4, 3), (2, 4, 3), (2, 4, 5)])


def test_sdpa_closed_form_equal_keys_average_values():
    q, k = te.randn(1, 2, 3), te.ones(1, 4, 3)
    v = te.tensor(np.arange(8.0, dtype=np.float32).reshape(1, 4, 2))
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v).detach().numpy(), [[[3, 4], [3, 4]]], rtol=1e-6)


def test_channel_dropout_zeroes_whole_channels():
    te.manual_seed(0)
    out = F.dropout2d(te.ones(50, 6, 4, 4), 0.3).detach().numpy()
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
    assert (out.reshape(300, 16).std(1) == 0).all()
    assert 0.2 < (out[:, :, 0, 0] == 0).mean() < 0.4
    out = F.dropout1d(te.ones(50, 6, 4), 0.5).detach().numpy()
    assert (out.std(-1) == 0).all() and 0.4 < (out[..., 0] == 0).mean() < 0.6
    x = te.ones(2, 3, 4)
    assert nn.Dropout1d(0.5).eval()(x) is x
    with pytest.warns(UserWarning, match="3D input"):  # as torch: 3-D input is (N, C, L)
        out = F.dropout2d(te.ones(40, 6, 5), 0.5).detach().numpy()
    assert (out.std(-1) == 0).all() and 0.3 < (out[..., 0] == 0).mean() < 0.7


def layer_pairs(torch):
    tn = torch.nn
    return [
        (nn.Conv2d(3, 8, 3, padding=1), tn.Conv2d(3, 8, 3, padding=1)),
        (nn.Conv2d(4, 8, (3, 2), stride=2, dilation=2, groups=2, bias=False),
         tn.Conv2d(4, 8, (3, 2), stride=2, dilation=2, groups=2, bias=False)),
        (nn.Conv2d(3, 8, 3, padding="same"), tn.Conv2d(3, 8, 3, padding="same")),
        (nn.Conv1d(3, 5, 4, stride=2), tn.Conv1d(3, 5, 4, stride=2)),
        (nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1, groups=2),
         tn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1, groups=2)),
        (nn.MaxPool2d(2), tn.MaxPool2d(2)), (nn.MaxPool1d(3, 2, 1), tn.MaxPool1d(3, 2, 1)),
        (nn.AvgPool2d(3, 2, 1), tn.AvgPool2d(3, 2, 1)), (nn.AvgPool1d(2), tn.AvgPool1d(2)),
        (nn.AdaptiveAvgPool2d((1, 1)), tn.AdaptiveAvgPool2d((1, 1))),
        (nn.AdaptiveMaxPool2d(2), tn.AdaptiveMaxPool2d(2)),
        (nn.BatchNorm1d(5), tn.BatchNorm1d(5)), (nn.BatchNorm2d(5, momentum=None, affine=False),
                                                 tn.BatchNorm2d(5, momentum=None, affine=False)),
        (nn.LayerNorm((4, 5)), tn.LayerNorm((4, 5))), (nn.LayerNorm(4, bias=False), tn.LayerNorm(4, bias=False)),
        (nn.GroupNorm(2, 6), tn.GroupNorm(2, 6)), (nn.Embedding(10, 3, padding_idx=0), tn.Embedding(10, 3, padding_idx=0)),
        (nn.Dropout1d(0.2), tn.Dropout1d(0.2)), (nn.Dropout2d(), tn.Dropout2d()),
    ]


def test_layers_state_dict_keys_shapes_and_repr_match_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in layer_pairs(torch):
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict()), repr(ours)
        for name, value in theirs.state_dict().items():
            assert ours.state_dict()[name].shape == tuple(value.shape), (repr(ours), name)
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        for name, value in theirs.state_dict().items():
            np.testing.assert_array_equal(ours.state_dict()[name].detach().numpy(), value.detach().numpy())


def test_loaded_layers_compute_what_torch_computes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    inputs = {"Conv2d": (2, 3, 6, 6), "Conv1d": (2, 3, 9), "ConvTranspose2d": (2, 4, 3, 3), "LayerNorm": (2, 4, 5),
              "GroupNorm": (2, 6, 3)}
    for ours, theirs in layer_pairs(torch):
        name = type(ours).__name__
        if name not in inputs or (name == "Conv2d" and ours.groups != 1) or (name == "LayerNorm" and ours.bias is None):
            continue
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        x = rng.standard_normal(inputs[name]).astype(np.float32)
        np.testing.assert_allclose(ours(te.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_conv_default_initialisation_bounds():
    te.manual_seed(0)
    layer = nn.Conv2d(8, 16, 3)
    fan_in = 8 * 9
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(weight).max() <= 1 / math.sqrt(fan_in) and np.abs(weight).max() > 0.9 / math.sqrt(fan_in)
    assert weight.std() == pytest.approx(1 / math.sqrt(fan_in) / math.sqrt(3), rel=0.1)
    assert np.abs(bias).max() <= 1 / math.sqrt(fan_in)
    transposed = nn.ConvTranspose2d(8, 4, 3)
    assert transposed.weight.shape == (8, 4, 3, 3) and np.abs(transposed.weight.detach().numpy()).max() <= 1 / math.sqrt(36)
    embedding = nn.Embedding(1000, 8)
    assert embedding.weight.detach().numpy().std() == pytest.approx(1.0, rel=0.05)


def test_small_cnn_trains():
    te.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 8, 8)).astype(np.float32)
    x[:16, :, :4] += 1.5
    y = np.array([1] * 16 + [0] * 16)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(model(te.tensor(x)), te.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.1 * losses[0]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_renormalizes_used_rows_in_place_as_torch(norm_type):
    torch = pytest.importorskip("torch")
    weights = np.random.default_rng(0).standard_normal((6, 4)) * 2
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(weights), freeze=False, max_norm=1.5, norm_type=norm_type)
    ours = te.nn.Embedding.from_pretrained(te.tensor(weights), freeze=False, max_norm=1.5, norm_type=norm_type)
    assert repr(ours) == repr(theirs)
    index = np.array([[0, 2, 2], [5, 0, 3]])
    out, expected = ours(te.tensor(index)), theirs(torch.tensor(index))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    assert np.array_equal(ours.weight.detach().numpy()[[1, 4]], weights[[1, 4]])  # unused rows untouched
    g = np.random.default_rng(1).standard_normal(out.shape)
    (out * te.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
