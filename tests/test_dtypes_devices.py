"""dtypes (torch's names, the default dtype, finfo/iinfo, conversions, junk refused clearly) and devices
(CPU only: te.device, device=, .to/.cpu/.cuda, te.cuda, te.backends, Module.to)."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn

NAMES = ["float", "float32", "double", "float64", "half", "float16", "long", "int64", "int", "int32", "short",
         "int16", "int8", "uint8", "bool"]


@pytest.mark.parametrize("name", NAMES)
def test_dtype_names_match_torch(name):
    torch = pytest.importorskip("torch")
    mine, theirs = te.zeros(2, dtype=getattr(te, name)), torch.zeros(2, dtype=getattr(torch, name))
    assert mine.element_size() == theirs.element_size()
    assert mine.is_floating_point() == theirs.is_floating_point()
    assert mine.type() == theirs.type()
    assert str(getattr(te, name)) == str(getattr(torch, name)).removeprefix("torch.")


def test_dtypes_are_numpy_dtypes():
    assert te.float32 == np.float32 and te.tensor([1.0]).dtype == te.float32 == te.float
    assert te.long == np.int64 and te.int == np.int32 and te.bool == np.bool_
    assert np.zeros(2, dtype=te.double).dtype == np.float64


@pytest.mark.parametrize("junk", [",", "0\x1b", "(", "floaty", "f4,i4", object(), 3, 2.5, [1], np.complex64,
                                  "complex64", np.dtype("U3")])
def test_junk_dtype_is_a_type_error_naming_it_and_the_valid_names(junk):
    with pytest.raises(TypeError) as info:
        te.tensor(1.0, dtype=junk)
    message = str(info.value)
    assert repr(junk) in message and "float32" in message and "int64" in message and "bool" in message


@pytest.mark.parametrize("make", [lambda d: te.zeros(2, dtype=d), lambda d: te.ones(2).to(dtype=d),
                                  lambda d: te.arange(3, dtype=d), lambda d: te.full((2,), 1, dtype=d)])
def test_junk_dtype_refused_by_every_entry(make):
    with pytest.raises(TypeError, match="expected one of"):
        make(",")


def test_python_types_as_dtypes_follow_torch():
    torch = pytest.importorskip("torch")
    for kind in (float, int, bool):
        assert str(te.tensor([1], dtype=kind).dtype) == str(torch.tensor([1], dtype=kind).dtype).removeprefix("torch.")


def test_default_dtype_changes_python_floats_and_float_constructors():
    assert te.get_default_dtype() == te.float32
    try:
        te.set_default_dtype(te.float64)
        assert te.get_default_dtype() == te.float64
        for t in (te.tensor([1.0]), te.zeros(2), te.ones(1), te.rand(2), te.randn(2), te.arange(1.0), te.full((1,), 2.5),
                  te.tensor([1]) * 1.5, te.linspace(0, 1, 3), te.tensor([2]).exp()):
            assert t.dtype == te.float64, t
        assert (te.tensor([1.0], dtype=te.float32) * 2.5).dtype == te.float32  # a number does not widen a tensor
        assert repr(te.tensor([1.0])) == "tensor([1.])" and "dtype=float32" in repr(te.tensor([1.0], dtype=te.float32))
    finally:
        te.set_default_dtype(te.float32)
    assert te.tensor([1.0]).dtype == te.float32
    with pytest.raises(TypeError, match="floating"):
        te.set_default_dtype(te.int64)


@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_finfo_matches_torch(name):
    torch = pytest.importorskip("torch")
    mine, theirs = te.finfo(getattr(te, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(mine, field) == getattr(theirs, field), field
    assert te.finfo().eps == torch.finfo().eps


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8"])
def test_iinfo_matches_torch(name):
    torch = pytest.importorskip("torch")
    mine, theirs = te.iinfo(getattr(te, name)), torch.iinfo(getattr(torch, name))
    assert (mine.bits, mine.max, mine.min) == (theirs.bits, theirs.max, theirs.min)
    with pytest.raises(TypeError):
        te.iinfo(te.float32)
    with pytest.raises(TypeError):
        te.finfo(te.int32)


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "short", "char", "byte", "bool"])
def test_conversion_methods_match_torch(method):
    torch = pytest.importorskip("torch")
    values = [-1.5, 0.0, 2.7]
    mine, theirs = getattr(te.tensor(values), method)(), getattr(torch.tensor(values), method)()
    assert mine.type() == theirs.type()
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_type_type_as_and_to():
    x = te.tensor([1.5, 2.5])
    assert x.type() == "torch.FloatTensor"
    assert x.type(te.float64).dtype == te.float64 and x.type("torch.LongTensor").tolist() == [1, 2]
    assert x.type_as(te.tensor([1])).dtype == te.int64
    assert x.to(te.float32) is x and x.to(te.float64).dtype == te.float64
    assert x.to("cpu") is x and x.to(te.device("cpu")) is x
    assert x.to("cpu", te.float64).dtype == te.float64 and x.to(device="cpu", dtype=te.int32).dtype == te.int32
    assert x.to(te.tensor([1], dtype=te.int16)).dtype == te.int16
    copied = x.to(te.float32, copy=True)
    copied.numpy()[0] = 9.0
    assert x.tolist() == [1.5, 2.5]
    assert x.is_floating_point() and not x.long().is_floating_point() and te.is_floating_point(x)


def test_casting_to_a_float_dtype_is_differentiable():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == te.float32 and x.grad.tolist() == [3.0, 3.0]
    assert not x.long().requires_grad  # integers leave the graph, as in torch


def test_device_objects_match_torch():
    torch = pytest.importorskip("torch")
    for args in [("cpu",), ("cpu", 0), ("cpu:0",), ("cuda",), ("cuda:1",)]:
        mine, theirs = te.device(*args), torch.device(*args)
        assert (mine.type, mine.index, str(mine), repr(mine)) == (theirs.type, theirs.index, str(theirs), repr(theirs))
    assert (te.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert te.device("cpu") == te.device("cpu") and te.device("cpu") != te.device("cpu", 0)
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        te.device("gpu")


def test_tensors_live_on_the_cpu():
    x = te.ones(2, device="cpu")
    assert x.device == te.device("cpu") and str(x.device) == "cpu" and x.device.type == "cpu"
    assert x.cpu() is x and not x.is_cuda
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


CONSTRUCTORS = {
    "tensor": lambda d: te.tensor([1.0], device=d), "Tensor": lambda d: te.Tensor([1.0], device=d),
    "as_tensor": lambda d: te.as_tensor([1.0], device=d), "zeros": lambda d: te.zeros(2, device=d),
    "ones": lambda d: te.ones(2, device=d), "empty": lambda d: te.empty(2, device=d),
    "full": lambda d: te.full((2,), 1.0, device=d), "eye": lambda d: te.eye(2, device=d),
    "arange": lambda d: te.arange(3, device=d), "linspace": lambda d: te.linspace(0, 1, 3, device=d),
    "logspace": lambda d: te.logspace(0, 1, 3, device=d), "rand": lambda d: te.rand(2, device=d),
    "randn": lambda d: te.randn(2, device=d), "randint": lambda d: te.randint(3, (2,), device=d),
    "randperm": lambda d: te.randperm(3, device=d), "normal": lambda d: te.normal(0.0, 1.0, (2,), device=d),
    "zeros_like": lambda d: te.zeros_like(te.ones(1), device=d), "ones_like": lambda d: te.ones_like(te.ones(1), device=d),
    "empty_like": lambda d: te.empty_like(te.ones(1), device=d),
    "full_like": lambda d: te.full_like(te.ones(1), 2.0, device=d),
    "rand_like": lambda d: te.rand_like(te.ones(1), device=d), "randn_like": lambda d: te.randn_like(te.ones(1), device=d),
    "randint_like": lambda d: te.randint_like(te.ones(1), 3, device=d),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_every_constructor_takes_device(name):
    for device in ("cpu", te.device("cpu"), te.device("cpu", 0), None):
        assert CONSTRUCTORS[name](device).device == te.device("cpu")
    with pytest.raises(RuntimeError, match="'cuda' is not available: tinygrad_ed runs on the CPU only"):
        CONSTRUCTORS[name]("cuda")


def test_cuda_and_backends_report_nothing_available_and_the_usual_idiom_runs():
    assert te.cuda.is_available() is False and te.cuda.device_count() == 0
    assert te.backends.mps.is_available() is False and te.backends.mps.is_built() is False
    te.cuda.manual_seed_all(0)
    te.backends.cudnn.deterministic = True
    device = te.device("cuda" if te.cuda.is_available() else "cpu")
    model = nn.Linear(3, 1).to(device)
    x = te.randn(4, 3).to(device)
    model(x).sum().backward()
    assert model.weight.grad.shape == (1, 3)
    te.set_default_device("cpu")
    assert te.get_default_device() == te.device("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        te.set_default_device("cuda")


def test_module_to_converts_float_parameters_in_place():
    model = nn.Linear(2, 1)
    weight = model.weight
    assert model.to("cpu") is model and model.cpu() is model
    assert model.double() is model and weight.dtype == te.float64 and model.weight is weight
    assert model(te.ones(1, 2, dtype=te.float64)).dtype == te.float64
    model.to("cpu", te.float32)
    assert weight.dtype == te.float32 and weight.requires_grad
    with pytest.raises(TypeError, match="floating point"):
        model.to(te.int64)
    with pytest.raises(RuntimeError, match="CPU only"):
        model.cuda()
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
