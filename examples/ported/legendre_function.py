"""A custom autograd Function, in the style of PyTorch's tutorial: y = a + b P3(c + d x).

P3 is the Legendre polynomial of degree 3, (5 t^3 - 3 t) / 2, with its derivative written by hand in
`backward`. Written against PyTorch's API: only the import line differs from a script for torch.
"""
import math

import tinygrad_ed as torch


class LegendreP3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return 0.5 * (5 * t ** 3 - 3 * t)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * t ** 2 - 1)


torch.manual_seed(0)
dtype = torch.double
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)

check = torch.randn(5, dtype=dtype, requires_grad=True)
print("gradcheck:", torch.autograd.gradcheck(LegendreP3.apply, (check,)))

learning_rate = 5e-6
for step in range(2000):
    P3 = LegendreP3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if step % 500 == 499:
        print(step, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad = None
print(f"y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
print(f"loss: {loss.item():.4f}")
