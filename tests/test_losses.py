"""Losses: closed forms on small hand-made inputs, gradcheck in float64 for every loss and option,
graphs made of primitive ops only, numerical stability, errors, and PyTorch as an extra oracle."""
from __future__ import annotations

import inspect
import math
from types import SimpleNamespace

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
import tinygrad_ed.nn.functional as F
from tinygrad_ed.autograd.engine import Primitive
from tinygrad_ed.autograd import gradcheck
from tinygrad_ed.ops import elementwise, index, matmul, movement, reduce

REDUCTIONS = ["mean", "sum", "none"]


def f64(data, requires_grad=True):
    return te.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def reduce_np(losses, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](losses)


def assert_close(tensor, expected, atol=1e-12):
    np.testing.assert_allclose(tensor.detach().numpy(), expected, rtol=1e-10, atol=atol)


# ---------------------------------------------------------------------------------------------
# every loss, each with its options: the cases gradcheck, the graph walk and torch all use

RNG = np.random.default_rng(7)
X43 = RNG.standard_normal((4, 3))
Y4 = np.array([0, 2, 1, 2])
Y4_IGNORED = np.array([0, -100, 1, 2])
W3 = np.array([0.2, 1.0, 3.0])
P43 = RNG.dirichlet(np.ones(3), 4)
X4D = RNG.standard_normal((2, 3, 2, 2))
Y4D = RNG.integers(0, 3, (2, 2, 2))
Y4D[0, 1, 0] = -100
P4D = RNG.dirichlet(np.ones(3), (2, 2, 2)).transpose(0, 3, 1, 2).copy()
A34, B34 = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4)) * 2
PROBS34 = RNG.uniform(0.05, 0.95, (3, 4))
TARGETS34 = RNG.uniform(0, 1, (3, 4))
WEIGHT34 = RNG.uniform(0.5, 2, (3, 4))
LOGITS34 = RNG.standard_normal((3, 4)) * 3
LOGITS34[0, 0] = 0.0  # the kink of max(-x, 0): the gradient must still be sigmoid(x) - y there
POS_WEIGHT4 = np.array([0.5, 1.0, 2.0, 3.0])


