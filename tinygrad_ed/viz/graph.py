"""`draw_graph`: the recorded computation graph as a graphviz Digraph.

One box per op (its name, the Python numbers it was given, its output shape)
and one per leaf (named from `params` or `model`). With `model`, ops are
grouped in one cluster per module that ran them, and `depth=k` draws each
module at depth k as a single box. After `backward(retain_graph=True)` every
box is shaded by the norm of its gradient on a log scale, alarming only for
vanishing and exploding gradients; after a plain `backward()` the graph is
freed, so draw it before. Long chains collapse into one box past `max_nodes`.
Boxes are numbered in graph order, so `.source` is the same on every run.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..autograd.engine import Node
from ..nn.module import Module
from ..tensor import Tensor
from .scopes import ancestor, depth_of, owners, recorded_shapes

# log-scale gradient shading, relative to the loss's scale: only the two ends are alarms
VANISHING, EXPLODING = 1e-6, 1e3  # |grad| < VANISHING x scale; |grad| > EXPLODING
_SHADES = {"vanishing": "#6baed6", "small": "#f2f0f7", "medium": "#dadaeb", "large": "#bcbddc",
           "exploding": "#de2d26"}
_ROOT, _OP, _PARAMETER, _PLAIN = "#a1d99b", "#f0f0f0", "#fff7bc", "#ffffff"
_MODULE = {"shape": "box3d", "style": "filled", "color": "#54278f"}  # a module drawn as one box
_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "x", "Div": "/", "Pow": "**"}
_CHAIN_ENDS = 2  # ops kept at each end of a collapsed chain
DIRECTIONS = ("LR", "TB", "RL", "BT")


@dataclass
class Drawing:
    """What draw_graph draws, before it becomes graphviz source: boxes, edges, clusters, legend.
    `shown` maps a graph box (op node or leaf Tensor, by id) to the name of the box drawing it."""

    direction: str
    # name, label, attributes, cluster (the module name) of every box
    boxes: list[tuple[str, str, dict[str, str], str | None]] = field(default_factory=list)
    edges: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # cluster (module name) -> its title
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # text, fill, border
    shown: dict[int, str] = field(default_factory=dict)

    def digraph(self, **restyle: Any) -> Any:
        import graphviz
        dot = graphviz.Digraph("graph", graph_attr={"rankdir": self.direction, "fontname": "Helvetica"},
                               node_attr={"shape": "box", "style": "filled,rounded", "fontname": "Helvetica",
                                          "fontsize": "11"})
        self.emit(dot, **restyle)
        _legend(dot, self.legend)
        return dot

    def emit(self, graph: Any, prefix: str = "", box_style: Callable[[str], dict] | None = None,
             edge_style: Callable[[str, str], dict] | None = None) -> None:
        """Add the boxes (in their clusters) and edges to `graph`, names prefixed by `prefix`;
        the styles give attributes overriding a box's or an edge's own."""
        members: dict[str | None, list[tuple[str, str, dict[str, str]]]] = defaultdict(list)
        children: dict[str | None, list[str]] = defaultdict(list)
        for name, label, attrs, cluster in self.boxes:
            members[cluster].append((name, label, {**attrs, **(box_style(name) if box_style else {})}))
            while cluster is not None and cluster not in children[_parent(cluster)]:
                children[_parent(cluster)].append(cluster)
                cluster = _parent(cluster)

        def fill(target: Any, cluster: str | None) -> None:
            for name, label, attrs in members[cluster]:
                target.node(prefix + name, label, id=prefix + name, **attrs)
            for child in children[cluster]:
                with target.subgraph(name=f"cluster_{prefix}{child}") as sub:
                    sub.attr(label=self.titles.get(child, child), fontname="Helvetica", fontsize="10",
                             style="rounded", color="#9e9ac8", id=f"{prefix}cluster:{child}")
                    fill(sub, child)
        fill(graph, None)
        for (source, target), attrs in self.edges.items():
            graph.edge(prefix + source, prefix + target, id=f"{prefix}{source}->{target}",
                       **{**attrs, **(edge_style(source, target) if edge_style else {})})


def _parent(cluster: str) -> str | None:
    parent = cluster.rpartition(".")[0]
    return parent or None


def draw_graph(tensor: Tensor, params: dict[str, Tensor] | None = None, show_values: bool = False,
               max_values: int = 6, *, model: Module | None = None, depth: int | None = None,
               show_saved: bool = False, direction: str = "LR", max_nodes: int = 500) -> Any:
    """The graph that produced `tensor`, as a `graphviz.Digraph` (not rendered).

    `params` maps names to leaf tensors (e.g. `dict(model.named_parameters())`); `model` names
    its parameters and groups the ops under the modules that ran them (recorded by
    `record_scopes(model)`, else the module whose parameter an op reads), and `depth=k` draws
    each module at depth k as one box (name, class, parameter count, shapes, |grad| of its
    parameters). `show_values=True` prints the data and gradient of tensors with at most
    `max_values` elements; `show_saved=True` draws what each op saved for backward.
    `direction` is graphviz's rankdir ("LR" or "TB"). Past `max_nodes` boxes, long chains of
    ops collapse into one box each. `.source` needs no Graphviz binary; `.render()` needs `dot`.
    """
    return layout(tensor, params, model=model, depth=depth, show_values=show_values, max_values=max_values,
                  show_saved=show_saved, direction=direction, max_nodes=max_nodes).digraph()


def layout(tensor: Tensor, params: dict[str, Tensor] | None = None, *, model: Module | None = None,
           depth: int | None = None, show_values: bool = False, max_values: int = 6, show_saved: bool = False,
           direction: str = "LR", max_nodes: int = 500, shade: bool = True) -> Drawing:
    """The Drawing of `tensor`'s graph (draw_graph's arguments; `shade=False` ignores gradients)."""
    _check_arguments(tensor, model, depth, direction, max_nodes)
    boxes, links = _walk(tensor)
    names = {id(p): name for name, p in (params or {}).items()}
    modules = dict(model.named_modules()) if model is not None else {}
    if model is not None:
        names.update({id(p): name for name, p in model.named_parameters()})
    owner: list[str | None] = owners(boxes, model, names) if model is not None else [None] * len(boxes)
    group = _groups(owner, modules, depth)
    first = {g: i for i, g in reversed(list(enumerate(group))) if g is not None}
    shown = [f"m{first[g]}" if g is not None else f"n{i}" for i, g in enumerate(group)]
    extra = _collapse(boxes, links, owner, group, shown, max_nodes)
    gradients = [_gradient_of(box) if shade else None for box in boxes]
    scale = _scale(tensor, gradients[0])
    drawing = Drawing(direction, titles={name: f"{name} ({type(m).__name__})" for name, m in modules.items()})
    _absorb_constants(boxes, links, group, shown)
    drawing.shown = {id(box): shown[i] for i, box in enumerate(boxes)}
    if tensor.grad_fn is not None:  # the root is drawn from its Tensor; the engine runs its node
        drawing.shown[id(tensor.grad_fn)] = shown[0]
    ins, outs = _module_shapes(boxes, links, group)
    if model is not None:
        for name, (recorded_in, recorded_out) in recorded_shapes(model).items():
            ins[name], outs[name] = recorded_in, recorded_out
    drawn: set[str] = set()
    for i, box in enumerate(boxes):
        name = shown[i]
        if name in drawn:
            continue
        drawn.add(name)
        module_name = group[i]
        if module_name is not None:
            drawing.boxes.append(_module_box(name, modules.get(module_name), module_name, ins[module_name],
                                             outs[module_name], scale, shade, depth))
        elif name in extra:
            drawing.boxes.append((name, extra[name], {"fillcolor": _PLAIN, "style": "filled,dashed"}, owner[i] or None))
        else:
            drawing.boxes.append(_box(name, box, i == 0, names, gradients[i], scale, show_values, max_values,
                                      owner[i] or None))
            if show_saved and isinstance(box, Node):
                _saved(drawing, box, boxes, drawing.shown, name)
    for source, consumer in links:
        a, b = shown[source], shown[consumer]
        if a != b:
            drawing.edges.setdefault((a, b), {})
    drawing.legend = _legend_entries(scale, any(g is not None for g in gradients), depth is not None)
    return drawing


def _groups(owner: list[str | None], modules: dict[str, Module], depth: int | None) -> list[str | None]:
    """Per box, the module box drawing it under `depth`: its module's ancestor at that depth, or
    its module itself when that is a leaf module above that depth; None when drawn on its own."""
    if depth is None:
        return [None] * len(owner)
    leaves = {name for name, module in modules.items() if name and not any(True for _ in module.children())}
    return [None if o is None else ancestor(o, depth) if depth_of(o) >= depth else o if o in leaves else None
            for o in owner]


def _check_arguments(tensor: Any, model: Any, depth: Any, direction: str, max_nodes: int) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    if model is not None and not isinstance(model, Module):
        raise TypeError(f"draw_graph: model must be an nn.Module, got {type(model).__name__}")
    if depth is not None and (model is None or not isinstance(depth, int) or depth < 0):
        raise ValueError(f"draw_graph: depth must be a non-negative int and needs model=..., got depth={depth!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"draw_graph: direction must be one of {DIRECTIONS}, got {direction!r}")
    if not isinstance(max_nodes, int) or max_nodes < 2:
        raise ValueError(f"draw_graph: max_nodes must be an int >= 2, got {max_nodes!r}")


def _walk(root: Tensor) -> tuple[list[Any], list[tuple[int, int]]]:
    """The boxes from the root back to the leaves (iteratively), and the (input, consumer) links by index.

    The root is drawn from its Tensor; the ops behind it from their nodes, which
    hold their results (the intermediate Tensors may be gone); leaves from their Tensors.
    """
    order: list[Any] = [root]
    index = {id(root): 0}
    links: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        box = stack.pop()
        node = _node_of(box)
        consumer = index[id(box)]
        for edge in (node.edges or ()) if node is not None else ():
            if edge is None:  # a plain Python number: drawn in the op's label
                continue
            if id(edge) not in index:
                index[id(edge)] = len(order)
                order.append(edge)
                stack.append(edge)
            links.append((index[id(edge)], consumer))
    return order, links


def _collapse(boxes: list[Any], links: list[tuple[int, int]], owner: list[str | None], group: list[str | None],
              shown: list[str], max_nodes: int) -> dict[str, str]:
    """Past `max_nodes` boxes, draw the middle of the longest chains of ops (one op input, one
    consumer, one module) as one box each, then everything past the first `max_nodes` as one box.
    Updates `shown`; returns the new boxes' labels."""
    count = len(set(shown))
    if count <= max_nodes:
        return {}
    op_inputs: list[set[int]] = [set() for _ in boxes]
    consumers: list[set[int]] = [set() for _ in boxes]
    for source, consumer in links:
        consumers[source].add(consumer)
        if isinstance(boxes[source], Node):
            op_inputs[consumer].add(source)

    def chainable(i: int) -> bool:
        return i != 0 and group[i] is None and len(op_inputs[i]) == 1 and len(consumers[i]) == 1 \
            and isinstance(boxes[i], Node)
    chains, in_chain = [], [False] * len(boxes)
    for i in range(len(boxes)):
        if in_chain[i] or not chainable(i):
            continue
        chain = [i]
        in_chain[i] = True
        j = next(iter(op_inputs[i]))
        while chainable(j) and not in_chain[j] and owner[j] == owner[i]:
            chain.append(j)
            in_chain[j] = True
            j = next(iter(op_inputs[j]))
        if len(chain) > 2 * _CHAIN_ENDS + 1:
            chains.append(chain[_CHAIN_ENDS:-_CHAIN_ENDS])
    labels = {}
    for middle in sorted(chains, key=len, reverse=True):
        if count <= max_nodes:
            break
        name = f"c{middle[0]}"
        ops = "/".join(sorted({type(boxes[i]).__name__ for i in middle}))
        labels[name] = f"... {len(middle):,} more {ops} ..."
        for i in middle:
            shown[i] = name
        count -= len(middle) - 1
    if count > max_nodes:
        kept: set[str] = set()
        for name in shown:
            if name not in kept and len(kept) < max_nodes - 1:
                kept.add(name)
        hidden = [i for i, name in enumerate(shown) if name not in kept]
        labels["rest"] = f"... {len({shown[i] for i in hidden}):,} more boxes not drawn (max_nodes={max_nodes}) ..."
        for i in hidden:
            shown[i] = "rest"
    return labels


