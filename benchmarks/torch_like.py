"""The tinygrad_ed and PyTorch contenders: one training code written against PyTorch's API and
run with either library, since tinygrad_ed has PyTorch's names and semantics."""
from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from benchmarks.problems import ADAM_LEARNING_RATE, CHAIN_SCALE, CHAIN_SHIFT, LEARNING_RATE, MOMENTUM


@dataclass(frozen=True)
class Api:
    """What the contenders use of a library with PyTorch's API."""
    nn: Any
    F: Any
    SGD: Any
    Adam: Any
    from_numpy: Callable
    tensor: Callable
    float64: Any
    load: Callable[[Any, np.ndarray], None]  # overwrite a parameter's values with an array's
    compile: Callable  # te.compile or torch.compile


def tinygrad_ed_api() -> Api:
    import tinygrad_ed as te
    from tinygrad_ed import nn
    from tinygrad_ed.nn import functional
    from tinygrad_ed.optim import SGD, Adam

    def load(param, array):
        param.data = te.from_numpy(array.copy())
    return Api(nn, functional, SGD, Adam, te.from_numpy, te.tensor, te.float64, load, te.compile)


def torch_api(threads: int) -> Api:
    import torch
    torch.set_num_threads(threads)
    # torch.from_numpy on a read-only memory map warns once; the benchmark never writes to the data
    warnings.filterwarnings("ignore", message="The given NumPy array is not writable")

    def load(param, array):
        param.data = torch.from_numpy(array.copy())
    return Api(torch.nn, torch.nn.functional, torch.optim.SGD, torch.optim.Adam, torch.from_numpy, torch.tensor,
               torch.float64, load, torch.compile)


class TorchLike:
    """A contender: training steps and the deep chain written with `api`."""

    def __init__(self, api: Api, compiled: bool = False):
        self.api = api
        self.compiled = compiled  # the training step (or the chain) under te.compile: captured once, replayed
        self.compile_seconds: float | None = None

    def mlp_step(self, weights, x_all, y_all, batch, optimizer="sgd"):
        """A function doing one training step of the MLP on the next batch with `optimizer` ("sgd" with
        momentum or "adam"); it returns the loss."""
        nn = self.api.nn
        layers = []
        for weight in weights[::2]:
            layers += [nn.Linear(weight.shape[1], weight.shape[0]), nn.ReLU()]
        model = nn.Sequential(*layers[:-1])
        return self._training_step(model, weights, self.api.F.cross_entropy, x_all, y_all, batch, optimizer)

    def linear_step(self, weights, x_all, y_all, batch):
        """A function doing one training step of linear regression on the next batch; it returns the loss."""
        weight = weights[0]
        model = self.api.nn.Linear(weight.shape[1], weight.shape[0])
        return self._training_step(model, weights, self.api.F.mse_loss, x_all, y_all, batch)

    def cnn_digits_step(self, weights, x_all, y_all, batch):
        """examples/cnn_digits.py's CNN without its dropout (random masks would differ between the
        contenders): conv-BN-ReLU twice, 2x2 max-pool, conv-BN-ReLU, global average pool, linear."""
        nn = self.api.nn
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
        return self._training_step(model, weights, self.api.F.cross_entropy, x_all, y_all, batch)

    def lenet_step(self, weights, x_all, y_all, batch):
        """LeNet-5 with ReLU and max-pooling on 1x28x28 images."""
        nn = self.api.nn
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
        return self._training_step(model, weights, self.api.F.cross_entropy, x_all, y_all, batch)

    def gru_step(self, weights, x_all, y_all, batch):
        """A one-layer batch-first GRU over the sequence, then a linear layer on its last hidden state."""
        nn = self.api.nn

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.gru = nn.GRU(weights[0].shape[1], weights[1].shape[1], batch_first=True)
                self.head = nn.Linear(weights[1].shape[1], weights[-1].shape[0])

            def forward(self, x):
                return self.head(self.gru(x)[1][0])
        return self._training_step(Classifier(), weights, self.api.F.cross_entropy, x_all, y_all, batch)

    def _training_step(self, model, weights, loss_fn, x_all, y_all, batch, optimizer="sgd"):
        for param, array in zip(model.parameters(), weights):
            self.api.load(param, array)
        if optimizer == "adam":
            optimizer = self.api.Adam(model.parameters(), lr=ADAM_LEARNING_RATE)
        else:
            optimizer = self.api.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
        x_all, y_all = self.api.from_numpy(x_all), self.api.from_numpy(y_all)  # no copy
        starts = itertools.cycle(range(0, len(x_all) - batch + 1, batch))

        def train(x, y):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            return loss
        train = self._compiled(train)

        def step():
            i = next(starts)
            return train(x_all[i:i + batch], y_all[i:i + batch])
        return step

    def _compiled(self, fn):
        """`fn` itself, or for a compiled contender `fn` under te.compile or torch.compile, noting the wall
        time of its first two calls (te.compile captures on both) as its capture time."""
        if not self.compiled:
            return fn
        compiled = self.api.compile(fn)
        calls = []

        def call(*args):
            if len(calls) >= 2:
                return compiled(*args)
            start = time.perf_counter()
            result = compiled(*args)
            calls.append(time.perf_counter() - start)
            self.compile_seconds = sum(calls)
            return result
        return call

    def deep_chain(self, n: int) -> list[float]:
        """n steps of x = x * scale + shift from a leaf, then backward: [result, d result / d x]."""
        x = self.api.tensor(1.0, dtype=self.api.float64, requires_grad=True)
        chains = self.__dict__.setdefault("chains", {})
        if n not in chains:
            chains[n] = self._compiled(lambda x: _chain(x, n))
        y = chains[n](x)
        return [float(y), float(x.grad)]


def _chain(x, n: int):
    """n steps of y = y * scale + shift from x, then backward: y (x.grad holds d y / d x)."""
    y = x
    for _ in range(n):
        y = y * CHAIN_SCALE + CHAIN_SHIFT
    y.backward()
    return y