def case(name, te_fn, torch_fn, inputs, grads, **kwargs):
    """inputs: arrays; grads: which of them are differentiated (float inputs only); kwargs' arrays
    (weights) become Tensors for te_fn, as losses take only Tensors."""
    te_kwargs = {k: te.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return pytest.param(te_fn, torch_fn, inputs, grads, te_kwargs, id=name)


CASES = []
for red in REDUCTIONS:
    CASES += [
        case(f"l1-{red}", F.l1_loss, "l1_loss", [A34, B34], [True, True], reduction=red),
        case(f"mse-{red}", F.mse_loss, "mse_loss", [A34, B34], [True, True], reduction=red),
        case(f"huber-0.5-{red}", F.huber_loss, "huber_loss", [A34, B34], [True, True], reduction=red, delta=0.5),
        case(f"huber-2-{red}", F.huber_loss, "huber_loss", [A34, B34], [True, True], reduction=red, delta=2.0),
        case(f"smooth_l1-0.5-{red}", F.smooth_l1_loss, "smooth_l1_loss", [A34, B34], [True, True],
             reduction=red, beta=0.5),
        case(f"ce-{red}", F.cross_entropy, "cross_entropy", [X43, Y4], [True, False], reduction=red),
        case(f"ce-weight-ignore-{red}", F.cross_entropy, "cross_entropy", [X43, Y4_IGNORED], [True, False],
             reduction=red, weight=W3),
        case(f"ce-ignore-class-{red}", F.cross_entropy, "cross_entropy", [X43, Y4], [True, False],
             reduction=red, ignore_index=2),
        case(f"ce-smoothing-{red}", F.cross_entropy, "cross_entropy", [X43, Y4_IGNORED], [True, False],
             reduction=red, label_smoothing=0.3),
        case(f"ce-smoothing-weight-{red}", F.cross_entropy, "cross_entropy", [X43, Y4_IGNORED], [True, False],
             reduction=red, label_smoothing=0.3, weight=W3),
        case(f"ce-4d-{red}", F.cross_entropy, "cross_entropy", [X4D, Y4D], [True, False], reduction=red,
             weight=W3, label_smoothing=0.1),
        case(f"ce-unbatched-{red}", F.cross_entropy, "cross_entropy", [X43[0], np.array(2)], [True, False],
             reduction=red, weight=W3, label_smoothing=0.1),
        case(f"ce-probs-{red}", F.cross_entropy, "cross_entropy", [X43, P43], [True, True], reduction=red),
        case(f"ce-probs-weight-smoothing-{red}", F.cross_entropy, "cross_entropy", [X43, P43], [True, True],
             reduction=red, weight=W3, label_smoothing=0.2),
        case(f"ce-probs-4d-{red}", F.cross_entropy, "cross_entropy", [X4D, P4D], [True, True], reduction=red,
             weight=W3, label_smoothing=0.1),
        case(f"ce-probs-unbatched-{red}", F.cross_entropy, "cross_entropy", [X43[0], P43[0]], [True, True],
             reduction=red),
        case(f"nll-{red}", F.nll_loss, "nll_loss", [X43, Y4_IGNORED], [True, False], reduction=red, weight=W3),
        case(f"nll-4d-{red}", F.nll_loss, "nll_loss", [X4D, Y4D], [True, False], reduction=red),
        case(f"nll-unbatched-{red}", F.nll_loss, "nll_loss", [X43[0], np.array(1)], [True, False], reduction=red),
        case(f"bce-{red}", F.binary_cross_entropy, "binary_cross_entropy", [PROBS34, TARGETS34], [True, True],
             reduction=red),
        case(f"bce-weight-{red}", F.binary_cross_entropy, "binary_cross_entropy", [PROBS34, TARGETS34],
             [True, True], reduction=red, weight=WEIGHT34),
        case(f"bce-logits-{red}", F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits",
             [LOGITS34, TARGETS34], [True, True], reduction=red),
        case(f"bce-logits-weights-{red}", F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits",
             [LOGITS34, TARGETS34], [True, True], reduction=red, weight=WEIGHT34, pos_weight=POS_WEIGHT4),
    ]


@pytest.mark.parametrize("te_fn, torch_name, inputs, grads, kwargs", CASES)
def test_gradcheck_every_loss(te_fn, torch_name, inputs, grads, kwargs):
    tensors = [te.tensor(a, requires_grad=g) for a, g in zip(inputs, grads)]
    assert gradcheck(lambda *ts: te_fn(*ts, **kwargs), tensors)


@pytest.mark.parametrize("te_fn, torch_name, inputs, grads, kwargs", CASES)
def test_every_loss_is_twice_differentiable(te_fn, torch_name, inputs, grads, kwargs, gradgradcheck):
    # what a gradient penalty needs: the gradient of the loss is itself differentiable
    tensors = [te.tensor(a, requires_grad=g) for a, g in zip(inputs, grads)]
    target = tensors[1]
    if target.requires_grad:
        assert gradgradcheck(lambda x, t: te_fn(x, t, **kwargs), tensors)
    else:
        assert gradgradcheck(lambda x: te_fn(x, target, **kwargs), tensors[:1])


PRIMITIVES = {cls for module in (elementwise, reduce, movement, index, matmul)
              for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, Primitive) and cls is not Primitive and cls.__module__ == module.__name__}


def graph_nodes(tensor):
    nodes, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in nodes:
            continue
        nodes.add(node)
        stack += [edge for edge in node.edges if isinstance(edge, Primitive)]
    return nodes


@pytest.mark.parametrize("te_fn, torch_name, inputs, grads, kwargs", CASES)
def test_every_loss_is_composed_of_primitive_ops(te_fn, torch_name, inputs, grads, kwargs):
    loss = te_fn(*[te.tensor(a, requires_grad=g) for a, g in zip(inputs, grads)], **kwargs)
    nodes = graph_nodes(loss)
    assert nodes  # recorded, not computed outside the graph
    assert {type(n) for n in nodes} <= PRIMITIVES, {type(n).__qualname__ for n in nodes} - PRIMITIVES
    assert all(type(n).__module__.startswith("tinygrad_ed.ops.") for n in nodes)


def test_no_loss_module_defines_a_backward():
    for cls in (nn.L1Loss, nn.MSELoss, nn.HuberLoss, nn.SmoothL1Loss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss,
                nn.BCEWithLogitsLoss):
        assert not issubclass(cls, Primitive) and not hasattr(cls, "backward")


