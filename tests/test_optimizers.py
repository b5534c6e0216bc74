"""Every optimizer against torch.optim (float64, 20 steps, a grid of options, two parameter-group layouts)
and, without torch, against its update written out by hand."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import optim

GRIDS = {
    "SGD": dict(lr=[0.1], momentum=[0.0, 0.9], dampening=[0.0, 0.3], weight_decay=[0.0, 0.1],
                nesterov=[False, True], maximize=[False, True]),
    "Adam": dict(lr=[0.05], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1], amsgrad=[False, True],
                 maximize=[False, True]),
    "AdamW": dict(lr=[0.05], weight_decay=[0.0, 0.1], amsgrad=[False, True], maximize=[False, True]),
    "RMSprop": dict(lr=[0.01], alpha=[0.99, 0.8], weight_decay=[0.0, 0.1], momentum=[0.0, 0.9],
                    centered=[False, True], maximize=[False, True]),
    "Adagrad": dict(lr=[0.1], lr_decay=[0.0, 0.05], weight_decay=[0.0, 0.1], initial_accumulator_value=[0.0, 0.5],
                    maximize=[False, True]),
    "Adadelta": dict(lr=[1.0, 0.5], rho=[0.9, 0.5], weight_decay=[0.0, 0.1], maximize=[False, True]),
    "Adamax": dict(lr=[0.02], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1], maximize=[False, True]),
    "NAdam": dict(lr=[0.02], weight_decay=[0.0, 0.1], momentum_decay=[4e-3, 0.1],
                  decoupled_weight_decay=[False, True], maximize=[False, True]),
    "RAdam": dict(lr=[0.02], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1],
                  decoupled_weight_decay=[False, True], maximize=[False, True]),
}


def configurations():
    for name, grid in GRIDS.items():
        for values in itertools.product(*grid.values()):
            options = dict(zip(grid, values))
            if name == "SGD" and options["nesterov"] and (options["momentum"] == 0 or options["dampening"]):
                continue
            yield pytest.param(name, options, id=f"{name}-" + "-".join(f"{k}={v}" for k, v in options.items()))


def initial_weights():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 2))]


def gradient(w: np.ndarray) -> np.ndarray:
    """A gradient that depends on the weights, so every step sees a new one."""
    return np.sin(3 * w) + 0.5 * w


def groups(params, layout, options):
    if layout == "one":
        return params
    return [{"params": params[:2]}, {"params": params[2:], "lr": options["lr"] * 0.5}]


def run(make, params, set_grad, steps=20):
    opt = make(params)
    history = []
    for _ in range(steps):
        for p in params:
            set_grad(p)
        opt.step()
        history.append([np.array(p.detach().numpy() if hasattr(p, "detach") else p, copy=True) for p in params])
    return history


@pytest.mark.parametrize("layout", ["one", "two"])
@pytest.mark.parametrize("name, options", list(configurations()))
def test_matches_torch_every_step(name, options, layout):
    torch = pytest.importorskip("torch")
    ours = [te.tensor(w, requires_grad=True) for w in initial_weights()]
    theirs = [torch.tensor(w, requires_grad=True) for w in initial_weights()]

    def set_ours(p):
        p.grad = te.tensor(gradient(p.detach().numpy()))

    def set_theirs(p):
        p.grad = torch.tensor(gradient(p.detach().numpy()))

    mine = run(lambda ps: getattr(optim, name)(groups(ps, layout, options), **options), ours, set_ours)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps step counts and NAdam's mu product in this dtype
    try:
        ref = run(lambda ps: getattr(torch.optim, name)(groups(ps, layout, options), **options), theirs,
                  set_theirs)
    finally:
        torch.set_default_dtype(previous)
    for step, (a, b) in enumerate(zip(mine, ref)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-13, err_msg=f"step {step + 1}")


def by_hand(name, w, steps):
    """The update rules as written in torch's documentation, one step at a time, in float64 numpy."""
    m, v, u, history = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w), []
    vmax, mu_product = np.zeros_like(w), 1.0
    for t in range(1, steps + 1):
        g = gradient(w)
        if name == "Adam":  # weight_decay=0.1 coupled
            g = g + 0.1 * w
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g ** 2
            w = w - 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        elif name == "AdamW":  # amsgrad, decoupled weight_decay=0.1
            w = w * (1 - 0.05 * 0.1)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g ** 2
            vmax = np.maximum(vmax, v)
            w = w - 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(vmax / (1 - 0.999 ** t)) + 1e-8)
        elif name == "RMSprop":  # centered, momentum=0.9
            v = 0.99 * v + 0.01 * g ** 2
            m = 0.99 * m + 0.01 * g
            u = 0.9 * u + g / (np.sqrt(v - m ** 2) + 1e-8)
            w = w - 0.01 * u
        elif name == "Adagrad":  # lr_decay=0.05, initial_accumulator_value=0.5
            v = (v if t > 1 else v + 0.5) + g ** 2
            w = w - 0.1 / (1 + (t - 1) * 0.05) * g / (np.sqrt(v) + 1e-10)
        elif name == "Adadelta":
            v = 0.9 * v + 0.1 * g ** 2
            delta = np.sqrt(u + 1e-6) / np.sqrt(v + 1e-6) * g
            u = 0.9 * u + 0.1 * delta ** 2
            w = w - 1.0 * delta
        elif name == "Adamax":
            m = 0.9 * m + 0.1 * g
            v = np.maximum(0.999 * v, np.abs(g) + 1e-8)
            w = w - 0.02 / (1 - 0.9 ** t) * m / v
        elif name == "NAdam":
            mu, mu_next = (0.9 * (1 - 0.5 * 0.96 ** (s * 4e-3)) for s in (t, t + 1))
            mu_product *= mu
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g ** 2
            d = np.sqrt(v / (1 - 0.999 ** t)) + 1e-8
            w = w - 0.02 * (1 - mu) / (1 - mu_product) * g / d - 0.02 * mu_next / (1 - mu_product * mu_next) * m / d
        elif name == "RAdam":
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g ** 2
            rho_inf = 2 / 0.001 - 1
            rho = rho_inf - 2 * t * 0.999 ** t / (1 - 0.999 ** t)
            step = 0.02 * m / (1 - 0.9 ** t)
            if rho > 5:
                r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                step = step * r * math.sqrt(1 - 0.999 ** t) / (np.sqrt(v) + 1e-8)
            w = w - step
        history.append(w)
    return history


