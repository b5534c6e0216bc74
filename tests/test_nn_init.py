"""te.nn.init against torch.nn.init: gains, bounds, spreads (seeded samples, loose tolerances),
orthogonality, generator= repeatability and torch's errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.nn import init

GAIN_CASES = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
              ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5))]


@pytest.mark.parametrize("nonlinearity, param", GAIN_CASES)
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


def test_errors_match_torch():
    torch = pytest.importorskip("torch")
    calls = [lambda m, t: m.nn.init.calculate_gain("swish"), lambda m, t: m.nn.init.xavier_uniform_(t.ones(3)),
             lambda m, t: m.nn.init.kaiming_normal_(t.ones(3, 2), mode="fan_avg"),
             lambda m, t: m.nn.init.eye_(t.ones(2, 2, 2)), lambda m, t: m.nn.init.orthogonal_(t.ones(3))]
    for call in calls:
        with pytest.raises(ValueError):
            call(torch, torch)
        with pytest.raises(ValueError):
            call(te, te)


@pytest.mark.parametrize("name, kwargs, low_high", [
    ("uniform_", {"a": -0.5, "b": 2.0}, (-0.5, 2.0)),
    ("xavier_uniform_", {"gain": 2.0}, (-2.0 * math.sqrt(6 / (50 + 40)),) * 2),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, (-1 / math.sqrt(40),) * 2),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, (-math.sqrt(2) * math.sqrt(3 / 50),) * 2),
])
def test_uniform_initialisers_fill_their_bounds(name, kwargs, low_high):
    low, high = low_high[0], abs(low_high[1])
    w = getattr(init, name)(te.empty(50, 40), **kwargs, generator=te.Generator().manual_seed(0))
    values = w.numpy()
    assert low <= values.min() < low + 0.01 * (high - low) and high - 0.01 * (high - low) < values.max() <= high


@pytest.mark.parametrize("name, kwargs", [("normal_", {"mean": 1.0, "std": 0.5}), ("xavier_normal_", {"gain": 1.5}),
                                          ("kaiming_normal_", {"nonlinearity": "relu"}),
                                          ("kaiming_normal_", {"a": 0.1, "mode": "fan_out"}),
                                          ("trunc_normal_", {"mean": 0.5, "std": 1.0, "a": -1.0, "b": 1.5})])
def test_normal_initialisers_spread_like_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.empty(200, 300), **kwargs).numpy()
    mine = getattr(init, name)(te.empty(200, 300), **kwargs, generator=te.Generator().manual_seed(0)).numpy()
    assert mine.mean() == pytest.approx(theirs.mean(), abs=0.02 * theirs.std() + 0.01)
    assert mine.std() == pytest.approx(theirs.std(), rel=0.02)
    if name == "trunc_normal_":
        assert mine.min() >= -1.0 and mine.max() <= 1.5


def test_orthogonal_constant_eye_and_generator():
    for shape in ((3, 5), (5, 3), (4, 2, 3)):
        w = init.orthogonal_(te.empty(*shape), gain=2.0, generator=te.Generator().manual_seed(0)).numpy()
        flat = w.reshape(shape[0], -1)
        gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-5)
    assert np.all(init.constant_(te.empty(2, 2), 0.3).numpy() == np.float32(0.3))
    assert init.eye_(te.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert init.zeros_(te.ones(2)).tolist() == [0, 0] and init.ones_(te.zeros(2)).tolist() == [1, 1]
    a = init.kaiming_uniform_(te.empty(4, 4), generator=te.Generator().manual_seed(5)).tolist()
    assert init.kaiming_uniform_(te.empty(4, 4), generator=te.Generator().manual_seed(5)).tolist() == a


def test_initialisers_work_on_parameters_outside_the_graph():
    layer = te.nn.Linear(3, 2)
    weight = layer.weight
    assert init.xavier_normal_(weight) is weight and weight.requires_grad and weight.is_leaf
    init.zeros_(layer.bias)
    assert layer(te.zeros(1, 3)).tolist() == [[0.0, 0.0]]
