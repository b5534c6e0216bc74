"""te.compile: a captured training step replayed as generated numpy code gives eager's results.

The oracle is eager tinygrad_ed itself: two copies of a model start from the same weights, one trains
eagerly, one through te.compile, on the same batches; losses and parameters must be bitwise equal
(the generated lines make the same numpy calls as the eager ops) after every step.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed import nn

STEPS = 50


def batches(count: int, batch: int, features: int, classes: int, seed: int = 0) -> list[tuple[te.Tensor, te.Tensor]]:
    rng = np.random.default_rng(seed)
    return [(te.from_numpy(rng.standard_normal((batch, features), dtype=np.float32)),
             te.from_numpy(rng.integers(0, classes, batch))) for _ in range(count)]


def twins(make_model, make_optimizer, after_backward=None):
    """Two identical (model, optimizer, step) triples; the step is the usual zero_grad/loss/backward/step,
    with `after_backward(model)` (gradient clipping, say) between backward and step."""
    made = []
    for _ in range(2):
        te.manual_seed(0)
        model = make_model()
        optimizer = make_optimizer(model.parameters())

        def step(x, y, model=model, optimizer=optimizer):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if after_backward is not None:
                after_backward(model)
            optimizer.step()
            return loss
        made.append((model, optimizer, step))
    return made


def train_both(make_model, make_optimizer, data, steps: int = STEPS, seed_each_step: bool = False,
               rtol: float = 0.0, after_backward=None):
    """Eager and compiled twins trained side by side: losses, parameters, gradients, optimizer state and
    buffers (batch norm's running statistics) equal (bitwise for rtol=0; to round-off where the program fuses a line)."""
    (eager_model, eager_opt, eager_step), (model, opt, step) = twins(make_model, make_optimizer, after_backward)
    compiled = te.compile(step)
    for i in range(steps):
        x, y = data[i % len(data)]
        if seed_each_step:
            te.manual_seed(i)
        expected = eager_step(x, y)
        if seed_each_step:
            te.manual_seed(i)
        got = compiled(x, y)
        np.testing.assert_allclose(got.item(), expected.item(), rtol=rtol, atol=rtol, err_msg=f"loss at step {i}")
    for (name, p), q in zip(eager_model.named_parameters(), model.parameters()):
        close(q.array, p.array, rtol, name)
        close(q.grad.array, p.grad.array, rtol, name + ".grad")
        for key, value in eager_opt.state[p].items():
            close(opt.state[q][key], value, rtol, f"{name} {key}")
    for (name, b), c in zip(eager_model.named_buffers(), model.buffers()):
        close(c.array, b.array, rtol, name)
    return compiled


def close(got, expected, rtol: float, name: str) -> None:
    """Equal to within rtol of the array's largest magnitude (bitwise for rtol=0)."""
    np.testing.assert_allclose(got, expected, rtol=0, atol=rtol * np.max(np.abs(expected)), err_msg=name)


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 5))


def test_mlp_with_sgd_momentum_matches_eager_bitwise():
    compiled = train_both(mlp, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), batches(4, 8, 20, 5))
    code = compiled.code
    assert "np.dot(" in code and "momentum_buffer" in code and "run_forward" not in code
    assert "relu = np.maximum(linear, zeros, out=" in code  # an array of zeros: numpy's fast loop, same values


class Residual(nn.Module):
    """relu(h) + h: h is read after ReLU, so ReLU may not write over it; the sum may write over relu(h)."""

    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Linear(20, 80), nn.Linear(80, 5)

    def forward(self, x):
        h = self.first(x)
        return self.second(F.relu(h) + h)


def test_an_elementwise_line_writes_over_an_input_only_when_nothing_reads_it_later():
    compiled = train_both(Residual, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), batches(4, 16, 20, 5))
    lines = {line.split(" = ")[0].strip(): line for line in compiled.code.splitlines() if "out=buf" in line}
    buffer = {name: line.rsplit("out=", 1)[1].split(")")[0] for name, line in lines.items()}
    assert buffer["relu"] != buffer["linear"]  # h is read again by the sum
    assert buffer["add"] == buffer["relu"]  # relu(h) is not: the sum takes its buffer


def test_batch_of_one_and_large_batches_take_the_two_linear_forms():
    """...and the two ways of summing bias gradients and softmax rows: numpy's reduction below 32 rows, a BLAS
    product with ones from 32 (backward_math.column_sums and kept_sum), each bitwise as eager sums."""
    small = train_both(mlp, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), batches(3, 1, 20, 5), steps=10)
    large = train_both(mlp, lambda ps: te.optim.SGD(ps, lr=0.05), batches(3, 80, 20, 5), steps=10)
    assert "np.dot(ones" not in small.code and "np.add.reduce(grad" in small.code
    assert "np.dot(ones1, grad" in large.code and "np.dot(grad, ones, " in large.code


@pytest.mark.parametrize("rows", [64, 128, 191, 192])
def test_a_wide_layers_product_in_either_form_matches_eager_bitwise(rows, monkeypatch):
    """Below 192 rows, a layer of 784 inputs computes x W^T as (W x^T)^T (faster); eager computes x W^T.
    (Without scipy: no fused update, so every array is compared bit for bit.)"""
    from tinygrad_ed.compiler import emitters
    monkeypatch.setattr(emitters, "_has_scipy", lambda: False)

    def wide():
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 5))
    compiled = train_both(wide, lambda ps: te.optim.SGD(ps, lr=0.01, momentum=0.9), batches(2, rows, 784, 5),
                          steps=6)
    assert ("np.dot(model_0_weight, x.T" in compiled.code) == (rows < 192)


def test_a_batch_of_ones_weight_gradients_are_outer_products_written_by_blas_bitwise():
    """One row: each weight gradient g.T @ x is an outer product, a single rounding per element whichever
    library computes it, so scipy's gemm (twice np.dot's speed here) gives eager's values exactly."""
    pytest.importorskip("scipy")
    compiled = train_both(mlp, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), batches(4, 1, 20, 5))
    assert compiled.code.count("sgemm(1.0, ") == 3 and "from scipy.linalg.blas import sgemm" in compiled.code


def test_adam_matches_eager_bitwise():
    train_both(mlp, lambda ps: te.optim.Adam(ps, lr=1e-2), batches(4, 8, 20, 5))


def wide_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(80, 64), nn.ReLU(), nn.Linear(64, 5))  # 5120 weights: a fused update


@pytest.mark.parametrize("make_optimizer", [lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9),
                                            lambda ps: te.optim.SGD(ps, lr=0.05),
                                            lambda ps: te.optim.Adam(ps, lr=1e-2)])
@pytest.mark.parametrize("batch", [1, 8])
def test_a_large_parameters_update_is_one_blas_axpy_and_matches_eager_to_round_off(make_optimizer, batch):
    pytest.importorskip("scipy")
    compiled = train_both(wide_mlp, make_optimizer, batches(4, batch, 80, 5), rtol=1e-5)
    code = compiled.code
    assert code.count("saxpy(") == 1 and "from scipy.linalg.blas import saxpy" in code  # only the 64x80 weight
    # momentum at batch 1: buf = momentum * buf + g.T @ x is one gemm, from the gradient's own factors
    momentum = "momentum_buffer" in code
    assert code.count("beta=group0['momentum']") == (batch == 1 and momentum)


class LearnedInput(nn.Module):
    """A Linear whose input is a parameter, updated by the optimizer before the Linear's weight."""

    def __init__(self):
        super().__init__()
        self.z = nn.Parameter(te.randn(1, 80))
        self.layer = nn.Linear(80, 64)

    def forward(self, x):
        return self.layer(self.z)


