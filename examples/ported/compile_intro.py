"""torch.compile the way its introduction teaches it: a function, a decorated function, a Module, a whole
training step timed against eager, and the graph breaks explained.

Written against PyTorch's API: only the import lines differ from a script for torch. Each compiled result
is compared with the eager one (`max difference`); the timings print as the speed-up of the compiled
training step's median over the eager one's.
"""
import statistics
import time

import tinygrad_ed as torch
import tinygrad_ed._dynamo


def max_difference(a, b):
    return (a - b).abs().max().item()


def sin_plus_cos(x, y):
    return torch.sin(x) + torch.cos(y)


x, y = torch.randn(10, 10), torch.randn(10, 10)
compiled_function = torch.compile(sin_plus_cos)
print("max difference function:", max_difference(compiled_function(x, y), sin_plus_cos(x, y)))


@torch.compile
def decorated(x, y):
    return torch.sin(x) + torch.cos(y)


print("max difference decorated:", max_difference(decorated(x, y), sin_plus_cos(x, y)))


class TwoLayers(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(100, 64)
        self.out = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.out(torch.nn.functional.relu(self.hidden(x)))


torch.manual_seed(0)
module = TwoLayers()
compiled_module = torch.compile(module)
inputs = torch.randn(32, 100)
with torch.no_grad():
    for _ in range(3):  # the first calls compile; the later ones run the compiled code
        difference = max_difference(compiled_module(inputs), module(inputs))
print("max difference module:", difference)

torch._dynamo.reset()  # forget every compiled function before timing training


def generate_data(batch):
    return torch.randn(batch, 100), torch.randint(10, (batch,))


def train(model, optimizer, data):
    optimizer.zero_grad(True)
    loss = torch.nn.CrossEntropyLoss()(model(data[0]), data[1])
    loss.backward()
    optimizer.step()
    return loss


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


batches = [generate_data(64) for _ in range(30)]
losses, medians = {}, {}
for name in ("eager", "compiled"):
    torch.manual_seed(1)
    model = TwoLayers()
    optimizer = torch.optim.Adam(model.parameters())
    step = torch.compile(train) if name == "compiled" else train
    times = []
    for data in batches:
        loss, seconds = timed(step, model, optimizer, data)
        loss = loss.item()
        times.append(seconds)
    losses[name] = loss
    medians[name] = statistics.median(times[5:])  # after the compiled step's first calls
print("max difference training:", abs(losses["compiled"] - losses["eager"]))
print(f"speed-up: {medians['eager'] / medians['compiled']:.2f}")


def bar(a, b):
    x = a / (torch.abs(a) + 1)
    if b.sum() < 0:  # Python decides on a value of the tensors: a graph break
        b = b * -1
    return x * b


explanation = torch._dynamo.explain(bar)(torch.randn(10), torch.randn(10))
print("graphs:", explanation.graph_count)
print("graph breaks:", explanation.graph_break_count)
fast_bar = torch.compile(bar)
inputs = [(torch.randn(10), torch.randn(10)) for _ in range(6)]
print("max difference split:", max((fast_bar(a, b) - bar(a, b)).abs().max().item() for a, b in inputs))
