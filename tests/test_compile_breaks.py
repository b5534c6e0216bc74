"""te.compile splits a function at its graph breaks: the statements between breaks are compiled pieces, each
statement that breaks runs as Python at every call. The oracle is eager tinygrad_ed (two copies trained side by
side, bitwise equal) and, for the graph and break counts, torch._dynamo.explain when torch is installed."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed import nn


def data(steps: int, seed: int = 0) -> list[tuple[te.Tensor, te.Tensor]]:
    rng = np.random.default_rng(seed)
    return [(te.from_numpy(rng.standard_normal((6, 5), dtype=np.float32) * (1 + 2 * (i % 3))),
             te.from_numpy(rng.integers(0, 3, 6))) for i in range(steps)]


def model_and_optimizer():
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 3))
    return model, te.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def plain(value):
    """Tensors inside lists and dicts as nested lists, to compare with ==."""
    if isinstance(value, te.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return [plain(v) for v in value] if isinstance(value, list) else value


def trained_alike(make_step, steps: int = 12):
    """Train an eager step and a compiled one, each on its own copy, over the same batches and seeds; return the
    compiled function and what each step logged."""
    runs = []
    for compiled in (False, True):
        model, opt = model_and_optimizer()
        logged: list = []
        step = make_step(model, opt, logged)
        run = te.compile(step) if compiled else step
        results = []
        for i, (x, y) in enumerate(data(steps)):
            te.manual_seed(100 + i)
            results.append(run(x, y).item())
        runs.append((run, model, logged, results))
    (_, eager_model, eager_logged, eager_results), (run, model, logged, results) = runs
    assert results == eager_results and plain(logged) == plain(eager_logged)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
        np.testing.assert_array_equal(q.grad.numpy(), p.grad.numpy())
    return run, logged


def test_a_loss_logged_after_the_update_is_read_at_every_call_and_the_update_is_compiled():
    def make_step(model, opt, logged):
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            logged.append(round(loss.item(), 6))
            return loss
        return step
    run, logged = trained_alike(make_step)
    assert len(logged) == 12
    compiled_piece, python_piece, last = run.code.split("\n# piece ")[1:]
    assert compiled_piece.startswith("1 (lines") and "np.dot(" in compiled_piece and "momentum_buffer" in compiled_piece
    assert "runs as Python at every call" in python_piece and "logged.append(round(loss.item(), 6))" in python_piece
    assert last.startswith("3 (line")


def test_a_branch_on_the_loss_before_backward_takes_each_calls_branch():
    """`if loss > 1.5:` decides per call; the forward before it is a compiled piece whose result's backward runs
    later, in the Python piece."""
    def make_step(model, opt, logged):
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if loss > 1.5:
                logged.append("halved")
                loss = loss * 0.5
            loss.backward()
            opt.step()
            return loss
        return step
    run, logged = trained_alike(make_step)
    assert 0 < len(logged) < 12  # both branches were taken
    assert "_backward(" in run.code.split("# piece 2")[0]


def test_a_loss_logged_before_backward_leaves_its_piece_with_a_graph_the_next_piece_compiles():
    """The forward is a piece whose loss carries a CompiledFunctionBackward node; the piece after the logging
    statement records that node's backward as one call, then the optimizer's update."""
    def make_step(model, opt, logged):
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            logged.append(round(float(loss), 6))
            loss.backward()
            opt.step()
            return loss
        return step
    run, logged = trained_alike(make_step)
    last = run.code.split("# piece 3")[1]
    assert "= backward_once(loss_grad_fn, ones)" in last and "momentum_buffer" in last and "runs eagerly" not in last
    assert "grad_model_0_weight" in last  # named after the original function's model


@pytest.mark.filterwarnings("ignore:te.compile")
def test_a_python_number_computed_from_a_value_feeds_later_pieces():
    """The number is an argument of the next piece, written into its program: each new value captures it again
    (torch specializes on it too), until that piece runs eagerly after 8 captures, with a warning."""
    def make_step(model, opt, logged):
        def step(x, y):
            opt.zero_grad()
            scale = 1.0 / max(1.0, float(x.abs().max()))
            loss = F.cross_entropy(model(x * scale), y)
            loss.backward()
            opt.step()
            logged.append(scale)
            return loss
        return step
    trained_alike(make_step)


@pytest.mark.filterwarnings("ignore:te.compile")
def test_the_counts_of_graphs_and_breaks_are_torchs():
    seen: list = []

    def two_breaks(x):
        a = x * 2
        seen.append(a.sum().item())
        b = a + 1
        if b.sum() > 0:
            b = b * 3
        return b - 1

    def one_break(x):
        a = x * 2
        seen.append(a.sum().item())
        return a + 1
    ours = [te.compiler.explain(fn, te.ones(3)) for fn in (two_breaks, one_break)]
    assert [(r.graph_count, r.graph_break_count) for r in ours] == [(3, 2), (2, 1)]
    pytest.importorskip("torch")
    import torch._dynamo
    torch._dynamo.reset()
    try:
        theirs = [torch._dynamo.explain(fn)(torch.ones(3)) for fn in (two_breaks, one_break)]
    finally:
        torch._dynamo.reset()
    assert [(r.graph_count, r.graph_break_count) for r in theirs] == [(3, 2), (2, 1)]


def test_every_call_runs_the_python_pieces_and_a_side_effect_on_a_container_is_one():
    """`calls[...] += ...` reads a value; `appended.append(y)` changes a list of the closure: both are statements
    that run as Python at every call (a replay would skip them), as torch runs them; the others are compiled."""
    calls = {"python": 0}
    appended = []

    def step(x):
        y = x * 2
        appended.append(y)
        calls["python"] += y.sum().item() > 0
        return y + 1
    run = te.compile(step)
    for i in range(6):
        assert run(te.full((2,), float(i + 1))).tolist() == [2.0 * (i + 1) + 1] * 2
    assert calls["python"] == 6
    assert [t.tolist() for t in appended] == [[2.0 * (i + 1)] * 2 for i in range(6)]
    assert "a Python side effect on appended" in run.code and "# piece 1 (line" in run.code


def test_locals_cross_pieces_as_they_are():
    """An argument and a parameter pass on as the same objects; a leaf made in a piece keeps requires_grad."""
    model = nn.Linear(3, 1)
    seen = []

    def step(x):
        w = te.ones(3, requires_grad=True)
        p = model.weight
        same = x
        seen.append(x.sum().item())
        (w * x).sum().backward()
        return w, p, same
    run = te.compile(step)
    for i in range(5):
        x = te.full((3,), float(i))
        w, p, same = run(x)
        assert w.requires_grad and w.grad.tolist() == [float(i)] * 3
        assert p is model.weight and same is x
    assert "runs as Python" in run.code


def test_a_nonlocal_counter_in_the_python_piece_counts_every_call():
    def make():
        count = 0

        def step(x):
            nonlocal count
            y = x + 1
            count += int(y.sum().item())
            return y * 2
        return step, lambda: count
    step, count = make()
    run = te.compile(step)
    for _ in range(5):
        run(te.ones(2))
    assert count() == 20


def test_a_function_without_source_runs_eagerly_for_the_guard():
    namespace: dict = {"te": te}
    exec("def step(x):\n    y = x * 2\n    if y.sum() > 0:\n        y = y + 1\n    return y\n", namespace)
    run = te.compile(namespace["step"])
    for sign in (1.0, -1.0, 1.0):
        assert run(te.full((2,), sign)).tolist() == ([3.0, 3.0] if sign > 0 else [-2.0, -2.0])
    assert run.code.startswith("# runs eagerly: bool(tensor)")


def test_a_method_using_super_or_private_names_runs_eagerly_rather_than_split():
    """Outside its class's body `super()` and `self.__x` would mean something else: no split."""
    class Base(nn.Module):
        def forward(self, x):
            return x * 2

    class Child(Base):
        def __init__(self):
            super().__init__()
            self.__scale = 3.0

        def forward(self, x):
            y = super().forward(x) * self.__scale
            if y.sum() > 0:
                y = y + 1
            return y
    model = Child()
    run = te.compile(model)
    for sign in (1.0, -1.0, 1.0, 1.0):
        assert run(te.full((2,), sign)).tolist() == model(te.full((2,), sign)).tolist()
    assert run.code.startswith("# runs eagerly: bool(tensor)")


