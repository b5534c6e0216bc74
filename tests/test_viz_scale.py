"""draw_graph on real models: module clusters and collapsed modules, numbers in labels, saved tensors,
the max_nodes guard, gradient colour classes; the grad-flow and activation figures."""
import re
import sys
import time

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.nn import functional as F
from tinygrad_ed.viz import ActivationMonitor, draw_graph, plot_grad_flow, record_scopes

pytest.importorskip("graphviz")


def nested_model():
    te.manual_seed(0)
    return nn.Sequential(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Linear(8, 3))


def boxes(source):
    """(node name, label, innermost cluster or None) of every box in DOT source, in order."""
    tokens = re.finditer(r'subgraph "?cluster_([^"\s{]+)"? \{|(?<![\w"])\}|\t(\S+) \[label="([^"]*)"', source)
    stack, found = [], []
    for token in tokens:
        if token.group(1):
            stack.append(token.group(1))
        elif token.group(2):
            found.append((token.group(2), token.group(3), stack[-1] if stack else None))
        elif stack:
            stack.pop()
    return [b for b in found if b[2] != "legend"]


def titles(source):
    return re.findall(r'subgraph "?cluster_([^"\s{]+)"? \{\s*[^\n]*label="([^"]*)"', source)


def test_record_scopes_puts_every_op_in_the_module_that_ran_it():
    model = nested_model()
    with record_scopes(model):
        loss = F.mse_loss(model(te.randn(5, 4)), te.zeros(5, 3))
    source = draw_graph(loss, model=model).source
    cluster = {label.split("\n")[0]: where for _, label, where in boxes(source)}
    linear = [where for _, label, where in boxes(source) if label.startswith("Linear")]
    assert sorted(linear) == ["0.0", "1"] and cluster["Relu"] == "0.1"
    assert cluster["0.0.weight"] == "0.0" and cluster["1.bias"] == "1"
    assert cluster["Sub"] is None and cluster["Sum"] is None  # the loss ran outside the model
    names = dict(model.named_modules())
    for name, title in titles(source):
        assert name in names and title == f"{name} ({type(names[name]).__name__})"
    assert {name for name, _ in titles(source)} == {"0", "0.0", "0.1", "1"}


def test_record_scopes_leaves_the_fast_path_and_a_users_hooks_alone():
    model = nested_model()
    calls = []
    handle = model[1].register_forward_hook(lambda m, a, o: calls.append(1))
    with record_scopes(model):
        model(te.randn(2, 4))
    assert all(m._module_hooks is None for m in (model, model[0], model[0][0], model[0][1]))
    model(te.randn(2, 4))
    assert len(calls) == 2
    handle.remove()


def test_without_a_recording_ops_go_to_the_module_of_the_parameter_they_read():
    model = nested_model()
    loss = model(te.randn(5, 4)).relu().sum()
    where = {label.split("\n")[0] + str(i): c for i, (_, label, c) in enumerate(boxes(draw_graph(loss, model=model).source))}
    assert sorted(c for name, c in where.items() if name.startswith("Linear")) == ["0.0", "1"]
    assert all(c is None for name, c in where.items() if name.startswith("Relu"))


def test_depth_collapses_modules_into_boxes_with_their_numbers():
    model = nested_model()
    with record_scopes(model):
        loss = F.mse_loss(model(te.randn(5, 4)), te.zeros(5, 3))
    loss.backward(retain_graph=True)
    drawn = boxes(draw_graph(loss, model=model, depth=1).source)
    modules = {label.split("\n")[0]: label for _, label, _ in drawn if "(Sequential)" in label or "(Linear)" in label}
    assert set(modules) == {"0 (Sequential)", "1 (Linear)"}
    first = modules["0 (Sequential)"].split("\n")
    grads = np.concatenate([p.grad.detach().numpy().ravel() for p in model[0].parameters()])
    assert first[1:4] == [f"{4 * 8 + 8} parameters", "in (5, 4)", "out (5, 8)"]
    assert float(first[4].split()[-1]) == pytest.approx(np.linalg.norm(grads), rel=1e-2)
    assert not any(label.startswith(("Linear", "Relu", "0.0.weight")) for _, label, _ in drawn)
    inner = {label.split("\n")[0] for _, label, _ in boxes(draw_graph(loss, model=model, depth=2).source)}
    assert {"0.0 (Linear)", "0.1 (ReLU)", "1 (Linear)"} <= inner


def test_python_numbers_are_drawn_in_the_op_label():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    loss = ((x * 0.1) + 2.5 - (1 - x) / 4).sum() + (x ** 3).sum()
    heads = {label.split("\n")[0] for label in re.findall(r'label="([^"]*)"', draw_graph(loss).source)}
    assert {"Mul (x 0.1)", "Add (+ 2.5)", "Sub (1 -)", "Div (/ 4)", "Pow (** 3)"} <= heads


def test_show_saved_draws_what_backward_reads():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    y = te.tensor([3.0, 4.0], requires_grad=True)
    loss = (x * y).exp().sum()
    source = draw_graph(loss, params={"x": x, "y": y}, show_saved=True).source
    ids = {label.split("\n")[0]: name for name, label, _ in boxes(source)}
    for operand in ("x", "y"):  # Mul saves both operands: dashed edges labelled saved
        assert re.search(rf'{ids[operand]} -> {ids["Mul"]} \[[^\]]*label=saved', source)
    assert 'label="saved\nits output"' in source  # exp saves its result
    assert "saved" not in draw_graph(loss, params={"x": x, "y": y}).source


