"""Module machinery: buffers, containers, traversal, registration order, dtype casts, repr."""
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 3)
        self.register_buffer("running", te.zeros(3))
        self.register_buffer("scratch", te.ones(3), persistent=False)


def test_buffers_are_in_state_dict_unless_not_persistent():
    m = WithBuffers()
    assert list(m.state_dict()) == ["running", "lin.weight", "lin.bias"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert len(list(m.buffers())) == 2 and len(list(m.parameters())) == 2


def test_buffer_reassignment_stays_a_buffer_and_loads():
    m = WithBuffers()
    m.running = te.full((3,), 5.0)
    assert "running" in dict(m.named_buffers())
    state = m.state_dict()
    state["running"] = np.arange(3.0, dtype=np.float32)
    m.load_state_dict(state)
    np.testing.assert_array_equal(m.running.detach().numpy(), [0, 1, 2])
    with pytest.raises(TypeError):
        m.running = 3


def test_register_rejects_bad_names():
    m = nn.Module()
    with pytest.raises(KeyError):
        m.register_buffer("a.b", te.zeros(1))
    with pytest.raises(TypeError):
        m.register_buffer("a", np.zeros(1))
    with pytest.raises(TypeError):
        m.register_parameter("p", te.zeros(1))


def test_parameter_reassignment_keeps_its_place():
    lin = nn.Linear(2, 3)
    lin.weight = nn.Parameter(te.zeros(3, 2))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]


def test_setting_a_parameter_to_none_keeps_it_registered():
    lin = nn.Linear(2, 3)
    lin.bias = None
    assert "bias" in lin._parameters and [n for n, _ in lin.named_parameters()] == ["weight"]


def test_containers_register_children_with_torch_names():
    torch = pytest.importorskip("torch")
    ours = nn.Module()
    ours.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ours.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Identity()})
    ours.extra = nn.ParameterList([nn.Parameter(te.zeros(2)), te.ones(3)])
    ours.named = nn.ParameterDict({"s": nn.Parameter(te.zeros(1))})
    theirs = torch.nn.Module()
    theirs.blocks = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    theirs.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 1), "b": torch.nn.Identity()})
    theirs.extra = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2)), torch.ones(3)])
    theirs.named = torch.nn.ParameterDict({"s": torch.nn.Parameter(torch.zeros(1))})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert isinstance(ours.extra[1], nn.Parameter)


def test_module_list_operations():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    ml.append(nn.Tanh())
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Linear", "ReLU", "Tanh"]
    del ml[1]
    assert list(ml._modules) == ["0", "1", "2"] and isinstance(ml[-1], nn.Tanh)
    assert len(ml[1:]) == 2
    with pytest.raises(IndexError):
        ml[3]
    with pytest.raises(TypeError):
        ml.extend(nn.ReLU())


def test_sequential_slicing_indexing_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[-1], nn.Linear) and len(seq) == 3
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    with pytest.raises(IndexError):
        seq[4]


def test_apply_children_get_submodule_add_module():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    visited = []
    seq.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]
    assert seq.get_submodule("1.1") is seq[1][1]
    with pytest.raises(AttributeError):
        seq.get_submodule("1.5")
    seq.add_module("head", nn.Identity())
    seq.register_module("tail", nn.Identity())
    assert [n for n, _ in seq.named_children()] == ["0", "1", "head", "tail"]
    assert len(list(seq.children())) == 4 and len(list(seq.modules())) == 7


def test_requires_grad_float_double():
    m = WithBuffers()
    weight = m.lin.weight
    m.double()
    assert m.lin.weight is weight and weight.dtype == np.float64 and m.running.dtype == np.float64
    m.float()
    assert weight.dtype == np.float32
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_unflatten_and_identity():
    x = te.randn(2, 12)
    assert nn.Unflatten(1, (3, 4))(x).shape == (2, 3, 4)
    assert nn.Identity(54, unused="x")(x) is x


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(OrderedDict(
        fc=nn.Linear(2, 3), blocks=nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3), nn.ReLU()]),
        flat=nn.Unflatten(1, (1, 3)), out=nn.Identity()))
    theirs = torch.nn.Sequential(OrderedDict(
        fc=torch.nn.Linear(2, 3),
        blocks=torch.nn.ModuleList([torch.nn.Linear(3, 3), torch.nn.Linear(3, 3), torch.nn.ReLU()]),
        flat=torch.nn.Unflatten(1, (1, 3)), out=torch.nn.Identity()))
    assert repr(ours) == repr(theirs)