def test_an_explicit_graph_break_splits_there():
    """torch._dynamo.graph_break(): the pieces on either side are compiled, as torch compiles two graphs."""
    import tinygrad_ed._dynamo  # noqa: F401  (the import a torch script writes)

    def step(x):
        y = x * 2
        te._dynamo.graph_break()
        return y + 1
    run = te.compile(step)
    for _ in range(4):
        assert run(te.ones(2)).tolist() == [3.0, 3.0]
    report = te.compiler.explain(step, te.ones(2))
    assert (report.graph_count, report.graph_break_count) == (2, 1) and "graph_break()" in report.break_reasons[0]
    with pytest.raises(RuntimeError, match="fullgraph=True.*graph_break"):
        te.compile(step, fullgraph=True)(te.ones(2))


def test_set_logs_reports_graph_breaks_and_recompiles_with_the_guard_that_changed(capsys):
    import tinygrad_ed._logging  # noqa: F401

    def step(x):
        y = x * 2
        print(y.sum().item())
        return y
    te._logging.set_logs(graph_breaks=True, recompiles=True)
    try:
        run = te.compile(step)
        run(te.ones(2))
        run(te.ones(3))
    finally:
        te._logging.set_logs()
    err = capsys.readouterr().err
    assert "Graph break in step: .item() reads a value" in err and "print(y.sum().item())" in err
    assert "Recompiling function step: the arguments" in err and "(2,)" in err and "(3,)" in err
    with pytest.raises(TypeError, match="unexpected keyword argument 'graph_brakes'"):
        te._logging.set_logs(graph_brakes=True)


