"""The problems every contender solves: data, initial weights and hyper-parameters, all
generated here from fixed seeds so that the contenders start from identical numbers."""
from __future__ import annotations

import os

import numpy as np

LEARNING_RATE = 0.01
MOMENTUM = 0.9
ADAM_LEARNING_RATE = 1e-3  # Adam's rows: torch's defaults (betas 0.9, 0.999; eps 1e-8)
MLP_SIZES = (784, 256, 128, 10)
CLASSES = MLP_SIZES[-1]
CHAIN_SCALE, CHAIN_SHIFT = 1.0001, 0.001  # deep chain: x = x * CHAIN_SCALE + CHAIN_SHIFT
REGRESSION_FEATURES = 16


def linear_init(rng: np.random.Generator, n_in: int, n_out: int) -> list[np.ndarray]:
    """Weight (n_out, n_in) and bias (n_out,), uniform in +-1/sqrt(n_in) like torch's nn.Linear."""
    bound = 1 / np.sqrt(n_in)
    weight = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
    bias = rng.uniform(-bound, bound, n_out).astype(np.float32)
    return [weight, bias]


def mlp_weights() -> list[np.ndarray]:
    """[W1, b1, W2, b2, W3, b3] for the 784-256-128-10 MLP."""
    rng = np.random.default_rng(0)
    weights = []
    for n_in, n_out in zip(MLP_SIZES, MLP_SIZES[1:]):
        weights += linear_init(rng, n_in, n_out)
    return weights


def mlp_data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Random images (rows, 784) float32 and int64 class labels."""
    rng = np.random.default_rng(1)
    return (rng.standard_normal((rows, MLP_SIZES[0]), dtype=np.float32),
            rng.integers(0, CLASSES, rows, dtype=np.int64))


def line_data(samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Points near y = 3x + 2, as (samples, 1) float32 columns."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (samples, 1)).astype(np.float32)
    y = (3 * x + 2 + 0.1 * rng.standard_normal((samples, 1))).astype(np.float32)
    return x, y


def linear_weights(n_in: int) -> list[np.ndarray]:
    """Initial weight (1, n_in) and bias (1,) of a linear regression."""
    return linear_init(np.random.default_rng(3), n_in, 1)


def write_regression(directory: str, rows: int) -> str:
    """Save a (rows, 16) float32 regression data set as .npy files; returns their common prefix."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((rows, REGRESSION_FEATURES), dtype=np.float32)
    y = x @ rng.standard_normal((REGRESSION_FEATURES, 1), dtype=np.float32)
    y += 0.1 * rng.standard_normal((rows, 1), dtype=np.float32)
    prefix = os.path.join(directory, f"regression-{rows}")
    np.save(prefix + "-x.npy", x)
    np.save(prefix + "-y.npy", y)
    return prefix


def load_regression(prefix: str, memory_mapped: bool) -> tuple[np.ndarray, np.ndarray]:
    """The data set of `write_regression`, read into memory or memory-mapped read-only."""
    mode = "r" if memory_mapped else None
    return np.load(prefix + "-x.npy", mmap_mode=mode), np.load(prefix + "-y.npy", mmap_mode=mode)


# -- convolutional and recurrent rows -------------------------------------------------------------
DIGITS_IMAGE = (1, 8, 8)
LENET_IMAGE = (1, 28, 28)
GRU_SEQUENCE, GRU_INPUT, GRU_HIDDEN = 32, 32, 128
BN_MOMENTUM, BN_EPS = 0.1, 1e-5


def conv_init(rng: np.random.Generator, n_in: int, n_out: int, kernel: int) -> list[np.ndarray]:
    """Weight (n_out, n_in, kernel, kernel) and bias (n_out,), uniform in +-1/sqrt(fan_in) like nn.Conv2d."""
    bound = 1 / np.sqrt(n_in * kernel * kernel)
    weight = rng.uniform(-bound, bound, (n_out, n_in, kernel, kernel)).astype(np.float32)
    return [weight, rng.uniform(-bound, bound, n_out).astype(np.float32)]


def cnn_digits_weights() -> list[np.ndarray]:
    """examples/cnn_digits.py's CNN: three 3x3 convolutions (16, 32, 64 channels), each followed by a
    batch norm (weight 1, bias 0, as torch initialises it), then Linear(64, 10)."""
    rng = np.random.default_rng(5)
    weights = []
    for n_in, n_out in ((1, 16), (16, 32), (32, 64)):
        weights += conv_init(rng, n_in, n_out, 3) + [np.ones(n_out, np.float32), np.zeros(n_out, np.float32)]
    return weights + linear_init(rng, 64, CLASSES)


def lenet_weights() -> list[np.ndarray]:
    """LeNet-5 on 28x28: conv 5x5 to 6 channels (padding 2), conv 5x5 to 16, then 400-120-84-10."""
    rng = np.random.default_rng(6)
    weights = conv_init(rng, 1, 6, 5) + conv_init(rng, 6, 16, 5)
    for n_in, n_out in ((400, 120), (120, 84), (84, CLASSES)):
        weights += linear_init(rng, n_in, n_out)
    return weights


def gru_weights() -> list[np.ndarray]:
    """nn.GRU(GRU_INPUT, GRU_HIDDEN)'s weight_ih, weight_hh, bias_ih, bias_hh (uniform in
    +-1/sqrt(hidden), gates reset, update, new), then the Linear(GRU_HIDDEN, 10) head."""
    rng = np.random.default_rng(7)
    bound = 1 / np.sqrt(GRU_HIDDEN)
    shapes = ((3 * GRU_HIDDEN, GRU_INPUT), (3 * GRU_HIDDEN, GRU_HIDDEN), (3 * GRU_HIDDEN,), (3 * GRU_HIDDEN,))
    weights = [rng.uniform(-bound, bound, shape).astype(np.float32) for shape in shapes]
    return weights + linear_init(rng, GRU_HIDDEN, CLASSES)


def image_data(rows: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 inputs (rows, *shape) (images, or batch-first sequences) and int64 class labels."""
    rng = np.random.default_rng(8)
    return rng.standard_normal((rows,) + shape, dtype=np.float32), rng.integers(0, CLASSES, rows, dtype=np.int64)
