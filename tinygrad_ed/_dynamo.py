"""torch._dynamo's names that published torch.compile code uses (`import torch._dynamo`, then
`torch._dynamo.reset()`, `torch._dynamo.explain(fn)(*args)`, `torch._dynamo.config.cache_size_limit = 64`),
over tinygrad_ed.compiler, the one place te.compile lives."""
from __future__ import annotations

from typing import Any, Callable

from .compiler import compiled
from .compiler.compiled import OptimizedModule, disable, is_compiling, reset
from .compiler.explain import ExplainOutput
from .compiler.explain import explain as _explain


def explain(f: Callable[..., Any], *extra_args: Any, **extra_kwargs: Any) -> Any:
    """torch._dynamo.explain: `explain(f)(*args, **kwargs)` captures one call of `f` and reports what it found
    (graph breaks, guards, ops). The older form `explain(f, *args, **kwargs)` reports at once."""
    if extra_args or extra_kwargs:
        return _explain(f, *extra_args, **extra_kwargs)
    return lambda *args, **kwargs: _explain(f, *args, **kwargs)


class _Config:
    """torch._dynamo.config's settings that have a meaning here: the captures per compiled function before
    it runs eagerly for good (`cache_size_limit`, also called `recompile_limit`). `suppress_errors` is
    accepted and has no effect: a capture that fails already runs the function eagerly."""

    suppress_errors = False

    @property
    def cache_size_limit(self) -> int:
        return compiled.cache_size_limit

    @cache_size_limit.setter
    def cache_size_limit(self, limit: int) -> None:
        compiled.cache_size_limit = limit

    recompile_limit = cache_size_limit


config = _Config()

__all__ = ["explain", "reset", "config", "disable", "is_compiling", "OptimizedModule", "ExplainOutput"]