@pytest.mark.filterwarnings("ignore:te.compile")
def test_a_step_counting_its_calls_in_its_closure_counts_every_call():
    """`count += 1` changes a number the guard reads: the capture's key is taken after the call, so a replay
    must not be stored under it (it would skip the count from the third call on)."""
    def make():
        count = 0

        def step(x):
            nonlocal count
            count += 1
            return x * 2
        return step, lambda: count
    step, count = make()
    run = te.compile(step)
    for i in range(6):
        assert run(te.ones(2)).tolist() == [2.0, 2.0] and count() == i + 1


def test_a_function_made_in_a_compiled_piece_and_called_later_sees_this_calls_values():
    """A compiled piece's replay would hand on the lambda its capture made, closing over that call's `h`."""
    logged = []

    def step(x):
        h = x * 2
        add_h = lambda t: t + h  # noqa: E731
        logged.append(h.sum().item())
        return add_h(x)
    run = te.compile(step)
    for i in range(5):
        assert run(te.full((2,), float(i))).tolist() == [3.0 * i] * 2


def test_a_closure_sees_a_variable_rebound_in_a_later_piece():
    """The pieces are separate functions, each with its own cells: a closure made in one would not see a later
    piece rebind the variable it reads."""
    logged = []

    def step(x):
        factor = 1.0
        scale = lambda t: t * factor  # noqa: E731
        logged.append(x.sum().item())
        factor = 3.0
        return scale(x)
    run = te.compile(step)
    for i in range(4):
        assert run(te.full((2,), float(i))).tolist() == [3.0 * i] * 2


def test_a_later_piece_sees_a_variable_a_closure_rebinds():
    logged = []

    def step(x):
        n = 0

        def bump():
            nonlocal n
            n += 1
        logged.append(x.sum().item())
        bump()
        return x * n
    run = te.compile(step)
    for i in range(4):
        assert run(te.full((2,), float(i))).tolist() == [float(i)] * 2


def test_a_named_tuple_crosses_pieces_as_one():
    """`m = x.max(dim=0)` is a named tuple: a compiled piece's replay rebuilds it from its fields."""
    logged = []

    def step(x):
        m = x.max(dim=0)
        logged.append(x.sum().item())
        return m.values * 2
    run = te.compile(step)
    for i in range(4):
        assert run(te.full((2, 3), float(i))).tolist() == [2.0 * i] * 3


def test_an_object_made_in_a_compiled_piece_is_new_at_every_call():
    """A replay cannot make a set or a defaultdict afresh: the piece making one that a later piece uses runs
    eagerly (handing on the capture's own object would carry one call's additions into the next)."""
    logged = []

    def step(x):
        seen, counts = set(), collections.defaultdict(int)
        h = x * 2
        logged.append(h.sum().item())
        seen.add(float(x.sum()))
        counts["calls"] += 1
        return h + len(seen) + counts["calls"]
    run = te.compile(step)
    for i in range(5):
        assert run(te.full((2,), float(i))).tolist() == [2.0 * i + 2] * 2


def test_a_tensor_appended_to_a_global_list_or_a_dict_of_lists_is_appended_at_every_call():
    """`losses.append(loss)`, `history["loss"].append(...)`: a replay would skip them (a learner's list would hold
    the capturing calls' losses only); the capture sees the containers change, and those statements run as Python."""
    def make_step(model, opt, logged):
        history = {"loss": [], "h": []}
        logged.append(history)

        def step(x, y):
            opt.zero_grad()
            h = model(x)
            loss = F.cross_entropy(h, y)
            loss.backward()
            opt.step()
            logged.append(loss.detach())
            history["loss"].append(loss)
            history["h"].append(h.detach()[0])
            return loss
        return step
    run, logged = trained_alike(make_step, steps=8)
    assert len(logged) == 9 and len(logged[0]["loss"]) == len(logged[0]["h"]) == 8
    assert "a Python side effect on logged" in run.code and "np.dot(" in run.code.split("# piece 2")[0]


def test_a_helper_that_changes_a_list_makes_the_statement_calling_it_python():
    """The list is the helper's: the statement calling the helper is the one that runs at every call."""
    seen = []

    def note(t):
        seen.append(t.detach())

    def step(x):
        y = x * 2
        note(y)
        return y + 1
    run = te.compile(step)
    for i in range(4):
        run(te.full((2,), float(i)))
    assert [t.tolist() for t in seen] == [[2.0 * i] * 2 for i in range(4)]
    assert "a Python side effect on note" in run.code
