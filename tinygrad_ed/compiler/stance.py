"""How compiled functions behave across calls (torch.compiler.set_stance) and what they log
(torch._logging.set_logs: graph breaks, recompiles, the generated code)."""
from __future__ import annotations

import functools
import logging
import sys
from typing import Any, Callable

from .capture import Capture

STANCES = ("default", "force_eager", "eager_on_recompile", "fail_on_recompile", "eager_then_compile",
           "aot_eager_then_compile")
current = "default"
logs: set[str] = set()  # the kinds of messages set_logs turned on
logger = logging.getLogger("tinygrad_ed.compile")


class set_stance:  # noqa: N801  (torch's name: a function that is also a context manager and a decorator)
    """torch.compiler.set_stance(stance="default", *, skip_guard_eval_unsafe=False, force_backend=None): set at once
    (and back to the stance before on leaving a `with` block); as a decorator, only while the function runs.
    "force_eager" runs compiled functions as plain Python; "eager_on_recompile" runs a call eagerly rather than
    capture it again (programs already captured still replay); "fail_on_recompile" raises instead;
    "eager_then_compile" runs each function's first call as plain Python."""

    def __init__(self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False, force_backend: Any = None):
        global current
        if Capture.active is not None:
            raise RuntimeError("te.compiler.set_stance: not allowed inside a te.compile'd function")
        if stance not in STANCES:
            raise ValueError(f"te.compiler.set_stance: unknown stance {stance!r} (torch's are {', '.join(STANCES)})")
        if force_backend is not None and stance != "default":
            raise RuntimeError("te.compiler.set_stance: force_backend can only be used with the 'default' stance")
        self.stance, self.before = stance, current
        current = stance

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        global current
        current = self.before

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        global current
        current = self.before  # a decorator: the stance holds while `fn` runs, not from now on

        @functools.wraps(fn)
        def staged(*args: Any, **kwargs: Any) -> Any:
            with set_stance(self.stance):
                return fn(*args, **kwargs)
        return staged


def log(kind: str, message: str) -> None:
    """A message of a kind set_logs turned on, to stderr."""
    if kind in logs:
        logger.info(message)


_TORCH_ARTIFACTS = {"bytecode", "aot_graphs", "aot_joint_graph", "ddp_graphs", "graph", "graph_code",
                    "graph_breaks", "graph_sizes", "guards", "recompiles", "recompiles_verbose", "trace_source",
                    "trace_call", "trace_bytecode", "output_code", "kernel_code", "schedule", "perf_hints",
                    "post_grad_graphs", "onnx_diagnostics", "fusion", "overlap", "export", "modules", "cudagraphs",
                    "sym_node", "compiled_autograd_verbose", "cudagraph_static_inputs", "benchmarking",
                    "autotuning", "graph_region_expansion", "inductor_metrics", "hierarchical_compile",
                    "compute_dependencies", "annotation", "node_runtime_estimation", "caching", "side_effects"}
_TORCH_COMPONENTS = {"all", "dynamo", "aot", "autograd", "dynamic", "inductor", "distributed", "c10d", "ddp",
                     "pp", "fsdp", "dtensor", "onnx", "export", "compiled_autograd", "cudagraphs", "graph_deps",
                     "fx", "torch", "vec", "python_dispatch"}
_SHOWN = {"graph_breaks": "graph_breaks", "recompiles": "recompiles", "recompiles_verbose": "recompiles",
          "graph_code": "code", "output_code": "code", "graph": "code", "guards": "guards"}


def set_logs(**settings: Any) -> None:
    """torch._logging.set_logs with torch's keyword names. Those with a meaning here: `graph_breaks` (each break:
    where and why), `recompiles` (each capture beyond a function's first), `graph_code` and `output_code` (the
    generated program), `guards`; the others are accepted and have no effect. Each call replaces the last."""
    for name in settings:
        if name not in _TORCH_ARTIFACTS | _TORCH_COMPONENTS:
            raise TypeError(f"set_logs() got an unexpected keyword argument {name!r}")
    logs.clear()
    logs.update(_SHOWN[name] for name, on in settings.items() if on and name in _SHOWN)
    if logs and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[tinygrad_ed.compile] %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.INFO if logs else logging.WARNING)