@pytest.mark.parametrize("te_fn, torch_name, inputs, grads, kwargs", CASES)
def test_every_loss_matches_torch(te_fn, torch_name, inputs, grads, kwargs):
    torch = pytest.importorskip("torch")
    mine = [te.tensor(a, requires_grad=g) for a, g in zip(inputs, grads)]
    theirs = [torch.tensor(a, requires_grad=g) for a, g in zip(inputs, grads)]
    torch_kwargs = {k: torch.tensor(v.numpy()) if isinstance(v, te.Tensor) else v for k, v in kwargs.items()}
    loss = te_fn(*mine, **kwargs)
    expected = getattr(torch.nn.functional, torch_name)(*theirs, **torch_kwargs)
    np.testing.assert_allclose(loss.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert loss.shape == tuple(expected.shape)
    direction = RNG.standard_normal(loss.shape)
    (loss * te.tensor(direction)).sum().backward()
    (expected * torch.tensor(direction)).sum().backward()
    for a, b in zip(mine, theirs):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-12)




# The closed-form tests below write targets and weights as arrays and lists; losses take only Tensors
# (tests/test_front_door.py), so FA and NNA are F and nn with such arguments wrapped by te.tensor.

def _as_tensor(value):
    return te.tensor(value) if isinstance(value, (np.ndarray, list)) else value


def _wrapping_arrays(fn):
    def call(*args, **kwargs):
        result = fn(*map(_as_tensor, args), **{k: _as_tensor(v) for k, v in kwargs.items()})
        return _wrapping_arrays(result) if isinstance(result, nn.Module) else result
    return call


FA = SimpleNamespace(**{name: _wrapping_arrays(getattr(F, name)) for name in F.__all__})
NNA = SimpleNamespace(**{name: _wrapping_arrays(getattr(nn, name)) for name in nn.__all__ if name.endswith("Loss")})

# ---------------------------------------------------------------------------------------------
# regression losses: closed forms


@pytest.mark.parametrize("reduction, expected", [("mean", 1.0), ("sum", 3.0), ("none", [1.0, 2.0, 0.0])])
def test_l1_closed_form(reduction, expected):
    x = f64([1.0, 2.0, 3.0])
    loss = FA.l1_loss(x, f64([2.0, 0.0, 3.0], False), reduction=reduction)
    assert_close(loss, expected)
    assert_close(NNA.L1Loss(reduction=reduction)(x, f64([2.0, 0.0, 3.0], False)), expected)
    loss.sum().backward()
    scale = 1 / 3 if reduction == "mean" else 1.0
    assert_close(x.grad, np.array([-1.0, 1.0, 0.0]) * scale)  # sign(d), 0 at d = 0 as torch


@pytest.mark.parametrize("reduction, expected", [("mean", 5 / 3), ("sum", 5.0), ("none", [1.0, 4.0, 0.0])])
def test_mse_closed_form(reduction, expected):
    x = f64([1.0, 2.0, 3.0])
    loss = FA.mse_loss(x, [2.0, 0.0, 3.0], reduction=reduction)
    assert_close(loss, expected, atol=1e-6)  # the list target is float32, as torch would make it
    assert_close(NNA.MSELoss(reduction=reduction)(x, np.array([2.0, 0.0, 3.0])), expected)
    loss.sum().backward()
    scale = 1 / 3 if reduction == "mean" else 1.0
    assert_close(x.grad, np.array([-2.0, 4.0, 0.0]) * scale, atol=1e-6)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_closed_form(delta):
    d = np.array([-3.0, -delta, -0.4 * delta, 0.0, 0.3 * delta, delta, 2.5 * delta])
    x = f64(d)
    loss = FA.huber_loss(x, np.zeros(7), reduction="none", delta=delta)
    expected = np.where(np.abs(d) < delta, 0.5 * d ** 2, delta * (np.abs(d) - 0.5 * delta))
    assert_close(loss, expected)
    assert_close(NNA.HuberLoss(reduction="none", delta=delta)(x, np.zeros(7)), expected)
    loss.sum().backward()
    assert_close(x.grad, np.clip(d, -delta, delta))  # d inside, delta * sign(d) outside
    assert_close(FA.huber_loss(f64(d), np.zeros(7), delta=delta), expected.mean())
    assert_close(FA.huber_loss(f64(d), np.zeros(7), reduction="sum", delta=delta), expected.sum())


