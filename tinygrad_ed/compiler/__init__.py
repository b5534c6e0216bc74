"""te.compile: capture a step once, replay it as a generated, printable numpy program (docs/compile.md).

- capture.py: the step runs eagerly once while its numpy work is recorded;
- emitters.py: the numpy lines each piece of work becomes;
- codegen.py: names, buffers planned by liveness, the source;
- compiled.py: the cache per function, its guards, the replay; `compile`, `reset`;
- explain.py: what a capture found (graph breaks, guards, ops).
"""
from .compiled import CompiledFunction, compile, reset
from .explain import ExplainOutput, explain

__all__ = ["compile", "reset", "explain", "CompiledFunction", "ExplainOutput"]
