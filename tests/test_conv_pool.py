"""Convolution, unfold/fold and pooling: values and gradients against torch over option grids (float64 and
float32), finite-difference gradcheck and gradgradcheck, closed forms and errors."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
import tinygrad_ed.nn.functional as F
from tinygrad_ed.autograd import gradcheck, gradgradcheck


def compare_with_torch(ours, theirs, shapes, dtype=np.float64, seed=0, integer_outputs=False):
    """Forward values and the gradients of a random projection of the output, ours vs torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    a = [te.tensor(x, requires_grad=True) for x in arrays]
    b = [torch.tensor(x, requires_grad=True) for x in arrays]
    out, expected = ours(*a), theirs(*b)
    if isinstance(out, tuple):
        np.testing.assert_array_equal(out[1].detach().numpy(), expected[1].detach().numpy())
        out, expected = out[0], expected[0]
    assert out.shape == tuple(expected.shape)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
    g = rng.standard_normal(out.shape).astype(dtype)
    (out * te.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    for x, y in zip(a, b):
        np.testing.assert_allclose(x.grad.detach().numpy(), y.grad.detach().numpy(), **tol)
        assert x.grad.dtype == dtype


CONV_OPTIONS = [dict(), dict(stride=2, padding=1), dict(padding=(2, 1), dilation=(2, 1)),
                dict(stride=(1, 3), padding="valid"), dict(padding="same", dilation=2),
                dict(groups=2, stride=2), dict(groups=4, padding=1, dilation=2),
                dict(groups=2, stride=(3, 2), padding=(1, 2), dilation=(2, 1)), dict(stride=3, padding=2)]


@pytest.mark.parametrize("options", CONV_OPTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(options, dtype, bias):
    torch = pytest.importorskip("torch")
    shapes = [(2, 4, 9, 8), (8, 4 // options.get("groups", 1), 3, 2)] + ([(8,)] if bias else [])
    compare_with_torch(lambda *t: F.conv2d(*t[:2], t[2] if bias else None, **options),
                       lambda *t: torch.nn.functional.conv2d(*t[:2], t[2] if bias else None, **options),
                       shapes, dtype)


@pytest.mark.parametrize("padding", [0, 1, 2, (2, 0), "same"])
@pytest.mark.parametrize("size", [(8, 8), (7, 5)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_winograd_conv2d_matches_torch(padding, size, dtype):
    """3x3 stride-1 convolutions of 8+ channels take Winograd's F(2x2, 3x3) path (odd sizes crop a tile)."""
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, padding=padding),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=padding),
                       [(3, 8, *size), (5, 8, 3, 3), (5,)], dtype)


def test_winograd_conv2d_gradgradcheck():
    inputs = [f64(2, 8, 3, 4, seed=0), f64(2, 8, 3, 3, seed=1), f64(2, seed=2)]
    conv = lambda x, w, b: F.conv2d(x, w, b, padding=1)  # noqa: E731
    assert gradcheck(conv, inputs)
    assert gradgradcheck(conv, inputs)


@pytest.mark.parametrize("options", [dict(padding=1), dict(stride=2, padding=1), dict(dilation=2, padding=(2, 1)),
                                     dict(padding=1, groups=3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_3x3_of_few_channels_matches_torch(options, dtype):
    """3x3 filters on fewer channels than Winograd takes: one product over (C, H, W, N)-ordered patches."""
    torch = pytest.importorskip("torch")
    shapes = [(2, 3, 9, 8), (6, 3 // options.get("groups", 1), 3, 3), (6,)]
    compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, **options),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **options), shapes, dtype)


def test_conv2d_3x3_of_few_channels_gradgradcheck():
    inputs = [f64(2, 1, 5, 4, seed=0), f64(3, 1, 3, 3, seed=1), f64(3, seed=2)]
    conv = lambda x, w, b: F.conv2d(x, w, b, padding=1)  # noqa: E731
    assert gradcheck(conv, inputs)
    assert gradgradcheck(conv, inputs)


def channels_last(x: np.ndarray, order=(2, 3, 0, 1)) -> np.ndarray:
    """x (N, C, H, W) with its memory in `order` (channels innermost), as conv2d's 3x3 routes leave it."""
    return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))


@pytest.mark.parametrize("order", [(2, 3, 0, 1), (0, 2, 3, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pools_on_channels_last_input_match_torch_and_keep_the_layout(order, dtype):
    """max_pool2d(2) of 16+ channels and global average pooling read channels-last input in place; their
    outputs (max-pool) and gradients stay channels-last."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = channels_last(rng.standard_normal((3, 16, 6, 4)).astype(dtype), order)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12)
    for ours, theirs in ((lambda t: F.max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2)),
                         (lambda t: F.adaptive_avg_pool2d(t, 1), lambda t: torch.nn.functional.adaptive_avg_pool2d(t, 1))):
        a, b = te.from_numpy(x).requires_grad_(), torch.tensor(x, requires_grad=True)
        out, expected = ours(a), theirs(b)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
        g = rng.standard_normal(out.shape).astype(dtype)
        (out * te.tensor(g)).sum().backward()
        (expected * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)
        assert a.grad.stride(1) == 1 and a.grad.dtype == dtype


def test_conv_stack_stays_channels_last():
    """conv2d's 3x3 routes give channels-last outputs, and batch norm, ReLU and max-pooling keep them."""
    rng = np.random.default_rng(8)
    x = te.tensor(rng.standard_normal((4, 1, 8, 8)).astype(np.float32))
    stack = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
    h = x
    for layer in stack:
        h = layer(h)
        assert h.stride(1) == 1, type(layer).__name__


def test_conv2d_unbatched_input():
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: torch.nn.functional.conv2d(x, w, padding=1),
                       [(3, 5, 5), (2, 3, 3, 3)])


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=3),
                                     dict(groups=3, dilation=2)])
def test_conv1d_matches_torch(options):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x, w, b: F.conv1d(x, w, b, **options),
                       lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **options),
                       [(2, 6, 11), (3, 6 // options.get("groups", 1), 3), (3,)])


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1, output_padding=1),
                                     dict(stride=(2, 3), dilation=2, output_padding=(1, 0)), dict(groups=2, stride=2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_transpose2d_matches_torch(options, dtype):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x, w, b: F.conv_transpose2d(x, w, b, **options),
                       lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **options),
                       [(2, 4, 5, 6), (4, 3, 3, 2), (3 * options.get("groups", 1),)], dtype)


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=2, padding=1, stride=(2, 1))])
def test_unfold_and_fold_match_torch(options):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: F.unfold(x, **options), lambda x: torch.nn.functional.unfold(x, **options),
                       [(2, 3, 7, 8)])
    blocks = torch.nn.functional.unfold(torch.zeros(1, 3, 7, 8), **options).shape
    compare_with_torch(lambda c: F.fold(c, (7, 8), **options), lambda c: torch.nn.functional.fold(c, (7, 8), **options),
                       [(2,) + tuple(blocks[1:])])


