"""te.compile's split at graph breaks against eager, on random training steps: a property over step functions
written as source text from a pool of top-level statements, one to three of them graph breaks.

Each example writes its step into a module file of its own (splitting reads the function's source), builds two
identical worlds (model, optimizer, a closure buffer, a log, a counter), runs the step eagerly in one and compiled in
the other for seven calls with changing inputs (both signs, so both branches of an `if` on a tensor; then a smaller
batch and a call in eval mode, new guards), and compares bitwise everything the call returned or changed.
"""
from __future__ import annotations

import importlib.util
import io
import itertools
import re
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ed as te
from tinygrad_ed import nn

EXAMPLES_SCALE = settings.default.max_examples / 100  # 1 by default, 20 under --hypothesis-profile=explore

# name: (source, names it needs, names it makes, names it uses up)
ORDINARY = {
    "zero_grad": ("opt.zero_grad()", set(), set(), set()),
    "zero_grad_zeros": ("opt.zero_grad(set_to_none=False)", set(), set(), set()),
    "forward": ("h = model(x)", set(), {"h"}, {"fresh"}),
    "forward_alias": ("xs = x\nh = model(xs)", set(), {"h"}, {"fresh"}),
    "dropout": ("h = F.dropout(h, 0.3, training=model.training)", {"h"}, set(), set()),
    "randn": ("h = h + te.randn(h.shape[0], 3) * 0.1", {"h"}, set(), set()),
    "cross_entropy": ("loss = F.cross_entropy(h, y)", {"h"}, {"loss", "fresh"}, set()),
    "mse": ("loss = h.pow(2).mean()", {"h"}, {"loss", "fresh"}, set()),
    "backward": ("loss.backward()", {"fresh"}, {"grads"}, {"fresh"}),
    "step": ("opt.step()", {"grads"}, set(), set()),
    "clip": ("nn.utils.clip_grad_norm_(model.parameters(), 0.5)", {"grads"}, set(), set()),
    "write_buffer": ("with te.no_grad():\n    buf.mul_(0.5).add_(h.detach().mean(0))", {"h"}, set(), set()),
    "use_scale": ("h = h * scale", {"h", "scale"}, set(), set()),
    "use_total": ("h = h + total", {"h", "total"}, set(), set()),
    "use_sorted": ("h = h + v * 0.1", {"h", "v"}, set(), set()),
    "leaf": ("w = te.ones(3, requires_grad=True)", set(), {"w"}, set()),
    "use_leaf": ("h = h * w", {"h", "w"}, set(), set()),
    "parameter_alias": ("p = model[0].weight\nh = h + p.sum() * 0.01", {"h"}, set(), set()),
    "count": ("count += 1", set(), set(), set()),
    "delete": ("hd = h.detach()\ndel hd", {"h"}, set(), set()),
    "lambda": ("add_h = lambda t: t + h * 0.5", {"h"}, {"add_h"}, set()),
    "use_lambda": ("h = add_h(h)", {"h", "add_h"}, set(), set()),
    "factor": ("factor = 0.5\nscale_by = lambda t: t * factor", set(), {"scale_by"}, set()),
    "rebind_factor": ("factor = 2.0", {"scale_by"}, set(), set()),
    "use_factor": ("h = scale_by(h)", {"h", "scale_by"}, set(), set()),
    "set": ("seen = set()", set(), {"seen"}, set()),
    "use_set": ("h = h + len(seen)", {"h", "seen"}, set(), set()),
    "named_tuple": ("m = h.max(dim=1)", {"h"}, {"m"}, set()),
    "use_named_tuple": ("h = h + m.values.unsqueeze(1) * 0.1", {"h", "m"}, set(), set()),
}
BREAKS = {
    "item": ("logged.append(loss.item())", {"loss"}, set(), set()),
    "print": ("print(h.sum(), file=out)", {"h"}, set(), set()),
    "if_loss": ("if loss > 1.0:\n    loss = loss * 0.5", {"loss"}, set(), set()),
    "if_else": ("if h.sum() > 0:\n    h = h + 1\nelse:\n    h = h - 1", {"h"}, set(), set()),
    "float": ("scale = float(h.abs().max())", {"h"}, {"scale"}, set()),
    "sort": ("v, idx = h.sort(dim=-1)", {"h"}, {"v"}, set()),
    "loop": ("for i in range(2):\n    h = h + h.mean().item()", {"h"}, set(), set()),
    "count_item": ("count += int(h.sum().item() > 0)", {"h"}, set(), set()),
    "disabled": ("h = helper(h)", {"h"}, set(), set()),
    "constructed_in_place": ("total = te.zeros(3)\ntotal += h.detach().sum(0)", {"h"}, {"total"}, set()),
    "no_grad_item": ("with te.no_grad():\n    logged.append(h.sum().item())", {"h"}, set(), set()),
    "early_return": ("if loss.item() > 5.0:\n    return loss.detach()", {"loss"}, set(), set()),
    "data": ("model[0].bias.data = model[0].bias.data * 0.99", set(), set(), set()),
    "hook": ("if h.requires_grad:\n    h.register_hook(lambda g: g * 2)", {"h"}, set(), set()),
    "tolist": ("logged.append(h.tolist())", {"h"}, set(), set()),
    "numpy": ("logged.append(float(h.detach().numpy().sum()))", {"h"}, set(), set()),
    "if_leaf": ("if w.sum() > 0:\n    w = w * 1.0", {"w"}, set(), set()),
    "item_then_backward": ("logged.append(loss.item())\nloss.backward()", {"fresh"}, {"grads"}, {"fresh"}),
    "add_to_set": ("seen.add(round(float(h.sum()), 3))", {"h", "seen"}, set(), set()),
}
RETURNS = {"loss": ({"loss"}, "return loss"), "h": ({"h"}, "return h"),
           "pair": ({"loss", "h"}, "return loss.detach(), h.detach()"), "item": ({"loss"}, "return loss.item()"),
           "none": (set(), "pass"), "dict": ({"loss"}, "return {'loss': loss, 'count': count}"),
           "leaf": ({"w"}, "return w"), "argument": (set(), "return x")}