def _node_of(box: Any) -> Node | None:
    return box.grad_fn if isinstance(box, Tensor) else box


def _gradient_of(box: Any) -> np.ndarray | None:
    node = _node_of(box)
    g = getattr(node, "grad_output", None) if node is not None else box.grad
    if g is None or not isinstance(g, (Tensor, np.ndarray, np.generic)):  # a multi-output node's gradients
        return None
    return g.array if isinstance(g, Tensor) else np.asarray(g)


def _norm(a: Any) -> float:
    return float(np.linalg.norm(np.ravel(a)))


def _scale(root: Tensor, root_gradient: np.ndarray | None) -> float:
    """The loss's scale, |loss| x |the gradient backward started from| (1 for loss.backward()):
    gradients are vanishing below VANISHING times it."""
    if root_gradient is None:
        return 1.0
    scale = _norm(root_gradient) * (_norm(root.array) if root.array is not None else 1.0)
    return scale if scale > 0 else 1.0


def shade_of(norm: float, scale: float) -> str:
    """The shading class of a gradient norm: vanishing, small, medium, large or exploding."""
    if norm > EXPLODING:
        return "exploding"
    relative = norm / scale
    return "vanishing" if relative < VANISHING else "small" if relative < 1e-3 else "medium" if relative < 1 \
        else "large"