HAND_OPTIONS = {"Adam": dict(lr=0.05, weight_decay=0.1), "AdamW": dict(lr=0.05, weight_decay=0.1, amsgrad=True),
                "RMSprop": dict(lr=0.01, centered=True, momentum=0.9),
                "Adagrad": dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.5), "Adadelta": {},
                "Adamax": dict(lr=0.02), "NAdam": dict(lr=0.02), "RAdam": dict(lr=0.02)}


@pytest.mark.parametrize("name", list(HAND_OPTIONS))
def test_matches_update_rule_written_by_hand(name):
    w0 = initial_weights()[0]
    p = te.tensor(w0, requires_grad=True)
    history = run(lambda ps: getattr(optim, name)(ps, **HAND_OPTIONS[name]), [p],
                  lambda q: setattr(q, "grad", te.tensor(gradient(q.detach().numpy()))), steps=20)
    for step, (ours, expected) in enumerate(zip(history, by_hand(name, w0, 20))):
        np.testing.assert_allclose(ours[0], expected, rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}")


def test_float32_parameters_stay_float32_and_state_is_reused():
    p = te.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = te.tensor(np.ones((4, 3), np.float32))
    opt.step()
    state = opt.state[p]
    buffers = (state["exp_avg"], state["exp_avg_sq"], p.array)
    opt.step()
    assert all(a is b for a, b in zip(buffers, (state["exp_avg"], state["exp_avg_sq"], p.array)))
    assert p.dtype == te.float32 and state["exp_avg"].dtype == np.float32


def test_step_returns_closure_loss_with_grad_enabled():
    p = te.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with te.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.8, -1.6])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
                                  "RAdam"])
def test_torch_only_options_refused_unless_default(name):
    p = te.zeros(2, requires_grad=True)
    getattr(optim, name)([p], foreach=None, differentiable=False)
    with pytest.raises(ValueError, match="differentiable=True is not supported"):
        getattr(optim, name)([p], differentiable=True)