USES = ["use_scale", "use_total", "use_sorted", "use_leaf", "use_lambda", "use_factor", "add_to_set", "use_set",
        "use_named_tuple"]
TEMPLATE = '''import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed import nn


def make(model, opt, buf, logged, out):
    count = 0

    @te.compiler.disable
    def helper(t):
        return t * 2

    def step(x, y):
        nonlocal count
{body}

    return step, lambda: count
'''


def step_source(ordinary: list[str], breaks: list[str], positions: list[int], returned: str) -> str:
    """The step: a forward, the ordinary statements with the breaks placed at `positions`, each kept only once what
    it needs exists (when no break fits, one that always does), a use of each value made that has one, the return."""
    planned = [(name, ORDINARY[name]) for name in ordinary]
    for name, position in zip(breaks, positions):
        planned.insert(position % (len(planned) + 1), (name, BREAKS[name]))
    available, lines, broke = {"h", "fresh"}, [ORDINARY["forward"][0]], False
    for name, (source, needs, makes, uses_up) in planned:
        if needs <= available:
            lines.append(source)
            available = (available | makes) - uses_up
            broke |= name in BREAKS
    if not broke:
        lines.append("logged.append(x.sum().item())")
    for name in USES:  # what the earlier statements made, used at the end: after a break, in another piece
        source, needs, _, _ = {**ORDINARY, **BREAKS}[name]
        if needs <= available:
            lines.append(source)
    needs, source = RETURNS[returned]
    lines.append(source if needs <= available else "pass")
    return TEMPLATE.format(body=textwrap.indent("\n".join(lines), " " * 8))


_modules = itertools.count()


def load(directory, source: str):
    path = directory / f"split_fuzz_step_{next(_modules)}.py"  # a new file each: the source is read by name
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def world(module, optimizer: str):
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3))
    opt = (te.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd"
           else te.optim.Adam(model.parameters(), lr=0.01))
    buf, logged, out = te.zeros(3), [], io.StringIO()
    step, count = module.make(model, opt, buf, logged, out)
    return step, (model, opt, buf, logged, out, count)


def observed(result, model, opt, buf, logged, out, count) -> list:
    """Everything the call returned or changed: arrays (with their dtype), numbers, text."""
    printed = re.sub(r", grad_fn=<\w+>", "", out.getvalue())  # as leaf_requires_grad in flat
    values = [*flat(result), buf.array, repr(logged), printed, count()]
    for p in model.parameters():
        values += [p.array, None if p.grad is None else p.grad.array, *opt.state.get(p, {}).values()]
    return values


