"""The numpy reference: the same math as the framework contenders, written by hand.

Forward pass, softmax cross-entropy or MSE, backward pass and SGD with momentum (or Adam), each as a
few numpy calls. This is the floor the framework's overhead is measured against.
"""
from __future__ import annotations

import itertools
from typing import Callable

import numpy as np

from benchmarks.problems import (ADAM_LEARNING_RATE, BN_EPS, BN_MOMENTUM, CHAIN_SCALE, CHAIN_SHIFT, LEARNING_RATE,
                                 MOMENTUM)


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


def mlp_loss_and_grads(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, input_grad: bool = False):
    """The loss and the parameters' gradients (with input_grad, the input's gradient last)."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.maximum(np.dot(x, w1.T) + b1, 0)
    h2 = np.maximum(np.dot(h1, w2.T) + b2, 0)
    loss, g3 = cross_entropy(np.dot(h2, w3.T) + b3, labels)
    g2 = np.dot(g3, w3) * (h2 > 0)
    g1 = np.dot(g2, w2) * (h1 > 0)
    # np.dot, not @: for batch 1 the weight gradients are outer products, which @ does slowly
    grads = [np.dot(g1.T, x), g1.sum(0), np.dot(g2.T, h1), g2.sum(0), np.dot(g3.T, h2), g3.sum(0)]
    return loss, grads + [np.dot(g1, w1)] if input_grad else grads


def linear_mse_loss_and_grads(params: list[np.ndarray], x: np.ndarray, y: np.ndarray):
    weight, bias = params
    diff = np.dot(x, weight.T) + bias - y
    loss = np.mean(diff * diff)
    g = diff * (2 / diff.size)  # d mean(diff^2) / d diff
    return loss, [np.dot(g.T, x), g.sum(0)]


def conv_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, pad: int):
    """Convolution (stride 1) by im2col: each kernel tap's shifted copy of the padded input is one block
    of rows of the (N, C*k*k, H'*W') window matrix, then one matrix product per image. Returns the
    (N, O, H', W') output and the cache."""
    n, c, h, w = x.shape
    out_channels, _, kernel, _ = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    oh, ow = h + 2 * pad - kernel + 1, w + 2 * pad - kernel + 1
    windows = np.empty((n, c, kernel, kernel, oh, ow), x.dtype)
    for i in range(kernel):
        for j in range(kernel):
            windows[:, :, i, j] = padded[:, :, i:i + oh, j:j + ow]
    windows = windows.reshape(n, c * kernel * kernel, oh * ow)
    out = np.matmul(weight.reshape(out_channels, -1), windows)
    out += bias[:, None]
    return out.reshape(n, out_channels, oh, ow), (windows, weight, padded.shape, pad)


def conv_backward(g: np.ndarray, cache, input_grad: bool = True):
    """Gradients of input (unless not needed), weight and bias; col2im adds the window gradients back tap
    by tap."""
    windows, weight, padded_shape, pad = cache
    n, out_channels, oh, ow = g.shape
    kernel = weight.shape[2]
    g = g.reshape(n, out_channels, oh * ow)
    grad_weight = np.matmul(g, windows.transpose(0, 2, 1)).sum(0).reshape(weight.shape)
    grad_x = None
    if input_grad:
        grad_windows = np.matmul(weight.reshape(out_channels, -1).T, g).reshape(n, -1, kernel, kernel, oh, ow)
        grad_padded = np.zeros(padded_shape, g.dtype)
        for i in range(kernel):
            for j in range(kernel):
                grad_padded[:, :, i:i + oh, j:j + ow] += grad_windows[:, :, i, j]
        grad_x = grad_padded[:, :, pad:-pad, pad:-pad] if pad else grad_padded
    return grad_x, grad_weight, g.sum((0, 2))


def max_pool_forward(x: np.ndarray):
    """2x2 max-pooling with stride 2 (even sizes): the maximum of the four strided slices."""
    taps = [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
    out = np.maximum(np.maximum(taps[0], taps[1]), np.maximum(taps[2], taps[3]))
    return out, (taps, out, x.shape)


def max_pool_backward(g: np.ndarray, cache) -> np.ndarray:
    """The gradient goes to the first maximum of each window."""
    taps, out, shape = cache
    grad_x = np.zeros(shape, g.dtype)
    unclaimed = np.ones(out.shape, bool)
    for (i, j), tap in zip(((0, 0), (0, 1), (1, 0), (1, 1)), taps):
        winner = unclaimed & (tap == out)
        grad_x[:, :, i::2, j::2] = g * winner
        unclaimed &= ~winner
    return grad_x


class BatchNorm2d:
    """Training-mode batch norm over (N, C, H, W): batch statistics, running statistics moved as torch's."""

    def __init__(self, channels: int):
        self.running_mean = np.zeros(channels, np.float32)
        self.running_var = np.ones(channels, np.float32)

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray):
        mean = x.mean((0, 2, 3), keepdims=True)
        centered = x - mean
        var = (centered * centered).mean((0, 2, 3), keepdims=True)
        inv_std = 1 / np.sqrt(var + BN_EPS)
        normalized = centered * inv_std
        count = x.size // x.shape[1]
        self.running_mean *= 1 - BN_MOMENTUM
        self.running_mean += BN_MOMENTUM * mean.ravel()
        self.running_var *= 1 - BN_MOMENTUM
        self.running_var += BN_MOMENTUM * count / (count - 1) * var.ravel()
        out = normalized * weight[:, None, None] + bias[:, None, None]
        return out, (normalized, inv_std, weight)

    @staticmethod
    def backward(g: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        normalized, inv_std, weight = cache
        grad_weight, grad_bias = (g * normalized).sum((0, 2, 3)), g.sum((0, 2, 3))
        count = g.size // g.shape[1]
        grad_normalized = g * weight[:, None, None]
        grad_x = (grad_normalized - (grad_bias * weight / count)[:, None, None]
                  - normalized * (grad_weight * weight / count)[:, None, None]) * inv_std
        return grad_x, grad_weight, grad_bias


def cnn_digits_step(weights, x_all, y_all, batch):
    """A function doing one training step of torch_like's cnn_digits model; it returns the loss."""
    norms = [BatchNorm2d(weights[i].shape[0]) for i in (0, 4, 8)]

    def loss_and_grads(params, x, labels):
        caches, h = [], x
        for layer in range(3):
            conv_w, conv_b, bn_w, bn_b = params[4 * layer:4 * layer + 4]
            h, conv_cache = conv_forward(h, conv_w, conv_b, 1)
            h, bn_cache = norms[layer].forward(h, bn_w, bn_b)
            h = np.maximum(h, 0)
            caches.append((conv_cache, bn_cache, h))
            if layer == 1:
                h, pool_cache = max_pool_forward(h)
        features = h.mean((2, 3))
        loss, g = cross_entropy(np.dot(features, params[12].T) + params[13], labels)
        grads = [np.dot(g.T, features), g.sum(0)]
        g = np.dot(g, params[12])
        g = np.broadcast_to((g / (h.shape[2] * h.shape[3]))[:, :, None, None], h.shape)
        for layer in (2, 1, 0):
            conv_cache, bn_cache, relu_out = caches[layer]
            if layer == 1:
                g = max_pool_backward(g, pool_cache)
            g = g * (relu_out > 0)
            g, grad_bn_w, grad_bn_b = BatchNorm2d.backward(g, bn_cache)
            g, grad_conv_w, grad_conv_b = conv_backward(g, conv_cache, input_grad=layer > 0)
            grads = [grad_conv_w, grad_conv_b, grad_bn_w, grad_bn_b] + grads
        return loss, grads
    return _training_step(loss_and_grads, weights, x_all, y_all, batch)


def lenet_loss_and_grads(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray):
    c1w, c1b, c2w, c2b, w1, b1, w2, b2, w3, b3 = params
    h, conv1 = conv_forward(x, c1w, c1b, 2)
    r1 = np.maximum(h, 0)
    h, pool1 = max_pool_forward(r1)
    h, conv2 = conv_forward(h, c2w, c2b, 0)
    r2 = np.maximum(h, 0)
    h, pool2 = max_pool_forward(r2)
    flat = h.reshape(len(x), -1)
    loss, grads = mlp_loss_and_grads([w1, b1, w2, b2, w3, b3], flat, labels, input_grad=True)
    g = grads.pop().reshape(h.shape)
    g = max_pool_backward(g, pool2) * (r2 > 0)
    g, grad_c2w, grad_c2b = conv_backward(g, conv2)
    g = max_pool_backward(g, pool1) * (r1 > 0)
    _, grad_c1w, grad_c1b = conv_backward(g, conv1, input_grad=False)
    return loss, [grad_c1w, grad_c1b, grad_c2w, grad_c2b] + grads


def lenet_step(weights, x_all, y_all, batch):
    """A function doing one training step of LeNet-5 on the next batch; it returns the loss."""
    return _training_step(lenet_loss_and_grads, weights, x_all, y_all, batch)


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
