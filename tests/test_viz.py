"""draw_graph: the recorded graph as graphviz source, shading by gradient norm, rendering with `dot`."""
import re
import shutil

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.nn import functional as F
from tinygrad_ed.viz import draw_graph

graphviz = pytest.importorskip("graphviz")


def mlp_loss():
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    loss = F.cross_entropy(model(te.randn(5, 4)), te.tensor([0, 2, 1, 1, 0]))
    return model, loss


def labels(dot):
    return re.findall(r'label="([^"]*)"', dot.source)


def test_nodes_name_ops_shapes_and_parameters():
    model, loss = mlp_loss()
    dot = draw_graph(loss, params=dict(model.named_parameters()))
    assert isinstance(dot, graphviz.Digraph)
    text = "\n".join(labels(dot))
    for op, shape in [("Linear", "(5, 8)"), ("Relu", "(5, 8)"), ("Linear", "(5, 3)"), ("LogSoftmax", "(5, 3)")]:
        assert f"{op}\n{shape}" in text
    for name, shape in [("0.weight", "(8, 4)"), ("0.bias", "(8,)"), ("2.weight", "(3, 8)"), ("2.bias", "(3,)")]:
        assert f"{name}\n{shape}" in text
    assert "input\n(5, 4)" in text


def test_edges_follow_the_data_flow():
    model, loss = mlp_loss()
    dot = draw_graph(loss, params=dict(model.named_parameters()))
    ids = {label.split("\n")[0]: node for node, label in re.findall(r'(n\d+) \[label="([^"]*)"', dot.source)}
    assert f"{ids['0.weight']} -> " in dot.source
    edges = set(re.findall(r"(n\d+) -> (n\d+)", dot.source))
    assert (ids["0.weight"], ids["0.weight"]) not in edges
    # the loss node is the root: nothing flows out of it
    assert not any(src == "n0" for src, _ in edges)
    assert len(edges) >= 10


def test_source_is_deterministic():
    sources = []
    for _ in range(2):
        model, loss = mlp_loss()
        sources.append(draw_graph(loss, params=dict(model.named_parameters())).source)
    assert sources[0] == sources[1]


def test_show_values_prints_data_and_gradients_of_small_tensors():
    x = te.tensor(0.5, requires_grad=True)
    y = (x * x + 1).tanh()
    y.backward(retain_graph=True)
    text = "\n".join(labels(draw_graph(y, params={"x": x}, show_values=True)))
    shown = float(re.search(r"x\nscalar\ndata 0.5\ngrad ([0-9.e-]+)", text).group(1))
    assert shown == pytest.approx((1 - np.tanh(1.25) ** 2) * 2 * 0.5, abs=1e-4)  # dy/dx = tanh'(x^2+1) 2x
    assert "Tanh\nscalar\ndata 0.8483\ngrad 1." in text


def test_graph_is_freed_by_plain_backward():
    _, loss = mlp_loss()
    loss.backward()
    assert len(labels(draw_graph(loss))) == len(labels(draw_graph(te.tensor(1.0))))


def test_an_op_freed_by_backward_is_drawn_as_freed():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3
    hidden.sum().backward()
    # the number added is read back from the arrays, which backward freed
    assert labels(draw_graph(hidden + 1))[:2] == ["Add (+ a number)\n(2,)", "Mul\nfreed by backward()"]


def test_loss_graph_shows_only_primitive_ops():
    x = te.tensor(np.linspace(-2, 2, 6), requires_grad=True)
    loss = F.huber_loss(x, te.zeros(6, dtype=te.float64), delta=1.0)
    ops = {label.split()[0] for label in labels(draw_graph(loss))}
    assert {"Abs", "Where", "Mul", "Sum", "Div"} <= ops
    assert not any("Huber" in op for op in ops)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_renders_an_svg_of_an_mlp_loss(tmp_path):
    model, loss = mlp_loss()
    loss.backward(retain_graph=True)
    path = draw_graph(loss, params=dict(model.named_parameters())).render(tmp_path / "mlp", format="svg")
    svg = open(path).read()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "0.weight" in svg and "LogSoftmax" in svg
