"""Every learning-rate scheduler's rates over 100 steps equal torch's (alone, chained, sequential,
OneCycleLR's momentum), hand-written closed forms without torch, warnings and state round trips."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import optim
from tinygrad_ed.optim import lr_scheduler

STEPS = 100

SCHEDULES = {
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda epoch: 0.95 ** epoch),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda epoch: 0.97),
    "StepLR": lambda s, o: s.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "ConstantLR": lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=12),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.1, end_factor=0.8, total_iters=40),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.96),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, total_iters=60, power=2.0),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.01),
    "CyclicLR": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=8, step_size_down=5),
    "CyclicLR-triangular2": lambda s, o: s.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=6, mode="triangular2"),
    "CyclicLR-exp_range": lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=6, mode="exp_range", gamma=0.98),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=STEPS),
    "OneCycleLR-three-linear": lambda s, o: s.OneCycleLR(o, max_lr=[0.5, 0.3], epochs=10, steps_per_epoch=10,
                                                         three_phase=True, anneal_strategy="linear"),
    "SequentialLR": lambda s, o: s.SequentialLR(o, [s.LinearLR(o, start_factor=0.1, total_iters=10),
                                                   s.CosineAnnealingLR(o, T_max=40),
                                                   s.ExponentialLR(o, gamma=0.95)], milestones=[10, 50]),
    "ChainedScheduler": lambda s, o: s.ChainedScheduler([s.ConstantLR(o, factor=0.5, total_iters=20),
                                                         s.ExponentialLR(o, gamma=0.97),
                                                         s.StepLR(o, step_size=15, gamma=0.5)]),
}
OPTIMIZERS = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.1)}


def trajectory(lib, make_schedule, optimizer_name):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    opt = getattr(lib.optim, optimizer_name)([{"params": [a]}, {"params": [b], "lr": 0.05}],
                                             **OPTIMIZERS[optimizer_name])
    scheduler = make_schedule(lib.optim.lr_scheduler, opt)
    rows = []
    for _ in range(STEPS):
        opt.step()
        scheduler.step()
        rows.append(list(scheduler.get_last_lr()) + [g.get("momentum", g.get("betas", (None,))[0])
                                                     for g in opt.param_groups])
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_rates_match_torch_over_100_steps(name, optimizer_name):
    torch = pytest.importorskip("torch")
    mine = trajectory(te, SCHEDULES[name], optimizer_name)
    theirs = trajectory(torch, SCHEDULES[name], optimizer_name)
    np.testing.assert_allclose(mine, theirs, rtol=1e-13, atol=1e-15)


def test_reduce_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] * 4
    results = []
    for lib in (te, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1,
                                                             min_lr=0.05)
        lrs = []
        for m in metrics:
            opt.step()
            scheduler.step(m)
            lrs.append(scheduler.get_last_lr()[0])
        results.append(lrs)
    assert results[0] == results[1]


def test_closed_forms_by_hand():
    p = te.zeros(1, requires_grad=True)
    cases = [(lambda o: lr_scheduler.StepLR(o, 3, 0.5), lambda t: 0.5 ** (t // 3)),
             (lambda o: lr_scheduler.ExponentialLR(o, 0.9), lambda t: 0.9 ** t),
             (lambda o: lr_scheduler.CosineAnnealingLR(o, 20), lambda t: (1 + math.cos(math.pi * t / 20)) / 2),
             (lambda o: lr_scheduler.LinearLR(o, 0.2, 1.0, 10), lambda t: 0.2 + 0.8 * min(t, 10) / 10),
             (lambda o: lr_scheduler.PolynomialLR(o, 10, 2.0), lambda t: (1 - min(t, 10) / 10) ** 2)]
    for make, factor in cases:
        opt = optim.SGD([p], lr=1.0)
        scheduler = make(opt)
        for t in range(1, 21):
            opt.step()
            scheduler.step()
            assert scheduler.get_last_lr()[0] == pytest.approx(factor(t), abs=1e-12)
            assert scheduler.last_epoch == t


def test_one_cycle_cycles_adam_beta1():
    opt = optim.Adam([te.zeros(1, requires_grad=True)], lr=0.1, betas=(0.9, 0.99))
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.5, anneal_strategy="linear")
    assert opt.param_groups[0]["betas"] == (0.95, 0.99) and scheduler.get_last_lr() == [1.0 / 25]
    for _ in range(4):
        opt.step()
        scheduler.step()
    assert scheduler.get_last_lr()[0] == pytest.approx(1.0) and opt.param_groups[0]["betas"][0] == 0.85


def test_warns_when_scheduler_steps_before_optimizer():
    opt = optim.SGD([te.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    opt2 = optim.SGD([te.zeros(1, requires_grad=True)], lr=0.1)
    scheduler2 = lr_scheduler.StepLR(opt2, 2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler2.step()


def test_state_dict_round_trip_through_save(tmp_path):
    def make():
        opt = optim.SGD([te.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        return opt, lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt, 0.1, total_iters=5),
                                                    lr_scheduler.CosineAnnealingLR(opt, 20)], milestones=[5])
    opt, scheduler = make()
    for _ in range(12):
        opt.step()
        scheduler.step()
    te.save({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "ckpt")
    checkpoint = te.load(tmp_path / "ckpt")
    opt2, scheduler2 = make()
    opt2.load_state_dict(checkpoint["optimizer"])
    scheduler2.load_state_dict(checkpoint["scheduler"])
    for _ in range(10):
        for o, s in ((opt, scheduler), (opt2, scheduler2)):
            o.step()
            s.step()
        assert scheduler2.get_last_lr() == scheduler.get_last_lr()
        assert scheduler2.last_epoch == scheduler.last_epoch