def test_the_fused_momentum_update_is_not_used_when_a_factor_has_changed():
    pytest.importorskip("scipy")
    compiled = train_both(LearnedInput, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9),
                          batches(4, 1, 1, 5), rtol=1e-5)
    code = compiled.code
    assert "sgemm(1.0, model_z.T" in code  # the weight gradient g.T @ z: an outer product
    assert "beta=" not in code  # but z is updated before the weight: g.T @ z cannot be computed again


def test_without_scipy_a_large_update_stays_numpy_and_bitwise(monkeypatch):
    from tinygrad_ed.compiler import emitters
    monkeypatch.setattr(emitters, "_has_scipy", lambda: False)
    compiled = train_both(wide_mlp, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), batches(4, 8, 80, 5), steps=10)
    assert "saxpy" not in compiled.code and "scipy" not in compiled.code


class NormalizedCNN(nn.Module):
    """Rows of 64 pixels as 8x8 images: a convolution, batch norm in training mode, a linear layer."""

    def __init__(self, momentum):
        super().__init__()
        self.conv, self.norm = nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4, momentum=momentum)
        self.head = nn.Linear(4 * 64, 5)

    def forward(self, x):
        return self.head(F.relu(self.norm(self.conv(x.reshape(-1, 1, 8, 8)))).flatten(1))


def test_batch_norm_running_statistics_are_written_in_place_by_the_replay_bitwise():
    """Batch norm moves its running statistics and num_batches_tracked with Tensor in-place ops under
    no_grad: the program writes them as eager does, and reads the batch statistics the op leaves in a dict."""
    compiled = train_both(lambda: NormalizedCNN(0.1), lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9),
                          batches(3, 6, 64, 5))
    code = compiled.code
    assert "runs eagerly" not in code
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert f"model_norm_{name}[...] = " in code


def test_batch_norm_with_a_cumulative_average_splits_the_step_and_matches():
    """momentum=None averages over num_batches_tracked, which eager reads back with .item(): a graph break, so
    the statement computing the loss runs as Python; the statements before and after it are pieces of their own."""
    compiled = train_both(lambda: NormalizedCNN(None), lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9),
                          batches(3, 6, 64, 5), steps=10)
    assert compiled.code.startswith("# split at 1 graph break") and ".item()" in compiled.code
    assert "loss = F.cross_entropy(model(x), y)" in compiled.code.split("runs as Python at every call")[1]


def winograd_cnn(norm: bool) -> nn.Module:
    """Rows of 64 pixels as 8x8 images through two 3x3 convolutions (the second one Winograd's, 8 input
    channels), with or without batch norm, then pooling and a linear layer."""
    layers = [nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
              nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
              nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)]
    return nn.Sequential(*(layer for layer in layers if norm or not isinstance(layer, nn.BatchNorm2d)))


@pytest.mark.parametrize("norm", [False, True], ids=["conv", "conv-batchnorm"])
def test_compiled_winograd_cnn_matches_eager(norm):
    """te.compile replays the Winograd transforms (their options are plain tuples and numbers it can write
    into the program): the same losses, weights, gradients, momentum and running statistics as eager."""
    compiled = train_both(lambda: winograd_cnn(norm), lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9),
                          batches(3, 6, 64, 5, seed=7), steps=6)
    assert "Transform" in compiled.code


def test_an_in_place_write_into_a_tensor_from_outside_the_step_is_replayed():
    counter, total = te.zeros((), dtype=te.int64), te.zeros(3)

    def step(x):
        with te.no_grad():
            counter.add_(1)
            total.add_(x * 2)
        return x * 3
    compiled = te.compile(step)
    for i in range(5):
        compiled(te.full((3,), float(i)))
    assert counter.item() == 5 and total.tolist() == [20.0, 20.0, 20.0]
    assert "counter[...] = " in compiled.code and "runs eagerly" not in compiled.code


def test_a_tensor_from_outside_the_step_is_read_afresh_at_each_replay():
    scale = te.full((3,), 2.0)
    compiled = te.compile(lambda x: x * scale)
    for i in range(5):
        scale.fill_(float(i))
        assert compiled(te.ones(3)).tolist() == [float(i)] * 3


def test_a_scheduler_stepped_inside_the_step_runs_it_eagerly():
    """A replay runs no Python code: a learning rate the step itself changes would stay put."""
    (eager_model, eager_opt, eager_step), (model, opt, step) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.1))
    schedules = [te.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5) for o in (eager_opt, opt)]

    def scheduled(x, y):
        loss = step(x, y)
        schedules[1].step()
        return loss
    compiled = te.compile(scheduled)
    for x, y in batches(5, 8, 20, 5):
        loss = eager_step(x, y)
        schedules[0].step()
        assert compiled(x, y).item() == loss.item()
    assert opt.param_groups[0]["lr"] == eager_opt.param_groups[0]["lr"] == 0.1 / 2 ** 5
    assert compiled.code.startswith("# runs eagerly: the step changes the optimizer's 'lr'")


def test_nn_init_inside_the_step_is_replayed():
    layer = nn.Linear(3, 2)

    def step(x):
        with te.no_grad():
            nn.init.constant_(layer.bias, 0.5)
        return layer(x)
    compiled = te.compile(step)
    for _ in range(4):
        layer.bias.array[...] = 2.0
        assert compiled(te.ones(1, 3)).tolist() == layer(te.ones(1, 3)).tolist()
    assert "runs eagerly" not in compiled.code and layer.bias.tolist() == [0.5, 0.5]


def test_a_result_in_fortran_order_keeps_it_so_reductions_sum_as_in_eager():
    """x.T * 1.1 is Fortran-ordered in eager; written into a C-ordered buffer, the row sums after it would
    add in another order."""
    rng = np.random.default_rng(0)
    compiled = te.compile(lambda x: (x.T * 1.1).sum(1))
    for _ in range(4):
        x = te.from_numpy(rng.standard_normal((300, 200), dtype=np.float32))
        np.testing.assert_array_equal(compiled(x).numpy(), (x.T * 1.1).sum(1).numpy())


def test_optimizer_without_an_emitter_replays_its_own_update():
    compiled = train_both(mlp, lambda ps: te.optim.RMSprop(ps, lr=1e-3, momentum=0.5), batches(4, 8, 20, 5),
                          steps=10)
    assert ".update(" in compiled.code
    train_both(mlp, lambda ps: te.optim.AdamW(ps, lr=1e-2, weight_decay=0.1), batches(4, 8, 20, 5), steps=10)


@pytest.mark.parametrize("clip", [lambda model: nn.utils.clip_grad_norm_(model.parameters(), 0.05),
                                  lambda model: nn.utils.clip_grad_value_(model.parameters(), 0.01)],
                         ids=["norm", "value"])
def test_gradient_clipping_inside_the_step_is_replayed(clip):
    """Clipping writes into the gradients between backward and step: the replay must clip too (it was
    once done on the arrays behind the capture's back, and the replayed steps trained unclipped). Its
    comparisons (a norm's `total == 0`, clamp's bounds) are recorded, so the whole step is one program."""
    compiled = train_both(mlp, lambda ps: te.optim.SGD(ps, lr=0.5, momentum=0.9), batches(4, 8, 20, 5),
                          steps=12, after_backward=clip)
    assert "runs eagerly" not in compiled.code and "np.greater(" in compiled.code


