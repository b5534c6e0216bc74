"""te.compile: capture a step once, replay it as a generated, printable numpy program (docs/compile.md).

- capture.py: the record of one call (symbolic buffers, instructions, what the replay reads);
- recording.py: the entry points swapped in while the step runs eagerly once, recording its work;
- emitters.py: the numpy lines each piece of work becomes;
- codegen.py: names, buffers planned by liveness, the source;
- split.py: a result differentiated later, outside the call: a forward program and backward programs;
- resume.py: a function split at its graph breaks: compiled pieces, and the statements that break as Python;
- compiled.py: the cache per function, its guards, the replay; `compile`, `reset`, `disable`, OptimizedModule;
- explain.py: what a capture found (graph breaks, guards, ops);
- stance.py: set_stance (eager, or no recompiles, for a while) and what compiled functions log (set_logs).
"""
from .compiled import (CompiledFunction, OptimizedModule, compile, cudagraph_mark_step_begin, disable, is_compiling,
                       reset)
from .explain import ExplainOutput, explain
from .stance import set_stance

__all__ = ["compile", "reset", "explain", "disable", "is_compiling", "set_stance", "cudagraph_mark_step_begin",
           "CompiledFunction", "OptimizedModule", "ExplainOutput"]
