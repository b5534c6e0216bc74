"""te.compile against eager on random training steps: a property over steps built from random pieces.

Each example builds two identical models and optimizers, runs the step eagerly on one and compiled on the
other for five calls with changing inputs (calls 1 and 2 capture, the rest replay: a value frozen at capture
shows from the third), and compares every result and side effect: the returned values, the parameters, their
.grad, the optimizer's state and a tensor of the closure the step writes into.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed import nn

EXAMPLES_SCALE = settings.default.max_examples / 100  # 1 by default, 20 under --hypothesis-profile=explore

FORWARD = {
    "affine": lambda h, x, buf: h * 2.0 + 1,
    "relu": lambda h, x, buf: h.relu(),
    "where": lambda h, x, buf: te.where(h > 0, h, h * 0.1),
    "clamp": lambda h, x, buf: h.clamp(-1, 1),
    "mask": lambda h, x, buf: h * ((h > 0) & (h < 1)).float(),
    "constructors": lambda h, x, buf: h + te.ones_like(h) * te.arange(3) + te.full((3,), 0.5),
    "detached": lambda h, x, buf: h * h.detach(),
    "matmul": lambda h, x, buf: h @ h.T @ h / 10,
    "views": lambda h, x, buf: h.T.T.reshape(-1).reshape(4, 3),
    "reductions": lambda h, x, buf: h - h.mean(0) + h.sum(1, keepdim=True) / 10,
    "randn": lambda h, x, buf: h + te.randn(4, 3),
    "dropout": lambda h, x, buf: F.dropout(h, 0.5),
    "closure": lambda h, x, buf: h + buf,
    "softmax": lambda h, x, buf: h.softmax(-1),
    "input": lambda h, x, buf: h + x,
}


def clip(model):
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)


def scale_grads(model):
    with te.no_grad():
        for p in model.parameters():
            p.grad.mul_(0.5)


def second_backward(model, x):
    (model(x) ** 2).mean().backward()


def write_closure(buf, h):
    with te.no_grad():
        buf.mul_(0.5).add_(h.mean(0))


OPTIMIZERS = {"sgd": lambda ps: te.optim.SGD(ps, lr=0.1), "momentum": lambda ps: te.optim.SGD(ps, lr=0.1, momentum=0.9),
              "adam": lambda ps: te.optim.Adam(ps, lr=0.01), "adamw": lambda ps: te.optim.AdamW(ps, lr=0.01)}
MODELS = {"linear": lambda: nn.Sequential(nn.Linear(3, 3)),
          "mlp": lambda: nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)),
          "batch_norm": lambda: nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))}
RETURNS = {"loss": lambda loss, h: loss, "item": lambda loss, h: loss.item(),
           "tuple": lambda loss, h: (loss, h.detach()), "dict": lambda loss, h: {"loss": loss, "h": h.detach()}}


def make(model_name, optimizer_name, forward, zero, after, returned):
    te.manual_seed(0)
    model = MODELS[model_name]()
    optimizer = OPTIMIZERS[optimizer_name](model.parameters())
    buf = te.zeros(3)

    def step(x):
        if zero is not None:
            optimizer.zero_grad(set_to_none=zero)
        h = model(x)
        for piece in forward:
            h = FORWARD[piece](h, x, buf)
        loss = (h * h).mean()
        loss.backward()
        if "second_backward" in after:
            second_backward(model, x)
        if "scale_grads" in after:
            scale_grads(model)
        if "clip" in after:
            clip(model)
        if "write_closure" in after:
            write_closure(buf, h)
        optimizer.step()
        return RETURNS[returned](loss, h)
    return step, model, optimizer, buf


def observed(result, model, optimizer, buf) -> list:
    """Everything the call changed or returned, as arrays and numbers."""
    values = [*_flat(result), buf.array]
    for p in model.parameters():
        values += [p.array, p.grad.array, *optimizer.state.get(p, {}).values()]
    return values + [b.array for b in model.buffers()]


def _flat(result) -> list:
    if isinstance(result, te.Tensor):
        return [result.array]
    if isinstance(result, dict):
        return [v for value in result.values() for v in _flat(value)]
    if isinstance(result, (tuple, list)):
        return [v for value in result for v in _flat(value)]
    return [result]


@settings(max_examples=round(100 * EXAMPLES_SCALE))
@given(model_name=st.sampled_from(sorted(MODELS)), optimizer_name=st.sampled_from(sorted(OPTIMIZERS)),
       forward=st.lists(st.sampled_from(sorted(FORWARD)), min_size=1, max_size=4),
       zero=st.sampled_from([None, True, False]),
       after=st.sets(st.sampled_from(["second_backward", "scale_grads", "clip", "write_closure"]), max_size=2),
       returned=st.sampled_from(sorted(RETURNS)), same_start=st.booleans())
def test_a_compiled_step_matches_eager(model_name, optimizer_name, forward, zero, after, returned, same_start):
    eager, *eager_state = make(model_name, optimizer_name, forward, zero, after, returned)
    step, *state = make(model_name, optimizer_name, forward, zero, after, returned)
    compiled = te.compile(step)
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((4, 3), dtype=np.float32) for _ in range(5)]
    if same_start:  # the two capturing calls see the same batch: their constants agree whatever they depend on
        data[1] = data[0]
    for call, batch in enumerate(data):
        with np.errstate(over="ignore", invalid="ignore"):  # some random steps diverge: both twins alike
            te.manual_seed(call)
            expected = observed(eager(te.from_numpy(batch.copy())), *eager_state)
            te.manual_seed(call)
            got = observed(compiled(te.from_numpy(batch.copy())), *state)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-5, atol=1e-6, err_msg=f"call {call}")