def test_a_comparison_is_replayed_with_the_operands_promoted_as_eager_promotes_them():
    """An int tensor against a float bound compares in float32, as torch's promotion says (numpy alone
    would compare in float64), and a mask of bools works as a tensor operand."""
    @te.compile
    def step(n, x):
        near = (n > 2.5) & (x.abs() <= 1.0)
        return x * near, (n == 16777217.0).sum()  # in float32 both large ones equal it (so in torch)
    n = te.tensor([1, 3, 16777216, 16777217])
    for _ in range(3):
        x = te.randn(4)
        got, count = step(n, x)
        np.testing.assert_array_equal(got.array, (x * ((n > 2.5) & (x.abs() <= 1.0))).array)
        assert count.item() == 2
    assert "runs eagerly" not in step.code and "np.greater(" in step.code


def test_a_comparison_with_a_value_computed_outside_the_ops_runs_eagerly():
    """argsort has no recorded form: comparing its result must stop the capture, not freeze the result as a
    constant (an argmax once was)."""
    @te.compile
    def first_is_smallest(x, y):
        return (x.argsort(1)[:, 0] == y).float().mean()
    y = te.tensor([0, 1, 2, 0])
    for x in (te.eye(4)[:, :3].flip(1), te.zeros(4, 3), -te.eye(4)[:, :3]):  # 0.5, 0.5 (ties go first), 1
        assert first_is_smallest(x, y).item() == (x.argsort(1)[:, 0] == y).float().mean().item()
    assert first_is_smallest.code.startswith("# runs eagerly") and "no recorded form" in first_is_smallest.code


def test_accuracy_by_argmax_or_max_inside_a_training_step_is_recorded():
    """`(out.argmax(1) == y)` and `out.max(1)[1]`: the indices are a recorded numpy line, read afresh at each
    replay, and the step stays one program."""
    (net, net_opt, _), (twin, opt, _) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.1))

    def step(model, optimizer, x, y):
        optimizer.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        optimizer.step()
        return loss, (out.argmax(1) == y).float().mean(), (out.max(1)[1] == y).sum()
    compiled = te.compile(step)
    for x, y in batches(6, 16, 20, 5):
        expected = step(net, net_opt, x, y)
        got = compiled(twin, opt, x, y)
        assert [t.item() for t in got] == [t.item() for t in expected]
    assert "runs eagerly" not in compiled.code and "np.argmax(" in compiled.code


@pytest.mark.parametrize("make", [lambda x: te.zeros(3), lambda x: te.ones_like(x), lambda x: te.arange(3),
                                  lambda x: te.full((3,), 2.5), lambda x: te.eye(3)[0], lambda x: te.tensor([1., 2., 3.])],
                         ids=["zeros", "ones_like", "arange", "full", "eye", "tensor"])
def test_a_tensor_made_by_a_constructor_inside_the_step_is_part_of_the_program(make):
    """A GPT's `pos = torch.arange(T)` in its forward: the constructors' values are constants of the program
    (they once made the step run eagerly), and one returned is a new tensor at every call."""
    def step(x):
        made = make(x)
        return x * made + made, made
    compiled = te.compile(step)
    returned = []
    for value in range(4):
        x = te.full((3,), float(value))
        got, made = compiled(x)
        np.testing.assert_array_equal(got.numpy(), step(x)[0].numpy())
        returned.append(made)
    assert "runs eagerly" not in compiled.code and len({id(t) for t in returned}) == 4


class TinyGPT(nn.Module):
    """A language model's forward as the lecture series writes it: positions by arange in the forward, a
    causal mask from a buffer filled with -inf, softmax attention, layer norm."""

    def __init__(self, vocab: int = 11, width: int = 16, context: int = 8):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.norm, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)
        self.register_buffer("mask", te.tril(te.ones(context, context)))

    def forward(self, idx, targets):
        _, T = idx.shape
        x = self.tokens(idx) + self.positions(te.arange(0, T, dtype=te.long))
        att = (x @ x.transpose(-2, -1)) * x.shape[-1] ** -0.5
        att = att.masked_fill(self.mask[:T, :T] == 0, float("-inf"))
        logits = self.head(self.norm(F.softmax(att, dim=-1) @ x))
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def test_a_gpt_training_step_with_arange_positions_and_an_inf_mask_matches_eager_bitwise():
    """(A constant holding -inf once made the generated code fail to compile: repr(-inf) is no literal.)"""
    trained = []
    for compile_it in (False, True):
        te.manual_seed(0)
        model = TinyGPT()
        opt = te.optim.AdamW(model.parameters(), lr=1e-2)

        def step(idx, targets, model=model, opt=opt):
            _, loss = model(idx, targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss
        run = te.compile(step) if compile_it else step
        g = te.Generator().manual_seed(1)
        losses = [run(te.randint(0, 11, (4, 8), generator=g), te.randint(0, 11, (4, 8), generator=g)).item()
                  for _ in range(6)]
        trained.append((losses, [p.array.copy() for p in model.parameters()]))
    assert trained[0][0] == trained[1][0]
    for p, q in zip(trained[0][1], trained[1][1]):
        np.testing.assert_array_equal(q, p)
    assert "runs eagerly" not in run.code and "float('-inf')" in run.code


class LogitsAndLoss(nn.Module):
    """A model returning `(logits, loss)`, as the minimal GPT training script's does."""

    def __init__(self):
        super().__init__()
        self.body = mlp()

    def forward(self, x, targets):
        logits = self.body(x)
        return logits, F.cross_entropy(logits, targets)


@pytest.mark.parametrize("through_logits", [False, True], ids=["loss", "loss_and_logits"])
def test_a_compiled_model_returning_logits_and_loss_trains_in_an_eager_loop_like_the_model(through_logits):
    """`model = torch.compile(model)`, then `logits, loss = model(x, y)` and `loss.backward()` outside: each tensor
    of the result whose backward is still to run gets its own node and backward program (this ran eagerly).
    Differentiating through both, their gradients meet at the parameters instead of at the logits: to round-off."""
    (net, net_opt, _), (twin, opt, _) = twins(LogitsAndLoss, lambda ps: te.optim.AdamW(ps, lr=1e-2))
    model = te.compile(twin)
    for x, y in batches(5, 8, 20, 5):
        for m, o in ((net, net_opt), (model, opt)):
            o.zero_grad(set_to_none=True)
            logits, loss = m(x, y)
            (loss + 0.1 * logits.square().mean() if through_logits else loss).backward()
            o.step()
    rtol = 1e-5 if through_logits else 0.0
    for (name, p), q in zip(net.named_parameters(), twin.parameters()):
        close(q.array, p.array, rtol, name)
        close(q.grad.array, p.grad.array, rtol, name + ".grad")
    assert "runs eagerly" not in model.code and model.code.count("\ndef ") == 3  # forward, two backward


def test_a_compiled_model_deciding_on_a_value_in_python_splits_when_its_result_needs_backward():
    """`if x.sum() > 0:` in a forward whose result is differentiated outside: the branch taken at capture was
    once replayed for every input."""
    class Signed(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x):
            y = self.lin(x)
            return y if x.sum() > 0 else -y
    model = Signed()
    compiled = te.compile(model)
    for sign in (1.0, 1.0, 1.0, -1.0):
        x = te.full((2, 3), sign)
        out = compiled(x)
        np.testing.assert_array_equal(out.detach().numpy(), model(x).detach().numpy())
        out.sum().backward()
    code = compiled.code
    assert code.startswith("# split at 1 graph break") and "bool(tensor)" in code and "_backward(" in code
    assert "#     return y if x.sum() > 0 else -y" in code  # as Python at every call, on the first piece's y


def test_a_tensor_from_numpy_inside_the_step_reads_the_arrays_memory_at_each_call():
    """from_numpy shares the caller's memory, which may change: it is read at every replay, not baked."""
    shared = np.zeros(3, np.float32)
    compiled = te.compile(lambda x: x + te.from_numpy(shared))
    for value in range(5):
        shared[:] = value
        assert compiled(te.ones(3)).tolist() == [1.0 + value] * 3


def test_a_tensor_made_inside_the_step_and_written_in_place_starts_afresh_at_each_call():
    """The replay must not start from what the previous call left in it (it once accumulated)."""
    for make in (lambda: te.tensor([0.0, 0.0, 0.0]), lambda: te.zeros(3)):
        @te.compile
        def step(x, make=make):
            total = make()
            total += x
            return total * 1
        for _ in range(4):
            assert step(te.ones(3)).tolist() == [1.0, 1.0, 1.0]


def test_a_learning_rate_changed_between_steps_is_read_at_each_replay():
    (eager_model, eager_opt, eager_step), (model, opt, step) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.1))
    compiled = te.compile(step)
    for i, (x, y) in enumerate(batches(6, 8, 20, 5)):
        for o in (eager_opt, opt):
            o.param_groups[0]["lr"] = 0.1 / (i + 1)
        assert compiled(x, y).item() == eager_step(x, y).item()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_array_equal(q.array, p.array)


