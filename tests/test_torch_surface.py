"""Names and forms of torch's everyday surface found missing by running tutorial and lecture idioms:
`out=` on function forms, `new_*` methods, comparison methods, index_fill, broadcast_*, Tensor.unfold,
histogram, te.accelerator, torch.load's keywords, F.relu/F.dropout's inplace, and repr's exponent
form. Each is checked against torch (skipped when it is not installed) and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

DATA = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]], dtype=np.float32)


def _same(ours, theirs):
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# out=

OUT_CALLS = {
    "matmul": lambda lib, x: lib.matmul(x, x.T), "mul": lambda lib, x: lib.mul(x, x), "add": lambda lib, x: lib.add(x, 1),
    "exp": lambda lib, x: lib.exp(x), "sum": lambda lib, x: lib.sum(x, 1), "cat": lambda lib, x: lib.cat([x, x], 1),
    "stack": lambda lib, x: lib.stack([x, x]), "maximum": lambda lib, x: lib.maximum(x, x * 2),
    "gt": lambda lib, x: lib.gt(x, 0), "clamp": lambda lib, x: lib.clamp(x, min=0),
}


@pytest.mark.parametrize("name", sorted(OUT_CALLS))
def test_out_keyword_writes_into_out(name):
    expected = OUT_CALLS[name](torch, torch.tensor(DATA))
    out = te.empty(0, dtype=getattr(te, str(expected.dtype).replace("torch.", "")))
    call = OUT_CALLS[name]
    got = call(_with_out(te, out), te.tensor(DATA))
    assert got is out
    _same(out, expected)


class _with_out:
    """`lib` whose functions get `out=` (so one lambda in OUT_CALLS serves both forms)."""

    def __init__(self, lib, out):
        self.lib, self.out = lib, out

    def __getattr__(self, name):
        return lambda *args, **kwargs: getattr(self.lib, name)(*args, out=self.out, **kwargs)


def test_out_keyword_rules_match_torch():
    x = te.ones(2, 2)
    out = te.zeros(3)
    with pytest.warns(UserWarning, match="resized"):
        te.matmul(x, x, out=out)  # torch warns too when a non-empty out is resized
    assert out.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with pytest.raises(RuntimeError):
        te.mul(x, x, out=te.zeros(2, 2, dtype=te.int64))  # a float result can't go into an int tensor
    with pytest.raises(RuntimeError):
        torch.mul(torch.ones(2, 2), torch.ones(2, 2), out=torch.zeros(2, 2, dtype=torch.int64))
    w = te.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        te.mul(w, w, out=te.zeros(2))
    with te.no_grad():
        kept = te.zeros(2)
        assert te.mul(w, w, out=kept) is kept and not kept.requires_grad
    wider = te.zeros(2, dtype=te.float64)
    te.add(te.ones(2), 1, out=wider)  # same kind: allowed, as torch
    assert wider.dtype == te.float64 and wider.tolist() == [2.0, 2.0]


def test_tensors_tutorial_out_lines():
    tensor = te.ones(4, 4)
    tensor[:, 1] = 0
    y3 = te.rand_like(tensor)
    te.matmul(tensor, tensor.T, out=y3)
    z3 = te.rand_like(tensor)
    te.mul(tensor, tensor, out=z3)
    assert y3.tolist() == (tensor @ tensor.T).tolist() and z3.tolist() == (tensor * tensor).tolist()


# ---------------------------------------------------------------------------------------------
# new_*, comparisons, index_fill, broadcasting, unfold, histogram


def test_new_methods_match_torch():
    for dtype in ("float64", "int32"):
        ours, theirs = te.ones(2, dtype=getattr(te, dtype)), torch.ones(2, dtype=getattr(torch, dtype))
        for make in (lambda t: t.new_zeros(2, 3), lambda t: t.new_ones((2,)), lambda t: t.new_full((2,), 3),
                     lambda t: t.new_tensor([1, 2]), lambda t: t.new_zeros(2, dtype=t.int().dtype)):
            _same(make(ours), make(theirs))
        assert ours.new_empty(4).shape == (4,) and ours.new_empty(4).dtype == ours.dtype
    assert te.ones(2).new_zeros(3, requires_grad=True).requires_grad


COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparison_methods_and_functions_match_torch(name):
    x, y = [1, 2, 3], [3, 2, 1]
    for other in (te.tensor(y), 2):
        theirs = torch.tensor(y) if isinstance(other, te.Tensor) else other
        _same(getattr(te.tensor(x), name)(other), getattr(torch.tensor(x), name)(theirs))
        _same(getattr(te, name)(te.tensor(x), other), getattr(torch, name)(torch.tensor(x), theirs))


def test_index_fill_matches_torch_and_differentiates(leaf):
    for dim, index, value in [(0, [1], 5.0), (1, [0, -1], -2.0), (-1, [2, 2], 7.0), (0, [], 1.0)]:
        _same(te.tensor(DATA).index_fill(dim, te.tensor(index, dtype=te.int64), value),
              torch.tensor(DATA).index_fill(dim, torch.tensor(index, dtype=torch.int64), value))
    ours, theirs = te.tensor(DATA), torch.tensor(DATA)
    assert ours.index_fill_(1, te.tensor([1]), 0.0) is ours
    theirs.index_fill_(1, torch.tensor([1]), 0.0)
    _same(ours, theirs)
    for lib, error in ((torch, (IndexError, RuntimeError)), (te, (IndexError, RuntimeError))):
        with pytest.raises(error):
            lib.zeros(2, 3).index_fill(1, lib.tensor([3]), 1.0)
        with pytest.raises(RuntimeError):
            lib.zeros(2, 3).index_fill(1, lib.tensor([0]), lib.ones(2))
    x, value = leaf(3, 4), te.tensor(1.5, dtype=te.float64, requires_grad=True)
    assert gradcheck(lambda x, v: x.index_fill(1, te.tensor([0, 2]), v) * x, (x, value))
    assert gradgradcheck(lambda x, v: x.index_fill(1, te.tensor([0, 2]), v) * x, (x, value))


def test_broadcast_functions_match_torch():
    shapes = [(2, 1, 3), (4, 1), (3,)]
    ours = te.broadcast_tensors(*(te.ones(*s) for s in shapes))
    theirs = torch.broadcast_tensors(*(torch.ones(*s) for s in shapes))
    assert [t.shape for t in ours] == [tuple(t.shape) for t in theirs]
    assert te.broadcast_shapes(*shapes) == tuple(torch.broadcast_shapes(*shapes))
    assert te.broadcast_to(te.ones(3), (2, 3)).shape == (2, 3) and te.ones(3, 1).broadcast_to((2, -1, 4)).shape == (2, 3, 4)
    for lib in (te, torch):
        with pytest.raises(RuntimeError):
            lib.broadcast_shapes((2, 3), (4,))


def test_unfold_matches_torch_and_accumulates_gradients(leaf):
    data = np.arange(24.0).reshape(2, 3, 4)
    for args in [(0, 1, 1), (1, 2, 1), (2, 2, 2), (2, 3, 1), (-1, 4, 3), (1, 3, 5)]:
        _same(te.tensor(data).unfold(*args), torch.tensor(data).unfold(*args))
    for lib in (te, torch):
        with pytest.raises(RuntimeError):
            lib.tensor(data).unfold(2, 5, 1)
        with pytest.raises(RuntimeError):
            lib.tensor(data).unfold(2, 2, 0)
    assert gradcheck(lambda t: t.unfold(1, 3, 1) * 2.0, (leaf(2, 5),))  # overlapping windows


def test_histogram_matches_torch():
    data = np.array([0.0, 1.0, 1.0, 2.5, 3.0, -1.0], dtype=np.float32)
    for args, kwargs in [((), {}), ((4,), {}), ((3,), {"range": (0.0, 2.0)}), ((2,), {"density": True}),
                         ((2,), {"weight": "w"})]:
        ours_kwargs = {k: te.tensor(data * 2) if v == "w" else v for k, v in kwargs.items()}
        theirs_kwargs = {k: torch.tensor(data * 2) if v == "w" else v for k, v in kwargs.items()}
        ours, theirs = te.histogram(te.tensor(data), *args, **ours_kwargs), torch.histogram(torch.tensor(data), *args,
                                                                                              **theirs_kwargs)
        _same(ours.hist, theirs.hist)
        _same(ours.bin_edges, theirs.bin_edges)
    hist, edges = te.tensor(data).histogram(te.tensor([0.0, 1.0, 4.0]))
    assert hist.tolist() == torch.histogram(torch.tensor(data), torch.tensor([0.0, 1.0, 4.0])).hist.tolist()
    with pytest.raises(RuntimeError):
        te.histogram(te.tensor([1, 2]))


# ---------------------------------------------------------------------------------------------
# devices, loading, functional inplace, printing


def test_accelerator_questions_pick_the_cpu():
    device = te.accelerator.current_accelerator().type if te.accelerator.is_available() else "cpu"
    assert device == "cpu" and te.accelerator.current_accelerator() is None and te.accelerator.device_count() == 0


def test_load_accepts_torchs_keywords(tmp_path):
    path = tmp_path / "model.pth"
    te.save({"w": te.ones(2)}, path)
    assert te.load(path, weights_only=True)["w"].tolist() == [1.0, 1.0]
    assert te.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]


def test_functional_inplace_keywords_match_torch():
    for lib, functional in ((te, F), (torch, torch.nn.functional)):
        x = lib.tensor([-1.0, 2.0])
        assert functional.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
        y = lib.tensor([-1.0, 2.0])
        assert functional.relu(y, inplace=False).tolist() == [0.0, 2.0] and y.tolist() == [-1.0, 2.0]
        z = lib.ones(1000)
        assert functional.dropout(z, 0.5, training=True, inplace=True) is z
        assert set(z.tolist()) <= {0.0, 2.0} and 0.0 in z.tolist()


@pytest.mark.parametrize("values", [[1e6, 1.0], [1e8, 1.0], [1.0, 2.0], [1000.0, 1.0], [1001.0, 1.0], [0.0, 5e9],
                                    [0.5, 2e4], [1e-5, 1.0]])
def test_repr_of_whole_floats_with_exponents_matches_torch(values):
    assert repr(te.tensor(values)) == repr(torch.tensor(values))


# ---------------------------------------------------------------------------------------------
# more of torch's names: statistics, splitting, distances, small methods


def test_zero_dim_index_into_a_vector_as_the_transforms_tutorial():
    for lib in (te, torch):
        def one_hot(y, lib=lib):
            return lib.zeros(10, dtype=lib.float).scatter_(0, lib.tensor(y), value=1)
        assert one_hot(3).tolist() == [0.0, 0.0, 0.0, 1.0] + [0.0] * 6
    for call in (lambda lib, x, i: x.gather(0, i), lambda lib, x, i: x.scatter(0, i, lib.tensor([5.0, 6.0])),
                 lambda lib, x, i: x.scatter_add(0, i, lib.tensor([5.0, 6.0])),
                 lambda lib, x, i: x.scatter_reduce(0, i, lib.tensor([5.0, 6.0]), "amax")):
        ours, theirs = call(te, te.zeros(3), te.tensor(1)), call(torch, torch.zeros(3), torch.tensor(1))
        _same(ours, theirs)
    with pytest.raises(RuntimeError):
        te.zeros(2, 3).scatter_(1, te.tensor(1), value=1.0)  # torch refuses it for a matrix too


SMALL_METHODS = {
    "abs()": lambda lib, x: abs(x), "where": lambda lib, x: x.where(x > 0, lib.zeros_like(x)),
    "scatter_add_": lambda lib, x: x.clone().scatter_add_(1, lib.tensor([[0, 0, 1], [2, 2, 2]]), x),
    "ravel": lambda lib, x: x.ravel(), "multiply": lambda lib, x: lib.multiply(x, 2), "divide": lambda lib, x: x.divide(3),
    "true_divide": lambda lib, x: lib.true_divide(x, x + 5), "subtract": lambda lib, x: lib.subtract(x, 1, alpha=2),
    "addcmul": lambda lib, x: lib.addcmul(x, x, x, value=0.5), "addcdiv_": lambda lib, x: x.clone().addcdiv_(x, x + 5, value=2),
    "logaddexp": lambda lib, x: lib.logaddexp(x, x.flip(0)), "diff": lambda lib, x: lib.diff(x, dim=0),
    "diff n=2 prepend": lambda lib, x: x.diff(2, prepend=lib.zeros(2, 1)), "nansum": lambda lib, x: lib.nansum(_with_nan(x), 1),
    "nanmean": lambda lib, x: _with_nan(x).nanmean(0, keepdim=True), "kthvalue": lambda lib, x: x.kthvalue(2, 1).values,
    "kthvalue indices": lambda lib, x: lib.kthvalue(x, 1, 0, True).indices, "aminmax": lambda lib, x: lib.stack(x.aminmax(dim=1)),
    "cdist": lambda lib, x: lib.cdist(x, x * 2), "cdist p=1": lambda lib, x: lib.cdist(x, x.flip(0), p=1),
    "isin": lambda lib, x: lib.isin(x, lib.tensor([0.0, 3.0])), "argwhere": lambda lib, x: lib.argwhere(x > 0),
    "atleast_3d": lambda lib, x: lib.atleast_3d(x[0]), "atleast_2d list": lambda lib, x: lib.stack(lib.atleast_2d([x[0], x[1]])),
    "tril_indices": lambda lib, x: lib.tril_indices(3, 4, 1), "triu_indices": lambda lib, x: lib.triu_indices(4, 3, -1),
    "fill_diagonal_": lambda lib, x: x.clone().fill_diagonal_(9.0), "quantile": lambda lib, x: x.quantile(0.4, dim=1),
}


def _with_nan(x):
    return x.masked_fill(x == 0, float("nan"))


@pytest.mark.parametrize("name", sorted(SMALL_METHODS))
def test_small_methods_match_torch(name):
    ours = SMALL_METHODS[name](te, te.tensor(DATA))
    theirs = SMALL_METHODS[name](torch, torch.tensor(DATA))
    _same(ours, theirs)


def test_quantile_matches_torch_over_forms():
    data = np.random.default_rng(0).standard_normal((3, 5))
    for q in (0.3, [0.1, 0.5, 1.0], 0.0):
        for dim in (None, 0, -1):
            for keepdim in (False, True):
                for interpolation in ("linear", "lower", "higher", "midpoint", "nearest"):
                    ours_q = te.tensor(q, dtype=te.float64) if isinstance(q, list) else q
                    theirs_q = torch.tensor(q, dtype=torch.float64) if isinstance(q, list) else q
                    _same(te.quantile(te.tensor(data), ours_q, dim, keepdim, interpolation=interpolation),
                          torch.quantile(torch.tensor(data), theirs_q, dim, keepdim, interpolation=interpolation))


def test_composed_statistics_are_differentiable(leaf):
    x = leaf(3, 4)
    assert gradcheck(lambda t: t.quantile(te.tensor([0.25, 0.9], dtype=te.float64), dim=1), (x,))
    assert gradcheck(lambda t: t.kthvalue(2, 0).values, (x,))
    assert gradcheck(lambda t: te.cdist(t, t[:2] * 0.5), (x,))
    assert gradcheck(lambda t, u: te.logaddexp(t, u), (x, leaf(3, 4)))
    assert gradgradcheck(lambda t, u: te.logaddexp(t, u), (x, leaf(3, 4)))
    assert gradcheck(lambda t: t.diff(2, dim=1), (x,))
    assert gradcheck(lambda t: t.nanmean(1) + t.nansum(0).sum(), (x,))


def test_splits_match_torch():
    data = np.arange(24.0).reshape(4, 6)
    for args in [(3,), (4, 1), ([1, 4],), ([0, 3, 10], 1), ([-2],), ([5, 2], 1), (9, 1), (te.tensor([1, 2]),)]:
        theirs_args = tuple(torch.tensor(a.tolist()) if isinstance(a, te.Tensor) else a for a in args)
        ours, theirs = te.tensor_split(te.tensor(data), *args), torch.tensor_split(torch.tensor(data), *theirs_args)
        assert len(ours) == len(theirs)
        for piece, expected in zip(ours, theirs):
            _same(piece, expected)
    for name in ("hsplit", "vsplit"):
        for sections in (2, [1, 3]):
            ours, theirs = getattr(te, name)(te.tensor(data), sections), getattr(torch, name)(torch.tensor(data), sections)
            assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]
        for lib in (te, torch):
            with pytest.raises(RuntimeError):
                getattr(lib, name)(lib.tensor(data), 5)


def test_size_stride_and_byte_counts():
    assert te.ones(2, 3).shape == te.Size([2, 3]) == torch.Size([2, 3]) and te.Size([2, 3]).numel() == 6
    x, y = te.ones(2, 3, dtype=te.float64), torch.ones(2, 3, dtype=torch.float64)
    assert (x.stride(), x.t().stride(), x.stride(1)) == (y.stride(), y.t().stride(), y.stride(1))
    assert (x.nbytes, x.itemsize, x.ndimension()) == (y.nbytes, y.itemsize, y.ndimension())


def test_set_printoptions_matches_torch():
    cases = [({"precision": 2}, [1.23456, 2.0]), ({"precision": 2}, [1e-6, 1.0]), ({"sci_mode": False}, [1e-6, 1.0]),
             ({"sci_mode": True}, [1e6, 1.0]), ({"threshold": 5}, list(range(10))), ({"profile": "short"}, [1.23456])]
    try:
        for options, values in cases:
            te.set_printoptions(**options)
            torch.set_printoptions(**options)
            assert repr(te.tensor(values, dtype=te.float32)) == repr(torch.tensor(values, dtype=torch.float32)), options
            te.set_printoptions(profile="default")
            torch.set_printoptions(profile="default")
    finally:
        te.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    with pytest.raises(ValueError):
        te.set_printoptions(profile="long")


def test_inference_mode_records_nothing():
    w = te.ones(2, requires_grad=True)
    with te.inference_mode():
        assert not (w * 2).requires_grad

    @te.inference_mode()
    def predict(x):
        return x * 2

    @te.inference_mode
    def bare(x):
        return x * 3

    assert not predict(w).requires_grad and not bare(w).requires_grad and te.is_grad_enabled()
    with te.inference_mode(False):
        assert (w * 2).requires_grad


def test_is_inference_mode_enabled_as_torch():
    @te.inference_mode()
    def ours():
        return te.is_inference_mode_enabled()

    @torch.inference_mode()
    def theirs():
        return torch.is_inference_mode_enabled()

    with te.inference_mode(), torch.inference_mode():
        inside = (te.is_inference_mode_enabled(), torch.is_inference_mode_enabled())
        with te.inference_mode(False), torch.inference_mode(False):
            nested = (te.is_inference_mode_enabled(), torch.is_inference_mode_enabled())
    outside = (te.is_inference_mode_enabled(), torch.is_inference_mode_enabled())
    assert inside == (True, True) and nested == (False, False) and outside == (False, False)
    assert (ours(), ours()) == (theirs(), theirs()) == (True, True) and not te.is_inference_mode_enabled()

    @te.inference_mode
    def bare():
        return te.is_inference_mode_enabled()

    @torch.inference_mode
    def bare_torch():
        return torch.is_inference_mode_enabled()

    assert bare() == bare_torch() is True


def test_legacy_variable_is_a_detached_tensor_as_torch():
    from torch.autograd import Variable as TorchVariable

    from tinygrad_ed.autograd import Variable
    data = te.ones(2)
    v = Variable(data, requires_grad=True)
    t = TorchVariable(torch.ones(2), requires_grad=True)
    assert type(v) is te.Tensor and np.shares_memory(v.numpy(force=True), data.numpy())
    assert (v.requires_grad, v.is_leaf, data.requires_grad) == (t.requires_grad, t.is_leaf, False)
    assert isinstance(data, Variable) and isinstance(torch.ones(1), TorchVariable)
    assert not isinstance(3.0, Variable) and not isinstance(3.0, TorchVariable)
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]
    y = Variable(te.ones(2, requires_grad=True) * 2)  # detached from the graph, as torch's
    assert y.grad_fn is None and not y.requires_grad
    assert Variable().shape == tuple(TorchVariable().shape) == (0,)
    with pytest.warns(UserWarning, match="volatile"):
        Variable(te.ones(1), volatile=True)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0])


def test_process_switches_as_torch(monkeypatch):
    from tinygrad_ed import settings
    monkeypatch.setitem(settings._settings, "threads", None)  # restored after the test
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=None, user_api="blas"):  # restores the BLAS's threads on exit
        te.set_num_threads(1)
        assert te.get_num_threads() == 1
        assert all(lib["num_threads"] == 1 for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas")
    for bad in (0, -2, 1.5):
        with pytest.raises(RuntimeError, match="set_num_threads"):
            te.set_num_threads(bad)
    te.use_deterministic_algorithms(True)
    assert te.are_deterministic_algorithms_enabled()
    te.use_deterministic_algorithms(False)
    assert not te.are_deterministic_algorithms_enabled() and not torch.are_deterministic_algorithms_enabled()
    te.set_float32_matmul_precision("high")
    assert te.get_float32_matmul_precision() == "high"
    te.set_float32_matmul_precision("highest")
    assert te.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    with pytest.raises(RuntimeError, match="precision"):
        te.set_float32_matmul_precision("fast")
    assert te.ones(2).get_device() == torch.ones(2).get_device() == -1


def test_half_precision_tensors_print_as_torch():
    assert repr(te.ones(2, dtype=te.float16) + 1) == repr(torch.ones(2, dtype=torch.float16) + 1).replace("torch.", "")
