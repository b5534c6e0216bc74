"""Bad input, walked as a table: each case raises the expected exception type, with a message that
names the op and what was wrong (shapes, values, the remedy), and leaves the model, the optimizer and
the checkpoint file exactly as they were."""
from __future__ import annotations

import copy
import io
import json
import os
import pickle
import zipfile
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd import ShapeError, grad
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.data import DataLoader, Dataset, TensorDataset
from tinygrad_ed.nn.optim import SGD


class World:
    """A trained model, its optimizer (with momentum state) and its checkpoint, fresh for every case."""

    def __init__(self, tmp_path):
        te.manual_seed(0)
        self.model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
        self.opt = SGD(self.model.parameters(), lr=0.1, momentum=0.9)
        F.mse_loss(self.model(te.randn(4, 2)), te.randn(4, 1)).backward()
        self.opt.step()
        self.checkpoints = tmp_path / "checkpoints"
        self.checkpoints.mkdir()
        self.path = self.checkpoints / "model.ckpt"
        te.save({"model": self.model.state_dict(), "optimizer": self.opt.state_dict()}, self.path)
        self.scratch = tmp_path / "scratch"  # crafted bad files live here, outside the snapshot
        self.scratch.mkdir()

    def state(self):
        return self.model.state_dict()

    def opt_state(self):
        return copy.deepcopy(self.opt.state_dict())

    def scratch_file(self, name: str, content: bytes):
        path = self.scratch / name
        path.write_bytes(content)
        return path

    def snapshot(self) -> Any:
        params = self.model.parameters()
        return ([p.array.copy() for p in params], [p.grad.array.copy() for p in self.model.parameters()],
                [p.requires_grad for p in self.model.parameters()], self.opt_state(),
                sorted(os.listdir(self.checkpoints)), self.path.read_bytes())


def assert_same(a: Any, b: Any) -> None:
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b


@dataclass
class Case:
    name: str
    call: Callable[[World], Any]
    error: type
    words: tuple[str, ...]


CASES: list[Case] = []


def case(name: str, error: type, *words: str) -> Callable:
    def register(call: Callable[[World], Any]) -> Callable:
        CASES.append(Case(name, call, error, words))
        return call
    return register


def bad(name: str, error: type, call: Callable[[World], Any], *words: str) -> None:
    CASES.append(Case(name, call, error, words))


A, B = te.ones(2, 3), te.ones(4, 5)
X = te.randn(4, 3, requires_grad=True)
LABELS = te.tensor([0, 1, 2, 0])

# -- shape mismatches name the op and both shapes ---------------------------------------------
for op, fn in {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
               "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "maximum": te.maximum,
               "minimum": te.minimum, "lt": lambda a, b: a < b, "eq": lambda a, b: a == b}.items():
    bad(f"{op}-shapes", ShapeError, lambda w, fn=fn: fn(A, B), op, "(2, 3)", "(4, 5)")