def test_dropout_in_training_mode_draws_afresh_like_eager():
    def model():
        return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 5))
    compiled = train_both(model, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), batches(4, 8, 20, 5),
                          seed_each_step=True)
    assert "generator()" in compiled.code


def test_dropout_masks_differ_between_replays():
    te.manual_seed(0)
    layer = nn.Dropout(0.5)
    compiled = te.compile(lambda x: layer(x) * 1.0)
    x = te.ones(64)
    masks = [compiled(x).numpy().copy() for _ in range(3)]
    assert not np.array_equal(masks[1], masks[2])
    assert set(np.unique(masks[2])) <= {0.0, 2.0}


def images(count: int = 3) -> list[tuple[te.Tensor, te.Tensor]]:
    rng = np.random.default_rng(3)
    return [(te.from_numpy(rng.standard_normal((6, 1, 8, 8), dtype=np.float32)),
             te.from_numpy(rng.integers(0, 5, 6))) for _ in range(count)]


def test_cnn_matches_eager_bitwise():
    def cnn():
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(4, 4, 3),
                             nn.Tanh(), nn.Flatten(), nn.Linear(4 * 2 * 2, 5))
    compiled = train_both(cnn, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), images())
    assert "run_forward(Unfold" in compiled.code  # the convolution's unfold replays through its primitive


def test_max_pool_cnn_matches_eager_bitwise():
    def cnn():
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 5))
    compiled = train_both(cnn, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9), images(), steps=6)
    (entry,) = compiled.cache.values()
    assert entry.replay is not None


def test_a_value_computed_outside_the_ops_is_found_and_runs_eagerly():
    """A Python number drawn afresh at every call would be frozen into the program: the two captures
    disagree, so the step runs eagerly and its results stay those of eager."""
    model = nn.Linear(4, 3)
    opt = te.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)

    def step(x):
        opt.zero_grad()
        loss = (model(x) * float(rng.random())).sum()
        loss.backward()
        opt.step()
        return loss

    compiled = te.compile(step)
    data = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    losses = [compiled(te.tensor(data)).item() for _ in range(5)]
    (entry,) = compiled.cache.values()
    assert entry.replay is None and "changed between two calls" in entry.eager_reason
    assert len(set(losses)) == 5


class Cube(te.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x * x


def test_custom_function_matches_eager_bitwise():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(20, 16), nn.Linear(16, 5)

        def forward(self, x):
            return self.b(Cube.apply(self.a(x)))
    train_both(Net, lambda ps: te.optim.SGD(ps, lr=0.01, momentum=0.9), batches(4, 8, 20, 5))


def test_a_new_batch_size_is_captured_again_and_both_are_kept():
    (_, _, eager_step), (_, _, step) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9))
    compiled = te.compile(step)
    data = batches(2, 8, 20, 5) + batches(2, 3, 20, 5, seed=1)
    for i in range(8):
        x, y = data[i % 4]
        assert compiled(x, y).item() == eager_step(x, y).item()
    assert len(compiled.cache) == 2
    assert "(3, 32)" in compiled.code


def test_training_flag_and_grad_mode_are_guarded():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    compiled = te.compile(model)
    x = te.ones(2, 4)
    with te.no_grad():
        compiled(x)
        model.eval()
        np.testing.assert_array_equal(compiled(x).numpy(), model(x).numpy())
    assert len(compiled.cache) == 2


def test_recompiling_too_often_warns_and_falls_back_to_eager(monkeypatch):
    from tinygrad_ed.compiler import compiled as compiled_module
    monkeypatch.setattr(compiled_module, "cache_size_limit", 2)
    compiled = te.compile(lambda x: x * 2)
    compiled(te.ones(1))
    compiled(te.ones(2))
    with pytest.warns(UserWarning, match="captured 2 times"):
        out = compiled(te.ones(3))
    np.testing.assert_array_equal(out.numpy(), [2, 2, 2])


def test_tensors_inside_tuple_list_and_dict_arguments_are_inputs_of_the_program():
    """torch.compile's tutorial trains with `train(model, (inputs, targets))`: the tensors in the tuple are
    the call's data, read at every replay (they were once read from the first call's tuple for good)."""
    (net, net_opt, _), (twin, opt, _) = twins(mlp, lambda ps: te.optim.Adam(ps, lr=1e-2))

    def train(model, data, optimizer, extra):
        optimizer.zero_grad(True)
        loss = F.cross_entropy(model(data[0]), data[1]) + 0 * extra["scale"].sum()
        loss.backward()
        optimizer.step()
        return loss
    compiled = te.compile(train)
    for x, y in batches(6, 8, 20, 5):
        scale = {"scale": [x.sum()][0]}
        expected = train(net, (x, y), net_opt, scale)
        assert compiled(twin, [x, y], opt, scale).item() == expected.item()
    for p, q in zip(net.parameters(), twin.parameters()):
        np.testing.assert_array_equal(q.array, p.array)
    assert "runs eagerly" not in compiled.code and "def train(data_0, data_1, extra_scale" in compiled.code


def test_an_argument_object_holding_tensors_is_never_read_from_an_earlier_call():
    """An object the guard knows only by identity: each new one is captured afresh (the replays' arguments
    stay alive, so no new object takes an old one's id), never replayed with an old one's tensors."""
    class Batch:
        def __init__(self, x):
            self.x = x

    compiled = te.compile(lambda batch: batch.x * 2)
    for value in range(5):
        batch = Batch(te.full((2,), float(value)))
        assert compiled(batch).tolist() == [2.0 * value] * 2
        del batch  # the next Batch may be made at the same address


def test_the_torch_dynamo_names_published_compile_code_uses():
    """`import torch._dynamo`; `torch._dynamo.explain(fn)(*args)` (and its older `explain(fn, *args)`),
    `torch._dynamo.reset()`, `torch._dynamo.config.cache_size_limit = n`."""
    import tinygrad_ed._dynamo  # noqa: F401  (the import a torch script writes)
    from tinygrad_ed.compiler import compiled as compiled_module

    def halve_if_positive(a):
        return a * 0.5 if a.sum() > 0 else a
    for report in (te._dynamo.explain(halve_if_positive)(te.ones(3)), te._dynamo.explain(halve_if_positive, te.ones(3))):
        assert report.graph_count == 0 and report.graph_break_count == 1 and "bool(tensor)" in report.break_reasons[0]
    fast = te.compile(lambda x: x + 1)
    ones = te.ones(2)
    te._dynamo.mark_dynamic(ones, 0)  # accepted: every shape gets its own capture
    te._dynamo.mark_static(ones)
    fast(ones)
    te._dynamo.reset()
    assert not fast.cache
    limit = compiled_module.cache_size_limit
    try:
        te._dynamo.config.cache_size_limit = 2
        assert compiled_module.cache_size_limit == 2 == te._dynamo.config.recompile_limit
    finally:
        te._dynamo.config.cache_size_limit = limit