def _box(name: str, box: Any, is_root: bool, names: dict[int, str], gradient: np.ndarray | None, scale: float,
         show_values: bool, max_values: int, cluster: str | None) -> tuple[str, str, dict[str, str], str | None]:
    node = _node_of(box)
    attrs = {"color": "#3182bd" if node is None and box.requires_grad else "#636363"}
    if is_root:
        attrs.update(fillcolor=_ROOT, **{"class": "root"})
    elif gradient is not None:
        kind = shade_of(_norm(gradient), scale)
        attrs.update(fillcolor=_SHADES[kind], **{"class": kind})
    else:
        attrs["fillcolor"] = _OP if node is not None else _PARAMETER if box.requires_grad else _PLAIN
    return name, _label(box, node, names, gradient, show_values, max_values), attrs, cluster


def _label(box: Any, node: Node | None, names: dict[int, str], gradient: np.ndarray | None,
           show_values: bool, max_values: int) -> str:
    if node is not None:
        title = type(node).__name__
    else:
        title = names.get(id(box)) or ("parameter" if box.requires_grad else "input" if box.array.ndim else "constant")
    if box.array is None:  # an op whose result a plain backward() has already freed
        return f"{title}\nfreed by backward()"
    if node is not None:
        title += _constants(node)
    data = np.asarray(box.array)
    lines = [title, str(data.shape) if data.ndim else "scalar"]
    if show_values and data.size <= max_values:
        lines.append("data " + _fmt(data))
        if gradient is not None:
            lines.append("grad " + _fmt(gradient))
    elif gradient is not None:
        lines.append(f"|grad| {_norm(gradient):.3g}")
    return "\n".join(lines)


