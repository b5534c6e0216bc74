"""kl_div, margin and embedding losses, Poisson and Gaussian NLL, and their nn.*Loss modules: torch
(float64, every reduction), closed forms, gradcheck and gradgradcheck, torch's errors and warnings."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed import nn
from tinygrad_ed.autograd import gradcheck, gradgradcheck

REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def signs(*shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def log_probs(*shape, seed=0):
    x = randn(*shape, seed=seed)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


# name -> (inputs that take gradients, other arguments, keyword variants); every array is float64
CASES = {
    "kl_div": ([log_probs(3, 4)], [np.exp(log_probs(3, 4, seed=1))], [{}, {"reduction": "batchmean"}]),
    "kl_div-log_target": ([log_probs(3, 4)], [log_probs(3, 4, seed=1)], [{"log_target": True}]),
    "kl_div-zeros": ([log_probs(2, 3)], [np.array([[0.0, 0.3, 0.7], [1.0, 0.0, 0.0]])], [{}]),
    "margin_ranking_loss": ([randn(6), randn(6, seed=1)], [signs(6, seed=2)], [{}, {"margin": 0.5}]),
    "soft_margin_loss": ([randn(3, 4)], [signs(3, 4, seed=1)], [{}]),
    "hinge_embedding_loss": ([randn(3, 4)], [signs(3, 4, seed=1)], [{}, {"margin": 0.5}]),
    "cosine_embedding_loss": ([randn(5, 4), randn(5, 4, seed=1)], [signs(5, seed=2)], [{}, {"margin": 0.2}]),
    "cosine_embedding_loss-1d": ([randn(4), randn(4, seed=1)], [np.array(-1.0)], [{"margin": -0.5}]),
    "multi_margin_loss": ([randn(5, 4)], [np.array([0, 3, 1, 1, 2])],
                          [{}, {"p": 2}, {"margin": 0.5, "weight": np.array([1.0, 2.0, 0.5, 3.0])}]),
    "multi_margin_loss-1d": ([randn(4)], [np.array(2)], [{}, {"p": 2, "margin": 2.0}]),
    "triplet_margin_loss": ([randn(5, 4), randn(5, 4, seed=1), randn(5, 4, seed=2)], [],
                            [{}, {"margin": 2.0, "p": 1.0}, {"swap": True}, {"p": 3.0, "eps": 1e-3}]),
    "triplet_margin_with_distance_loss": ([randn(5, 4), randn(5, 4, seed=1), randn(5, 4, seed=2)], [],
                                          [{}, {"margin": 0.5, "swap": True}]),
    "multilabel_soft_margin_loss": ([randn(3, 4)], [(randn(3, 4, seed=1) > 0).astype(float)],
                                    [{}, {"weight": np.array([1.0, 0.5, 2.0, 1.5])}]),
    "multilabel_margin_loss": ([randn(3, 4)], [np.array([[3, 0, -1, 1], [1, 2, -1, -1], [-1, 0, 1, 2]])], [{}]),
    "multilabel_margin_loss-1d": ([randn(5)], [np.array([4, 0, 2, -1, 1])], [{}]),
    "poisson_nll_loss": ([randn(3, 4)], [np.random.default_rng(1).poisson(2.0, (3, 4)).astype(float)],
                         [{}, {"full": True}]),
    "poisson_nll_loss-rates": ([np.abs(randn(3, 4)) + 0.1], [np.random.default_rng(1).poisson(2.0, (3, 4))
                                                             .astype(float)], [{"log_input": False, "full": True}]),
    "gaussian_nll_loss": ([randn(3, 4), np.abs(randn(3, 4, seed=2)) + 0.1], [randn(3, 4, seed=1)],
                          [{}, {"full": True}]),
    "gaussian_nll_loss-shared-var": ([randn(3, 4), np.abs(randn(3, 1, seed=2)) + 0.1], [randn(3, 4, seed=1)], [{}]),
    "gaussian_nll_loss-one-fewer": ([randn(3, 4), np.abs(randn(3, seed=2)) + 0.1], [randn(3, 4, seed=1)], [{}]),
}


def call(module, name, grads, others, kwargs, to_tensor):
    function = getattr(module, name.split("-")[0])
    kwargs = {k: to_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    if name.startswith("gaussian"):  # (input, target, var)
        return function(grads[0], to_tensor(others[0]), grads[1], **kwargs)
    return function(*grads, *(to_tensor(o) for o in others), **kwargs)


def params():
    for name, (_, _, variants) in CASES.items():
        for kwargs in variants:
            yield pytest.param(name, kwargs, id=f"{name}-{kwargs}")


@pytest.mark.parametrize("name,kwargs", list(params()))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_matches_torch(name, kwargs, reduction):
    torch = pytest.importorskip("torch")
    grads, others, _ = CASES[name]
    if "reduction" in kwargs:
        if reduction != "mean":
            pytest.skip("the variant sets its own reduction")
        reduction = kwargs["reduction"]
    kwargs = {**kwargs, "reduction": reduction}
    ours = [te.tensor(g, requires_grad=True) for g in grads]
    theirs = [torch.tensor(g, requires_grad=True) for g in grads]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning: tested below
        out = call(F, name, ours, others, kwargs, te.tensor)
        expected = call(torch.nn.functional, name, theirs, others, kwargs, torch.tensor)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = randn(*expected.shape, seed=9)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.detach().numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name,kwargs", list(params()))
def test_gradcheck_and_gradgradcheck(name, kwargs):
    grads, others, _ = CASES[name]
    leaves = [te.tensor(g, requires_grad=True) for g in grads]
    kwargs = {"reduction": "sum", **kwargs}

    def loss(*xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(F, name, list(xs), others, kwargs, te.tensor)

    assert gradcheck(loss, leaves)
    assert gradgradcheck(loss, leaves)


def test_closed_forms():
    x = te.tensor([[0.5, -1.0, 2.0]], dtype=te.float64)
    # the SVM loss of the micrograd demo: sum over wrong classes of max(0, 1 - s_y + s_i), / C
    expected = (max(0, 1 - 2.0 + 0.5) + max(0, 1 - 2.0 - 1.0)) / 3
    assert F.multi_margin_loss(x, te.tensor([2])).item() == pytest.approx(expected, rel=1e-15)
    assert F.multi_margin_loss(x, te.tensor([1])).item() == pytest.approx((2.5 + 4.0) / 3, rel=1e-15)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.6, 0.3])
    kl = F.kl_div(te.tensor(np.log(q)), te.tensor(p), reduction="sum").item()
    assert kl == pytest.approx((p * np.log(p / q)).sum(), rel=1e-14)
    x1, x2 = te.tensor([1.0, 2.0]), te.tensor([3.0, 1.0])
    assert F.margin_ranking_loss(x1, x2, te.tensor([1.0, 1.0]), margin=0.5).item() == pytest.approx(1.25)
    assert F.hinge_embedding_loss(te.tensor([0.3, 2.0]), te.tensor([1.0, -1.0])).item() == pytest.approx(0.15)
    var = te.tensor([2.0])
    nll = F.gaussian_nll_loss(te.tensor([1.0]), te.tensor([3.0]), var, full=True).item()
    assert nll == pytest.approx(0.5 * (math.log(2.0) + 4 / 2.0 + math.log(2 * math.pi)), rel=1e-6)
    a, pos, neg = te.tensor([[0.0, 0.0]]), te.tensor([[3.0, 4.0]]), te.tensor([[1.0, 0.0]])
    assert F.triplet_margin_loss(a, pos, neg, eps=0.0).item() == pytest.approx(5.0)


def test_soft_margin_loss_is_finite_for_huge_margins():
    x = te.tensor([-1000.0, 1000.0], requires_grad=True)
    loss = F.soft_margin_loss(x, te.tensor([1.0, 1.0]), reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(), [1000.0, 0.0])
    np.testing.assert_allclose(x.grad.detach().numpy(), [-1.0, 0.0])


def test_kl_div_mean_warns_and_batchmean_divides_by_batch():
    x, t = te.tensor(log_probs(4, 3)), te.tensor(np.exp(log_probs(4, 3, seed=1)))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        mean = F.kl_div(x, t)
    total = F.kl_div(x, t, reduction="sum").item()
    assert mean.item() == pytest.approx(total / 12, rel=1e-14)
    assert F.kl_div(x, t, reduction="batchmean").item() == pytest.approx(total / 4, rel=1e-14)
    assert F.kl_div(te.tensor(2.0), te.tensor(1.0), reduction="batchmean").item() == pytest.approx(-2.0)


def test_legacy_size_average_and_reduce_warn_and_map_to_reduction():
    x, y = te.tensor([1.0, -2.0]), te.tensor([1.0, 1.0])
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        total = F.soft_margin_loss(x, y, size_average=False)
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        each = F.soft_margin_loss(x, y, reduce=False)
    assert total.item() == pytest.approx(each.detach().numpy().sum())
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MarginRankingLoss(size_average=False).reduction == "sum"


def test_errors_as_torch():
    x = te.tensor(randn(2, 3))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x, te.tensor([0, 1]), p=3)
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, te.tensor([0, 3]))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, te.ones(2, 2))
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(x, x, -te.ones(2, 3))
    with pytest.raises(ValueError, match="reduction"):
        F.margin_ranking_loss(x, x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.kl_div(x, x, reduction="batch")
    with pytest.raises(RuntimeError, match="1D or 2D"):
        F.cosine_embedding_loss(te.ones(2, 3, 4), te.ones(2, 3, 4), te.ones(2))
    assert F.gaussian_nll_loss(x, x, 1.0).item() == 0.0


MODULES = [
    (nn.KLDivLoss, "kl_div", {"reduction": "batchmean", "log_target": True}),
    (nn.MarginRankingLoss, "margin_ranking_loss", {"margin": 0.5}),
    (nn.SoftMarginLoss, "soft_margin_loss", {"reduction": "sum"}),
    (nn.HingeEmbeddingLoss, "hinge_embedding_loss", {"margin": 0.5}),
    (nn.CosineEmbeddingLoss, "cosine_embedding_loss", {"margin": 0.2, "reduction": "none"}),
    (nn.MultiMarginLoss, "multi_margin_loss", {"p": 2, "margin": 0.5}),
    (nn.TripletMarginLoss, "triplet_margin_loss", {"swap": True, "p": 1.0}),
    (nn.PoissonNLLLoss, "poisson_nll_loss", {"full": True}),
    (nn.TripletMarginWithDistanceLoss, "triplet_margin_with_distance_loss", {"margin": 0.5}),
    (nn.MultiLabelSoftMarginLoss, "multilabel_soft_margin_loss", {"reduction": "sum"}),
    (nn.MultiLabelMarginLoss, "multilabel_margin_loss", {"reduction": "none"}),
    (nn.GaussianNLLLoss, "gaussian_nll_loss", {"full": True}),
]


@pytest.mark.parametrize("module,name,kwargs", MODULES, ids=[m[1] for m in MODULES])
def test_modules_call_their_functions(module, name, kwargs):
    grads, others, _ = CASES[name]
    tensors = [te.tensor(g) for g in grads]
    out = call(F, name, tensors, others, kwargs, te.tensor)
    if name.startswith("gaussian"):
        args = (tensors[0], te.tensor(others[0]), tensors[1])
    else:
        args = (*tensors, *(te.tensor(o) for o in others))
    np.testing.assert_array_equal(module(**kwargs)(*args).detach().numpy(), out.detach().numpy())
    assert isinstance(module(), nn.Module)


def test_multilabel_margin_loss_closed_form():
    x = te.tensor([[0.1, 0.2, 0.4, 0.8]], dtype=te.float64)
    # targets 3 and 0 (the -1 ends the list); the others are 1 and 2
    pairs = [(3, 1), (3, 2), (0, 1), (0, 2)]
    expected = sum(max(0.0, 1 - (x.detach().numpy()[0, j] - x.detach().numpy()[0, i])) for j, i in pairs) / 4
    assert F.multilabel_margin_loss(x, te.tensor([[3, 0, -1, 1]])).item() == pytest.approx(expected, rel=1e-15)


def test_triplet_margin_with_distance_loss_takes_any_distance():
    a, p, n = (te.tensor(randn(4, 3, seed=s)) for s in range(3))

    def cosine_distance(x, y):
        return 1 - F.cosine_similarity(x, y)

    out = F.triplet_margin_with_distance_loss(a, p, n, distance_function=cosine_distance, reduction="none")
    expected = np.maximum(cosine_distance(a, p).detach().numpy() - cosine_distance(a, n).detach().numpy() + 1.0, 0)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-14)