@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_switches_at_delta_with_continuous_value_and_slope(delta):
    eps = 1e-7
    d = np.array([delta - eps, delta, delta + eps, -delta - eps, -delta + eps])
    x = f64(d)
    loss = FA.huber_loss(x, np.zeros(5), reduction="none", delta=delta)
    loss.sum().backward()
    value, slope = loss.detach().numpy(), x.grad.detach().numpy()
    # value 0.5 delta^2 and slope delta on both sides of the switch
    np.testing.assert_allclose(value, 0.5 * delta ** 2 + delta * (np.abs(d) - delta), atol=1e-13)
    np.testing.assert_allclose(np.abs(slope), delta, atol=2e-7)
    # quadratic below: doubling a small error quadruples the loss; linear above: it grows by delta per unit
    small = FA.huber_loss(f64([0.1 * delta, 0.2 * delta]), np.zeros(2), reduction="none", delta=delta).detach().numpy()
    np.testing.assert_allclose(small[1] / small[0], 4.0)
    big = FA.huber_loss(f64([2 * delta, 3 * delta, 4 * delta]), np.zeros(3), reduction="none", delta=delta).detach().numpy()
    np.testing.assert_allclose(np.diff(big), [delta * delta, delta * delta])


def test_smooth_l1_is_huber_over_beta_and_l1_at_beta_zero():
    x, y = f64(A34), f64(B34, False)
    for beta in (0.5, 1.0, 2.0):
        assert_close(FA.smooth_l1_loss(x, y, beta=beta), FA.huber_loss(x, y, delta=beta).detach().numpy() / beta)
        assert_close(NNA.SmoothL1Loss(beta=beta)(x, y), FA.huber_loss(x, y, delta=beta).detach().numpy() / beta)
    assert_close(FA.smooth_l1_loss(x, y, beta=0.0), FA.l1_loss(x, y).detach().numpy())


# ---------------------------------------------------------------------------------------------
# cross-entropy and nll: closed forms


