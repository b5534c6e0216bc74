"""SGD: every option against the update rule written out by hand for several steps, torch.optim.SGD as
an extra oracle, parameter groups, zero_grad, state_dict round trips and validation."""
from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
from tinygrad_ed.nn.optim import SGD

RNG = np.random.default_rng(11)
W0 = RNG.standard_normal((2, 3))
GRADS = RNG.standard_normal((5, 2, 3))


def param(values=W0):
    return nn.Parameter(te.tensor(np.array(values, dtype=np.float64)))


def run_sgd(steps=GRADS, **options):
    p = param()
    opt = SGD([p], **options)
    history = []
    for g in steps:
        p.grad = te.tensor(g.copy())
        opt.step()
        history.append(p.detach().numpy().copy())
    return history


def hand_written(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    """The rule, step by step: g = +-grad + wd * w; b = g first, then mu * b + (1 - tau) * g;
    the step is g + mu * b with Nesterov, else b; w -= lr * step."""
    w, buffer, history = W0.copy(), None, []
    for grad in GRADS:
        g = (-grad if maximize else grad) + weight_decay * w
        if momentum:
            buffer = g.copy() if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        w = w - lr * g
        history.append(w.copy())
    return history


OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.1, maximize=True),
    dict(lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.1, maximize=True),
    dict(lr=0.05, momentum=0.8, weight_decay=0.2, nesterov=True, maximize=True),
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_update_rule_written_by_hand(options):
    for mine, expected in zip(run_sgd(**options), hand_written(**options)):
        np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-14)


def test_plain_step_closed_form():
    p = param([1.0, 2.0])
    p.grad = te.tensor([0.5, -1.0], dtype=te.float64)
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.95, 2.1])
    # momentum: the first step uses the gradient itself, the second 0.9 * b + g
    p = param([0.0])
    opt = SGD([p], lr=1.0, momentum=0.9)
    for expected in ([-1.0], [-2.9], [-5.61]):
        p.grad = te.tensor([1.0], dtype=te.float64)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), expected)


@pytest.mark.parametrize("momentum, dampening, weight_decay, nesterov, maximize", [
    combo for combo in itertools.product([0.0, 0.9], [0.0, 0.3], [0.0, 0.05], [False, True], [False, True])
    if not (combo[3] and (combo[0] == 0 or combo[1] != 0))])
def test_matches_torch_sgd(momentum, dampening, weight_decay, nesterov, maximize):
    torch = pytest.importorskip("torch")
    options = dict(lr=0.1, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                   maximize=maximize)
    theirs = torch.nn.Parameter(torch.tensor(W0.copy()))
    opt = torch.optim.SGD([theirs], **options)
    for g, mine in zip(GRADS, run_sgd(**options)):
        theirs.grad = torch.tensor(g.copy())
        opt.step()
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_parameters_without_grad_are_skipped_and_frozen_ones_accepted():
    a, b = param(), param()
    frozen = nn.Parameter(te.ones(3), requires_grad=False)  # torch accepts it; it never gets a gradient
    opt = SGD([a, b, frozen], lr=0.1, momentum=0.9)
    a.grad = te.tensor(np.ones((2, 3)))
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), W0 - 0.1)
    np.testing.assert_array_equal(b.detach().numpy(), W0)
    np.testing.assert_array_equal(frozen.numpy(), np.ones(3))
    assert list(opt.state_dict()["state"]) == [0]  # momentum buffers only for parameters that stepped


def test_zero_grad():
    a, b = param(), param()
    opt = SGD([a, b], lr=0.1)
    a.grad = te.tensor(np.ones((2, 3)))
    opt.zero_grad(set_to_none=False)
    assert np.all(a.grad.numpy() == 0) and a.grad.shape == a.shape and b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    a.grad = te.tensor(np.ones((2, 3)))
    opt.zero_grad(True)
    assert a.grad is None


def test_param_groups_each_with_their_own_options():
    a, b, c = param(), param(), param()
    opt = SGD([{"params": [a]}, {"params": b, "lr": 1.0, "momentum": 0.5}, {"params": iter([c]), "weight_decay": 1.0}],
              lr=0.1)
    assert len(opt.param_groups) == 3
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0, 0.1]
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[0]["momentum"] == 0.0
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[2]["params"] == [c]
    for _ in range(2):
        for p in (a, b, c):
            p.grad = te.tensor(np.ones((2, 3)))
        opt.step()
    np.testing.assert_allclose(a.detach().numpy(), W0 - 0.2)
    np.testing.assert_allclose(b.detach().numpy(), W0 - 1.0 - 1.5)  # buffers 1 then 1.5
    w = W0 - 0.1 * (1 + W0)
    np.testing.assert_allclose(c.detach().numpy(), w - 0.1 * (1 + w))
    # changing a group's lr takes effect on the next step (how schedulers work)
    opt.param_groups[0]["lr"] = 0.0
    a.grad = te.tensor(np.ones((2, 3)))
    before = a.detach().numpy().copy()
    opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), before)
    d = param()
    opt.add_param_group({"params": [d], "lr": 0.5})
    assert opt.param_groups[-1]["lr"] == 0.5 and opt.param_groups[-1]["nesterov"] is False