bad("add-ndarray-shapes", ShapeError, lambda w: A + np.ones((4, 5)), "add", "(2, 3)", "(4, 5)")
bad("radd-ndarray-shapes", ShapeError, lambda w: np.ones((4, 5)) + A, "add", "(2, 3)", "(4, 5)")
bad("where-shapes", ShapeError, lambda w: te.where(A > 0, A, B), "where", "(2, 3)", "(4, 5)")
bad("clamp-bound-shape", ShapeError, lambda w: A.clamp(min=te.zeros(5)), "clamp", "(2, 3)", "(5,)")
bad("matmul-inner", ShapeError, lambda w: A @ A, "matmul", "(2, 3)", "inner dimensions 3 and 2")
bad("matmul-vectors", ShapeError, lambda w: te.ones(3) @ te.ones(4), "matmul", "(3,)", "(4,)")
bad("matmul-batch", ShapeError, lambda w: te.ones(2, 2, 3) @ te.ones(3, 3, 4), "matmul", "(2, 2, 3)", "(3, 3, 4)")
bad("matmul-0d", ShapeError, lambda w: te.tensor(2.0) @ te.ones(3), "matmul", "()", "(3,)")
bad("linear-weight", ShapeError, lambda w: F.linear(A, te.ones(4, 5)), "linear", "(2, 3)", "(4, 5)")
bad("linear-bias", ShapeError, lambda w: F.linear(A, te.ones(4, 3), te.ones(5)), "linear", "(5,)", "(4, 3)")
bad("Linear-in-features", ShapeError, lambda w: w.model(te.ones(4, 5)), "linear", "(4, 5)", "(3, 2)")
bad("cat-shapes", ShapeError, lambda w: te.cat([A, B]), "cat", "(2, 3)", "(4, 5)")
bad("cat-ndim", ShapeError, lambda w: te.cat([A, te.ones(3)]), "cat", "(2, 3)", "(3,)")
bad("cat-0d", ShapeError, lambda w: te.cat([te.tensor(1.0), te.tensor(2.0)]), "cat", "zero-dimensional")
bad("cat-dim", IndexError, lambda w: te.cat([A, A], dim=2), "cat", "dim 2")
bad("cat-empty", TypeError, lambda w: te.cat([]), "cat", "non-empty")
bad("cat-tensor", TypeError, lambda w: te.cat(A), "cat", "sequence")
bad("stack-shapes", ShapeError, lambda w: te.stack([A, A.T]), "stack", "(2, 3)", "(3, 2)")
bad("reshape-size", ShapeError, lambda w: A.reshape(4, 2), "reshape", "(2, 3)", "(4,2)")
bad("view-size", ShapeError, lambda w: A.view(7), "reshape", "(2, 3)", "(7,)")
bad("reshape-two-unknown", ShapeError, lambda w: A.reshape(-1, -1), "reshape", "(2, 3)", "one unknown")
bad("reshape-negative", ShapeError, lambda w: A.reshape(-2, 3), "reshape", "(-2, 3)", "(2, 3)")
bad("reshape-float", TypeError, lambda w: A.reshape(2.5, 3), "reshape", "2.5")
bad("expand-size", ShapeError, lambda w: A.expand(4, 5), "expand", "(2, 3)", "(4, 5)")
bad("expand-fewer-dims", ShapeError, lambda w: A.expand(3), "expand", "(2, 3)", "(3,)")
bad("expand-new-minus-one", ShapeError, lambda w: A.expand(-1, 2, 3), "expand", "(2, 3)", "(-1, 2, 3)")
bad("expand-negative", ShapeError, lambda w: te.ones(1, 3).expand(-2, 3), "expand", "(1, 3)", "(-2, 3)")
bad("permute-repeat", ShapeError, lambda w: A.permute(0, 0), "permute", "(0, 0)", "(2, 3)")
bad("permute-count", ShapeError, lambda w: A.permute(0), "permute", "(2, 3)")
bad("transpose-dim", IndexError, lambda w: A.transpose(0, 5), "transpose", "dim 5")
bad("squeeze-dim", IndexError, lambda w: A.squeeze(4), "squeeze", "dim 4")
bad("unsqueeze-dim", IndexError, lambda w: A.unsqueeze(4), "unsqueeze", "dim 4")
bad("flatten-order", ValueError, lambda w: A.flatten(1, 0), "flatten", "start_dim 1", "end_dim 0")
bad("sum-dim", IndexError, lambda w: A.sum(2), "sum", "dim 2", "[-2, 1]")
bad("sum-dim-float", TypeError, lambda w: A.sum(1.5), "sum", "1.5")
bad("sum-dim-repeat", ValueError, lambda w: A.sum((1, -1)), "sum", "repeats")
bad("mean-int", RuntimeError, lambda w: te.tensor([1, 2]).mean(), "mean", "int64")
bad("softmax-dim", IndexError, lambda w: A.softmax(3), "softmax", "dim 3")
bad("max-dim", IndexError, lambda w: A.max(2), "max", "dim 2")
bad("getitem-bounds", IndexError, lambda w: A[5], "getitem", "index 5", "size 2")
bad("getitem-too-many", IndexError, lambda w: A[0, 0, 0], "getitem", "too many")
bad("getitem-float", IndexError, lambda w: A[1.5], "getitem")
bad("getitem-float-tensor", IndexError, lambda w: A[te.tensor([0.0])], "getitem", "float32")
bad("getitem-mask-length", IndexError, lambda w: A[te.tensor([True, False, True])], "getitem", "(2, 3)")
bad("clamp-no-bounds", RuntimeError, lambda w: A.clamp(), "clamp", "min", "max")
bad("var-correction", TypeError, lambda w: X.var(0, correction="1"), "var", "'1'")
bad("argmax-empty-dim", ValueError, lambda w: te.ones(3, 0).argmax(1), "argmax", "(3, 0)")
bad("transpose-dim-none", TypeError, lambda w: A.transpose(None, 0), "transpose", "None")
bad("argmax-dim-tuple", TypeError, lambda w: A.argmax((0, 1)), "argmax", "(0, 1)")
bad("squeeze-0d-dim", IndexError, lambda w: te.tensor(1.0).squeeze(1), "squeeze", "dim 1")
bad("flatten-0d-dim", IndexError, lambda w: te.tensor(1.0).flatten(1), "flatten", "dim 1")
bad("getitem-ragged-list", IndexError, lambda w: A[[[0], 1]], "getitem", "ragged")