def flat(value) -> list:
    if isinstance(value, te.Tensor):  # a replayed loss has no graph (its backward ran): only a leaf's flag compares
        leaf_requires_grad = value.requires_grad and value.grad_fn is None
        return ["tensor", leaf_requires_grad, value.array, None if value.grad is None else value.grad.array]
    if isinstance(value, dict):
        return [item for key in sorted(value) for item in (key, *flat(value[key]))]
    if isinstance(value, (tuple, list)):
        return [type(value).__name__, *[item for v in value for item in flat(v)]]
    return [type(value).__name__, value]


def assert_same(got: list, expected: list, call: int) -> None:
    assert len(got) == len(expected), f"call {call}"
    for k, (g, e) in enumerate(zip(got, expected)):
        if isinstance(e, np.ndarray) or isinstance(g, np.ndarray):
            g, e = np.asarray(g), np.asarray(e)
            assert g.dtype == e.dtype and g.shape == e.shape, f"call {call}, value {k}"
            np.testing.assert_array_equal(g, e, err_msg=f"call {call}, value {k}")
        else:
            assert type(g) is type(e) and g == e, f"call {call}, value {k}: {g!r} != {e!r}"


def batches() -> list:
    rng = np.random.default_rng(0)
    sizes = [4, 4, 4, 4, 4, 2, 4]  # the first call splits, two capture the pieces, two replay; then a new guard
    made = []
    for call, n in enumerate(sizes):
        x = rng.standard_normal((n, 3), dtype=np.float32) * (3.0 if call % 2 else 0.3) * (-1) ** (call // 2)
        made.append((x, rng.integers(0, 3, n)))
    return made


def run_both(directory, source: str, optimizer: str = "sgd", x_grad: bool = False):
    module = load(directory, source)
    eager, eager_world = world(module, optimizer)
    step, compiled_world = world(module, optimizer)
    compiled = te.compile(step)
    for call, (x, y) in enumerate(batches()):
        outcomes = []
        for fn, (model, *_) in ((eager, eager_world), (compiled, compiled_world)):
            model.train(call != 6)
            te.manual_seed(call)
            xt = te.from_numpy(x.copy()).requires_grad_(x_grad)
            try:
                outcomes.append((fn(xt, te.from_numpy(y.copy())), xt))
            except Exception as error:  # noqa: BLE001 -- both must fail alike
                outcomes.append((error, xt))
        (expected, x_eager), (got, x_compiled) = outcomes
        if isinstance(expected, Exception) or isinstance(got, Exception):
            assert type(got) is type(expected), f"call {call}: {got!r} != {expected!r}"
            return compiled
        assert_same(observed(got, *compiled_world) + flat(x_compiled), observed(expected, *eager_world)
                     + flat(x_eager), call)
    return compiled


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    return tmp_path_factory.mktemp("split_fuzz")


@settings(max_examples=round(40 * EXAMPLES_SCALE))
@given(ordinary=st.lists(st.sampled_from(sorted(ORDINARY)), min_size=2, max_size=9),
       breaks=st.lists(st.sampled_from(sorted(BREAKS)), min_size=1, max_size=3),
       positions=st.lists(st.integers(0, 20), min_size=3, max_size=3),
       returned=st.sampled_from(sorted(RETURNS)), optimizer=st.sampled_from(["sgd", "adam"]), x_grad=st.booleans())
def test_a_split_step_matches_eager(directory, ordinary, breaks, positions, returned, optimizer, x_grad):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a piece given a new number at every call gives up after 8 captures
        run_both(directory, step_source(ordinary, breaks, positions, returned), optimizer, x_grad)


def test_the_fuzzed_steps_replay_their_compiled_pieces(directory):
    """The property cannot pass by running everything eagerly: a plain step from its pool is split, and its
    pieces replay from the third call."""
    source = step_source(["zero_grad", "forward", "cross_entropy", "backward", "step"], ["item", "print"],
                         [5, 6, 0], "loss")
    compiled = run_both(directory, source)
    assert "split at 2 graph breaks" in compiled.code and "compiled" in compiled.code
    first = next(iter(compiled.cache.values()))  # the guard of the first five calls
    replayed = [p.run for p in first.split.pieces if p.compiled]
    assert replayed and all(p.latest.confirmed and p.latest.source for p in replayed)