def test_backends_are_torchs_names_and_a_custom_backend_is_refused_clearly():
    for backend in ("inductor", "eager", "aot_eager"):
        assert te.compile(lambda x: x * 2, backend=backend)(te.ones(1)).item() == 2.0
    with pytest.raises(RuntimeError, match="invalid backend 'nonsense'"):
        te.compile(lambda x: x, backend="nonsense")
    with pytest.raises(NotImplementedError, match="custom backend"):
        te.compile(lambda x: x, backend=lambda graph, example_inputs: graph.forward)


def test_a_function_marked_disable_runs_as_python_inside_a_compiled_step():
    seen = []

    @te.compiler.disable
    def logged(x):
        seen.append(te.compiler.is_compiling())
        return x * 3

    step = te.compile(lambda x: logged(x) + 1)
    for _ in range(3):
        assert step(te.ones(2)).tolist() == [4.0, 4.0]
    assert seen == [True, True, False]  # captured twice (it gave up: eager), then plain calls
    assert step.code.startswith("# runs eagerly: logged is marked te.compiler.disable")
    with pytest.raises(RuntimeError, match="fullgraph=True.*logged is marked te.compiler.disable"):
        te.compile(lambda x: logged(x) + 1, fullgraph=True)(te.ones(2))
    assert not te.compiler.is_compiling()


def test_a_compiled_module_is_a_module_around_the_original_as_torchs():
    """`model = torch.compile(model)`, then `model.parameters()`, `model.eval()`, `model.state_dict()`..."""
    net = mlp()
    net.classes = 5
    model = te.compile(net)
    assert isinstance(model, nn.Module) and model._orig_mod is net and model.classes == 5
    assert [id(p) for p in model.parameters()] == [id(p) for p in net.parameters()]
    assert list(model.state_dict()) == ["_orig_mod." + key for key in net.state_dict()]  # torch's prefix
    model.eval()
    assert not net.training
    model.train()
    assert net.training
    assert repr(model).startswith("OptimizedModule(\n  (_orig_mod): Sequential(\n")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        assert model.nothing is None  # raises before comparing


def test_a_compiled_module_trains_in_an_eager_loop_like_the_module():
    (net, net_opt, _), (twin, _, _) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.1, momentum=0.9))
    model = te.compile(twin)
    opt = te.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches(5, 8, 20, 5):
        for m, o in ((net, net_opt), (model, opt)):
            o.zero_grad()
            F.cross_entropy(m(x), y).backward()
            o.step()
    for p, q in zip(net.parameters(), model.parameters()):
        np.testing.assert_array_equal(q.array, p.array)
        np.testing.assert_array_equal(q.grad.array, p.grad.array)
    assert "def sequential_backward" in model.code


def test_module_compiled_for_inference():
    te.manual_seed(0)
    model = mlp()
    compiled = te.compile(model)
    x = batches(1, 8, 20, 5)[0][0]
    with te.no_grad():
        for _ in range(3):
            out = compiled(x)
            np.testing.assert_array_equal(out.numpy(), model(x).numpy())
    assert "backward" not in compiled.code
    held = out.numpy().copy()
    with te.no_grad():
        compiled(x * 2)
    np.testing.assert_array_equal(out.numpy(), held)  # a returned array is not a buffer reused next call


def normalized_mlp() -> nn.Module:
    """A batch norm (a primitive replayed through run_forward, running statistics written in place) and a
    Linear whose 60-element result gets no buffer."""
    return nn.Sequential(nn.Linear(20, 32), nn.BatchNorm1d(32), nn.Tanh(), nn.Linear(32, 12))


@pytest.mark.parametrize("make_model", [mlp, normalized_mlp], ids=["mlp", "batch-norm"])
def test_module_compiled_inside_an_eager_training_loop_matches_eager(make_model):
    te.manual_seed(0)
    eager_model = make_model()
    te.manual_seed(0)
    model = make_model()
    compiled = te.compile(model)
    eager_opt = te.optim.SGD(eager_model.parameters(), lr=0.05, momentum=0.9)
    opt = te.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for x, y in batches(4, 5, 20, 5) * 3:
        for net, optimizer in ((eager_model, eager_opt), (compiled, opt)):
            optimizer.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            optimizer.step()
    for (name, p), q in zip(eager_model.state_dict().items(), model.state_dict().values()):
        np.testing.assert_array_equal(q.array, p.array, err_msg=name)
    assert "CompiledFunctionBackward" in repr(compiled(x).grad_fn) and "_backward(grad_output" in compiled.code


def test_two_forwards_before_their_backwards_keep_their_own_saved_values():
    te.manual_seed(0)
    model = mlp()
    compiled = te.compile(model)
    (x1, _), (x2, _) = batches(2, 8, 20, 5)
    for _ in range(2):
        compiled(x1)  # the two captures
    expected = []
    for x in (x1, x2):
        model.zero_grad()
        model(x).sum().backward()
        expected.append(model[0].weight.grad.numpy().copy())
    a, b = compiled(x1), compiled(x2)
    model.zero_grad()
    a.sum().backward()
    np.testing.assert_allclose(model[0].weight.grad.numpy(), expected[0], rtol=1e-6)
    model.zero_grad()
    b.sum().backward()
    np.testing.assert_allclose(model[0].weight.grad.numpy(), expected[1], rtol=1e-6)


def test_returned_item_becomes_a_recorded_output():
    (_, _, eager_step), (_, _, step) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.05))
    compiled = te.compile(lambda x, y: step(x, y).item())
    for x, y in batches(3, 8, 20, 5) * 2:
        got = compiled(x, y)
        assert isinstance(got, float) and got == eager_step(x, y).item()
    explained = te.compiler.explain(te.compile(lambda x, y: step(x, y).item()), *batches(1, 8, 20, 5)[0])
    assert explained.graph_count == 1 and "item" in explained.break_reasons[0]


def branchy(x):
    y = x * 2
    if y.sum() > 0:
        return y + 1
    return y - 1


def test_a_value_used_in_python_breaks_the_graph_and_splits_the_function():
    compiled = te.compile(branchy)
    for sign in (1, -1, 1):
        x = te.ones(3) * sign
        np.testing.assert_array_equal(compiled(x).numpy(), branchy(x).numpy())
    explained = te.compiler.explain(branchy, te.ones(3))
    assert explained.graph_count == 2 and explained.graph_break_count == 1  # torch's figures for this function
    assert "bool(tensor)" in explained.break_reasons[0] and "if y.sum() > 0" in explained.break_reasons[0]


def test_fullgraph_raises_naming_the_line():
    compiled = te.compile(branchy, fullgraph=True)
    with pytest.raises(RuntimeError, match=r"fullgraph=True.*if y.sum\(\) > 0"):
        compiled(te.ones(3))


def test_printing_breaks_the_graph():
    def noisy(x):
        y = x * 3
        print(y)
        return y
    with pytest.raises(RuntimeError, match="printing a tensor"):
        te.compile(noisy, fullgraph=True)(te.ones(2))


