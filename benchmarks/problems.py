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