def test_accepts_module_parameters_generator():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    opt = SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 4
    before = [p.detach().numpy().copy() for p in model.parameters()]
    model(te.randn(5, 2)).sum().backward()
    opt.step()
    for p, old in zip(model.parameters(), before):
        np.testing.assert_allclose(p.detach().numpy(), old - 0.1 * p.grad.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("options", [dict(lr=-0.1), dict(lr=0.1, momentum=-0.5), dict(lr=0.1, weight_decay=-1e-4),
                                     dict(lr=0.1, nesterov=True), dict(lr=0.1, momentum=0.9, nesterov=True,
                                                                       dampening=0.1), dict(lr=float("nan"))])
def test_invalid_hyper_parameters_raise_value_error(options):
    with pytest.raises(ValueError):
        SGD([param()], **options)
    with pytest.raises(ValueError):
        SGD([{"params": [param()], **options}])


def test_invalid_parameter_lists():
    a = param()
    with pytest.raises(ValueError):
        SGD([], lr=0.1)
    with pytest.raises(TypeError):
        SGD(a, lr=0.1)  # a bare Tensor, as torch
    with pytest.raises(TypeError):
        SGD([a, "weight"], lr=0.1)
    with pytest.raises(ValueError):
        SGD([a * 2], lr=0.1)  # not a leaf
    with pytest.raises(ValueError):
        SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


# ---------------------------------------------------------------------------------------------
# state_dict / load_state_dict


def make(momentum=0.9):
    a, b = param(), param(W0 * 2)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1, momentum=momentum, nesterov=True)
    return opt, (a, b)


def step(opt, params, grads):
    for p, g in zip(params, grads):
        p.grad = te.tensor(g.copy())
    opt.step()


def test_state_dict_layout_and_round_trip():
    opt, params = make()
    step(opt, params, GRADS[:2])
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["param_groups"][1]["lr"] == 0.01 and sd["param_groups"][0]["nesterov"] is True
    np.testing.assert_allclose(sd["state"][0]["momentum_buffer"], GRADS[0])
    buffer = sd["state"][0]["momentum_buffer"].copy()
    step(opt, params, GRADS[2:4])
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], buffer)  # a snapshot, not a view
    # a fresh optimizer loading the state continues exactly like the original
    opt, params = make()
    step(opt, params, GRADS[:2])
    other, other_params = make()
    for p, q in zip(params, other_params):
        q.array[...] = p.array
    other.param_groups[0]["lr"] = 123.0
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert other.param_groups[0]["lr"] == 0.1
    assert other.param_groups[0]["params"] == [other_params[0]]
    step(opt, params, GRADS[2:4])
    step(other, other_params, GRADS[2:4])
    for p, q in zip(params, other_params):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def snapshot(opt):
    sd = opt.state_dict()
    return sd["param_groups"], {k: {n: np.array(v) for n, v in s.items()} for k, s in sd["state"].items()}


def assert_unchanged(opt, before):
    groups, state = snapshot(opt)
    assert groups == before[0]
    assert state.keys() == before[1].keys()
    for k in state:
        for name in state[k]:
            np.testing.assert_array_equal(state[k][name], before[1][k][name])


@pytest.mark.parametrize("corrupt", [
    lambda sd: sd["param_groups"].pop(),
    lambda sd: sd["param_groups"][1]["params"].append(5),
    lambda sd: sd["state"].__setitem__(7, {"momentum_buffer": np.zeros((2, 3))}),
    lambda sd: sd["state"][1].__setitem__("momentum_buffer", np.zeros(4)),
    lambda sd: sd["param_groups"][0].__setitem__("lr", -1.0),
    lambda sd: sd["param_groups"][1].__setitem__("dampening", 0.5),  # with nesterov: invalid
    lambda sd: sd.pop("param_groups"),
], ids=["fewer-groups", "group-size", "unknown-param", "buffer-shape", "negative-lr", "nesterov-dampening",
        "no-groups"])
def test_load_state_dict_errors_leave_the_optimizer_unchanged(corrupt):
    opt, params = make()
    step(opt, params, GRADS[:2])
    donor, donor_params = make()
    step(donor, donor_params, GRADS[2:5])
    sd = copy.deepcopy(donor.state_dict())
    sd["state"][0]["momentum_buffer"] = sd["state"][0]["momentum_buffer"] + 100  # valid, but must not be loaded
    corrupt(sd)
    before = snapshot(opt)
    with pytest.raises(ValueError):
        opt.load_state_dict(sd)
    assert_unchanged(opt, before)


def test_load_state_dict_copies_buffers():
    opt, params = make()
    step(opt, params, GRADS[:1])
    sd = opt.state_dict()
    other, other_params = make()
    other.load_state_dict(sd)
    sd["state"][0]["momentum_buffer"][...] = 1e9
    assert np.all(other.state_dict()["state"][0]["momentum_buffer"] < 1e9)


def test_repr():
    text = repr(SGD([param()], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text and "    momentum: 0.9" in text