# -- losses -----------------------------------------------------------------------------------
for op in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
    bad(f"{op}-shapes", ShapeError, lambda w, op=op: getattr(F, op)(X, te.randn(4)), op, "(4, 3)", "(4,)")
bad("MSELoss-module-shapes", ShapeError, lambda w: nn.MSELoss()(X, te.randn(3, 1)), "mse_loss", "(4, 3)", "(3, 1)")
bad("bce-shapes", ShapeError, lambda w: F.binary_cross_entropy(X.sigmoid(), te.rand(4)),
    "binary_cross_entropy", "(4, 3)", "(4,)")
bad("bce-logits-shapes", ShapeError, lambda w: F.binary_cross_entropy_with_logits(X, te.rand(3)),
    "binary_cross_entropy_with_logits", "(4, 3)", "(3,)")
bad("ce-label-high", IndexError, lambda w: F.cross_entropy(X, te.tensor([0, 1, 3, 0])), "cross_entropy",
    "target 3", "3 classes")
bad("ce-label-negative", IndexError, lambda w: F.cross_entropy(X, te.tensor([0, -1, 1, 0])), "cross_entropy",
    "target -1", "3 classes")
bad("ce-label-weighted", IndexError, lambda w: F.cross_entropy(X, te.tensor([0, 7, 1, 0]), weight=[1.0, 2.0, 3.0]),
    "cross_entropy", "target 7", "3 classes")
bad("ce-label-smoothed", IndexError, lambda w: F.cross_entropy(X, te.tensor([5, 0, 1, 0]), label_smoothing=0.1),
    "cross_entropy", "target 5", "3 classes")
bad("ce-label-other-ignore", IndexError, lambda w: F.cross_entropy(X, te.tensor([0, -100, 1, 0]), ignore_index=-1),
    "cross_entropy", "target -100", "ignore_index=-1")
bad("CrossEntropyLoss-label", IndexError, lambda w: nn.CrossEntropyLoss()(X, te.tensor([0, 1, 9, 0])),
    "cross_entropy", "target 9", "3 classes")
bad("nll-label", IndexError, lambda w: F.nll_loss(X.log_softmax(1), te.tensor([0, 1, 3, 0])), "nll_loss",
    "target 3", "3 classes")
bad("ce-int-probabilities", TypeError, lambda w: F.cross_entropy(X, te.ones(4, 3, dtype=te.int64)),
    "cross_entropy", "floating point", "int64")
bad("ce-float-labels", TypeError, lambda w: F.cross_entropy(X, te.tensor([0.0, 1.0, 2.0, 0.0])),
    "cross_entropy", "integers", "float32")
bad("nll-float-labels", TypeError, lambda w: F.nll_loss(X, te.tensor([0.0, 1.0, 2.0, 0.0])), "nll_loss", "float32")
bad("ce-bool-labels", TypeError, lambda w: F.cross_entropy(X, te.tensor([True, False, True, False])),
    "cross_entropy", "bool")
bad("ce-target-shape", ShapeError, lambda w: F.cross_entropy(X, te.tensor([0, 1])), "cross_entropy", "(2,)", "(4, 3)")
bad("ce-probabilities-shape", ShapeError, lambda w: F.cross_entropy(X, te.rand(4, 2)), "cross_entropy",
    "(4, 2)", "(4, 3)")
bad("ce-weight-shape", ShapeError, lambda w: F.cross_entropy(X, LABELS, weight=te.ones(4)), "cross_entropy",
    "(3,)", "(4,)")
bad("ce-0d-input", ShapeError, lambda w: F.cross_entropy(te.tensor(1.0), te.tensor(0)), "cross_entropy", "0-d")
bad("ce-int-logits", TypeError, lambda w: F.cross_entropy(te.tensor([[1, 2]]), te.tensor([0])), "cross_entropy",
    "int64")
bad("ce-label-smoothing", ValueError, lambda w: F.cross_entropy(X, LABELS, label_smoothing=1.5), "cross_entropy",
    "label_smoothing", "1.5")
