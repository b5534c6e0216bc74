"""In-place ops in the graph and version counters: gradients of in-place chains equal their out-of-place
equivalents (and torch's, when installed); every way of changing a saved tensor raises torch's error;
`.data` is the uncounted escape hatch."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4))
B = rng.normal(size=(3, 4))


def f64(values, requires_grad=True):
    return te.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# -- in-place chains against their out-of-place equivalents (pairs of functions of two leaves) ---------

def chain_in_place(a, b):  # torch saves relu_'s and tanh_'s results, so they come last
    h = a * 2
    h += b
    h *= b
    h -= 1.5
    h /= b * b + 1
    h.clamp_(-0.5, 0.7)
    h.relu_()
    g = h * 3
    g.tanh_()
    return g


def chain_out_of_place(a, b):
    h = ((a * 2 + b) * b - 1.5) / (b * b + 1)
    return (h.clamp(-0.5, 0.7).relu() * 3).tanh()


def setitem_in_place(a, b):
    h = a * 1
    h[0] = b[1] * 3                        # an int
    h[1:, ::2] = b[1:, :2] ** 2             # slices with a step
    h[..., -1] = 0.5                       # Ellipsis and a number
    h[h > 1.0] = -1.0                      # a boolean mask
    h[_index_like(a, [2, 0])] = b[:2].exp()     # an integer tensor
    h[[1], None] = b[2] - 1                # a list and None
    return h * a


def _index_like(t, values):
    """An index tensor of t's library (these functions also run on torch tensors)."""
    return te.tensor(values) if isinstance(t, te.Tensor) else type(t)(values).long()


def setitem_out_of_place(a, b):
    rows = []
    h = a * 1
    h = te.cat([(b[1] * 3)[None], h[1:]])
    h = te.stack([h[0], _cols(h[1], b[1, :2] ** 2), _cols(h[2], b[2, :2] ** 2)])
    h = te.cat([h[:, :-1], te.full((3, 1), 0.5, dtype=te.float64)], 1)
    h = te.where(h > 1.0, -1.0, h)
    h = te.stack([b[1].exp(), h[1], b[0].exp()])
    rows = [h[0], b[2] - 1, h[2]]
    return te.stack(rows) * a


def _cols(row, values):  # row with row[::2] = values
    return te.stack([values[0], row[1], values[1], row[3]])


def extras_in_place(a, b):
    h = a * 1
    h.masked_fill_(a < 0, 0.25)
    h.index_add_(0, te.tensor([2, 2, 0]), b, alpha=0.5)
    h.scatter_(1, te.tensor([[3, 1], [0, 2], [2, 3]]), b[:, :2] * 2)
    h.copy_(h.clone() * b)
    c = a * 1
    c.fill_(b[0, 0])
    return h + c


def extras_out_of_place(a, b):
    h = te.where(a < 0, 0.25, a)
    h = te.stack([h[0] + 0.5 * b[2], h[1], h[2] + 0.5 * (b[0] + b[1])])
    scattered = []
    for i, cols in enumerate([[3, 1], [0, 2], [2, 3]]):
        row = [h[i, j] for j in range(4)]
        for k, j in enumerate(cols):
            row[j] = b[i, k] * 2
        scattered.append(te.stack(row))
    h = te.stack(scattered) * b
    return h + b[0, 0].expand(3, 4)


PAIRS = {"chain": (chain_in_place, chain_out_of_place), "setitem": (setitem_in_place, setitem_out_of_place),
         "masked_fill index_add scatter copy fill": (extras_in_place, extras_out_of_place)}


@pytest.mark.parametrize("name", PAIRS)
def test_in_place_gradients_equal_out_of_place(name):
    in_place, out_of_place = PAIRS[name]
    grads = []
    for fn in (in_place, out_of_place):
        a, b = f64(A), f64(B)
        out = fn(a, b)
        (out * te.tensor(B + 0.3)).sum().backward()
        grads.append((out.detach().numpy(), a.grad.detach().numpy(), b.grad.detach().numpy()))
    for ours, expected in zip(*grads):
        assert np.allclose(ours, expected)


