"""`te.compiler.explain`: what capturing a call finds, as torch._dynamo.explain reports it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .compiled import CompiledFunction, OptimizedModule


@dataclass
class ExplainOutput:
    """graph_count: programs captured (0 when the call runs eagerly; with graph breaks, the pieces compiled);
    graph_break_count and break_reasons: what reads values back into Python or cannot be recorded;
    op_count: lines of work recorded; guards: what a replay checks; code: the generated program."""
    graph_count: int
    graph_break_count: int
    break_reasons: list[str] = field(default_factory=list)
    op_count: int = 0
    guards: list[str] = field(default_factory=list)
    code: str = ""
    compile_seconds: float = 0.0

    def __str__(self) -> str:
        lines = [f"Graph Count: {self.graph_count}", f"Graph Break Count: {self.graph_break_count}",
                 f"Op Count: {self.op_count}", "Break Reasons:"]
        lines += [f"  {reason}" for reason in self.break_reasons]
        lines += ["Guards:"] + [f"  {guard}" for guard in self.guards]
        return "\n".join(lines)


def explain(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ExplainOutput:
    """Capture one call of `fn(*args, **kwargs)` (it runs, with its side effects, as torch's explain does)
    and report what was found."""
    if isinstance(fn, OptimizedModule):
        fn = fn._compiled
    compiled = fn if isinstance(fn, CompiledFunction) else CompiledFunction(fn, fullgraph=False, dynamic=None)
    compiled.reset()
    compiled(*args, **kwargs)
    entry = compiled.latest
    assert entry is not None
    split = entry.split
    graphs = 0 if entry.replay is None else 1 if split is None else sum(p.compiled for p in split.pieces)
    guards = ["each Tensor argument's shape, dtype and requires_grad; other arguments' values",
              "grad mode (te.is_grad_enabled())"]
    guards += [f"{type(m).__name__}.training == {m.training}, and the same Parameter objects"
               for m in compiled.watched_modules]
    guards += [f"parameter {tuple(t.shape)}: requires_grad == {t.requires_grad}" for t in compiled.watched_tensors]
    guards += [f"parameter {tuple(t.shape)}: grad is None == {t.grad is None}" for t in compiled.watched_grads]
    return ExplainOutput(graphs, len(entry.breaks), list(entry.breaks), entry.op_count, guards, compiled.code,
                         entry.compile_seconds)