bad("bce-int-target", TypeError, lambda w: F.binary_cross_entropy(X.sigmoid(), te.ones(4, 3, dtype=te.int64)),
    "binary_cross_entropy", "int64")
bad("bce-logits-int-target", TypeError,
    lambda w: F.binary_cross_entropy_with_logits(X, te.ones(4, 3, dtype=te.int64)),
    "binary_cross_entropy_with_logits", "int64")
bad("bce-logits-bool-target", TypeError,
    lambda w: F.binary_cross_entropy_with_logits(X, te.ones(4, 3, dtype=te.bool)),
    "binary_cross_entropy_with_logits", "bool")
bad("bce-input-range", ValueError, lambda w: F.binary_cross_entropy(X, te.rand(4, 3)), "binary_cross_entropy",
    "between 0 and 1")
bad("bce-input-nan", ValueError, lambda w: F.binary_cross_entropy(te.tensor([float("nan")]), te.rand(1)),
    "binary_cross_entropy", "between 0 and 1")
bad("bce-weight-shape", ShapeError, lambda w: F.binary_cross_entropy(X.sigmoid(), te.rand(4, 3), weight=te.ones(5)),
    "binary_cross_entropy", "(5,)", "(4, 3)")
bad("bce-logits-pos-weight-shape", ShapeError,
    lambda w: F.binary_cross_entropy_with_logits(X, te.rand(4, 3), pos_weight=te.ones(5)),
    "binary_cross_entropy_with_logits", "(5,)", "(4, 3)")
bad("loss-reduction", ValueError, lambda w: F.mse_loss(X, X, reduction="avg"), "mse_loss", "'avg'")
bad("loss-reduction-not-a-string", ValueError, lambda w: F.l1_loss(X, X, reduction=np.array(["mean", "sum"])),
    "l1_loss", "reduction")
bad("ce-no-classes", ShapeError, lambda w: F.cross_entropy(te.zeros(2, 0), te.zeros(2, 0), label_smoothing=0.1),
    "cross_entropy", "(2, 0)", "no classes")
bad("ce-weight-strings", TypeError, lambda w: F.cross_entropy(X, LABELS, weight=["a", "b", "c"]), "cross_entropy",
    "weight")
bad("nll-bool-input", TypeError, lambda w: F.nll_loss(te.tensor([[True, False]]), te.tensor([1])), "nll_loss",
    "bool")
bad("bce-logits-pos-weight-object", TypeError,
    lambda w: F.binary_cross_entropy_with_logits(X, te.rand(4, 3), pos_weight=object()),
    "binary_cross_entropy_with_logits", "pos_weight", "object")
bad("loss-module-reduction", ValueError, lambda w: nn.CrossEntropyLoss(reduction="x"), "CrossEntropyLoss", "'x'")
bad("loss-int-input", TypeError, lambda w: F.mse_loss(te.tensor([1, 2]), te.tensor([1.0, 2.0])), "mse_loss", "int64")
bad("loss-list-input", TypeError, lambda w: F.l1_loss([1.0], [1.0]), "l1_loss", "list")
bad("huber-delta", ValueError, lambda w: F.huber_loss(X, X, delta=0.0), "huber_loss", "delta")
bad("dropout-p", ValueError, lambda w: F.dropout(X, 1.5), "dropout", "1.5")
bad("dropout-p-string", ValueError, lambda w: F.dropout(X, "0.5"), "dropout", "0.5")
bad("Dropout-module-p", ValueError, lambda w: nn.Dropout(-0.1), "Dropout", "-0.1")
bad("Linear-negative", ValueError, lambda w: nn.Linear(-1, 3), "Linear", "-1")
bad("Linear-float", ValueError, lambda w: nn.Linear(2.5, 3), "Linear", "2.5")

