"""Tensor hooks, retain_grad, post-accumulate hooks, backward(inputs=) and Module hooks: order, replacement
and removal, against torch when installed and against closed forms."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn


def hook_story(lib):
    """Hooks on a leaf and a non-leaf, one replacing the gradient, one removed between two backward passes."""
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    b = a * 3
    doubling = b.register_hook(lambda g: seen.append(("b doubles", g.tolist())) or g * 2)
    b.register_hook(lambda g: seen.append(("b sees", g.tolist())))
    b.retain_grad()
    a.register_hook(lambda g: seen.append(("a", g.tolist())))
    a.register_post_accumulate_grad_hook(lambda t: seen.append(("a accumulated", t.grad.tolist())))
    (b * b).sum().backward(retain_graph=True)
    doubling.remove()
    (b * b).sum().backward()
    return seen, b.grad.tolist(), a.grad.tolist(), b.retains_grad


def test_hook_order_replacement_and_removal_closed_form():
    seen, b_grad, a_grad, retains = hook_story(te)
    assert seen == [("b doubles", [6.0, 12.0]), ("b sees", [12.0, 24.0]), ("a", [36.0, 72.0]),
                    ("a accumulated", [36.0, 72.0]), ("b sees", [6.0, 12.0]), ("a", [18.0, 36.0]),
                    ("a accumulated", [54.0, 108.0])]
    assert b_grad == [18.0, 36.0] and a_grad == [54.0, 108.0] and retains


def test_hooks_against_torch():
    torch = pytest.importorskip("torch")
    assert hook_story(te) == hook_story(torch)


def test_hook_errors_as_torch():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        te.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        te.ones(2).retain_grad()
    x = te.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    y = x * 2
    y.register_hook(lambda g: te.ones(3))
    with pytest.raises(RuntimeError, match="expected None or a Tensor of shape"):
        y.sum().backward()


def test_hooks_under_create_graph_see_graph_tensors():
    x = te.tensor([2.0], dtype=te.float64, requires_grad=True)
    y = x ** 3
    y.register_hook(lambda g: g * x)  # the replacement is itself differentiated
    (dx,) = te.autograd.grad(y.sum(), x, create_graph=True)
    assert dx.tolist() == [24.0]  # 3x^2 * x
    (ddx,) = te.autograd.grad(dx.sum(), x)
    assert ddx.tolist() == [36.0]  # d/dx (3x^2 * x) = 9x^2


def test_backward_inputs_fills_only_those():
    a = te.tensor([1.0, 2.0], requires_grad=True)
    w = te.tensor([3.0, 4.0], requires_grad=True)
    b = a * w
    (b * b).sum().backward(inputs=[a, b])
    assert a.grad.tolist() == [18.0, 64.0] and b.grad.tolist() == [6.0, 16.0] and w.grad is None


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)

    def forward(self, x, scale):
        return self.linear(x) * scale


def module_story(lib, module):
    """Every Module hook on one module: what each sees, in order, with a replaced input and output."""
    lib.manual_seed(0)
    seen = []
    module.register_forward_pre_hook(lambda m, args: seen.append(("pre", len(args))) or (args[0] * 2, args[1]))
    module.register_forward_hook(lambda m, args, out: seen.append(("forward", tuple(out.shape))) or out + 1)
    module.register_full_backward_hook(
        lambda m, gin, gout: seen.append(("backward", [None if g is None else np.round(g.detach().numpy(), 5)
                                                       for g in gin], np.round(gout[0].detach().numpy(), 5))))
    x = lib.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 2.0]], requires_grad=True)
    out = module(x, 3.0)
    (out * out).sum().backward()
    return seen, out.detach().numpy(), x.grad.detach().numpy()


def test_module_hooks_closed_form():
    te.manual_seed(1)
    module = TwoInputs()
    seen, out, x_grad = module_story(te, module)
    w, b = module.linear.weight.detach().numpy(), module.linear.bias.detach().numpy()
    x = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 2.0]])
    expected = (2 * x @ w.T + b) * 3 + 1
    grad_out = 2 * expected
    assert np.allclose(out, expected)
    assert [s[0] for s in seen] == ["pre", "forward", "backward"]
    assert np.allclose(seen[2][1][0], grad_out * 3 @ w, atol=1e-4) and np.allclose(seen[2][2], grad_out, atol=1e-4)
    assert np.allclose(x_grad, 2 * (grad_out * 3 @ w), atol=1e-4)


def test_module_hooks_against_torch():
    torch = pytest.importorskip("torch")
    te.manual_seed(2)
    ours = TwoInputs()

    class TorchTwoInputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2)

        def forward(self, x, scale):
            return self.linear(x) * scale

    theirs = TorchTwoInputs()
    with torch.no_grad():
        theirs.linear.weight.copy_(torch.tensor(ours.linear.weight.detach().numpy()))
        theirs.linear.bias.copy_(torch.tensor(ours.linear.bias.detach().numpy()))
    a, b = module_story(te, ours), module_story(torch, theirs)
    assert [s[0] for s in a[0]] == [s[0] for s in b[0]]
    assert np.allclose(a[0][2][1][0], b[0][2][1][0], atol=1e-4) and np.allclose(a[0][2][2], b[0][2][2], atol=1e-4)
    assert np.allclose(a[1], b[1], atol=1e-6) and np.allclose(a[2], b[2], atol=1e-5)


def test_a_backward_hook_can_replace_grad_input_and_handles_remove():
    layer = nn.Linear(2, 2)
    x = te.ones(1, 2, requires_grad=True)
    handle = layer.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 0,))
    layer(x).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]]
    handle.remove()
    x.grad = None
    layer(x).sum().backward()
    assert np.allclose(x.grad.detach().numpy(), layer.weight.detach().numpy().sum(0, keepdims=True))