@pytest.mark.parametrize("make_model,features,rtol", [(mlp, 20, 0.0), (wide_mlp, 80, 1e-6)])
def test_generated_code_runs_alone_with_numpy_only(make_model, features, rtol):
    """Alone in a fresh namespace: the code imports what it calls (numpy, math; scipy's BLAS for a fused
    update, which rounds differently)."""
    (eager_model, _, eager_step), (model, opt, step) = twins(make_model,
                                                             lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9))
    compiled = te.compile(step)
    data = batches(3, 8, features, 5)
    compiled(*data[0])
    eager_step(*data[0])
    namespace: dict = {}
    exec(compiled.code, namespace)  # a fresh namespace: the code imports numpy and math, nothing else
    program = namespace["step"]
    params = [p.array.copy() for p in model.parameters()]
    states = [{"momentum_buffer": opt.state[p]["momentum_buffer"].copy()} for p in model.parameters()]
    x, y = data[1]
    interleaved = [a for pair in zip(params, states) for a in pair]
    # the signature lists each parameter, then its optimizer state and group where first used
    arguments = {"x": x.array, "y": y.array, "group0": dict(opt.param_groups[0])}
    names = program.__code__.co_varnames[:program.__code__.co_argcount]
    by_name = dict(zip([n for n in names if n.startswith("model")], params))
    by_name.update(zip([n for n in names if n.startswith("state_")], states))
    results = program(*[arguments.get(n, by_name.get(n)) for n in names])
    expected = eager_step(x, y)
    assert results[0] == expected.item()
    for p, q in zip(eager_model.parameters(), params):
        close(q, p.array, rtol, "parameter")
    del interleaved


def test_code_names_the_ops_and_layers():
    (_, _, _), (_, _, step) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.05, momentum=0.9))
    compiled = te.compile(step)
    compiled(*batches(1, 8, 20, 5)[0])
    code = compiled.code
    for text in ("# linear model.0 (Linear)", "# relu model.1 (ReLU)", "LinearBackward0 model.4 (Linear)",
                 "# forward", "# backward", "# optimizer step", "SGD update of model.0.weight"):
        assert text in code


def test_reset_forgets_every_capture():
    compiled = te.compile(lambda x: x + 1)
    compiled(te.ones(2))
    te.compiler.reset()
    assert not compiled.cache
    with pytest.raises(RuntimeError, match="not compiled yet"):
        print(compiled.code)


def test_compile_signature_and_options():
    def f(x):
        return x * 2
    assert te.compile(f, disable=True) is f
    decorated = te.compile(fullgraph=True, mode="reduce-overhead", backend="inductor", options={})(f)
    np.testing.assert_array_equal(decorated(te.ones(2)).numpy(), [2, 2])
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        te.compile(f, mode="fastest")
    with pytest.raises(TypeError, match="function or a Module"):
        te.compile(3)


def test_gradient_of_an_argument_goes_to_this_calls_argument():
    def chain(x):
        y = x * 1.5 + 0.25
        y = y * y
        y.backward()
        return y
    compiled = te.compile(chain)
    for value in (1.0, 2.0, -3.0):
        x = te.tensor(value, dtype=te.float64, requires_grad=True)
        xe = te.tensor(value, dtype=te.float64, requires_grad=True)
        assert compiled(x).item() == chain(xe).item()
        assert x.grad.item() == xe.grad.item()


def affine_chain(steps: int, squared: bool = False):
    def chain(x):
        y = x
        for _ in range(steps):
            y = y * 1.0001 + 0.001
        if squared:
            y = y * y
        y.backward()
        return y
    return chain


def compiled_like_eager(chain):
    """`chain` compiled, checked bitwise against eager (value and x.grad) from four starting points."""
    compiled = te.compile(chain)
    for value in (1.0, 0.5, 2.0, 3.0):
        x, xe = (te.tensor(value, dtype=te.float64, requires_grad=True) for _ in range(2))
        assert compiled(x).item() == chain(xe).item() and x.grad.item() == xe.grad.item()
    return compiled


def test_a_long_chain_becomes_loops_and_matches_eager():
    compiled = compiled_like_eager(affine_chain(1500, squared=True))
    assert compiled.code.count("for _ in range(") == 2 and len(compiled.code.splitlines()) < 40


def test_work_on_constants_only_is_done_at_capture():
    """The backward of an affine chain does not depend on x: d y / d x is one constant of the program,
    computed at capture by eager's own calls (so bitwise equal), and only the forward runs at replay."""
    compiled = compiled_like_eager(affine_chain(300))
    backward = compiled.code.split("# backward")[1]
    assert "1.0001" not in backward and backward.count(" = ") == 1  # x.grad: a copy of the constant
    assert 1.0001 ** 300 == pytest.approx(float(compiled.code.split("grad_const = np.float64(")[1].split(")")[0]))


def test_a_compiled_module_inside_a_compiled_step_is_captured_with_it():
    (eager_model, _, eager_step), (model, opt, _) = twins(mlp, lambda ps: te.optim.SGD(ps, lr=0.05))
    inner = te.compile(model)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(inner(x), y)
        loss.backward()
        opt.step()
        return loss
    compiled = te.compile(step)
    for x, y in batches(3, 8, 20, 5) * 2:
        assert compiled(x, y).item() == eager_step(x, y).item()
    assert not inner.cache and "LinearBackward0" in compiled.code


def test_a_replaced_parameter_is_guarded():
    te.manual_seed(0)
    layer = nn.Linear(3, 2)
    compiled = te.compile(layer)
    x = te.ones(1, 3)
    with te.no_grad():
        for _ in range(3):
            compiled(x)
        layer.weight = nn.Parameter(te.zeros(2, 3))
        np.testing.assert_array_equal(compiled(x).numpy(), layer.bias.detach().numpy()[None])
    assert len(compiled.cache) == 2


def test_a_hook_in_the_graph_stops_the_capture_and_the_step_runs_eagerly():
    w = te.ones(3, requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.numpy().copy()))
    unrelated = te.ones(2, requires_grad=True)
    unrelated.register_hook(lambda g: g)

    def step(x):
        loss = (w * x).sum()
        loss.backward()
        return loss
    compiled = te.compile(step)
    for _ in range(3):
        compiled(te.ones(3) * 2)
    assert len(seen) == 3 and "hooks" in next(iter(compiled.cache.values())).eager_reason
    v = te.ones(3, requires_grad=True)

    def other_step(x):
        loss = (v * x).sum()
        loss.backward()
        return loss
    plain = te.compile(other_step)
    plain(te.ones(3))
    plain(te.ones(3))
    assert next(iter(plain.cache.values())).replay is not None  # the unrelated hook does not matter


def eager_and_compiled(make, calls: int = 5, features: int = 3):
    """`make()` twice (the same seed): its step run eagerly and compiled on changing inputs; after every call
    `make`'s `observe()` (the step's result and side effects, as arrays) must agree. Returns the compiled step."""
    (eager, eager_observe), (step, observe) = (make() for _ in range(2))
    compiled = te.compile(step)
    rng = np.random.default_rng(0)
    for i in range(calls):  # calls 1 and 2 capture, the rest replay: a frozen value shows from the third
        x = te.from_numpy(rng.standard_normal((4, features), dtype=np.float32))
        expected, got = eager_observe(eager(x)), observe(compiled(x))
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(e), err_msg=f"call {i}")
    return compiled


def linear_and_sgd(momentum: float = 0.0):
    te.manual_seed(0)
    model = nn.Linear(3, 3)
    return model, te.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)


def test_a_second_backward_in_the_step_adds_to_the_first_ones_gradient():
    """It once added to the .grad the step started with, dropping the first backward's gradient."""
    def make():
        model, opt = linear_and_sgd()

        def step(x):
            opt.zero_grad()
            model(x).sum().backward()
            (model(x) ** 2).mean().backward()
            opt.step()
        return step, lambda _: (model.weight.array, model.weight.grad.array, model.bias.grad.array)
    assert "runs eagerly" not in eager_and_compiled(make).code


