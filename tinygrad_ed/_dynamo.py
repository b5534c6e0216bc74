"""torch._dynamo's names that published torch.compile code uses (`import torch._dynamo`, then
`torch._dynamo.reset()`, `torch._dynamo.explain(fn)(*args)`, `torch._dynamo.config.cache_size_limit = 64`,
`torch._dynamo.graph_break()`, `torch._dynamo.mark_dynamic(x, 0)`),
over tinygrad_ed.compiler, the one place te.compile lives."""
from __future__ import annotations

from typing import Any, Callable

from .compiler import compiled
from .compiler.compiled import OptimizedModule, disable, graph_break, is_compiling, reset
from .compiler.explain import ExplainOutput
from .compiler.explain import explain as _explain


def explain(f: Callable[..., Any], *extra_args: Any, **extra_kwargs: Any) -> Any:
    """torch._dynamo.explain: `explain(f)(*args, **kwargs)` captures one call of `f` and reports what it found
    (graph breaks, guards, ops). The older form `explain(f, *args, **kwargs)` reports at once."""
    if extra_args or extra_kwargs:
        return _explain(f, *extra_args, **extra_kwargs)
    return lambda *args, **kwargs: _explain(f, *args, **kwargs)


def mark_dynamic(t: Any, index: Any, *, min: Any = None, max: Any = None, specialize_on: Any = None) -> None:
    """torch._dynamo.mark_dynamic: accepted and without effect. A program has fixed shapes (its buffers are
    allocated for them): each new shape gets a capture of its own."""


def maybe_mark_dynamic(t: Any, index: Any) -> None:
    """torch._dynamo.maybe_mark_dynamic: accepted and without effect, as mark_dynamic."""


def mark_static(t: Any, index: Any = None) -> None:
    """torch._dynamo.mark_static: accepted; every shape is static here."""


class _Config:
    """torch._dynamo.config's settings that have a meaning here: the captures per compiled function before
    it runs eagerly for good (`cache_size_limit`, also called `recompile_limit`). `suppress_errors` is
    accepted and has no effect: a capture that fails already runs the function eagerly."""

    suppress_errors = False
    capture_scalar_outputs = False  # an .item() only returned is an output of the program either way
    verbose = False

    @property
    def cache_size_limit(self) -> int:
        return compiled.cache_size_limit

    @cache_size_limit.setter
    def cache_size_limit(self, limit: int) -> None:
        compiled.cache_size_limit = limit

    recompile_limit = cache_size_limit


config = _Config()

__all__ = ["explain", "reset", "config", "disable", "is_compiling", "graph_break", "mark_dynamic", "maybe_mark_dynamic",
           "mark_static", "OptimizedModule", "ExplainOutput"]
