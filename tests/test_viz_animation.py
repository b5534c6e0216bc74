"""animate_backward: frames in the engine's own order, with the gradients each node receives and sends;
the HTML page in a real headless Chromium; the strip and the notebook display."""
import json
import re
import shutil

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd.engine import observe_backward
from tinygrad_ed.viz import animate_backward, draw_graph, record_scopes

pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def diamond():
    """A graph where the order matters: `a` feeds two branches that join again."""
    x = te.tensor([0.3, -0.7, 1.1], requires_grad=True)
    a = x * 2
    b = a.exp()
    c = a.sin()
    d = b * c
    e = d + a
    loss = e.sum()
    return x, [a, b, c, d, e, loss]


def test_frames_are_the_engines_order_with_the_gradients_it_passed():
    x, tensors = diamond()
    run = []  # a tensor hook runs when the engine runs that tensor's node: the engine's own order
    for t in tensors:
        t.register_hook(lambda g, t=t: run.append(t))
    animation = animate_backward(tensors[-1], params={"x": x})
    shown = animation.drawing.shown
    assert [f.box for f in animation.frames] == [shown[id(t.grad_fn)] for t in run]
    assert len(run) == len(tensors)
    assert [f.op for f in animation.frames] == [t.grad_fn.name() for t in run]
    a, b = (t.detach().numpy() for t in tensors[:2])
    sin_frame = next(f for f in animation.frames if f.op == "SinBackward0")
    grad_c = b  # d(loss)/dc = b
    assert sin_frame.received == pytest.approx(np.linalg.norm(grad_c), rel=1e-5)
    assert sin_frame.sent[0][1] == pytest.approx(np.linalg.norm(grad_c * np.cos(a)), rel=1e-5)
    assert x.grad is not None  # it ran the user's backward


def test_the_observer_costs_nothing_when_unset_and_is_restored():
    from tinygrad_ed.autograd import engine
    seen = []
    with observe_backward(lambda node, g, grads: seen.append(node.name())):
        diamond()[1][-1].backward()
    assert engine._observer is None and seen[0] == "SumBackward0" and len(seen) == 6


def test_frames_follow_collapsed_modules():
    te.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), nn.Linear(4, 1))
    with record_scopes(model):
        loss = model(te.randn(5, 3)).pow(2).mean()
    animation = animate_backward(loss, model=model, depth=1)
    boxes = [f.box for f in animation.frames]
    titles = {name: label.split("\n")[0] for name, label, _, _ in animation.drawing.boxes}
    modules = [titles[b] for b in boxes if "(" in titles[b] and titles[b][0].isdigit()]
    assert modules == ["1 (Linear)", "0 (Sequential)", "0 (Sequential)"]  # Linear, then Tanh and Linear in 0


def test_a_loss_without_graph_is_a_clear_error():
    with pytest.raises(RuntimeError, match="animate_backward: loss must be a Tensor with a grad_fn"):
        animate_backward(te.tensor(1.0))


@needs_dot
def test_html_page_is_self_contained(tmp_path):
    x, tensors = diamond()
    animation = animate_backward(tensors[-1], tmp_path / "backward.html", params={"x": x})
    page = (tmp_path / "backward.html").read_text()
    assert "<svg" in page and "<script>" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing fetched from the network
    frames = json.loads(re.search(r"const frames = (\[.*?\]);\n", page).group(1))
    assert [f["box"] for f in frames] == [f.box for f in animation.frames]
    for frame in frames:
        assert f'id="{frame["box"]}"' in page
    assert animation._repr_html_().startswith("<iframe srcdoc=")
    assert "image/svg+xml" in draw_graph(tensors[-1])._repr_mimebundle_()  # notebooks show drawings inline


@needs_dot
def test_strip_draws_chosen_frames_with_the_running_node_highlighted():
    x, tensors = diamond()
    animation = animate_backward(tensors[-1], params={"x": x})
    source = animation.strip(frames=3).source
    chosen = [k * 5 // 2 for k in range(3)]  # 3 evenly spaced of the 6 frames
    assert re.findall(r"cluster_frame(\d+)", source) == [str(k) for k in chosen]
    for k in chosen:
        running = re.findall(rf'(f{k}_\w+) \[label="[^"]*"[^\]]*fillcolor="#fd8d3c"', source)
        assert running == [f"f{k}_{animation.frames[k].box}"]
    assert animation.strip(frames=3).pipe(format="png").startswith(b"\x89PNG")


def test_notebook_display_without_dot_lists_the_frames(monkeypatch):
    x, tensors = diamond()
    animation = animate_backward(tensors[-1], params={"x": x})
    monkeypatch.setenv("PATH", "")  # Graphviz's dot cannot be found
    shown = animation._repr_html_()
    assert shown.startswith("<pre>") and "step 1 of 6: SumBackward0 receives |grad| 1;" in shown


@needs_dot
def test_save_gif_writes_one_image_per_frame(tmp_path):
    image = pytest.importorskip("PIL.Image")
    x, tensors = diamond()
    animation = animate_backward(tensors[-1], params={"x": x})
    animation.save_gif(tmp_path / "backward.gif")
    with image.open(tmp_path / "backward.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == len(animation.frames) == 6