@pytest.mark.parametrize("name", PAIRS)
def test_in_place_chains_pass_gradcheck_and_gradgradcheck(name):
    in_place = PAIRS[name][0]
    a, b = f64(A * 0.5 + 0.1), f64(B * 0.5 + 0.05)
    assert gradcheck(in_place, (a, b)) and gradgradcheck(in_place, (a, b))


@pytest.mark.parametrize("name", ["chain", "setitem"])
def test_in_place_gradients_equal_torch(name):
    torch = pytest.importorskip("torch")
    in_place = PAIRS[name][0]
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (A, B))
    theirs = in_place(ta, tb)
    (theirs * torch.tensor(B + 0.3)).sum().backward()
    a, b = f64(A), f64(B)
    ours = in_place(a, b)
    (ours * te.tensor(B + 0.3)).sum().backward()
    assert np.allclose(ours.detach().numpy(), theirs.detach().numpy())
    assert np.allclose(a.grad.detach().numpy(), ta.grad.detach().numpy()) and np.allclose(b.grad.detach().numpy(), tb.grad.detach().numpy())


def test_repeated_positions_take_the_last_value_and_only_it_gets_gradient():
    v = f64([1.0, 2.0, 3.0])
    h = te.zeros(2, dtype=te.float64)
    h[te.tensor([0, 0, 1])] = v * v        # position 0 is written twice: the second write (2^2) stays
    assert h.tolist() == [4.0, 9.0]
    h.sum().backward()
    assert v.grad.tolist() == [0.0, 4.0, 6.0]


def test_assignment_into_a_constant_tensor_joins_the_graph():
    x = f64([1.0, 2.0, 3.0])
    out = te.zeros(3, dtype=te.float64)
    for i in range(3):
        out[i] = x[i] ** 2
    assert out.requires_grad and out.tolist() == [1.0, 4.0, 9.0]
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_in_place_op_returns_self_and_rebases_its_history():
    a = f64([1.0, -1.0])
    h = a * 3
    before = h.grad_fn
    assert h.relu_() is h and h.grad_fn is not before and repr(h.grad_fn) == "<ReluBackward0>"
    h.sum().backward()
    assert a.grad.tolist() == [3.0, 0.0]


# -- version counters ---------------------------------------------------------------------------------

VERSION_ERROR = "modified by an inplace operation"


def test_versions_count_every_write_and_views_share_them():
    t = te.zeros(4)
    view = t[1:3]
    t.add_(1)
    t[0] = 2.0
    view.mul_(3)
    t.copy_(te.ones(4))
    assert t._version == view._version == 4
    t.data.mul_(2)  # .data: not counted
    assert t._version == 4 and t.tolist() == [2.0, 2.0, 2.0, 2.0]


def test_the_issue_example_raises_instead_of_a_wrong_gradient():
    a = te.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b * b
    with te.no_grad():
        b.mul_(10)
    with pytest.raises(RuntimeError, match=VERSION_ERROR) as error:
        c.sum().backward()
    message = str(error.value)
    assert "[float32 [2]]" in message and "MulBackward" in message
    assert "is at version 1; expected version 0 instead" in message


def _saved_by_exp():
    a = te.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = a * 1
    return h, h.exp()  # exp saves its output


def _write_through_view(h, y):
    with te.no_grad():
        y[1:].mul_(2)


def _copy_into(h, y):
    with te.no_grad():
        y.copy_(te.ones(3))


def _setitem(h, y):
    y[0] = 5.0


def _in_place_recorded(h, y):
    y.add_(1)


@pytest.mark.parametrize("modify", [_write_through_view, _copy_into, _setitem, _in_place_recorded])
def test_every_way_of_changing_a_saved_tensor_raises(modify):
    h, y = _saved_by_exp()
    z = y * 1
    modify(h, y)
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        z.sum().backward()


def test_an_optimizer_step_between_forward_and_backward_raises():
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    loss = model(te.randn(5, 3)).pow(2).mean()
    loss.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        loss.backward()


def test_initialising_or_loading_weights_between_forward_and_backward_raises():
    for change in (lambda layer: nn.init.zeros_(layer.weight),
                   lambda layer: layer.load_state_dict({k: v * 2 for k, v in layer.state_dict().items()})):
        layer = nn.Linear(2, 2)
        x = te.ones(1, 2, requires_grad=True)
        out = layer(x).sum()
        before = layer.weight._version
        change(layer)
        assert layer.weight._version == before + 1
        with pytest.raises(RuntimeError, match=VERSION_ERROR):
            out.backward()