def test_a_detached_result_is_this_calls_value():
    """detach() makes its view outside the ops: the returned view was once frozen at capture."""
    def make():
        model, _ = linear_and_sgd()

        def step(x):
            h = model(x).relu()
            h.sum().backward()
            return h.detach(), h.detach().sum() * 2
        return step, lambda result: (result[0].array, result[1].array, model.weight.grad.array)
    assert "runs eagerly" not in eager_and_compiled(make).code


def test_zero_grad_keeping_zeros_starts_each_replay_from_zeros():
    """zero_grad(set_to_none=False) gives every .grad a fresh array of zeros, which the replay must do too."""
    def make():
        model, opt = linear_and_sgd(momentum=0.9)

        def step(x):
            opt.zero_grad(set_to_none=False)
            F.mse_loss(model(x), x).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
        return step, lambda _: (model.weight.array, model.weight.grad.array, model.bias.array)
    assert "runs eagerly" not in eager_and_compiled(make).code


def test_a_step_that_drops_the_gradients_drops_them_at_each_replay():
    """zero_grad() and no backward after it: the gradients of an eager backward run between the calls once survived
    the replays."""
    model, opt = linear_and_sgd()

    @te.compile
    def forward(x):
        opt.zero_grad()
        return model(x).sum() * 1
    for _ in range(4):
        x = te.randn(4, 3)
        (model(x) ** 2).sum().backward()
        assert forward(x).item() == model(x).sum().item() and model.weight.grad is None


def test_a_folded_gradient_handed_on_unchanged_is_not_a_new_value():
    """Add passes its incoming gradient on as it is; folded into a constant at capture (sum's ones), it once
    looked like a new value to the add's backward, which has no line for one (a KeyError at capture)."""
    def make():
        model, _ = linear_and_sgd()

        def step(x):
            h = model(x)
            (h + h.norm()).sum().backward()
        return step, lambda _: (model.weight.grad.array, model.bias.grad.array)
    eager_and_compiled(make)


def test_a_tensor_named_like_a_buffer_does_not_take_its_name():
    """A closure tensor `buf` became the parameter `buf1`, shadowing the program's scratch buffer buf1."""
    def make():
        model, _ = linear_and_sgd()
        buf = te.zeros(3)

        def step(x):
            h = model(x).log_softmax(1)
            (h * h).mean().backward()
            with te.no_grad():
                buf.add_(model.weight.grad.sum(0))
        return step, lambda _: (buf.array,)
    compiled = eager_and_compiled(make)
    assert "buf1 = np.empty(" in compiled.code and "def step(x, " in compiled.code and " buf1)" not in compiled.code


SCALE = 1.0


def test_a_python_number_the_step_reads_from_its_globals_or_closure_is_guarded():
    """The program has the number written in: changed after the two captures, it was once still used."""
    global SCALE
    shift = 0.0

    @te.compile
    def step(x):
        return x * SCALE + shift
    for i in range(6):
        SCALE, shift = (1.0, 0.0) if i < 3 else (5.0, 2.0 if i > 4 else 0.0)
        assert step(te.ones(2)).tolist() == [SCALE + shift] * 2
    SCALE = 1.0


def test_an_assignment_to_data_inside_the_step_runs_as_python():
    """`t.data = ...` gives t other memory; the replay once skipped it (t stayed as it was)."""
    counter = te.zeros(3)

    @te.compile
    def step(x):
        counter.data = counter.data + 1
        return x + counter
    for i in range(1, 5):
        assert step(te.zeros(3)).tolist() == [float(i)] * 3
    assert step.code.startswith("# split at 1 graph break") and ".data" in step.code


def test_a_modules_setting_changed_between_calls_is_guarded():
    """Dropout's rate is written into the program: a new rate once kept the old one's mask."""
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.0))
    compiled = te.compile(model)
    with te.no_grad():
        for i in range(5):
            model[1].p = 0.0 if i < 3 else 0.9
            x = te.randn(4, 3)
            te.manual_seed(i)
            got = compiled(x)
            te.manual_seed(i)
            np.testing.assert_array_equal(got.array, model(x).array)


def test_a_result_whose_backward_would_fail_runs_eagerly_without_raising_at_the_call():
    """A compiled module's result needs its backward recorded at capture; when a value it saved was written in
    place since, that backward raised at the call, where eager raises only when backward() runs."""
    model = nn.Linear(3, 3)

    @te.compile
    def forward(x):
        h = model(x)
        x.mul_(2.0)
        return h + x
    for _ in range(3):
        forward(te.randn(4, 3))
    assert forward.code.startswith("# runs eagerly") and "would fail" in forward.code


def test_a_returned_tensor_of_constants_is_a_fresh_tensor_at_each_call():
    """The replay once returned the capture's own tensor each time: changing one result changed the next calls'."""
    @te.compile
    def step(x):
        return x * 2, te.tensor([0.0, 0.0]), te.tensor([0.0, 0.0]) + 1
    for _ in range(4):
        _, zeros, ones = step(te.ones(2))
        assert zeros.tolist() == [0.0, 0.0] and ones.tolist() == [1.0, 1.0]
        zeros += 5
        ones += 5


def test_a_tensor_requiring_grad_made_inside_the_step_runs_it_eagerly():
    """Its .grad once went to the tensor of the capture, not to the one returned by the call."""
    def step(x):
        w = te.ones(3, requires_grad=True)
        (w * x).sum().backward()
        return w
    compiled = te.compile(step)
    for _ in range(4):
        x = te.randn(3)
        assert compiled(x).grad.tolist() == step(x).grad.tolist()


def test_constructors_inside_the_step_are_constants_of_the_program():
    """te.zeros, te.arange, te.full_like...: their values follow from shapes and numbers the guard holds."""
    def make():
        model, opt = linear_and_sgd(momentum=0.9)

        def step(x):
            opt.zero_grad()
            h = model(x) + te.ones_like(x) * te.arange(3) + te.full((4, 1), 0.5) + te.eye(4, 3)
            h.pow(2).mean().backward()
            opt.step()
            return h
        return step, lambda h: (h.array, model.weight.array)
    compiled = eager_and_compiled(make)
    assert "runs eagerly" not in compiled.code


def test_the_same_tensor_passed_as_two_arguments_runs_eagerly():
    """f(x, x) was captured as a program reading its second argument for both; the guard (shapes) then replayed it
    for f(x, y)."""
    @te.compile
    def step(a, b):
        return a * 2 + b
    x = te.ones(2)
    step(x, x)
    step(x, x)
    assert step(x, te.zeros(2)).tolist() == [2.0, 2.0]


@pytest.mark.parametrize("fn", [
    lambda x, i: x.log().nan_to_num(), lambda x, i: te.fmax(x.log(), x), lambda x, i: x.sort(1).values,
    lambda x, i: x.topk(2, 1).values, lambda x, i: x.cummax(1).values, lambda x, i: x.median(1).values,
    lambda x, i: x.take_along_dim(i.reshape(1, 3), 1), lambda x, i: x.index_select(1, x[0].argsort()),
    lambda x, i: x.index_select(1, i + 0), lambda x, i: x.repeat_interleave(i, 1),
    lambda x, i: x[x > 0].sum(), lambda x, i: x.masked_select(x > 0)],
    ids=["nan_to_num", "fmax", "sort", "topk", "cummax", "median", "take_along_dim", "index_select_argsort",
         "index_select_computed", "repeat_interleave", "mask_index", "masked_select"])