def test_unfold_is_the_windows_and_fold_its_adjoint():
    x = te.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    cols = F.unfold(x, 2, stride=2).detach().numpy()[0]
    np.testing.assert_array_equal(cols[:, 0], [0, 1, 4, 5])
    np.testing.assert_array_equal(cols[:, 3], [10, 11, 14, 15])
    rng = np.random.default_rng(0)
    a, c = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 3 * 4, 42))
    lhs = (F.unfold(te.tensor(a), 2, padding=1).detach().numpy() * c).sum()
    rhs = (a * F.fold(te.tensor(c), (6, 5), 2, padding=1).detach().numpy()).sum()
    assert lhs == pytest.approx(rhs)


def test_conv2d_is_cross_correlation():
    x = te.tensor(np.arange(9.0).reshape(1, 1, 3, 3))
    w = te.tensor(np.array([[[[1.0, 0.0], [0.0, -1.0]]]]))
    np.testing.assert_array_equal(F.conv2d(x, w).detach().numpy()[0, 0], [[-4, -4], [-4, -4]])


def f64(*shape, seed=0):
    return te.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("fn, shapes", [
    (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2), [(1, 2, 5, 4), (2, 1, 3, 2), (2,)]),
    (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), [(1, 2, 3, 3), (2, 1, 2, 3)]),
    (lambda x, w: F.conv1d(x, w, padding="same", dilation=2), [(1, 2, 6), (2, 2, 3)]),
    (lambda x: F.max_pool2d(x, 2, 1, padding=1), [(1, 2, 3, 4)]),
    (lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False), [(1, 2, 5, 4)]),
    (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(1, 2, 5, 4)]),
    (lambda x: F.adaptive_max_pool2d(x, (2, 3)), [(1, 2, 5, 4)]),
])
def test_gradcheck_and_gradgradcheck(fn, shapes):
    inputs = [f64(*s, seed=i) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


MAX_OPTIONS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=(2, 1),
               padding=1, dilation=2, ceil_mode=True), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=3, stride=1), dict(kernel_size=(3, 2), stride=(1, 3), padding=(1, 0), dilation=(1, 2))]