def test_the_optimizer_step_against_torch():
    torch = pytest.importorskip("torch")
    w = torch.tensor([[1.0, 2.0]], requires_grad=True)
    x = torch.tensor([[3.0, 4.0]], requires_grad=True)
    loss = (x @ w.T).sum() ** 2
    loss.backward(retain_graph=True)
    torch.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        loss.backward()


def test_a_graph_built_after_the_writes_is_fine():
    a = te.tensor([1.0, 2.0], requires_grad=True)
    with te.no_grad():
        a.mul_(3)
    (a * a).sum().backward()
    assert a.grad.tolist() == [6.0, 12.0]


# -- what is refused, clearly -------------------------------------------------------------------------

def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch():
    a = te.tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: a.add_(1), lambda: a.zero_(), lambda: a.__setitem__(0, 1.0), lambda: a.copy_(a * 2)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            op()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        a[:1].mul_(2)
    assert a.tolist() == [1.0, 2.0]


def test_a_write_through_a_part_is_a_write_into_the_base():
    a = te.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = a * 2
    view = y[:2]
    view.mul_(3)
    view.sum().backward(retain_graph=True)
    assert a.grad.tolist() == [6.0, 6.0, 0.0]
    (y * y).sum().backward()  # y = [6 a0, 6 a1, 2 a2]: d sum(y^2) / da = [72 a0, 72 a1, 8 a2], added
    assert a.grad.tolist() == [78.0, 150.0, 24.0]


def test_writing_a_graph_value_into_a_part_of_a_constant_puts_the_constant_in_the_graph():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    buffer = te.zeros(2, 2)
    buffer[0].copy_(x)
    buffer[1] += 3 * x
    assert buffer.requires_grad
    buffer.sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="views made by indexing only"):
        te.zeros(2, 2).t().copy_(te.ones(2, 2, requires_grad=True))


def test_in_place_arithmetic_keeps_the_dtype_or_raises_as_torch():
    t = te.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        t.add_(1.5)
    f = te.tensor([1.0, 2.0])
    f.add_(te.tensor([1.0, 1.0], dtype=te.float64))
    assert f.dtype == te.float32 and f.tolist() == [2.0, 3.0]
    with pytest.raises(te.ShapeError, match="doesn't match the broadcast shape"):
        f.add_(te.ones(2, 2))


# -- .data ------------------------------------------------------------------------------------------------

def test_data_update_loops_of_the_tutorials():
    x = te.tensor(np.linspace(-1, 1, 20, dtype=np.float32))
    y = 3 * x - 0.5
    w = te.tensor([0.0], requires_grad=True)
    b = te.tensor([0.0], requires_grad=True)
    for step in range(200):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        if step % 2:
            w.data -= 0.1 * w.grad
            b.data.add_(b.grad, alpha=-0.1)
        else:
            w.data.sub_(0.1 * w.grad.data)
            b.data = b.data - 0.1 * b.grad
        w.grad.zero_()
        b.grad = None
    assert abs(w.item() - 3) < 1e-3 and abs(b.item() + 0.5) < 1e-3
    assert w.requires_grad and w.is_leaf and w._version == 0


def test_data_is_a_detached_tensor_sharing_memory_and_its_writes_escape_the_check():
    a = te.tensor([1.0, 2.0], requires_grad=True)
    d = a.data
    assert isinstance(d, te.Tensor) and not d.requires_grad and d.grad_fn is None
    b = a * a
    d.mul_(10)  # torch's escape hatch: not counted, so the (now wrong) saved value is used
    b.sum().backward()
    assert a.tolist() == [10.0, 20.0] and a.grad.tolist() == [20.0, 40.0]


def test_the_picture_in_the_docs_is_current():
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot")
    images = Path(__file__).resolve().parent.parent / "docs" / "images"
    spec = importlib.util.spec_from_file_location("make_images", images / "make_images.py")
    make_images = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_images)
    assert make_images.inplace_graph().pipe(format="svg") == (images / "inplace_graph.svg").read_bytes()
