"""nn.Module, Parameter, the layers, init and the functional activations: registration and naming
(compared with torch where installed), modes, state dicts, statistics of the initialisation and of
dropout, and gradients by gradcheck."""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
import tinygrad_ed.nn.functional as F
from tinygrad_ed.autograd import gradcheck


def f64(data, requires_grad=True):
    return te.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


class Net(nn.Module):
    """encoder (a Sequential), a bias-free head, and a plain Tensor attribute that is not a parameter."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh())
        self.head = nn.Linear(4, 3, bias=False)
        self.scale = nn.Parameter(te.ones(1))
        self.constant = te.ones(3)  # not a Parameter: not registered

    def forward(self, x):
        return self.head(self.encoder(x)) * self.scale


def torch_net(torch):
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4),
                                               torch.nn.Tanh())
            self.head = torch.nn.Linear(4, 3, bias=False)
            self.scale = torch.nn.Parameter(torch.ones(1))

    return TorchNet()


def arrays(model):
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


# ---------------------------------------------------------------------------------------------
# Module: registration, traversal, naming


def test_parameters_register_on_assignment_with_torch_names():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    # a module's own parameters first, then its children's in assignment order, as torch
    assert names == ["scale", "encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias",
                     "head.weight"]
    assert [p for p in net.parameters()] == [p for _, p in net.named_parameters()]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf for p in net.parameters())
    assert net.encoder[0].weight is dict(net.named_parameters())["encoder.0.weight"]
    assert [n for n, _ in net.named_parameters(prefix="model")][0].startswith("model.")
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]


def test_named_parameters_order_and_names_match_torch():
    torch = pytest.importorskip("torch")
    assert [n for n, _ in Net().named_parameters()] == [n for n, _ in torch_net(torch).named_parameters()]
    assert [n for n, _ in Net().named_modules()] == [n for n, _ in torch_net(torch).named_modules()]
    assert list(Net().state_dict()) == list(torch_net(torch).state_dict())


def test_children_and_modules():
    net = Net()
    assert list(net.children()) == [net.encoder, net.head]
    assert [n for n, _ in net.named_children()] == ["encoder", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "encoder", "encoder.0", "encoder.1", "encoder.2",
                                                   "encoder.3", "head"]
    assert list(net.modules())[0] is net and len(list(net.modules())) == 7


def test_shared_modules_and_parameters_count_once_but_keep_every_state_dict_name():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # as torch
    model.load_state_dict({k: np.full(v.shape, 3.0) for k, v in model.state_dict().items()})
    assert np.all(shared.weight.detach().numpy() == 3.0)
    parent = nn.Module()
    parent.a = shared
    parent.b = shared
    assert list(parent.children()) == [shared]


def test_shared_state_dict_names_match_torch():
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(2, 2)
    shared = nn.Linear(2, 2)
    assert list(nn.Sequential(shared, shared).state_dict()) == list(torch.nn.Sequential(lin, lin).state_dict())
    assert [n for n, _ in nn.Sequential(shared, shared).named_parameters()] == \
        [n for n, _ in torch.nn.Sequential(lin, lin).named_parameters()]


def test_reassigning_and_deleting_attributes():
    net = Net()
    net.head = nn.Linear(4, 3)  # a new module replaces the old one's parameters
    assert "head.bias" in dict(net.named_parameters())
    net.head = None  # None keeps the slot empty, as torch
    assert not any(n.startswith("head") for n, _ in net.named_parameters())
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):  # a plain Tensor would silently stop training
        lin.weight = te.zeros(2, 2)
    with pytest.raises(TypeError, match="child module 'encoder'"):
        Net().encoder = 3
    lin.weight = nn.Parameter(te.zeros(2, 2))
    assert dict(lin.named_parameters())["weight"] is lin.weight
    del lin.bias
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_assignment_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(te.ones(1))

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_forward_call_and_missing_forward():
    net = Net()
    x = te.randn(5, 2)
    out = net(x)
    assert out.shape == (5, 3)
    np.testing.assert_array_equal(out.detach().numpy(), net.forward(x).detach().numpy())
    with pytest.raises(NotImplementedError):
        nn.Module()(x)


def test_train_eval_propagate_to_every_submodule():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not net.training and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.encoder.train(False)
    assert net.training and not net.encoder[0].training
    with pytest.raises(ValueError):
        net.train("no")


def test_zero_grad():
    net = Net()
    net(te.randn(3, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and np.all(p.grad.numpy() == 0) and p.grad.shape == p.shape
               for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_freezes_parameters():
    net = Net()
    net.encoder.requires_grad_(False)
    net(te.randn(3, 2)).sum().backward()
    assert net.encoder[0].weight.grad is None and net.head.weight.grad is not None


def test_parameter():
    p = nn.Parameter(te.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and isinstance(p, te.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(te.ones(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert not isinstance(p * 2, nn.Parameter)
    with pytest.raises(RuntimeError):
        nn.Parameter(te.tensor([1, 2]))  # integers cannot require grad


# ---------------------------------------------------------------------------------------------
# state_dict / load_state_dict


def test_state_dict_shares_data_and_round_trips():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == [n for n, _ in net.named_parameters()]
    assert all(isinstance(v, te.Tensor) and not v.requires_grad for v in sd.values())
    assert np.shares_memory(sd["head.weight"].detach().numpy(), net.head.weight.detach().numpy())
    other = Net()
    weight = other.head.weight
    assert other.load_state_dict(net.state_dict()) == ([], [])
    assert other.head.weight is weight  # copied in place: optimizers keep pointing at the parameters
    for name, array in arrays(net).items():
        np.testing.assert_array_equal(arrays(other)[name], array)
    x = te.randn(4, 2)
    np.testing.assert_array_equal(other(x).detach().numpy(), net(x).detach().numpy())
    other.load_state_dict({k: v.numpy().astype(np.float64) for k, v in net.state_dict().items()})  # arrays too
    assert other.head.weight.dtype == np.float32


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    net, donor = Net(), Net()
    before = arrays(net)
    sd = donor.state_dict()
    del sd["encoder.0.bias"], sd["head.weight"]
    sd["extra.weight"] = te.ones(2)
    sd["encoder.2.weight"] = te.ones(3, 4)
    sd["scale"] = te.ones(2)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(sd)
    message = str(error.value)
    for expected in ("encoder.0.bias", "head.weight", "extra.weight", "encoder.2.weight", "scale", "missing",
                     "unexpected", "(3, 4)", "(4, 4)"):
        assert expected in message
    after = arrays(net)
    assert after.keys() == before.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])
    # every entry valid except one wrong shape: still nothing is copied
    sd = donor.state_dict()
    sd["head.weight"] = te.ones(4, 3)
    with pytest.raises(RuntimeError, match="head.weight"):
        net.load_state_dict(sd)
    for name, array in arrays(net).items():
        np.testing.assert_array_equal(array, before[name])


def test_load_state_dict_non_strict():
    net, donor = Net(), Net()
    sd = donor.state_dict()
    del sd["head.weight"]
    sd["unknown"] = te.ones(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head.weight"] and result.unexpected_keys == ["unknown"]  # torch's NamedTuple
    assert result == (["head.weight"], ["unknown"])
    np.testing.assert_array_equal(net.encoder[0].weight.detach().numpy(), donor.encoder[0].weight.detach().numpy())
    sd["scale"] = te.ones(5)
    with pytest.raises(RuntimeError, match="scale"):  # a wrong shape is an error even when not strict, as torch
        net.load_state_dict(sd, strict=False)


def test_load_state_dict_rejects_unconvertible_values():
    net = Net()
    before = arrays(net)
    sd = net.state_dict()
    sd["scale"] = "not a tensor"
    with pytest.raises(RuntimeError, match="scale"):
        net.load_state_dict(sd)
    np.testing.assert_array_equal(arrays(net)["scale"], before["scale"])


# ---------------------------------------------------------------------------------------------
# repr


def test_repr_matches_torch_layout():
    torch = pytest.importorskip("torch")
    mine = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.Sigmoid()), nn.Tanh(),
                         nn.Flatten(), nn.Linear(8, 3, bias=False), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
                         nn.Identity())
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Sigmoid()), torch.nn.Tanh(),
                                 torch.nn.Flatten(), torch.nn.Linear(8, 3, bias=False), torch.nn.Softmax(dim=1),
                                 torch.nn.LogSoftmax(dim=-1), torch.nn.Identity())
    assert repr(mine) == repr(theirs)
    assert repr(Net()).replace("Net", "TorchNet") == repr(torch_net(torch))
    named = nn.Sequential(OrderedDict(fc=nn.Linear(1, 1), act=nn.ReLU()))
    torch_named = torch.nn.Sequential(OrderedDict(fc=torch.nn.Linear(1, 1), act=torch.nn.ReLU()))
    assert repr(named) == repr(torch_named)
    with_dropout = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.25), nn.Dropout())
    assert repr(with_dropout) == repr(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.25),
                                                          torch.nn.Dropout()))


def test_repr_layout():
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU())) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)")
    assert repr(nn.Sequential(nn.Sequential(nn.ReLU()))) == (
        "Sequential(\n  (0): Sequential(\n    (0): ReLU()\n  )\n)")

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "size=3"

    assert repr(WithExtra()) == "WithExtra(\n  size=3\n  (inner): ReLU()\n)"  # torch puts extra on its own line
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"


# ---------------------------------------------------------------------------------------------
# Linear and init


def test_linear_shapes_and_forward():
    lin = nn.Linear(3, 2)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    x = te.randn(5, 3)
    np.testing.assert_allclose(lin(x).detach().numpy(), x.detach().numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy(), rtol=1e-6)
    assert lin(te.randn(4, 6, 3)).shape == (4, 6, 2)
    assert lin(te.randn(3)).shape == (2,)
    no_bias = nn.Linear(3, 2, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    np.testing.assert_allclose(no_bias(x).detach().numpy(), x.detach().numpy() @ no_bias.weight.detach().numpy().T, rtol=1e-6)
    assert nn.Linear(0, 3)(te.ones(2, 0)).shape == (2, 3)  # torch allows empty layers


def test_linear_gradcheck():
    lin = nn.Linear(3, 2, dtype=te.float64)
    assert lin.weight.dtype == np.float64
    x = f64(np.random.default_rng(0).standard_normal((4, 3)))
    assert gradcheck(lambda x, w, b: lin(x), (x, lin.weight, lin.bias))
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, lin.weight, lin.bias))


@pytest.mark.parametrize("in_features", [1, 3, 100])
def test_linear_init_is_uniform_within_one_over_sqrt_fan_in(in_features):
    te.manual_seed(0)
    bound = 1 / math.sqrt(in_features)
    samples = 40_000
    lin = nn.Linear(in_features, samples // in_features)
    for values in (lin.weight.detach().numpy().ravel(), nn.Linear(in_features, samples).bias.detach().numpy()):
        assert np.all(np.abs(values) <= np.float32(bound))  # drawn in float64, stored in float32
        assert values.max() > 0.99 * bound and values.min() < -0.99 * bound  # fills the whole interval
        # uniform(-b, b): mean 0, std b / sqrt(3), each quarter of the interval holds a quarter of the values
        assert abs(values.mean()) < 5 * bound / math.sqrt(3 * values.size)
        assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound
        quarters = np.histogram(values, bins=4, range=(-bound, bound))[0] / values.size
        np.testing.assert_allclose(quarters, 0.25, atol=0.015)


def test_init_is_repeatable_with_manual_seed():
    te.manual_seed(3)
    a = Net()
    te.manual_seed(3)
    b = Net()
    c = Net()
    for name, array in arrays(a).items():
        np.testing.assert_array_equal(arrays(b)[name], array)
    assert not np.array_equal(arrays(c)["head.weight"], arrays(a)["head.weight"])


def test_init_functions():
    t = te.empty(50, 200)
    nn.init.kaiming_uniform_(t, nonlinearity="relu")
    assert np.abs(t.numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 200)
    nn.init.xavier_uniform_(t)
    assert np.abs(t.numpy()).max() <= math.sqrt(6 / 250)
    assert np.all(nn.init.zeros_(t).numpy() == 0) and np.all(nn.init.ones_(t).numpy() == 1)
    nn.init.normal_(t, 2.0, 0.5)
    assert abs(t.numpy().mean() - 2.0) < 0.05 and abs(t.numpy().std() - 0.5) < 0.05
    nn.init.uniform_(t, 1.0, 3.0)
    assert 1.0 <= t.numpy().min() and t.numpy().max() <= 3.0
    assert nn.init.kaiming_uniform_(te.empty(0, 3)).shape == (0, 3)
    with pytest.raises(ValueError):
        nn.init.calculate_gain("swish")


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "sigmoid", "tanh", "relu", "selu", "leaky_relu"):
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))


# ---------------------------------------------------------------------------------------------
# Sequential and the activations


def test_sequential_container():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(a, b, c)
    assert len(model) == 3 and model[0] is a and model[-1] is c and list(model) == [a, b, c]
    x = te.randn(4, 2)
    np.testing.assert_array_equal(model(x).detach().numpy(), c(b(a(x))).detach().numpy())
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # names kept, as torch
    model.append(nn.Sigmoid())
    assert len(model) == 4 and isinstance(model[3], nn.Sigmoid)
    named = nn.Sequential(OrderedDict(fc=a, act=b))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    assert list(named[1:].named_children()) == [("act", b)]
    with pytest.raises(TypeError):
        nn.Sequential(a, lambda t: t)
    with pytest.raises(IndexError):
        model[7]
    assert nn.Sequential()(x) is x


def test_activations_closed_forms():
    values = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    x = f64(values)
    for module, fn, expected in ((nn.ReLU(), F.relu, np.maximum(values, 0)),
                                 (nn.Sigmoid(), F.sigmoid, 1 / (1 + np.exp(-values))),
                                 (nn.Tanh(), F.tanh, np.tanh(values)),
                                 (nn.Identity(), lambda t: t, values)):
        np.testing.assert_allclose(module(x).detach().numpy(), expected, rtol=1e-12)
        np.testing.assert_allclose(fn(x).detach().numpy(), expected, rtol=1e-12)
    logits = f64([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.exp(logits.detach().numpy()) / np.exp(logits.detach().numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(nn.Softmax(dim=1)(logits).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(logits, 1).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(logits).detach().numpy(), np.log(expected), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(logits, dim=1).detach().numpy(), np.log(expected), rtol=1e-12)
    np.testing.assert_allclose(nn.Softmax(dim=0)(logits).detach().numpy().sum(0), 1.0)


def test_activations_gradcheck():
    x = f64(np.random.default_rng(1).uniform(0.1, 2, (3, 4)) * np.array([1, -1, 1, -1]))
    for fn in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=1), nn.LogSoftmax(dim=0), nn.Flatten(0),
               lambda t: F.softmax(t, dim=-1), lambda t: F.log_softmax(t, dim=1)):
        assert gradcheck(fn, (x,))


def test_flatten():
    x = te.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten(2)(x).shape == (2, 3, 20)
    np.testing.assert_array_equal(nn.Flatten()(x).numpy(), x.numpy().reshape(2, 60))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


# ---------------------------------------------------------------------------------------------
# Dropout


def test_dropout_is_the_identity_in_eval():
    drop = nn.Dropout(0.5).eval()
    x = te.randn(100, 10)
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.9, training=False).numpy(), x.numpy())
    model = nn.Sequential(nn.Linear(10, 10), nn.Dropout(0.9)).eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    te.manual_seed(0)
    n = 200_000
    x = te.tensor(np.random.default_rng(99).uniform(1, 2, n), requires_grad=True)  # not te's stream
    out = nn.Dropout(p)(x)
    zeroed = out.detach().numpy() == 0
    assert abs(zeroed.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out.detach().numpy()[~zeroed], x.detach().numpy()[~zeroed] / (1 - p), rtol=1e-6)
    assert abs(out.detach().numpy().mean() - x.detach().numpy().mean()) < 0.02  # the expectation is preserved
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(zeroed, 0.0, 1 / (1 - p)), rtol=1e-6)


def test_dropout_edge_probabilities_and_validation():
    x = te.randn(1000)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    assert np.all(nn.Dropout(1.0)(x).numpy() == 0)
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError):
            nn.Dropout(p)
        with pytest.raises(ValueError):
            F.dropout(x, p)
    assert F.dropout(te.ones(10, dtype=te.float64), 0.5).dtype == np.float64


def test_dropout_masks_are_fresh_each_call_and_repeatable_with_seed():
    drop = nn.Dropout(0.5)
    x = te.ones(1000)
    te.manual_seed(5)
    first, second = drop(x).numpy(), drop(x).numpy()
    assert not np.array_equal(first, second)
    te.manual_seed(5)
    np.testing.assert_array_equal(drop(x).numpy(), first)