def test_red_green_blue_cross_entropy():
    # three classes red, green, blue; the model predicts [0.7, 0.2, 0.1]; the one-hot target is red
    probabilities = np.array([0.7, 0.2, 0.1])
    logits = f64(np.log(probabilities)[None])
    loss = FA.cross_entropy(logits, [0])
    assert_close(loss, -math.log(0.7))
    assert_close(NNA.CrossEntropyLoss()(logits, [0]), -math.log(0.7))
    assert_close(FA.cross_entropy(logits, [[1.0, 0.0, 0.0]]), -math.log(0.7))  # the same one-hot as probabilities
    for true_class, p in enumerate(probabilities):
        assert_close(FA.cross_entropy(logits, [true_class]), -math.log(p))
    loss.backward()
    assert_close(logits.grad, [[0.7 - 1, 0.2, 0.1]])  # softmax - one_hot
    # a batch: the mean of -log p(true class); the more confident the right answer, the smaller the loss
    batch = f64(np.log([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]))
    assert_close(FA.cross_entropy(batch, [0, 1, 2]), -(math.log(0.7) + math.log(0.8) + math.log(0.4)) / 3)
    assert_close(FA.cross_entropy(batch, [0, 1, 2], reduction="none"), -np.log([0.7, 0.8, 0.4]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_is_log_softmax_then_nll(reduction):
    x = f64(X43)
    expected = FA.nll_loss(f64(X43).log_softmax(1), Y4_IGNORED, weight=W3, reduction=reduction)
    assert_close(FA.cross_entropy(x, Y4_IGNORED, weight=W3, reduction=reduction), expected.detach().numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_closed_form_with_weight_and_ignore_index(reduction):
    log_probs = log_softmax(X43, 1)
    picked = -log_probs[np.arange(4), np.where(Y4_IGNORED < 0, 0, Y4_IGNORED)]
    w = np.where(Y4_IGNORED < 0, 0.0, W3[np.where(Y4_IGNORED < 0, 0, Y4_IGNORED)])
    losses = w * picked
    expected = losses.sum() / w.sum() if reduction == "mean" else reduce_np(losses, reduction)  # torch's mean
    x = f64(log_probs)
    loss = FA.nll_loss(x, Y4_IGNORED, weight=W3, reduction=reduction)
    assert_close(loss, expected)
    assert_close(NNA.NLLLoss(weight=W3, reduction=reduction)(x, Y4_IGNORED), expected)
    loss.sum().backward()
    assert np.all(x.grad.numpy()[1] == 0)  # the ignored row gets no gradient


def test_ignore_index_drops_samples_from_loss_gradient_and_mean():
    x = f64(X43)
    ignored_row = np.array([0, 7, 1, 2])
    loss = FA.cross_entropy(x, ignored_row, ignore_index=7)
    kept = [0, 2, 3]
    assert_close(loss, FA.cross_entropy(f64(X43[kept]), ignored_row[kept]).detach().numpy())
    loss.backward()
    assert np.all(x.grad.detach().numpy()[1] == 0)
    # an ignore_index that is a real class drops every sample of that class
    assert_close(FA.cross_entropy(f64(X43), Y4, ignore_index=2), FA.cross_entropy(f64(X43[[0, 2]]), Y4[[0, 2]]).detach().numpy())
    assert_close(FA.cross_entropy(f64(X43), ignored_row, ignore_index=7, reduction="none")[1], 0.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_every_target_ignored_gives_nan_mean_and_zero_gradients_as_torch(reduction):
    x = f64(X43)
    loss = FA.cross_entropy(x, [-100] * 4, reduction=reduction, label_smoothing=0.1)
    if reduction == "mean":
        assert np.isnan(loss.item())
    else:
        assert np.all(loss.detach().numpy() == 0)
    loss.sum().backward()
    assert np.all(x.grad.numpy() == 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_closed_form(reduction, weighted):
    eps, classes = 0.3, 3
    w = W3 if weighted else np.ones(3)
    log_probs = log_softmax(X43, 1)
    counted = Y4_IGNORED != -100
    safe = np.where(counted, Y4_IGNORED, 0)
    nll = -w[safe] * log_probs[np.arange(4), safe] * counted
    smooth = -(w * log_probs).sum(1) * counted
    losses = (1 - eps) * nll + eps / classes * smooth
    expected = losses.sum() / (w[safe] * counted).sum() if reduction == "mean" else reduce_np(losses, reduction)
    loss = FA.cross_entropy(f64(X43), Y4_IGNORED, weight=w if weighted else None, reduction=reduction,
                           label_smoothing=eps)
    assert_close(loss, expected)
    module = NNA.CrossEntropyLoss(weight=w if weighted else None, reduction=reduction, label_smoothing=eps)
    assert_close(module(f64(X43), Y4_IGNORED), expected)


def test_label_smoothing_equals_smoothed_probability_targets_without_weights():
    eps = 0.2
    smoothed = (1 - eps) * np.eye(3)[Y4] + eps / 3
    assert_close(FA.cross_entropy(f64(X43), Y4, label_smoothing=eps), FA.cross_entropy(f64(X43), smoothed).detach().numpy())
    # full smoothing: the uniform target, whatever the labels
    assert_close(FA.cross_entropy(f64(X43), Y4, label_smoothing=1.0), -log_softmax(X43, 1).mean(1).mean())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_probability_targets_closed_form(reduction):
    eps = 0.1
    targets = (1 - eps) * P43 + eps / 3
    losses = -(W3 * targets * log_softmax(X43, 1)).sum(1)
    expected = reduce_np(losses, reduction)  # 'mean' divides by N, not by the weights, as torch
    assert_close(FA.cross_entropy(f64(X43), P43, weight=W3, reduction=reduction, label_smoothing=eps), expected)
    probs_grad = f64(P43)
    FA.cross_entropy(f64(X43), probs_grad).backward()
    assert_close(probs_grad.grad, -log_softmax(X43, 1) / 4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", ["indices", "probabilities"])
def test_spatial_inputs_equal_the_flattened_batch(reduction, targets):
    # (N, C, d1, d2) is (N * d1 * d2, C) with the class dimension moved last
    flat_x = X4D.transpose(0, 2, 3, 1).reshape(-1, 3)
    if targets == "indices":
        target, flat_target = Y4D, Y4D.reshape(-1)
    else:
        target, flat_target = P4D, P4D.transpose(0, 2, 3, 1).reshape(-1, 3)
    loss = FA.cross_entropy(f64(X4D), target, weight=W3, reduction=reduction, label_smoothing=0.1)
    flat = FA.cross_entropy(f64(flat_x), flat_target, weight=W3, reduction=reduction, label_smoothing=0.1)
    assert loss.shape == ((2, 2, 2) if reduction == "none" else ())
    assert_close(loss, flat.detach().numpy().reshape(loss.shape))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched_input_is_a_batch_of_one(reduction):
    for target, batched in ((np.array(1), [1]), (P43[0], P43[:1])):
        loss = FA.cross_entropy(f64(X43[0]), target, weight=W3, reduction=reduction, label_smoothing=0.1)
        expected = FA.cross_entropy(f64(X43[:1]), batched, weight=W3, reduction=reduction, label_smoothing=0.1)
        assert loss.shape == ()
        assert_close(loss, expected.detach().numpy().reshape(()))
    assert_close(FA.nll_loss(f64(X43[0]), np.array(2), reduction=reduction), -X43[0, 2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_with_huge_logits_is_finite(dtype):
    x = te.tensor(np.array([[1e3, -1e3, 0.0], [0.0, 1e3, 1e3], [-1e3, -1e3, -1e3]], dtype), requires_grad=True)
    loss = FA.cross_entropy(x, [1, 0, 2], reduction="none")
    loss.sum().backward()
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.detach().numpy(), [2000.0, 1000.0 + math.log(2), math.log(3)], rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [[1, -1, 0], [-1, 0.5, 0.5], [1 / 3, 1 / 3, -2 / 3]], atol=1e-6)
    x.grad = None
    FA.cross_entropy(x, [1, 0, 2], label_smoothing=0.1).backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    x.grad = None
    loss = FA.cross_entropy(x, np.eye(3, dtype=dtype)[[1, 0, 2]])
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.numpy()))


# ---------------------------------------------------------------------------------------------
# binary cross-entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_closed_form(reduction):
    p, y = np.array([0.9, 0.2, 0.5, 0.7]), np.array([1.0, 0.0, 1.0, 0.25])
    losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    x = f64(p)
    loss = FA.binary_cross_entropy(x, y, reduction=reduction)
    assert_close(loss, reduce_np(losses, reduction))
    assert_close(NNA.BCELoss(reduction=reduction)(x, y), reduce_np(losses, reduction))
    assert_close(FA.binary_cross_entropy(x, y, weight=np.arange(4.0), reduction=reduction),
                 reduce_np(np.arange(4.0) * losses, reduction))
    FA.binary_cross_entropy(x, y, reduction="sum").backward()
    assert_close(x.grad, (p - y) / (p * (1 - p)))


def test_bce_clamps_the_log_at_minus_100_as_torch():
    loss = FA.binary_cross_entropy(f64([0.0, 1.0, 0.0, 1.0]), [1.0, 0.0, 0.0, 1.0], reduction="none")
    assert_close(loss, [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_closed_form(reduction):
    x, y = np.array([0.0, 2.0, -1.0, 3.0]), np.array([1.0, 0.0, 0.5, 1.0])
    sig = 1 / (1 + np.exp(-x))
    pos_weight = np.array([2.0, 3.0, 0.5, 1.0])
    losses = -(pos_weight * y * np.log(sig) + (1 - y) * np.log(1 - sig))
    logits = f64(x)
    loss = FA.binary_cross_entropy_with_logits(logits, y, reduction=reduction, pos_weight=pos_weight)
    assert_close(loss, reduce_np(losses, reduction))
    assert_close(NNA.BCEWithLogitsLoss(reduction=reduction, pos_weight=pos_weight)(logits, y),
                 reduce_np(losses, reduction))
    plain = -(y * np.log(sig) + (1 - y) * np.log(1 - sig))
    assert_close(FA.binary_cross_entropy_with_logits(f64(x), y, weight=np.full(4, 2.0), reduction=reduction),
                 reduce_np(2 * plain, reduction))
    assert_close(FA.binary_cross_entropy_with_logits(f64(x), y), FA.binary_cross_entropy(f64(sig), y).detach().numpy())
    FA.binary_cross_entropy_with_logits(logits, y, reduction="sum").backward()
    assert_close(logits.grad, sig - y)  # including x = 0: 0.5 - y


def test_bce_with_logits_gradient_at_zero_logit():
    # a model initialised at zero outputs logit 0: the gradient must be sigmoid(0) - y = 0.5 - y
    x = f64(np.zeros(3))
    FA.binary_cross_entropy_with_logits(x, [1.0, 0.0, 0.25], reduction="sum").backward()
    assert_close(x.grad, [-0.5, 0.5, 0.25])
    x = f64(np.zeros(2))
    FA.binary_cross_entropy_with_logits(x, [1.0, 1.0], reduction="sum", pos_weight=np.array([3.0, 1.0])).backward()
    assert_close(x.grad, [-1.5, -0.5])  # -pos_weight * y * (1 - sigmoid(0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_huge_logits_are_finite(dtype):
    x = te.tensor(np.array([1e3, -1e3, 1e3, -1e3, 50.0], dtype), requires_grad=True)
    loss = FA.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 1.0, 0.0, 0.0], dtype), reduction="none",
                                              pos_weight=np.array([2.0, 2.0, 2.0, 2.0, 2.0], dtype))
    loss.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(), [1e3, 2e3, 0.0, 0.0, 50.0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -2.0, 0.0, 0.0, 1.0], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# modules, validation


def test_loss_modules_are_modules_with_forward():
    for module in (nn.L1Loss(), nn.MSELoss(), nn.HuberLoss(), nn.SmoothL1Loss(), nn.CrossEntropyLoss(),
                   nn.NLLLoss(), nn.BCELoss(), nn.BCEWithLogitsLoss()):
        assert isinstance(module, nn.Module) and module.reduction == "mean"
        assert list(module.parameters()) == []
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"


def test_f_exposes_every_loss_and_activation():
    for name in ("l1_loss", "mse_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
                 "binary_cross_entropy", "binary_cross_entropy_with_logits", "relu", "sigmoid", "tanh", "softmax",
                 "log_softmax", "linear", "dropout"):
        assert callable(getattr(F, name))


@pytest.mark.parametrize("make", [
    lambda: FA.mse_loss(f64(A34), B34, reduction="avg"),
    lambda: nn.CrossEntropyLoss(reduction="avg"),
    lambda: FA.cross_entropy(f64(X43), Y4, reduction="total"),
    lambda: FA.cross_entropy(f64(X43), Y4, label_smoothing=1.5),
    lambda: FA.cross_entropy(f64(X43), Y4, label_smoothing=-0.1),
    lambda: FA.huber_loss(f64(A34), B34, delta=0.0),
    lambda: FA.smooth_l1_loss(f64(A34), B34, beta=-1.0),
    lambda: FA.binary_cross_entropy(f64([1.5]), [1.0]),
    lambda: FA.binary_cross_entropy(f64([-0.1]), [1.0]),
])
def test_invalid_arguments_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_bad_targets_raise():
    with pytest.raises(IndexError, match="out of bounds"):
        FA.cross_entropy(f64(X43), [0, 1, 3, 0])
    with pytest.raises(IndexError):
        FA.nll_loss(f64(X43), [0, -1, 1, 0])
    with pytest.raises(ValueError):  # wrong target shape (ShapeError is a ValueError and a RuntimeError)
        FA.cross_entropy(f64(X43), [0, 1, 2])
    with pytest.raises(RuntimeError):
        FA.cross_entropy(f64(X43), P43[:, :2])
    with pytest.raises(ValueError):
        FA.cross_entropy(f64(X43), Y4, weight=[1.0, 2.0])
    with pytest.raises(ValueError):
        FA.mse_loss(f64(A34), B34[:, :2])
    with pytest.raises(TypeError):
        FA.cross_entropy(te.tensor([[1, 2, 3]]), [0])


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss", "smooth_l1_loss"])
def test_regression_losses_broadcast_a_target_of_another_shape_with_torchs_warning(name):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((4, 1))
    target = np.random.default_rng(2).standard_normal(4)  # (4, 1) against (4,): a 4x4 matrix of differences
    ours = te.tensor(x, requires_grad=True)
    with pytest.warns(UserWarning, match=f"{name}: Using a target size .* different to the input size"):
        loss = getattr(F, name)(ours, te.tensor(target))
    loss.backward()
    theirs = torch.tensor(x, requires_grad=True)
    with pytest.warns(UserWarning, match="Using a target size"):
        expected = getattr(torch.nn.functional, name)(theirs, torch.tensor(target))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match=rf"{name}: target shape \(3,\) does not broadcast with input shape \(4,\)"):
        getattr(F, name)(te.ones(4), te.ones(3))
