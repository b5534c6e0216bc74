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

from .autograd.engine import Node
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
    boxes, links = _walk(tensor)
    number = {id(box): i for i, box in enumerate(boxes)}
    shaded = False
    for box in boxes:
        node = _node_of(box)
        gradient = _gradient_of(box, node)
        shaded |= gradient is not None
        label = _label(box, node, names, gradient, show_values, max_values)
        dot.node(f"n{number[id(box)]}", label, fillcolor=_fill(box, node, gradient, box is tensor),
                 color=_border(box, node))
    for source, consumer in links:
        dot.edge(f"n{number[id(source)]}", f"n{number[id(consumer)]}")
    _legend(dot, shaded)
    return dot


def _walk(root: Tensor) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """The boxes from the root back to the leaves (iteratively), and the (input, consumer) links.

    The root is drawn from its Tensor; the ops behind it from their nodes, which
    hold their results (the intermediate Tensors may be gone); leaves from their Tensors.
    """
    order, links, seen = [root], [], {id(root)}
    stack = [root]
    while stack:
        box = stack.pop()
        node = _node_of(box)
        for edge in (node.edges or ()) if node is not None else ():
            if edge is None:  # a plain Python number
                continue
            links.append((edge, box))
            if id(edge) not in seen:
                seen.add(id(edge))
                order.append(edge)
                stack.append(edge)
    return order, links


def _node_of(box: Any) -> Node | None:
    return box.grad_fn if isinstance(box, Tensor) else box


def _gradient_of(box: Any, node: Node | None) -> np.ndarray | None:
    g = getattr(node, "grad_output", None) if node is not None else box.grad
    if g is None or not isinstance(g, (Tensor, np.ndarray, np.generic)):  # a multi-output node's gradients
        return None
    return g.array if isinstance(g, Tensor) else np.asarray(g)


def _label(box: Any, node: Node | None, names: dict[int, str], gradient: np.ndarray | None,
           show_values: bool, max_values: int) -> str:
    if node is not None:
        title = type(node).__name__
    else:
        title = names.get(id(box)) or ("parameter" if box.requires_grad else "input" if box.array.ndim else "constant")
    if box.array is None:  # an op whose result a plain backward() has already freed
        return f"{title}\nfreed by backward()"
    data = np.asarray(box.array)
    lines = [title, str(data.shape) if data.ndim else "scalar"]
    if show_values and data.size <= max_values:
        lines.append("data " + _fmt(data))
        if gradient is not None:
            lines.append("grad " + _fmt(gradient))
    elif gradient is not None:
        lines.append(f"|grad| {float(np.linalg.norm(gradient)):.3g}")
    return "\n".join(lines)


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, separator=", ", suppress_small=True)


def _fill(box: Any, node: Node | None, gradient: np.ndarray | None, is_root: bool) -> str:
    if gradient is not None:
        norm = float(np.linalg.norm(gradient))
        return next(color for bound, color, _ in _SHADES if norm < bound)
    if is_root:
        return "#a1d99b"
    if node is not None:
        return "#f0f0f0"
    return "#fff7bc" if box.requires_grad else "#ffffff"


def _border(box: Any, node: Node | None) -> str:
    return "#3182bd" if node is None and box.requires_grad else "#636363"


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