def test_max_nodes_collapses_a_chain_of_1e5_ops():
    x = te.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0001 + 0.1
    start = time.perf_counter()
    source = draw_graph(y, max_nodes=50).source
    elapsed = time.perf_counter() - start
    print(f"draw_graph of a 1e5-op chain: {elapsed:.2f} s", file=sys.stderr)
    drawn = boxes(source)
    assert len(drawn) <= 50
    assert re.search(r"\.\.\. 99,99\d more Add/Mul \.\.\.", source)
    assert elapsed < 30


def test_max_nodes_truncates_a_wide_graph():
    leaves = [te.tensor([i / 300], requires_grad=True) for i in range(300)]
    loss = te.cat([leaf.exp() for leaf in leaves]).sum()
    source = draw_graph(loss, max_nodes=40).source
    assert len(boxes(source)) <= 40
    hidden = int(re.search(r"\.\.\. ([\d,]+) more boxes not drawn \(max_nodes=40\)", source).group(1).replace(",", ""))
    assert hidden + len(boxes(source)) - 1 == 2 + 2 * 300  # Sum (the root), Cat, 300 Exp, 300 leaves


def test_colour_classes_follow_the_loss_scale_and_the_root_is_never_an_alarm():
    a, b, c = (te.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    loss = (a * 1e-9).sum() + (b * 1e4).sum() + (c * 0.5).sum()
    loss.backward(retain_graph=True)
    source = draw_graph(loss, params={"a": a, "b": b, "c": c}).source
    kinds = dict(re.findall(r'label="(\w)\n\(2,\)[^"]*" class=(\w+)', source))
    scale = abs(loss.item())  # |loss| x |the root's gradient (1)|

    def expected(norm):
        return "exploding" if norm > 1e3 else "vanishing" if norm / scale < 1e-6 else \
            "small" if norm / scale < 1e-3 else "medium" if norm / scale < 1 else "large"
    for name, factor in (("a", 1e-9), ("b", 1e4), ("c", 0.5)):
        assert kinds[name] == expected(factor * np.sqrt(2))
    assert kinds["a"] == "vanishing" and kinds["b"] == "exploding"
    legend = dict(re.findall(r'legend\d+ \[label="([^"]*)" color="#636363" fillcolor="(#\w+)"', source))
    for kind, fill in set(re.findall(r'class=(\w+) color="#[0-9a-f]+" fillcolor="(#\w+)"', source)):
        if kind != "root":
            assert fill in legend.values()
    assert legend[next(t for t in legend if "vanishing" in t)] == "#6baed6"
    big = (te.tensor([1e6], requires_grad=True) * 1e3).sum()  # a huge loss: its own box stays "output"
    big.backward(retain_graph=True)
    assert re.search(r'n0 \[label="[^"]*" class=root', draw_graph(big).source)


def test_direction_and_bad_arguments():
    x = te.tensor([1.0], requires_grad=True)
    assert "rankdir=TB" in draw_graph(x * 2, direction="TB").source
    with pytest.raises(ValueError, match="direction"):
        draw_graph(x * 2, direction="up")
    with pytest.raises(ValueError, match="depth"):
        draw_graph(x * 2, depth=1)
    with pytest.raises(TypeError, match="Tensor"):
        draw_graph(np.ones(2))


def test_plot_grad_flow_bars_are_the_mean_and_max_gradients():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    model = nested_model()
    F.mse_loss(model(te.randn(5, 4)), te.zeros(5, 3)).backward()
    fig = plot_grad_flow(model)
    bars = fig.axes[0].patches
    named = list(model.named_parameters())
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [name for name, _ in named]
    heights = [bar.get_height() for bar in bars]
    assert heights[:len(named)] == pytest.approx([np.abs(p.grad.detach().numpy()).max() for _, p in named])
    assert heights[len(named):] == pytest.approx([np.abs(p.grad.detach().numpy()).mean() for _, p in named])
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_activation_monitor_records_each_leaf_module_over_calls():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    model = nested_model()
    inputs = [te.randn(6, 4) for _ in range(3)]
    with ActivationMonitor(model) as monitor:
        for x in inputs:
            model(x)
    assert list(monitor.stats) == ["0.0", "0.1", "1"]
    assert model[0][1]._module_hooks is None
    for k, x in enumerate(inputs):
        hidden = x.numpy() @ model[0][0].weight.detach().numpy().T + model[0][0].bias.detach().numpy()
        relu = np.maximum(hidden, 0)
        assert monitor.stats["0.0"][k] == pytest.approx((hidden.mean(), hidden.std(), 0.0), abs=1e-5)
        assert monitor.stats["0.1"][k] == pytest.approx((relu.mean(), relu.std(), np.mean(relu == 0)), abs=1e-5)
    fig = monitor.plot()
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == 3
    import matplotlib.pyplot as plt
    plt.close(fig)
    with pytest.raises(KeyError, match="no modules named"):
        ActivationMonitor(model, ["encoder"])


def test_a_clear_error_without_matplotlib(monkeypatch):
    model = nested_model()
    model(te.randn(2, 4)).sum().backward()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="plot_grad_flow needs matplotlib"):
        plot_grad_flow(model)


def test_ops_run_after_the_recording_fall_back_to_parameter_ownership():
    model = nested_model()
    with record_scopes(model):
        model(te.randn(5, 4))
    loss = model(te.randn(5, 4)).sum()  # not recorded: Linear ops still go to their modules
    linear = [c for _, label, c in boxes(draw_graph(loss, model=model).source) if label.startswith("Linear")]
    assert sorted(linear) == ["0.0", "1"]
