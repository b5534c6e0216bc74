"""`te.viz`: pictures of the computation graph and of training.

- `draw_graph` (graph.py): the recorded graph as a graphviz Digraph, grouped by module
  (`record_scopes`, scopes.py), shaded by gradient norm;
- `animate_backward` (animate.py): the backward pass, step by step in the engine's order, as an
  HTML page, a strip of frames or a GIF;
- `plot_grad_flow`, `ActivationMonitor` (diagnostics.py): per-layer gradient and activation
  statistics as matplotlib figures.
"""
from .animate import BackwardAnimation, Frame, animate_backward
from .diagnostics import ActivationMonitor, plot_grad_flow
from .graph import draw_graph
from .scopes import record_scopes

__all__ = ["ActivationMonitor", "BackwardAnimation", "Frame", "animate_backward", "draw_graph", "plot_grad_flow",
           "record_scopes"]
