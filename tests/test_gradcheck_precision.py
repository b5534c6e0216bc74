"""gradcheck on inputs that are not float64 warns as torch does, and a mismatch then says why."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck
from tinygrad_ed.autograd.gradcheck import GradcheckError

X = np.linspace(-1, 1, 5)


def test_float32_input_warns_naming_float64_and_the_mismatch_says_why():
    x = te.tensor(X, dtype=te.float32, requires_grad=True)
    with (pytest.warns(UserWarning, match=r"input #0 requires grad and is float32, not float64"),
          pytest.raises(GradcheckError, match=r"inputs \[0\] are not float64.*may not be a bug")):
        gradcheck(lambda t: (t * 3.0).exp(), (x,))


def test_float64_inputs_do_not_warn():
    x = te.tensor(X, requires_grad=True, dtype=te.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda t: t.exp(), (x,))
        assert gradgradcheck(lambda t: t.exp(), (x,))


def test_only_inputs_that_require_grad_count():
    x = te.tensor(X, dtype=te.float64, requires_grad=True)
    constant = te.tensor(X, dtype=te.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda a, b: a * b.double(), (x, constant))
    imprecise = te.tensor(X, dtype=te.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="input #1 requires grad and is float32"), pytest.raises(GradcheckError):
        gradcheck(lambda a, b: (a * b.double() * 5).exp(), (x, imprecise))


def test_gradgradcheck_warns_too():
    x = te.tensor(X, dtype=te.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="not float64"), pytest.raises(GradcheckError, match="not float64"):
        gradgradcheck(lambda t: (t * 3.0).exp(), (x,))


def test_torch_warns_for_float32_inputs_too():
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, dtype=torch.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="not of double precision"):
        torch.autograd.gradcheck(lambda t: t.exp(), (x,), raise_exception=False)