def _constants(node: Node) -> str:
    """The Python numbers an op was given, as ` (x 0.1)` (`(1 -)` for a number on the left)."""
    edges = node.edges or ()
    parts = []
    for position, edge in enumerate(edges):
        if edge is not None:
            continue
        value = _constant_value(node, position)
        if value is None and type(node).__name__ not in _SYMBOLS:
            continue
        symbol = _SYMBOLS.get(type(node).__name__)
        text = "a number" if value is None else f"{value:.6g}"
        parts.append(text if symbol is None else f"{text} {symbol}" if position == 0 else f"{symbol} {text}")
    return f" ({', '.join(parts)})" if parts else ""


def _constant_value(node: Node, position: int) -> float | None:
    """The number at `position`: saved for backward when the op needs it, else (Add, Sub) the
    difference between the output and the other operand."""
    saved = getattr(node, "saved_tensors", None) or ()
    if len(saved) >= len(node.edges or ()) and isinstance(saved[position], (int, float)) \
            and not isinstance(saved[position], bool):
        return float(saved[position])
    kind, edges = type(node).__name__, node.edges or ()
    if kind not in ("Add", "Sub") or len(edges) != 2:
        return None
    other = edges[1 - position]
    if other is None or other.array is None or node.array is None:
        return None
    out, operand = np.asarray(node.array, dtype=np.float64), np.asarray(other.array, dtype=np.float64)
    value = out - operand if kind == "Add" else (operand - out if position == 1 else out + operand)
    dtype = np.asarray(node.array).dtype
    flat = np.ravel(value)
    resolution = 1e3 * np.finfo(dtype).eps * np.abs(out).max(initial=0) if dtype.kind == "f" else 0
    if not flat.size or not np.allclose(flat, flat[0]) or abs(flat[0]) <= resolution:
        return None  # not a uniform number, or too small beside the output to read back
    return float(flat[0])


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, separator=", ", suppress_small=True)


