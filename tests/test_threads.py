"""Grad mode is per thread, as in torch: no_grad in one thread does not change what another records.
Barriers force the interleavings, so each check runs while the other thread really is in the other mode."""
from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd import grad
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.optim import SGD

TIMEOUT = 20


def run_threads(*targets):
    """Run the targets in threads and re-raise the first exception any of them hit."""
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread hung"
    errors.sort(key=lambda e: isinstance(e, threading.BrokenBarrierError))  # the cause before its echoes
    if errors:
        raise errors[0]


def make_problem():
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    return model, te.tensor(x), te.tensor(y)


def train(model, x, y, steps, between=lambda: None):
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        between()
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        assert loss.requires_grad and loss.grad_fn is not None
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.fixture(autouse=True)
def frequent_thread_switches():
    """Switch threads every microsecond (not every 5 ms), so the threads' ops really interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_training_in_one_thread_while_another_evaluates_under_no_grad():
    steps = 60
    model, x, y = make_problem()
    reference_model, _, _ = make_problem()
    reference = train(reference_model, x, y, steps)  # the same run, single-threaded

    step_begins, step_ends = threading.Barrier(2, timeout=TIMEOUT), threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def trainer():
        def between():
            step_ends.wait()
            step_begins.wait()  # the evaluator is inside no_grad from here to the next step_ends
        try:
            seen["losses"] = train(model, x, y, steps, between)
            step_ends.wait()
        except BaseException:
            step_ends.abort()  # release the evaluator at once
            step_begins.abort()
            raise

    def evaluator():
        outputs = []
        step_ends.wait()
        for _ in range(steps):
            with te.no_grad():
                step_begins.wait()
                for _ in range(5):  # evaluating the same model while the trainer records its step
                    assert not te.is_grad_enabled()
                    out = model(x)
                    outputs.append(out.requires_grad or out.grad_fn is not None)
                step_ends.wait()
        seen["eval recorded"] = any(outputs)

    run_threads(trainer, evaluator)
    assert seen["eval recorded"] is False
    assert seen["losses"] == reference  # bit for bit: the evaluator's no_grad never leaked in
    assert reference[-1] < 0.1 * reference[0]
    for p, q in zip(model.parameters(), reference_model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_no_grad_in_one_thread_leaves_the_other_recording_and_back():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    phase = threading.Barrier(2, timeout=TIMEOUT)
    results = {}

    def a():
        with te.no_grad():
            phase.wait()  # 1: a is in no_grad, b records
            results["a in no_grad"] = (x * 2).requires_grad
            phase.wait()  # 2
            phase.wait()  # 3: b is in no_grad now, a still is too
        phase.wait()  # 4: a left no_grad, b is still in it
        results["a after"] = (x * 2).requires_grad
        phase.wait()  # 5

    def b():
        phase.wait()  # 1
        results["b while a in no_grad"] = (x * 2).requires_grad
        phase.wait()  # 2
        with te.set_grad_enabled(False):
            phase.wait()  # 3
            phase.wait()  # 4
            results["b in no_grad"] = (x * 2).requires_grad
            phase.wait()  # 5
        with te.no_grad():
            with te.enable_grad():  # enable_grad inside no_grad, in this thread only
                results["b enable_grad"] = (x * 2).requires_grad

    run_threads(a, b)
    assert results == {"a in no_grad": False, "b while a in no_grad": True, "b in no_grad": False,
                       "a after": True, "b enable_grad": True}
    assert te.is_grad_enabled()


def test_a_new_thread_starts_with_grad_enabled():
    x = te.tensor([1.0], requires_grad=True)
    seen = {}
    with te.no_grad():
        run_threads(lambda: seen.update(fresh=(x * 2).requires_grad, mode=te.is_grad_enabled()))
    assert seen == {"fresh": True, "mode": True}


def test_backward_in_many_threads_at_once():
    n_threads, rounds = 4, 30
    start = threading.Barrier(n_threads, timeout=TIMEOUT)
    results = [None] * n_threads

    def worker(k):
        def run():
            start.wait()
            for _ in range(rounds):
                x = te.tensor(np.linspace(0.1, 1.0, 50) + k, requires_grad=True)
                if k % 2:
                    with te.no_grad():  # half the threads flip grad mode while the others backpropagate
                        assert not (x * 2).requires_grad
                y = (x * x).sum() + x.exp().sum()
                (dx,) = grad(y, x, create_graph=True)
                dx.sum().backward()  # d/dx sum(2x + e^x) = 2 + e^x
                np.testing.assert_allclose(x.grad.detach().numpy(), 2 + np.exp(x.detach().numpy()))
            results[k] = True
        return run

    run_threads(*[worker(k) for k in range(n_threads)])
    assert all(results)
