"""The numpy reference: the same math as the framework contenders, written by hand.

Forward pass, softmax cross-entropy or MSE, backward pass and SGD with momentum (or Adam), each as a
few numpy calls. This is the floor the framework's overhead is measured against.
"""
from __future__ import annotations

import itertools
from typing import Callable

import numpy as np

from benchmarks.problems import ADAM_LEARNING_RATE, CHAIN_SCALE, CHAIN_SHIFT, LEARNING_RATE, MOMENTUM


class MomentumSGD:
    """torch.optim.SGD's update with momentum: buf = momentum * buf + grad; p -= lr * buf."""

    def __init__(self, params: list[np.ndarray]):
        self.params = params
        self.buffers = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        for param, buffer, grad in zip(self.params, self.buffers, grads):
            buffer *= MOMENTUM
            buffer += grad
            param -= LEARNING_RATE * buffer


class Adam:
    """torch.optim.Adam's update at its defaults, in place: m += (1 - b1)(g - m); v = b2 v + (1 - b2) g^2;
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), one work array per parameter."""

    def __init__(self, params: list[np.ndarray], betas=(0.9, 0.999), eps=1e-8):
        self.params, self.betas, self.eps, self.t = params, betas, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.work = [np.empty_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        step_size = ADAM_LEARNING_RATE / (1 - beta1 ** self.t)
        root_correction = np.sqrt(1 - beta2 ** self.t)
        for param, m, v, work, grad in zip(self.params, self.m, self.v, self.work, grads):
            m += np.multiply(np.subtract(grad, m, out=work), 1 - beta1, out=work)
            v *= beta2
            v += np.multiply(np.multiply(grad, grad, out=work), 1 - beta2, out=work)
            np.sqrt(v, out=work)
            work /= root_correction
            work += self.eps
            np.divide(m, work, out=work)
            work *= step_size
            param -= work


OPTIMIZERS = {"sgd": MomentumSGD, "adam": Adam}


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[np.floating, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = np.log(sum_exp[:, 0]).mean() - shifted[rows, labels].mean()
    grad = exp / sum_exp  # d loss / d logits = (softmax - one_hot) / batch
    grad[rows, labels] -= 1
    grad /= len(labels)
    return loss, grad


def mlp_loss_and_grads(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray):
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.maximum(np.dot(x, w1.T) + b1, 0)
    h2 = np.maximum(np.dot(h1, w2.T) + b2, 0)
    loss, g3 = cross_entropy(np.dot(h2, w3.T) + b3, labels)
    g2 = np.dot(g3, w3) * (h2 > 0)
    g1 = np.dot(g2, w2) * (h1 > 0)
    # np.dot, not @: for batch 1 the weight gradients are outer products, which @ does slowly
    return loss, [np.dot(g1.T, x), g1.sum(0), np.dot(g2.T, h1), g2.sum(0), np.dot(g3.T, h2), g3.sum(0)]


def linear_mse_loss_and_grads(params: list[np.ndarray], x: np.ndarray, y: np.ndarray):
    weight, bias = params
    diff = np.dot(x, weight.T) + bias - y
    loss = np.mean(diff * diff)
    g = diff * (2 / diff.size)  # d mean(diff^2) / d diff
    return loss, [np.dot(g.T, x), g.sum(0)]


def _training_step(loss_and_grads, weights, x_all, y_all, batch, optimizer="sgd") -> Callable[[], np.floating]:
    params = [w.copy() for w in weights]
    optimizer = OPTIMIZERS[optimizer](params)
    starts = itertools.cycle(range(0, len(x_all) - batch + 1, batch))

    def step():
        i = next(starts)
        loss, grads = loss_and_grads(params, x_all[i:i + batch], y_all[i:i + batch])
        optimizer.step(grads)
        return loss
    return step


def mlp_step(weights, x_all, y_all, batch, optimizer="sgd"):
    """A function doing one training step of the MLP on the next batch with `optimizer` ("sgd" with
    momentum or "adam"); it returns the loss."""
    return _training_step(mlp_loss_and_grads, weights, x_all, y_all, batch, optimizer)


def linear_step(weights, x_all, y_all, batch):
    """A function doing one training step of linear regression on the next batch; it returns the loss."""
    return _training_step(linear_mse_loss_and_grads, weights, x_all, y_all, batch)


def deep_chain(n: int) -> list[float]:
    """n steps of x = x * scale + shift, then d result / d x: the leanest code a person would write.

    One loop forward on numpy float64 scalars (the contenders' dtype), one loop backward multiplying by
    each step's local derivative (d(x * scale + shift)/dx = scale); no tape, no lists.
    """
    x = np.float64(1.0)
    for _ in range(n):
        x = x * CHAIN_SCALE + CHAIN_SHIFT
    grad = np.float64(1.0)
    for _ in range(n):
        grad = grad * CHAIN_SCALE
    return [float(x), float(grad)]