@pytest.mark.parametrize("options", MAX_OPTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool2d_matches_torch_with_indices(options, dtype):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: F.max_pool2d(x, **options, return_indices=True),
                       lambda x: torch.nn.functional.max_pool2d(x, **options, return_indices=True), [(2, 3, 9, 8)], dtype)


@pytest.mark.parametrize("options", MAX_OPTIONS)
def test_max_pool2d_ties_and_nan_match_torch(options):
    """Integer data ties often, overlapping windows share winners, and a NaN wins its windows: values,
    indices and the gradient (each window's to one element) as torch."""
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(3).integers(0, 3, (2, 3, 9, 8)).astype(np.float64)
    data[1, 2, 4, 4] = np.nan
    x, tx = te.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (out, indices), (expected, expected_indices) = (F.max_pool2d(x, **options, return_indices=True),
                                                    torch.nn.functional.max_pool2d(tx, **options, return_indices=True))
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    g = np.random.default_rng(4).standard_normal(out.shape)
    (out * te.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    with te.no_grad():
        np.testing.assert_array_equal(F.max_pool2d(x, **options, return_indices=True)[1].numpy(), indices.numpy())


@pytest.mark.parametrize("data", ["random", "ties", "nan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", [4, 16])
def test_max_pool2d_halving_matches_torch(data, dtype, channels):
    """max_pool2d(2) on even sizes, as the CNNs use it (from 16 channels on its own path): values and the
    gradient, which goes to each window's first maximum when maxima tie."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    shape = (3, channels, 8, 6)
    x = rng.standard_normal(shape) if data == "random" else rng.integers(0, 2, shape) * 1.0
    if data == "nan":
        x[1, 2, 3, 3] = np.nan
    x = x.astype(dtype)
    a, b = te.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.max_pool2d(a, 2), torch.nn.functional.max_pool2d(b, 2)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    g = rng.standard_normal(out.shape).astype(dtype)
    (out * te.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert a.grad.dtype == dtype


def test_max_pool2d_third_order_gradient_is_exact():
    """max_pool's gradient scatters, the scatter's gradient gathers, the gather's scatters again."""
    x = f64(1, 2, 5, 5)
    out = F.max_pool2d(x, 3, 1, padding=1)
    v = te.ones(out.shape, dtype=te.float64, requires_grad=True)
    (gv,) = te.autograd.grad(out, x, v, create_graph=True)
    (back,) = te.autograd.grad((gv * x).sum(), v, create_graph=True)
    np.testing.assert_allclose(back.detach().numpy(), out.detach().numpy())  # d/dv <J^T v, x> = J x = out
    w = te.tensor(np.random.default_rng(5).standard_normal(out.shape))
    (again,) = te.autograd.grad((back * w).sum(), x)  # = J^T w: the scatter once more
    (expected,) = te.autograd.grad(out, x, w)
    np.testing.assert_allclose(again.numpy(), expected.numpy())


def test_max_pool_ties_send_the_gradient_to_one_element_as_torch():
    x = te.zeros(1, 1, 4, 4, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy()[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
                                     dict(kernel_size=(2, 3), ceil_mode=True), dict(kernel_size=3, stride=2, padding=1,
                                                                                     ceil_mode=True),
                                     dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d_matches_torch(options):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: F.avg_pool2d(x, **options), lambda x: torch.nn.functional.avg_pool2d(x, **options),
                       [(2, 3, 9, 8)])


def test_pool1d_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    compare_with_torch(lambda x: F.max_pool1d(x, 3, 2, 1, return_indices=True),
                       lambda x: tf.max_pool1d(x, 3, 2, 1, return_indices=True), [(2, 3, 10)])
    compare_with_torch(lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                       lambda x: tf.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(2, 3, 10)])


@pytest.mark.parametrize("size", [1, 3, (3, None), (4, 2), (7, 5)])
def test_adaptive_pools_match_torch(size):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    compare_with_torch(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: tf.adaptive_avg_pool2d(x, size), [(2, 3, 7, 5)])
    compare_with_torch(lambda x: F.adaptive_max_pool2d(x, size, return_indices=True),
                       lambda x: tf.adaptive_max_pool2d(x, size, return_indices=True), [(2, 3, 7, 5)])


def test_bad_arguments_raise_as_torch():
    x, w = te.randn(1, 3, 5, 5), te.randn(4, 3, 3, 3)
    with pytest.raises(RuntimeError, match="channels"):
        F.conv2d(te.randn(1, 2, 5, 5), w)
    with pytest.raises(RuntimeError, match="4D"):
        F.conv2d(te.randn(5, 5), w)
    with pytest.raises(ValueError, match="same"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="smaller than the kernel"):
        F.conv2d(te.randn(1, 3, 2, 2), w)
    with pytest.raises(RuntimeError, match="half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="fold"):
        F.fold(te.randn(1, 12, 5), (4, 4), 2)


def test_convolution_workspace_is_freed_by_backward():
    """The transformed input patches (Winograd's, 4x the input here) are saved for the weight's gradient
    only until backward: afterwards, with the loss and its graph still alive, only the gradients remain
    allocated."""
    tracemalloc = pytest.importorskip("tracemalloc")
    rng = np.random.default_rng(0)
    x = te.tensor(rng.standard_normal((8, 16, 24, 24)).astype(np.float32), requires_grad=True)
    w = te.tensor(rng.standard_normal((16, 16, 3, 3)).astype(np.float32), requires_grad=True)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        loss = F.max_pool2d(F.conv2d(x, w, padding=1).relu(), 2).sum()
        during = tracemalloc.get_traced_memory()[0] - baseline
        loss.backward()
        after = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    patches = x.array.nbytes * 4
    assert during > patches  # the patches were held for backward ...
    grads = x.grad.array.nbytes + w.grad.array.nbytes
    assert after < grads + x.array.nbytes // 4, (after, grads)  # ... and are gone after it
    assert loss.grad_fn is not None


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "zeros"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same", "valid"])
def test_conv_layers_padding_modes_match_torch(mode, padding):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv2d(3, 4, 3, padding=padding, padding_mode=mode, dilation=(1, 2)).double()
    ours = te.nn.Conv2d(3, 4, 3, padding=padding, padding_mode=mode, dilation=(1, 2)).double()
    assert repr(ours) == repr(theirs)
    assert tuple(ours._reversed_padding_repeated_twice) == tuple(theirs._reversed_padding_repeated_twice)
    ours.load_state_dict({k: te.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    compare_with_torch(ours, theirs, [(2, 3, 7, 9)])
    one_d = [nn.Conv1d(3, 2, 3, padding=1 if padding == (2, 1) else padding, padding_mode=mode).double()
             for nn in (te.nn, torch.nn)]
    one_d[0].load_state_dict({k: te.tensor(v.detach().numpy()) for k, v in one_d[1].state_dict().items()})
    compare_with_torch(one_d[0], one_d[1], [(2, 3, 8)])


def test_conv_layers_reject_unknown_padding_modes_as_torch():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        te.nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        te.nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


@pytest.mark.parametrize("shape", [(1, 1, 12, 12), (1, 32, 3, 3)])  # the per-image and the rows layouts
def test_conv2d_names_itself_when_dtypes_differ(shape):
    weight = te.ones(2, shape[1], 2, 2)
    with pytest.raises(RuntimeError, match=r"conv2d\(\): input and weight must have the same dtype"):
        F.conv2d(te.ones(*shape, dtype=te.float64), weight)


@pytest.mark.parametrize("output_size", [(9, 10), (10, 9), [2, 4, 10, 10]])
def test_conv_transpose2d_output_size_matches_torch(output_size):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1).double()
    ours = te.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1).double()
    ours.load_state_dict({k: te.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    compare_with_torch(lambda x: ours(x, output_size=output_size), lambda x: theirs(x, output_size=output_size),
                       [(2, 3, 5, 5)])
    with pytest.raises(ValueError, match="valid sizes range from"):
        ours(te.ones(2, 3, 5, 5, dtype=te.float64), output_size=(12, 9))