def _saved(drawing: Drawing, node: Node, boxes: list[Any], shown: dict[int, str], name: str) -> None:
    """Draw what `node` saved for backward: a dashed `saved` edge from an input it saved, a dashed
    box for anything else (its output, a value it computed, a number)."""
    inputs = {id(edge.array): edge for edge in node.edges or () if edge is not None and edge.array is not None}
    for k, item in enumerate(getattr(node, "saved_tensors", None) or ()):
        array = item.array if isinstance(item, Tensor) else item
        if array is None:
            continue
        if id(array) in inputs and id(inputs[id(array)]) in shown:
            drawing.edges[(shown[id(inputs[id(array)])], name)] = {"style": "dashed", "label": "saved",
                                                                   "fontsize": "9", "color": "#756bb1"}
            continue
        what = "its output" if array is node.array else str(np.shape(array)) if np.ndim(array) else f"{array}"
        box = f"{name}s{k}"
        drawing.boxes.append((box, f"saved\n{what}", {"shape": "note", "style": "dashed", "fontsize": "9",
                                                      "fillcolor": _PLAIN, "color": "#756bb1"}, None))
        drawing.edges[(box, name)] = {"style": "dashed", "color": "#756bb1", "arrowhead": "none"}


def _absorb_constants(boxes: list[Any], links: list[tuple[int, int]], group: list[str | None],
                      shown: list[str]) -> None:
    """A tensor needing no gradient that only one module box reads (a mask, a pooling matrix, the
    input unfolded inside a convolution) is drawn inside that box."""
    box_of = {g: shown[i] for i, g in enumerate(group) if g is not None}
    readers: dict[int, set[str | None]] = defaultdict(set)
    for source, consumer in links:
        readers[source].add(group[consumer])
    for source, groups in readers.items():
        box, reader = boxes[source], next(iter(groups))
        if len(groups) == 1 and reader is not None and isinstance(box, Tensor) and box.grad_fn is None \
                and not box.requires_grad and source != 0:
            group[source] = reader
            shown[source] = box_of[reader]


