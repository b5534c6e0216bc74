"""Anomaly detection: inside `te.autograd.detect_anomaly()` the first op whose forward result or backward
gradient holds NaN or inf raises, naming the op and the line of user code that created it."""
from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd.engine import Primitive
from tinygrad_ed.autograd import detect_anomaly, grad
from tinygrad_ed.nn import functional as F

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
THIS_FILE = os.path.basename(__file__)


def here() -> int:
    """The line number of the caller's next line."""
    return sys._getframe(1).f_lineno + 1


def assert_points_at(error: pytest.ExceptionInfo, op: str, line: int) -> None:
    message = str(error.value)
    assert op in message
    assert THIS_FILE in message and f"line {line}" in message, message


def leaf(values):
    return te.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_forward_nan_names_the_op_and_the_line():
    x = leaf([1.0, -1.0])
    with detect_anomaly():
        y = x * 2  # fine
        with pytest.raises(FloatingPointError) as error:
            line = here()
            y.log()  # log(-2) = nan
    assert_points_at(error, "log forward", line)
    assert isinstance(error.value, RuntimeError)  # what torch's anomaly mode raises


def test_forward_inf_from_an_overflow():
    x = leaf([1.0, 800.0])
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            line = here()
            (x * 1.0).exp()
    assert_points_at(error, "exp forward", line)


def test_backward_inf_names_the_op_that_created_it_not_the_backward_call():
    x = leaf([4.0, 0.0])
    with detect_anomaly():
        line = here()
        root = x.sqrt()  # finite forward; d/dx sqrt x = inf at 0
        loss = (root * 3.0).sum()
        with pytest.raises(FloatingPointError) as error:
            loss.backward()
    assert_points_at(error, "sqrt backward", line)
    assert "mul" not in str(error.value) and "sum" not in str(error.value)  # those gradients were finite


def test_the_first_bad_op_raises_not_a_later_one():
    x = leaf([0.0])
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            line = here()
            a = x.log()  # -inf: the first anomaly
            a * 0.0  # would be nan, never reached
    assert_points_at(error, "log forward", line)


def test_an_op_inside_the_package_points_at_the_users_line():
    model = nn.Linear(2, 1)
    model.weight.array[...] = np.inf
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            line = here()
            model(te.ones(3, 2))  # the inf appears inside te.nn: the report names this line
    assert_points_at(error, "linear forward", line)
    assert f"{os.sep}tinygrad_ed{os.sep}" not in str(error.value)


def test_an_inf_that_would_make_a_loss_nan():
    logits = leaf([[1.0, 2.0]])
    loss = F.cross_entropy(logits * np.inf, te.tensor([0]))  # outside anomaly mode: quietly nan
    assert np.isnan(loss.item())
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            line = here()
            F.cross_entropy(logits * np.inf, te.tensor([0]))
    assert_points_at(error, "mul forward", line)


def test_nan_gradient_fed_from_outside():
    x = leaf([1.0, 2.0])
    with detect_anomaly():
        line = here()
        y = x.exp()
        with pytest.raises(FloatingPointError) as error:
            y.backward(te.tensor([1.0, np.nan], dtype=te.float64))
    assert_points_at(error, "exp backward", line)


def test_custom_function_is_named():
    class Reciprocal(Primitive):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 1 / x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return -g / (x * x)

    x = leaf([0.5, 0.0])
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as error:
            line = here()
            Reciprocal.apply(x)
    assert_points_at(error, "reciprocal forward", line)


def test_second_order_gradients_are_checked_too():
    x = leaf([0.0, 1.0])
    with detect_anomaly():
        y = (x * x * x).sum()
        (first,) = grad(y, x, create_graph=True)  # 3x^2: finite
        line = here()
        bad = first.sqrt()  # sqrt(0) is finite, its derivative is not
        with pytest.raises(FloatingPointError) as error:
            bad.sum().backward()
    assert_points_at(error, "sqrt backward", line)


def test_without_anomaly_mode_nan_flows_silently_and_the_mode_is_restored():
    x = leaf([-1.0])
    y = x.log()
    assert np.isnan(y.item())
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            x.log()
    y = x.log()  # the mode ended with the exception
    assert np.isnan(y.item())
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(FloatingPointError):  # the inner exit restored the outer mode
            x.log()


def test_finite_training_is_unaffected():
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    data, labels = te.randn(8, 3), te.tensor([0, 1] * 4)
    with detect_anomaly():
        loss = F.cross_entropy(model(data), labels)
        loss.backward()
    reference = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    F.cross_entropy(model(data), labels).backward()
    for p, g in zip(model.parameters(), reference):
        np.testing.assert_array_equal(p.grad.numpy(), g)


def test_anomaly_mode_is_per_thread():
    x = leaf([-1.0])
    inside, entered, checked = {}, threading.Event(), threading.Event()

    def worker():
        with detect_anomaly():
            entered.set()
            checked.wait(5)
            try:
                x.log()
                inside["worker"] = "no error"
            except FloatingPointError:
                inside["worker"] = "raised"

    thread = threading.Thread(target=worker)
    thread.start()
    assert entered.wait(5)
    inside["main"] = np.isnan(x.log().item())  # the worker is in anomaly mode; this thread is not
    checked.set()
    thread.join(5)
    assert inside == {"main": True, "worker": "raised"}
