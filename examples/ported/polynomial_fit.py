"""Fit y = sin(x) on [-pi, pi] with a cubic, the way the PyTorch tutorials introduce autograd and nn.

Written against PyTorch's API: only the import lines differ from a script for torch.
Part 1 updates four scalar tensors by hand under `no_grad()`; part 2 lets `nn` and `optim` do it.
"""
import math

import tinygrad_ed as torch

dtype = torch.float
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# Part 1: tensors and autograd, the update written out.
coefficients = [torch.randn((), device=device, dtype=dtype, requires_grad=True) for _ in range(4)]
a, b, c, d = coefficients
learning_rate = 1e-6
for step in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if step % 500 == 499:
        print(step, loss.item())
    loss.backward()
    with torch.no_grad():
        for coefficient in coefficients:
            coefficient -= learning_rate * coefficient.grad
            coefficient.grad = None
print(f"autograd: y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")
print(f"autograd loss: {loss.item():.4f}")

# Part 2: the same model as a Linear layer over the features (x, x^2, x^3), trained by RMSprop.
powers = torch.tensor([1, 2, 3])
features = x.unsqueeze(-1).pow(powers)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for step in range(2000):
    loss = loss_fn(model(features), y)
    if step % 500 == 499:
        print(step, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
linear = model[0]
print(f"nn: y = {linear.bias.item():.4f} + {linear.weight[:, 0].item():.4f} x"
      f" + {linear.weight[:, 1].item():.4f} x^2 + {linear.weight[:, 2].item():.4f} x^3")
print(f"nn loss: {loss.item():.4f}")
