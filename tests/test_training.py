"""End to end: a small MLP learns a fixed synthetic 3-class problem with batch, mini-batch and stochastic
gradient descent (DataLoader's batch_size picks which), and a saved checkpoint restores it."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
from tinygrad_ed.nn.data import DataLoader, TensorDataset
from tinygrad_ed.nn.optim import SGD


def blobs(n_per_class, seed):
    """Three Gaussian blobs (std 0.7) around points 2.5 apart on a circle: about 97% separable."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(3) / 3
    centers = 1.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(3), n_per_class)
    x = centers[y] + 0.7 * rng.standard_normal((3 * n_per_class, 2))
    return x.astype(np.float32), y


def accuracy(model, x, y):
    model.eval()
    with te.no_grad():
        predicted = model(te.tensor(x)).argmax(1).numpy()
    model.train()
    return float((predicted == y).mean())


def train(batch_size, epochs, lr, momentum=0.0):
    te.manual_seed(0)
    x, y = blobs(100, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    steps, first_loss = 0, None
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            first_loss = loss.item() if first_loss is None else first_loss
            steps += 1
    full_loss = loss_fn(model(te.tensor(x)), te.tensor(y)).item()
    return model, steps, first_loss, full_loss


@pytest.mark.parametrize("flavour, batch_size, epochs, lr, momentum, expected_steps", [
    ("batch", 300, 60, 0.5, 0.9, 60),          # batch_size = len(dataset): one step per epoch
    ("mini-batch", 32, 10, 0.1, 0.9, 100),     # 10 batches per epoch, the last one of 12
    ("stochastic", 1, 2, 0.02, 0.0, 600),      # one sample per step
])
def test_mlp_learns_three_blobs(flavour, batch_size, epochs, lr, momentum, expected_steps):
    model, steps, first_loss, final_loss = train(batch_size, epochs, lr, momentum)
    assert steps == expected_steps
    assert final_loss < 0.5 * first_loss
    x_train, y_train = blobs(100, seed=0)
    x_test, y_test = blobs(200, seed=1)  # fresh samples from the same distribution
    assert accuracy(model, x_train, y_train) >= 0.9
    assert accuracy(model, x_test, y_test) >= 0.9


def test_trained_model_survives_a_checkpoint(tmp_path):
    model, *_ = train(32, 5, 0.1, 0.9)
    te.save(model.state_dict(), tmp_path / "mlp.ckpt")
    restored = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    restored.load_state_dict(te.load(tmp_path / "mlp.ckpt"))
    x, y = blobs(200, seed=1)
    assert accuracy(restored, x, y) == accuracy(model, x, y) >= 0.9


def test_training_is_repeatable_with_manual_seed():
    a, *_ = train(32, 2, 0.1, 0.9)
    b, *_ = train(32, 2, 0.1, 0.9)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
