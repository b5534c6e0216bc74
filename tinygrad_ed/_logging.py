"""torch._logging's `set_logs`, for code written against it (`torch._logging.set_logs(graph_breaks=True)`): what
compiled functions report as they capture (tinygrad_ed.compiler.stance)."""
from .compiler.stance import set_logs

__all__ = ["set_logs"]
