"""`draw_graph`: the recorded computation graph as a graphviz Digraph.

One box per op (its name and output shape) and one per leaf (named from
`params` when given). After `backward(retain_graph=True)` every node is
shaded by the norm of its gradient, so vanishing or exploding gradients show
at a glance; after a plain `backward()` the graph is freed, so draw it before.
Nodes are numbered in graph order, so `.source` is the same on every run.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .tensor import Tensor

# gradient-norm shading: light blue for vanishing, through white, to red for exploding
_SHADES = [(1e-6, "#6baed6", "< 1e-6"), (1e-3, "#c6dbef", "1e-6 .. 1e-3"), (1e0, "#f7f7f7", "1e-3 .. 1"),
           (1e3, "#fcae91", "1 .. 1e3"), (math.inf, "#de2d26", ">= 1e3")]


def draw_graph(tensor: Tensor, params: dict[str, Tensor] | None = None, show_values: bool = False,
               max_values: int = 6) -> Any:
    """The graph that produced `tensor`, as a `graphviz.Digraph` (not rendered).

    `params` maps names to leaf tensors (e.g. `dict(model.named_parameters())`).
    `show_values=True` prints the data and gradient of tensors with at most
    `max_values` elements, like micrograd's drawings. `.source` needs no
    Graphviz binary; `.render()` and `.pipe()` need `dot`.
    """
    import graphviz

    names = {id(p): name for name, p in (params or {}).items()}
    dot = graphviz.Digraph("graph", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                           node_attr={"shape": "box", "style": "filled,rounded", "fontname": "Helvetica",
                                      "fontsize": "11"})
    tensors, edges = _walk(tensor)
    number = {id(t): i for i, t in enumerate(tensors)}
    shaded = False
    for t in tensors:
        gradient = _gradient_of(t)
        shaded |= gradient is not None
        label = _label(t, names, gradient, show_values, max_values)
        dot.node(f"n{number[id(t)]}", label, fillcolor=_fill(t, gradient, t is tensor), color=_border(t))
    for parent, child in edges:
        dot.edge(f"n{number[id(parent)]}", f"n{number[id(child)]}")
    _legend(dot, shaded)
    return dot


def _walk(root: Tensor) -> tuple[list[Tensor], list[tuple[Tensor, Tensor]]]:
    """Tensors from the root back to the leaves (iterative), and the (input, output) edges."""
    order, edges, seen = [root], [], {id(root)}
    stack = [root]
    while stack:
        t = stack.pop()
        node = t.grad_fn
        if node is None or node.parents is None:
            continue
        for parent in node.parents:
            if not isinstance(parent, Tensor):
                continue
            edges.append((parent, t))
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
                stack.append(parent)
    return order, edges


def _gradient_of(t: Tensor) -> np.ndarray | None:
    g = getattr(t.grad_fn, "grad_output", None) if t.grad_fn is not None else t.grad
    if g is None:
        return None
    return g.data if isinstance(g, Tensor) else np.asarray(g)


def _label(t: Tensor, names: dict[int, str], gradient: np.ndarray | None, show_values: bool,
           max_values: int) -> str:
    if t.grad_fn is not None:
        title = type(t.grad_fn).__name__
    else:
        title = names.get(id(t)) or ("parameter" if t.requires_grad else "input" if t.ndim else "constant")
    lines = [title, str(t.shape) if t.ndim else "scalar"]
    if show_values and t.data.size <= max_values:
        lines.append("data " + _fmt(t.data))
        if gradient is not None:
            lines.append("grad " + _fmt(gradient))
    elif gradient is not None:
        lines.append(f"|grad| {float(np.linalg.norm(gradient)):.3g}")
    return "\n".join(lines)


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, separator=", ", suppress_small=True)


def _fill(t: Tensor, gradient: np.ndarray | None, is_root: bool) -> str:
    if gradient is not None:
        norm = float(np.linalg.norm(gradient))
        return next(color for bound, color, _ in _SHADES if norm < bound)
    if is_root:
        return "#a1d99b"
    if t.grad_fn is not None:
        return "#f0f0f0"
    return "#fff7bc" if t.requires_grad else "#ffffff"


def _border(t: Tensor) -> str:
    return "#3182bd" if t.grad_fn is None and t.requires_grad else "#636363"


def _legend(dot: Any, shaded: bool) -> None:
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontname="Helvetica", fontsize="10", color="#bdbdbd")
        parameter_fill = "#ffffff" if shaded else "#fff7bc"
        entries = [("op (name, output shape)", "#f0f0f0", "#636363"),
                   ("parameter (blue border)", parameter_fill, "#3182bd"),
                   ("input / constant", "#ffffff", "#636363")]
        if shaded:
            entries += [(f"|grad| {text}", color, "#636363") for _, color, text in _SHADES]
        else:
            entries.append(("output", "#a1d99b", "#636363"))
        for i, (text, fill, border) in enumerate(entries):
            legend.node(f"legend{i}", text, fillcolor=fill, color=border, fontsize="9")
        for i in range(len(entries) - 1):
            legend.edge(f"legend{i}", f"legend{i + 1}", style="invis")