# -- building tensors ---------------------------------------------------------------------------
bad("ragged", ValueError, lambda w: te.tensor([[1.0, 2.0], [3.0]]), "tensor", "ragged")
bad("ragged-deep", ValueError, lambda w: te.tensor([[[1.0], [2.0]], [[3.0]]]), "tensor", "ragged")
bad("ragged-scalar-and-list", ValueError, lambda w: te.tensor([1.0, [2.0]]), "tensor", "ragged")
bad("object-array", TypeError, lambda w: te.tensor(np.array([1.0, object()], dtype=object)), "tensor", "object")
bad("object-array-numbers", TypeError, lambda w: te.tensor(np.array([1, 2], dtype=object)), "tensor", "object")
bad("list-with-none", TypeError, lambda w: te.tensor([1.0, None]), "tensor", "object")
bad("strings", TypeError, lambda w: te.tensor(["a", "b"]), "tensor", "<U1")
bad("dict", TypeError, lambda w: te.tensor({"a": 1}), "tensor", "object")
bad("complex", TypeError, lambda w: te.tensor([1j]), "tensor", "complex128")
bad("add-string", TypeError, lambda w: A + "x", "Tensor", "<U1")
bad("mul-none", TypeError, lambda w: A * None, "Tensor", "object")
bad("int-requires-grad", RuntimeError, lambda w: te.tensor([1, 2], requires_grad=True), "requires_grad", "int64")
bad("bool-requires-grad", RuntimeError, lambda w: te.tensor([True], requires_grad=True), "requires_grad", "bool")
bad("zeros-int-requires-grad", RuntimeError, lambda w: te.zeros(2, dtype=te.int64, requires_grad=True),
    "requires_grad", "int64")
bad("requires-grad-int-method", RuntimeError, lambda w: te.arange(3).requires_grad_(), "requires_grad", "int64")
bad("parameter-int", RuntimeError, lambda w: nn.Parameter(te.tensor([1, 2])), "requires_grad", "int64")
bad("from-numpy-list", TypeError, lambda w: te.from_numpy([1.0, 2.0]), "from_numpy", "list")
bad("from-numpy-object", TypeError, lambda w: te.from_numpy(np.array([None])), "from_numpy", "object")
bad("zeros-negative", ValueError, lambda w: te.zeros(2, -1), "zeros", "(2, -1)")
bad("ones-float", ValueError, lambda w: te.ones(2.5), "ones", "2.5")
bad("randn-string", ValueError, lambda w: te.randn("3"), "randn", "'3'")
bad("full-negative", ValueError, lambda w: te.full((-1,), 2.0), "full", "-1")
bad("eye-negative", ValueError, lambda w: te.eye(-1), "eye", "-1")
bad("arange-zero-step", ValueError, lambda w: te.arange(0, 5, 0), "arange", "step")
bad("arange-infinite", ValueError, lambda w: te.arange(0, float("inf")), "arange", "inf")
bad("arange-string", TypeError, lambda w: te.arange("5"), "arange", "'5'")
bad("eye-list", ValueError, lambda w: te.eye([3]), "eye", "[3]")
bad("dtype-name", TypeError, lambda w: te.zeros(2, dtype="bogus"), "dtype", "'bogus'")
bad("zeros-like-list", TypeError, lambda w: te.zeros_like([1.0, 2.0]), "zeros_like", "list")
bad("item-many", ValueError, lambda w: A.item(), "item", "6 elements")
bad("bool-many", RuntimeError, lambda w: bool(A), "ambiguous")

# -- autograd: the remedy is in the message ----------------------------------------------------


@case("backward-non-scalar", RuntimeError, "backward", "(4, 1)", "gradient=")
def _(w):
    w.model(te.ones(4, 2)).backward()


@case("backward-twice", RuntimeError, "second time", "retain_graph=True")
def _(w):
    x = te.ones(3, requires_grad=True)
    loss = (x.exp() * 2).sum()
    loss.backward()
    loss.backward()


@case("grad-twice", RuntimeError, "second time", "retain_graph=True")
def _(w):
    x = te.ones(3, requires_grad=True)
    loss = (x * x).sum()
    grad(loss, x)
    grad(loss, x)


bad("backward-no-grad", RuntimeError, lambda w: A.sum().backward(), "backward", "does not require grad")
bad("backward-gradient-shape", ShapeError, lambda w: (X * 2).backward(te.ones(3)), "backward", "(3,)", "(4, 3)")
bad("grad-input-no-grad", RuntimeError, lambda w: grad((X * 2).sum(), A), "grad", "input 0")
bad("grad-unused", RuntimeError, lambda w: grad((X * 2).sum(), te.ones(2, requires_grad=True)), "grad",
    "allow_unused=True")
bad("grad-inputs-not-tensors", TypeError, lambda w: grad((X * 2).sum(), 3), "grad", "int")
bad("requires-grad-false-non-leaf", RuntimeError, lambda w: (X * 2).requires_grad_(False), "requires_grad", "leaf")

