"""Scale: deep chains and wide graphs backpropagate without RecursionError, and a long training run
does not grow memory. Gradients are checked against closed forms."""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd import grad
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.optim import SGD


def scalar(value):
    return te.tensor(value, dtype=te.float64, requires_grad=True)


def test_chain_of_a_million_scalar_ops():
    # measured here: 8-10 s (build and backward), under the 20 s line for @pytest.mark.slow
    x = scalar(1.0)
    y = x
    for _ in range(500_000):
        y = y * 1.000001 + 1e-7  # two ops a step
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001 ** 500_000, rel=1e-9)


def test_graph_of_100k_nodes_with_wide_fan_out():
    n = 50_000
    x = scalar(0.3)
    shared = x.tanh()  # one node feeding 50k others
    terms = [shared * float(c) for c in range(n)]
    while len(terms) > 1:  # a balanced tree of 50k adds
        pairs = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = pairs + terms[len(pairs) * 2:]
    terms[0].backward()
    # d/dx sum_c c tanh(x) = (1 - tanh(x)^2) sum_c c
    assert x.grad.item() == pytest.approx((1 - np.tanh(0.3) ** 2) * (n * (n - 1) / 2), rel=1e-12)


def test_leaf_used_by_100k_ops_summed_in_a_chain():
    n = 100_000
    x = te.tensor([1.0, 2.0], dtype=te.float64, requires_grad=True)
    total = x[0] * x[1]
    for c in range(n):
        total = total + x * float(c % 7)  # fan-out from the leaf and a 100k-deep chain of adds
    total.sum().backward()
    weight = sum(c % 7 for c in range(n))
    # sum(x0 x1 + sum_c c x) = 2 x0 x1 + sum_c c (x0 + x1), the product broadcast to both elements
    np.testing.assert_allclose(x.grad.numpy(), [2 * 2.0 + weight, 2 * 1.0 + weight])


def test_diamond_chain_is_walked_once_per_node():
    # each node feeds two others: a walk by paths instead of by nodes would take 2^30000 steps
    x = scalar(1.0)
    y = x
    for _ in range(30_000):
        y = y * 0.5 + y * 0.5000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0000001 ** 30_000, rel=1e-9)


def test_second_order_through_a_long_chain():
    x = scalar(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.00001
    y = y * y  # (x a^n)^2: first derivative 2 x a^2n, second 2 a^2n
    (first,) = grad(y, x, create_graph=True)
    (second,) = grad(first, x)
    a2n = 1.00001 ** 40_000
    assert first.item() == pytest.approx(2 * 0.5 * a2n, rel=1e-9)
    assert second.item() == pytest.approx(2 * a2n, rel=1e-9)


def test_retained_deep_graph_backpropagates_twice_and_frees_without_recursion():
    x = scalar(2.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 2.0
    z = x
    for _ in range(100_000):
        z = z * 1.0
    del z  # never backpropagated: freeing 100k nested nodes must not overflow the C stack
    gc.collect()


def test_draw_graph_of_a_deep_chain():
    pytest.importorskip("graphviz")
    from tinygrad_ed.viz import draw_graph
    x = scalar(1.0)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    source = draw_graph(y, {"x": x}, max_nodes=30_000).source  # every box: above the max_nodes guard's default
    assert "n20000 -> n19999" in source  # nodes are numbered from the root: the leaf x is the last
    assert source.count('[label="Mul') == 20_000 and 'n20000 [label="x' in source


def test_memory_stays_flat_over_10000_training_steps():
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = te.tensor(rng.standard_normal((8, 2)).astype(np.float32))
    y = te.tensor(rng.standard_normal((8, 1)).astype(np.float32))

    def steps(n):
        for _ in range(n):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
        return loss.item()

    first = steps(1_000)  # warm up: optimizer state, caches
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        objects = len(gc.get_objects())
        last = steps(9_000)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < 64 * 1024, f"memory grew by {growth} bytes over 9000 steps"
    assert len(gc.get_objects()) - objects < 100
    assert last < first