def test_indices_or_masks_computed_from_the_values_are_not_frozen(fn):
    """These compute indices or masks from the data with numpy outside the ops and hand them to an op as
    constants. The check of two captures misses them when the first two calls see the same data: the later
    calls then replayed the first calls' indices (or failed on the first's shapes, in the backward)."""
    compiled = te.compile(fn)
    rng = np.random.default_rng(0)
    first = rng.standard_normal((4, 3)).astype(np.float32)
    for call in range(5):
        data = first if call < 2 else rng.standard_normal((4, 3)).astype(np.float32)
        i = te.tensor([[0, 1, 2], [0, 1, 2], [2, 0, 1], [1, 1, 0], [2, 2, 1]][call])
        x, xe = (te.from_numpy(data.copy()).requires_grad_() for _ in range(2))
        with np.errstate(invalid="ignore"):  # the log of a negative: NaN
            got, expected = compiled(x, i), fn(xe, i)
        np.testing.assert_array_equal(got.detach().array, expected.detach().array, err_msg=f"call {call}")
        got.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(x.grad.array, xe.grad.array, err_msg=f"call {call}")


WEIGHTS = te.ones(3)


def test_a_tensor_or_module_the_step_finds_in_its_globals_or_closure_is_guarded_by_identity():
    """The program reads the objects found at capture: a name bound to a new one was once not seen."""
    global WEIGHTS
    model = nn.Linear(3, 3)

    @te.compile
    def step(x):
        return model(x) * WEIGHTS
    with te.no_grad():
        for i in range(5):
            if i == 3:
                WEIGHTS, model = te.full((3,), 2.0), nn.Linear(3, 3)
            assert step(te.ones(1, 3)).tolist() == (model(te.ones(1, 3)) * WEIGHTS).tolist()
    WEIGHTS = te.ones(3)


def test_a_parameter_group_added_between_calls_is_guarded():
    """The program updates the parameters the optimizer held at capture: one added later was once left as it was."""
    def make():
        model, opt = linear_and_sgd()
        extra = nn.Parameter(te.ones(3))

        def step(x):
            opt.zero_grad()
            (model(x) * extra).sum().backward()
            opt.step()
        return step, opt, extra
    (eager, eager_opt, eager_extra), (step, opt, extra) = make(), make()
    compiled = te.compile(step)
    for i in range(5):
        if i == 3:
            eager_opt.add_param_group({"params": [eager_extra]})
            opt.add_param_group({"params": [extra]})
        x = te.randn(4, 3)
        eager(x)
        compiled(x)
        assert extra.tolist() == eager_extra.tolist()


def test_a_layer_or_buffer_replaced_between_calls_is_guarded():
    """model[0] = nn.Linear(...) once left the replays computing with the old layer."""
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    model.eval()
    compiled = te.compile(model)
    with te.no_grad():
        for i in range(6):
            if i == 3:
                model[0] = nn.Linear(3, 3)
            if i == 4:
                model[1].running_mean = te.ones(3)
            x = te.randn(2, 3)
            np.testing.assert_array_equal(compiled(x).array, model(x).array, err_msg=f"call {i}")


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)
        self.scale = te.tensor(2.0)  # a plain attribute: neither a parameter nor a buffer

    def forward(self, x):
        return self.linear(x) * self.scale


def test_a_modules_plain_tensor_attribute_replaced_between_calls_is_guarded():
    model = Scaled()
    compiled = te.compile(model)
    with te.no_grad():
        for i in range(5):
            if i == 3:
                model.scale = te.tensor(5.0)
            x = te.randn(2, 3)
            np.testing.assert_array_equal(compiled(x).array, model(x).array, err_msg=f"call {i}")


def test_zero_grad_in_a_forward_step_drops_the_gradients_at_each_replay():
    """A compiled forward that calls zero_grad(), its backward and step() run eagerly after it: the replays once
    skipped the zero_grad, so the gradients added up over the calls."""
    def make():
        model, opt = linear_and_sgd()

        def forward(x):
            opt.zero_grad()
            return model(x)
        return model, opt, forward
    (eager_model, eager_opt, eager), (model, opt, forward) = make(), make()
    compiled = te.compile(forward)
    for _ in range(5):
        x = te.randn(4, 3)
        for step, optimizer in ((eager, eager_opt), (compiled, opt)):
            step(x).pow(2).sum().backward()
            optimizer.step()
        np.testing.assert_array_equal(model.weight.array, eager_model.weight.array)
    assert "runs eagerly" not in compiled.code


def test_lists_and_arrays_passed_as_arguments_are_not_frozen():
    """A list of numbers is guarded by its values; tensors inside a list are inputs read at each call; a numpy
    array makes the call run eagerly. The program once read the tensors of the capture's list, and an array
    changed in place kept its old values."""
    @te.compile
    def step(xs, scale, mask, index):
        return xs[0] * scale[0] + xs[1] * te.tensor(mask) + xs[0][index].sum()
    xs, scale, mask, index = [], [1.0], np.ones(3, np.float32), [0, 1]
    for i in range(5):  # the same objects, changed in place
        if i == 3:
            scale[0], mask[:], index[1] = 2.0, 5.0, 2
        xs[:] = [te.randn(3), te.randn(3)]
        expected = xs[0] * scale[0] + xs[1] * te.tensor(mask) + xs[0][index].sum()
        np.testing.assert_array_equal(step(xs, scale, mask, index).array, expected.array, err_msg=f"call {i}")


def stance_tutorial(lib):
    """torch.compiler.set_stance's recipe: the values its prints show, as a list."""
    @lib.compile
    def foo(x):
        if lib.compiler.is_compiling():
            return x + 1
        return x - 1

    @lib.compiler.set_stance("force_eager")
    def bar(x):
        return foo(x)
    inp = lib.zeros(3)
    seen = [foo(inp), bar(inp)]
    with lib.compiler.set_stance("force_eager"):
        seen.append(foo(inp))
    lib.compiler.set_stance("force_eager")
    seen.append(foo(inp))
    lib.compiler.set_stance("default")
    seen.append(foo(inp))
    with lib.compiler.set_stance("eager_on_recompile"):
        seen += [foo(lib.zeros(4)), foo(inp)]  # a new shape runs eagerly; the captured one still replays
    with lib.compiler.set_stance("fail_on_recompile"):
        try:
            foo(lib.zeros(5))
        except RuntimeError as error:
            seen.append("fail_on_recompile" in str(error))
    return [s if isinstance(s, bool) else s.tolist()[0] for s in seen]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own, on its first compile
def test_set_stance_as_torchs_recipe():
    ours = stance_tutorial(te)
    assert ours == [1.0, -1.0, -1.0, -1.0, 1.0, -1.0, 1.0, True]
    with pytest.raises(ValueError, match="unknown stance"):
        te.compiler.set_stance("sometimes")
    torch = pytest.importorskip("torch")
    torch._dynamo.reset()
    try:
        assert stance_tutorial(torch) == ours
    finally:
        torch._dynamo.reset()


def test_a_new_leaf_argument_each_call_is_replayed_and_a_reused_one_accumulates_as_eager():
    """The benchmark chain: a fresh x each call, backward into x.grad. The guard once keyed on the capture's own x
    (whose .grad the capture had set), so every call captured again; a reused x must add into its .grad."""
    def chain(x):
        y = x
        for _ in range(5):
            y = y * 1.5 + 0.25
        y.backward()
        return y
    compiled = te.compile(chain)
    for _ in range(4):
        x = te.tensor(2.0, dtype=te.float64, requires_grad=True)
        assert compiled(x).item() == chain(te.tensor(2.0, dtype=te.float64, requires_grad=True)).item()
        assert x.grad.item() == 1.5 ** 5
    (entry,) = compiled.cache.values()
    assert entry.replay is not None and entry.confirmed
    reused = te.tensor(2.0, dtype=te.float64, requires_grad=True)
    for _ in range(3):
        compiled(reused)
    assert reused.grad.item() == 3 * 1.5 ** 5