# -- optimizers ---------------------------------------------------------------------------------
bad("sgd-negative-lr", ValueError, lambda w: SGD(w.model.parameters(), lr=-0.1), "SGD", "lr", "-0.1")
bad("sgd-nan-lr", ValueError, lambda w: SGD(w.model.parameters(), lr=float("nan")), "SGD", "lr", "nan")
bad("sgd-string-lr", ValueError, lambda w: SGD(w.model.parameters(), lr="0.1"), "SGD", "lr", "'0.1'")
bad("sgd-negative-momentum", ValueError, lambda w: SGD(w.model.parameters(), lr=0.1, momentum=-0.5), "SGD",
    "momentum", "-0.5")
bad("sgd-negative-weight-decay", ValueError, lambda w: SGD(w.model.parameters(), lr=0.1, weight_decay=-1e-4),
    "SGD", "weight_decay", "-0.0001")
bad("sgd-nesterov-no-momentum", ValueError, lambda w: SGD(w.model.parameters(), lr=0.1, nesterov=True), "SGD",
    "Nesterov")
bad("sgd-nesterov-dampening", ValueError,
    lambda w: SGD(w.model.parameters(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "SGD", "dampening")
bad("sgd-group-negative-lr", ValueError, lambda w: SGD([{"params": w.model.parameters(), "lr": -1.0}], lr=0.1),
    "SGD", "lr", "-1.0")
bad("sgd-add-group-negative-lr", ValueError,
    lambda w: SGD([w.model[0].weight], lr=0.1).add_param_group({"params": [w.model[0].bias], "momentum": -1}),
    "SGD", "momentum")
bad("sgd-params-none", TypeError, lambda w: SGD(None, lr=0.1), "SGD", "NoneType")
bad("sgd-params-tensor", TypeError, lambda w: SGD(w.model[0].weight, lr=0.1), "SGD", "Tensor")
bad("sgd-params-empty", ValueError, lambda w: SGD([], lr=0.1), "SGD", "empty")
bad("sgd-params-non-tensor", TypeError, lambda w: SGD([w.model[0].weight, "bias"], lr=0.1), "SGD", "str")
bad("sgd-params-non-leaf", ValueError, lambda w: SGD([w.model[0].weight * 2], lr=0.1), "SGD", "leaf")
bad("sgd-params-twice-in-group", ValueError, lambda w: SGD([w.model[0].weight, w.model[0].weight], lr=0.1), "SGD",
    "more than once")
bad("sgd-params-in-two-groups", ValueError,
    lambda w: SGD([{"params": [w.model[0].weight]}, {"params": [w.model[0].weight]}], lr=0.1), "SGD",
    "more than one parameter group")
bad("sgd-group-without-params", ValueError, lambda w: SGD([{"lr": 0.1}], lr=0.1), "SGD", "'params'")


def _optimizer_state(w, change: Callable[[dict], None]) -> None:
    state = w.opt_state()
    change(state)
    w.opt.load_state_dict(state)


bad("opt-load-negative-lr", ValueError,
    lambda w: _optimizer_state(w, lambda s: s["param_groups"][0].update(lr=-1.0)), "SGD", "lr", "-1.0")
bad("opt-load-buffer-shape", ValueError,
    lambda w: _optimizer_state(w, lambda s: s["state"][3].update(momentum_buffer=np.zeros(5))),
    "load_state_dict", "momentum_buffer", "(5,)", "(1,)")
bad("opt-load-unknown-parameter", ValueError,
    lambda w: _optimizer_state(w, lambda s: s["state"].update({7: {}})), "load_state_dict", "unknown parameter 7")
bad("opt-load-bad-key", ValueError,
    lambda w: _optimizer_state(w, lambda s: s["state"].update({"first": {}})), "load_state_dict", "'first'")
bad("opt-load-group-count", ValueError,
    lambda w: _optimizer_state(w, lambda s: s["param_groups"].append(dict(s["param_groups"][0]))),
    "load_state_dict", "2 parameter groups", "optimizer 1")
bad("opt-load-param-count", ValueError,
    lambda w: _optimizer_state(w, lambda s: s["param_groups"][0].update(params=[0, 1])),
    "load_state_dict", "2 parameters in the state", "4 in the optimizer")
bad("opt-load-not-a-dict", TypeError, lambda w: w.opt.load_state_dict([1, 2]), "load_state_dict", "list")
bad("opt-load-state-not-a-dict", TypeError,
    lambda w: _optimizer_state(w, lambda s: s.update(state=[1])), "load_state_dict", "list")
bad("opt-load-group-not-a-dict", TypeError,
    lambda w: _optimizer_state(w, lambda s: s.update(param_groups=[5])), "load_state_dict", "int")

# -- model state --------------------------------------------------------------------------------


@case("model-load-one-bad-shape", RuntimeError, "loading state_dict", "2.weight", "(1, 4)", "(1, 3)")
def _(w):
    state = {k: v.array + 1 for k, v in w.state().items()}  # every value new: any partial load would show
    state["2.weight"] = np.zeros((1, 4))
    w.model.load_state_dict(state)


@case("model-load-missing", RuntimeError, "loading state_dict", "missing", "2.bias")
def _(w):
    w.model.load_state_dict({k: v.array + 1 for k, v in w.state().items() if k != "2.bias"})


@case("model-load-unexpected", RuntimeError, "loading state_dict", "unexpected", "3.weight")
def _(w):
    w.model.load_state_dict({**{k: v.array + 1 for k, v in w.state().items()}, "3.weight": np.zeros(1)})


@case("model-load-string-value", RuntimeError, "loading state_dict", "0.bias", "<U3")
def _(w):
    w.model.load_state_dict({**{k: v.array + 1 for k, v in w.state().items()}, "0.bias": "abc"})


bad("model-load-not-a-dict", TypeError, lambda w: w.model.load_state_dict([("0.bias", np.zeros(3))]),
    "load_state_dict", "list")
bad("model-load-none", TypeError, lambda w: w.model.load_state_dict(None), "load_state_dict", "NoneType")

# -- data ---------------------------------------------------------------------------------------
DATA = TensorDataset(te.randn(10, 2), te.randn(10))
for size in (0, -1, 2.0, True, "4"):  # None is torch's "no batching"
    bad(f"dataloader-batch-size-{size!r}", ValueError, lambda w, size=size: DataLoader(DATA, batch_size=size),
        "DataLoader", "batch_size", repr(size))
bad("dataset-lengths", ValueError, lambda w: TensorDataset(te.randn(10, 2), te.randn(9)), "TensorDataset",
    "(10, 2)", "(9,)")
bad("dataset-no-tensors", ValueError, lambda w: TensorDataset(), "TensorDataset")
bad("dataset-0d", ValueError, lambda w: TensorDataset(te.tensor(1.0)), "TensorDataset", "()")
bad("dataset-ragged", ValueError, lambda w: TensorDataset([[1.0], [2.0, 3.0]]), "TensorDataset", "ragged")
bad("dataset-strings", TypeError, lambda w: TensorDataset(np.array(["a", "b"])), "TensorDataset", "<U1")
bad("dataloader-empty", ValueError, lambda w: DataLoader(TensorDataset(np.zeros((0, 2))), batch_size=2),
    "DataLoader", "empty")
bad("dataloader-empty-dataset-class", ValueError, lambda w: DataLoader([], batch_size=1), "DataLoader", "empty")
bad("dataloader-no-len", TypeError, lambda w: DataLoader(5, batch_size=2), "DataLoader", "int")


class Uneven(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return (np.zeros(2), 1.0) if i == 0 else (np.zeros(2),)


bad("dataloader-uneven-samples", ValueError, lambda w: list(DataLoader(Uneven(), batch_size=2)), "DataLoader")
bad("dataloader-list-samples-of-two-lengths", ValueError,
    lambda w: list(DataLoader([[1.0], [2.0, 3.0]], batch_size=2)), "DataLoader", "1 fields")
bad("dataloader-ragged-samples", ValueError,
    lambda w: list(DataLoader([np.zeros(1), np.zeros(2)], batch_size=2)), "DataLoader", "(1,)", "(2,)")
bad("dataloader-object-samples", TypeError, lambda w: list(DataLoader([object(), object()], batch_size=2)),
    "default_collate", "object")

# -- files: refused without being run, never half-written --------------------------------------


class Payload:
    """Unpickling this creates a file: proof that the pickle ran."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _pickle_file(w) -> Any:
    Payload.marker = str(w.scratch / "pwned")
    path = w.scratch_file("evil.ckpt", pickle.dumps({"model": Payload()}))
    try:
        te.load(path)
    finally:
        assert not (w.scratch / "pwned").exists(), "the pickle payload ran"


def _zip(w, name: str, structure: Any, arrays: dict[str, bytes] | None = None) -> Any:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("structure.json", structure if isinstance(structure, str) else json.dumps(structure))
        for key, value in (arrays or {}).items():
            archive.writestr(key, value)
    return te.load(w.scratch_file(name, buffer.getvalue()))


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


FORMAT = {"format": "tinygrad_ed-checkpoint-1"}
UNREADABLE = "not a readable tinygrad_ed checkpoint"
bad("load-truncated", ValueError, lambda w: te.load(w.scratch_file("half", w.path.read_bytes()[:200])), UNREADABLE)
bad("load-truncated-tail", ValueError, lambda w: te.load(w.scratch_file("cut", w.path.read_bytes()[:-30])),
    UNREADABLE)
bad("load-empty-file", ValueError, lambda w: te.load(w.scratch_file("empty", b"")), UNREADABLE)
bad("load-text-file", ValueError, lambda w: te.load(w.scratch_file("notes.txt", b"weights: 1 2 3\n")), UNREADABLE)
bad("load-pickle-payload", ValueError, _pickle_file, UNREADABLE, "pickle")
bad("load-npy-object-array", ValueError,
    lambda w: te.load(w.scratch_file("obj.npy", _npy(np.array([{"a": 1}], dtype=object)))), UNREADABLE)
bad("load-zip-with-pickled-array", ValueError,
    lambda w: _zip(w, "evil.zip", {**FORMAT, "root": {"array": 0}}, {"0.npy": _npy(np.array([Payload()]))}),
    UNREADABLE, "allow_pickle=False")
bad("load-foreign-zip", ValueError, lambda w: _zip(w, "other.zip", {"weights": [1, 2]}), UNREADABLE, "format")
bad("load-json-not-object", ValueError, lambda w: _zip(w, "list.zip", "[1, 2]"), UNREADABLE)
bad("load-json-garbage", ValueError, lambda w: _zip(w, "garbage.zip", "{not json"), UNREADABLE)
bad("load-missing-array", ValueError, lambda w: _zip(w, "missing.zip", {**FORMAT, "root": {"tensor": 3}}),
    UNREADABLE)
bad("load-unknown-entry", ValueError, lambda w: _zip(w, "entry.zip", {**FORMAT, "root": {"function": "os.system"}}),
    UNREADABLE)
bad("load-integer-requires-grad", ValueError,
    lambda w: _zip(w, "int.zip", {**FORMAT, "root": {"tensor": 0, "requires_grad": True}},
                   {"0.npy": _npy(np.arange(3))}), UNREADABLE, "int64")
bad("load-deeply-nested", ValueError,
    lambda w: _zip(w, "deep.zip", '{"format": "tinygrad_ed-checkpoint-1", "root": '
                   + '{"list": [' * 5000 + ']}' * 5000 + '}'),
    UNREADABLE)
bad("save-unsupported-object", TypeError, lambda w: te.save({"model": w.state(), "step": object()}, w.path),
    "save", "['step']", "object")
bad("save-lambda", TypeError, lambda w: te.save({"loss_fn": lambda x: x}, w.path), "save", "function")
bad("save-tuple-key", TypeError, lambda w: te.save({(1, 2): te.ones(1)}, w.path), "save", "(1, 2)")


@pytest.fixture
def world(tmp_path):
    return World(tmp_path)


def test_the_table_is_large_and_names_are_unique():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("bad_input", CASES, ids=[c.name for c in CASES])
def test_bad_input_raises_clearly_and_changes_nothing(bad_input, world):
    before = world.snapshot()
    with pytest.raises(bad_input.error) as info:
        bad_input.call(world)
    message = str(info.value)
    for word in bad_input.words:
        assert word in message, f"{word!r} not in {message!r}"
    assert_same(world.snapshot(), before)


def test_interrupted_save_leaves_the_old_file_whole(world, monkeypatch):
    before = world.path.read_bytes()
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of writing the arrays
        return real_save(*args, **kwargs)

    real_save = np.save
    monkeypatch.setattr(np, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        te.save({"model": world.state(), "optimizer": world.opt_state()}, world.path)
    monkeypatch.undo()
    assert world.path.read_bytes() == before
    assert os.listdir(world.checkpoints) == ["model.ckpt"]  # no temporary file left behind
    assert te.load(world.path)["model"].keys() == world.state().keys()


def test_a_torch_checkpoint_is_refused_without_unpickling(world):
    torch = pytest.importorskip("torch")
    Payload.marker = str(world.scratch / "pwned")
    path = world.scratch / "torch.pt"
    torch.save({"weight": torch.ones(2), "payload": Payload()}, path)
    with pytest.raises(ValueError, match="refused"):
        te.load(path)
    assert not (world.scratch / "pwned").exists()


def test_integer_requires_grad_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError):
        te.tensor([1, 2], requires_grad=True)