@pytest.mark.parametrize("name", list(HAND_OPTIONS))
def test_state_dict_round_trip_through_save(name, tmp_path):
    def make():
        params = [te.tensor(w, requires_grad=True) for w in initial_weights()]
        return params, getattr(optim, name)([{"params": params[:2]}, {"params": params[2:], "lr": 0.01}],
                                            **HAND_OPTIONS[name])

    def steps(params, opt, n):
        for _ in range(n):
            for p in params:
                p.grad = te.tensor(gradient(p.detach().numpy()))
            opt.step()

    params, opt = make()
    steps(params, opt, 5)
    te.save({"optimizer": opt.state_dict(), "params": [p.detach() for p in params]}, tmp_path / "ckpt")
    checkpoint = te.load(tmp_path / "ckpt")
    params2, opt2 = make()
    for p, saved in zip(params2, checkpoint["params"]):
        p.array[...] = saved.numpy()
    opt2.load_state_dict(checkpoint["optimizer"])
    steps(params, opt, 5)
    steps(params2, opt2, 5)
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with pytest.raises(ValueError):
        opt2.load_state_dict({"state": {}, "param_groups": checkpoint["optimizer"]["param_groups"][:1]})


def test_adamw_schedule_clipping_training_matches_torch():
    """A small MLP trained with AdamW, a warm-up then cosine schedule and gradient clipping: the loss at
    every step equals torch's (float64, identical initial weights and batches)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((64, 5)), rng.integers(0, 3, 64)
    init = [rng.standard_normal((16, 5)) * 0.5, np.zeros(16), rng.standard_normal((3, 16)) * 0.5, np.zeros(3)]

    def train(lib):
        w1, b1, w2, b2 = params = [lib.tensor(w, requires_grad=True) for w in init]

        def model(inputs):
            return (inputs @ w1.T + b1).tanh() @ w2.T + b2

        opt = lib.optim.AdamW(params, lr=0.05, weight_decay=0.05)
        warmup = lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=5)
        cosine = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=25)
        schedule = lib.optim.lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[5])
        loss_fn, losses = lib.nn.CrossEntropyLoss(), []
        for step in range(30):
            batch = slice(16 * (step % 4), 16 * (step % 4) + 16)
            opt.zero_grad()
            loss = loss_fn(model(lib.tensor(x[batch])), lib.tensor(y[batch]))
            loss.backward()
            lib.nn.utils.clip_grad_norm_(params, max_norm=0.5)
            opt.step()
            schedule.step()
            losses.append(loss.item())
        return losses

    np.testing.assert_allclose(train(te), train(torch), rtol=1e-12)


def rosenbrock_steps(lib, options, steps=5):
    w = lib.tensor([-1.5, 2.0, 0.5], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.LBFGS([w], **options)

    def closure():
        opt.zero_grad()
        loss = ((1 - w[:-1]) ** 2 + 100 * (w[1:] - w[:-1] ** 2) ** 2).sum()
        loss.backward()
        return loss

    history = []
    for _ in range(steps):
        loss = opt.step(closure)
        history.append([loss.item()] + list(w.detach().numpy()))
    return np.array(history)


@pytest.mark.parametrize("options", [dict(lr=0.1), dict(lr=1, line_search_fn="strong_wolfe"),
                                     dict(lr=1, history_size=3, max_iter=7, line_search_fn="strong_wolfe")],
                         ids=["fixed-step", "strong-wolfe", "short-history"])
def test_lbfgs_matches_torch(options):
    torch = pytest.importorskip("torch")
    # 35 iterations with line searches amplify round-off differences (dot products summed in another order)
    np.testing.assert_allclose(rosenbrock_steps(te, options), rosenbrock_steps(torch, options), rtol=1e-7,
                               atol=1e-10)


def test_lbfgs_finds_rosenbrock_minimum():
    final = rosenbrock_steps(te, dict(lr=1, line_search_fn="strong_wolfe", max_iter=50), steps=10)[-1]
    assert final[0] < 1e-8  # the loss the last step started from
    np.testing.assert_allclose(final[1:], [1.0, 1.0, 1.0], atol=1e-4)
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([te.zeros(1, requires_grad=True)]).step()
