"""The front door: every layer, functional op and loss takes Tensors only, with torch's TypeError naming
the function, the argument and the fix; matrix products of mixed dtypes raise as torch's do."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
import tinygrad_ed.nn.functional as F

X = np.ones((4, 3), np.float32)
T = te.ones(4, 3)
LABELS = te.tensor([0, 1, 2, 0])
PROBS = te.full((4, 3), 0.5)

# (call, the function name and argument torch's error names)
NOT_TENSOR = [
    (lambda: nn.Linear(3, 2)(X), "linear", "input", 1),
    (lambda: nn.Linear(3, 2)(X.tolist()), "linear", "input", 1),
    (lambda: F.linear(X, te.ones(2, 3)), "linear", "input", 1),
    (lambda: F.linear(T, np.ones((2, 3), np.float32)), "linear", "weight", 2),
    (lambda: F.linear(T, te.ones(2, 3), np.ones(2, np.float32)), "linear", "bias", 3),
    (lambda: F.linear(T, te.ones(2, 3), 1.0), "linear", "bias", 3),
    (lambda: F.relu(X), "relu", "input", 1),
    (lambda: nn.ReLU()(X), "relu", "input", 1),
    (lambda: F.sigmoid(X), "sigmoid", "input", 1),
    (lambda: nn.Sigmoid()(X), "sigmoid", "input", 1),
    (lambda: F.tanh(X), "tanh", "input", 1),
    (lambda: nn.Tanh()(X), "tanh", "input", 1),
    (lambda: F.softmax(X, 1), "softmax", "input", 1),
    (lambda: nn.Softmax(1)(X), "softmax", "input", 1),
    (lambda: F.log_softmax(X, 1), "log_softmax", "input", 1),
    (lambda: nn.LogSoftmax(1)(X), "log_softmax", "input", 1),
    (lambda: F.dropout(X), "dropout", "input", 1),
    (lambda: nn.Dropout()(X), "dropout", "input", 1),
    (lambda: nn.Flatten()(X), "flatten", "input", 1),
    (lambda: nn.Sequential(nn.Linear(3, 2), nn.ReLU())(X), "linear", "input", 1),
    (lambda: te.matmul(X, te.ones(3, 2)), "matmul", "input", 1),
    (lambda: T @ np.ones((3, 2), np.float32), "matmul", "other", 2),
    (lambda: np.ones((2, 4), np.float32) @ T, "matmul", "input", 1),
    (lambda: F.mse_loss(X, T), "mse_loss", "input", 1),
    (lambda: F.mse_loss(T, X), "mse_loss", "target", 2),
    (lambda: nn.MSELoss()(T, X), "mse_loss", "target", 2),
    (lambda: F.l1_loss(T, X.tolist()), "l1_loss", "target", 2),
    (lambda: nn.L1Loss()(X, T), "l1_loss", "input", 1),
    (lambda: F.huber_loss(T, X), "huber_loss", "target", 2),
    (lambda: nn.HuberLoss()(T, X), "huber_loss", "target", 2),
    (lambda: F.smooth_l1_loss(T, X), "smooth_l1_loss", "target", 2),
    (lambda: nn.SmoothL1Loss()(T, X), "smooth_l1_loss", "target", 2),
    (lambda: F.cross_entropy(X, LABELS), "cross_entropy", "input", 1),
    (lambda: F.cross_entropy(T, [0, 1, 2, 0]), "cross_entropy", "target", 2),
    (lambda: nn.CrossEntropyLoss()(T, np.array([0, 1, 2, 0])), "cross_entropy", "target", 2),
    (lambda: F.cross_entropy(T, LABELS, weight=np.ones(3, np.float32)), "cross_entropy", "weight", 3),
    (lambda: nn.CrossEntropyLoss(weight=[1.0, 1.0, 1.0])(T, LABELS), "cross_entropy", "weight", 3),
    (lambda: F.nll_loss(T, np.array([0, 1, 2, 0])), "nll_loss", "target", 2),
    (lambda: nn.NLLLoss()(X, LABELS), "nll_loss", "input", 1),
    (lambda: F.nll_loss(T, LABELS, weight=[1.0, 1.0, 1.0]), "nll_loss", "weight", 3),
    (lambda: F.binary_cross_entropy(PROBS, X), "binary_cross_entropy", "target", 2),
    (lambda: nn.BCELoss()(PROBS, X), "binary_cross_entropy", "target", 2),
    (lambda: F.binary_cross_entropy(PROBS, PROBS, weight=X), "binary_cross_entropy", "weight", 3),
    (lambda: F.binary_cross_entropy_with_logits(X, PROBS), "binary_cross_entropy_with_logits", "input", 1),
    (lambda: nn.BCEWithLogitsLoss()(T, X), "binary_cross_entropy_with_logits", "target", 2),
    (lambda: F.binary_cross_entropy_with_logits(T, PROBS, pos_weight=np.ones(3)),
     "binary_cross_entropy_with_logits", "pos_weight", 5),
]


@pytest.mark.parametrize("call, op, name, position", NOT_TENSOR)
def test_non_tensor_arguments_raise_a_type_error_naming_function_argument_and_fix(call, op, name, position):
    with pytest.raises(TypeError) as error:
        call()
    message = str(error.value)
    assert message.startswith(f"{op}(): argument '{name}' (position {position}) must be Tensor, not ")
    assert "te.tensor(x) or te.from_numpy(x)" in message


@pytest.mark.parametrize("value, shown", [(X, "numpy.ndarray"), ([1.0], "list"), (1.0, "float"), (None, "NoneType")])
def test_the_type_is_named_as_torch_names_it(value, shown):
    with pytest.raises(TypeError, match=f"must be Tensor, not {shown} "):
        F.linear(value, te.ones(2, 3))


def test_torch_raises_a_type_error_for_the_same_calls():
    torch = pytest.importorskip("torch")
    t = torch.ones(4, 3)
    for call in (lambda: torch.nn.Linear(3, 2)(X), lambda: torch.nn.functional.linear(t, X[:2]),
                 lambda: torch.nn.functional.relu(X), lambda: torch.nn.functional.dropout(X),
                 lambda: torch.matmul(X, t.T), lambda: torch.nn.functional.cross_entropy(t, np.zeros(4, np.int64)),
                 lambda: torch.nn.functional.mse_loss(X, t)):
        with pytest.raises(TypeError):
            call()
    torch_message = r"^linear\(\): argument 'input' \(position 1\) must be Tensor, not numpy.ndarray"
    with pytest.raises(TypeError, match=torch_message):
        torch.nn.Linear(3, 2)(X)


def test_identity_passes_anything_through_as_torch():
    assert nn.Identity()(X) is X


MIXED = [
    (lambda: nn.Linear(3, 2)(te.ones(4, 3, dtype=te.float64)), "linear", "Double and Float"),
    (lambda: nn.Linear(3, 2)(te.ones(5, 4, 3, dtype=te.float64)), "linear", "Double and Float"),
    (lambda: F.linear(te.ones(4, 3), te.ones(2, 3, dtype=te.float64)), "linear", "Float and Double"),
    (lambda: F.linear(te.ones(4, 3), te.ones(2, 3), te.ones(2, dtype=te.float64)), "linear", "Double and Float"),
    (lambda: te.ones(4, 3) @ te.ones(3, 2, dtype=te.float64), "matmul", "Float and Double"),
    (lambda: te.matmul(te.ones(3, dtype=te.float64), te.ones(3)), "matmul", "Double and Float"),
    (lambda: te.ones(4, 3).matmul(te.ones(3, 2, dtype=te.int64)), "matmul", "Float and Long"),
    (lambda: te.ones(4, 3, dtype=te.float16) @ te.ones(3, 2), "matmul", "Half and Float"),
]


@pytest.mark.parametrize("call, op, dtypes", MIXED)
def test_matrix_products_of_mixed_dtypes_raise_as_torch(call, op, dtypes):
    with pytest.raises(RuntimeError, match=f"^{op}\\(\\): .* must have the same dtype, but got {dtypes}"):
        call()


def test_torch_raises_for_mixed_dtypes_too():
    torch = pytest.importorskip("torch")
    for call in (lambda: torch.nn.Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64)),
                 lambda: torch.ones(4, 3) @ torch.ones(3, 2, dtype=torch.float64),
                 lambda: torch.ones(4, 3) @ torch.ones(3, 2, dtype=torch.int64),
                 lambda: torch.nn.functional.linear(torch.ones(4, 3), torch.ones(2, 3), torch.ones(2).double())):
        with pytest.raises(RuntimeError, match="have the same dtype"):
            call()
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        torch.nn.Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64))


def test_one_dtype_products_and_weak_python_numbers_still_work():
    layer = nn.Linear(3, 2, dtype=te.float64)
    out = layer(te.ones(4, 3, dtype=te.float64))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.detach().numpy(), np.ones((4, 3)) @ layer.weight.detach().numpy().T + layer.bias.detach().numpy())
    assert (te.ones(2, 3, dtype=te.int64) @ te.ones(3, dtype=te.int64)).tolist() == [3, 3]
    assert (nn.Linear(3, 2)(T) * 2.0 + 1).dtype == np.float32  # Python numbers stay weak
    assert (T * np.float64(2.0)).dtype == np.float32
    assert (te.ones(3, dtype=te.float64) * te.ones(3)).dtype == np.float64  # elementwise ops still promote
    assert F.mse_loss(T, te.ones(4, 3, dtype=te.float64)).dtype == np.float64  # as torch: the loss promotes


def test_mixed_dtypes_match_torch_for_losses():
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.mse_loss(torch.ones(4, 3), torch.zeros(4, 3, dtype=torch.float64))
    assert str(F.mse_loss(T, te.zeros(4, 3, dtype=te.float64)).dtype) == str(expected.dtype).removeprefix("torch.")