def _module_shapes(boxes: list[Any], links: list[tuple[int, int]], group: list[str | None]
                   ) -> tuple[dict[str, dict[str, None]], dict[str, dict[str, None]]]:
    """Per collapsed module: the shapes flowing into it and out of it (ordered sets)."""
    ins: dict[str, dict[str, None]] = defaultdict(dict)
    outs: dict[str, dict[str, None]] = defaultdict(dict)
    for source, consumer in links:
        into, out_of = group[consumer], group[source]
        if into == out_of:
            continue
        shape = str(np.shape(boxes[source].array)) if boxes[source].array is not None else "freed"
        if into is not None:
            ins[into][shape] = None
        if out_of is not None:
            outs[out_of][shape] = None
    return ins, outs


def _module_box(name: str, module: Module | None, module_name: str, ins: dict[str, None], outs: dict[str, None],
                scale: float, shade: bool, depth: int | None) -> tuple[str, str, dict[str, str], str | None]:
    kind = type(module).__name__ if module is not None else "?"
    parameters = list(module.parameters()) if module is not None else []
    lines = [f"{module_name or '(model)'} ({kind})", f"{sum(p.numel() for p in parameters):,} parameters",
             "in " + _shapes(ins), "out " + _shapes(outs)]
    attrs = {**_MODULE, "fillcolor": _OP}
    grads = [p.grad.array for p in parameters if p.grad is not None]
    if grads and shade:
        norm = float(np.sqrt(sum(_norm(g) ** 2 for g in grads)))
        lines.append(f"|grad| of parameters {norm:.3g}")
        kind = shade_of(norm, scale)
        attrs.update(fillcolor=_SHADES[kind], **{"class": kind})
    parent = ancestor(module_name, (depth or 1) - 1) if depth_of(module_name) > 1 else None
    return name, "\n".join(lines), attrs, parent or None


def _shapes(shapes: dict[str, None]) -> str:
    listed = list(shapes)
    return ", ".join(listed[:3]) + (f" (+{len(listed) - 3} more)" if len(listed) > 3 else "") if listed else "-"


def _number(x: float) -> str:
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{x:.3g}").replace("e+", "e")


def _legend_entries(scale: float, shaded: bool, modules: bool) -> list[tuple[str, str, str]]:
    entries = [("op (name, Python numbers, output shape)", _OP, "#636363"),
               ("parameter (blue border)", _PLAIN if shaded else _PARAMETER, "#3182bd"),
               ("input / constant", _PLAIN, "#636363")]
    if modules:
        entries.append(("module drawn as one box", _OP, _MODULE["color"]))
    if not shaded:
        return entries + [("output", _ROOT, "#636363")]
    low = VANISHING * scale
    bounds = [_number(b) for b in (low, 1e-3 * scale, scale)]
    return entries + [
        ("output (the gradient starts here)", _ROOT, "#636363"),
        (f"|grad| < {bounds[0]}: vanishing (1e-6 of the loss's scale)", _SHADES["vanishing"], "#636363"),
        (f"|grad| {bounds[0]} .. {bounds[1]}", _SHADES["small"], "#636363"),
        (f"|grad| {bounds[1]} .. {bounds[2]}", _SHADES["medium"], "#636363"),
        (f"|grad| {bounds[2]} .. 1e3", _SHADES["large"], "#636363"),
        ("|grad| > 1e3: exploding", _SHADES["exploding"], "#636363")]


def _legend(dot: Any, entries: list[tuple[str, str, str]]) -> None:
    if not entries:
        return
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontname="Helvetica", fontsize="10", color="#bdbdbd")
        for i, (text, fill, border) in enumerate(entries):
            shape = {key: _MODULE[key] for key in ("shape", "style")} if border == _MODULE["color"] else {}
            legend.node(f"legend{i}", text, fillcolor=fill, color=border, fontsize="9", **shape)
        for i in range(len(entries) - 1):
            legend.edge(f"legend{i}", f"legend{i + 1}", style="invis")
