"""`animate_backward`: the backward pass, one frame per node the engine runs, in its real order.

The frames come from the engine itself (`engine.observe_backward`), not from re-sorting the graph:
each says which box ran, the norm of the gradient it received and of each gradient it sent to
its inputs. They become a self-contained HTML page (the graph as inline SVG, a small script: play,
pause, step, slider; nothing loaded from the network), a strip of frames as one graphviz drawing
(PNG or SVG for slides), or a GIF (needs Pillow).
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd.broadcast import sum_to
from ..autograd.engine import Node, observe_backward
from ..nn.module import Module
from ..tensor import Tensor
from .graph import Drawing, layout

_RUNNING, _DONE, _SENDING, _RECEIVING = "#fd8d3c", "#d9d9d9", "#e6550d", "#3182bd"


@dataclass(frozen=True)
class Frame:
    """One node run by the engine: the box drawing it, its op, |gradient received|, and per input
    box the |gradient sent| (summed to the input's shape, as the engine does)."""

    box: str
    op: str
    received: float
    sent: tuple[tuple[str, float], ...]


class BackwardAnimation:
    """What `animate_backward` returns: `frames` in the engine's order, `html()`, `strip()`,
    `save_gif()`; a notebook shows the page inline."""

    def __init__(self, drawing: Drawing, frames: list[Frame]):
        self.drawing, self.frames = drawing, frames
        self._titles = {name: label.split("\n")[0] for name, label, _, _ in drawing.boxes}

    def describe(self, k: int) -> str:
        frame = self.frames[k]
        sends = ", ".join(f"{g:.3g} to {self._titles.get(box, box)}" for box, g in frame.sent) or "nothing"
        return f"step {k + 1} of {len(self.frames)}: {frame.op} receives |grad| {frame.received:.3g}; sends {sends}"

    def html(self) -> str:
        """The page: inline SVG of the graph (needs Graphviz's `dot`) and the stepping script."""
        svg = self.drawing.digraph().pipe(format="svg").decode()
        svg = svg[svg.index("<svg"):]
        frames = [{"box": f.box, "sent": [box for box, _ in f.sent], "text": self.describe(k)}
                  for k, f in enumerate(self.frames)]
        return _PAGE.replace("{{SVG}}", svg).replace("{{FRAMES}}", json.dumps(frames).replace("</", "<\\/")) \
            .replace("{{LAST}}", str(max(len(frames) - 1, 0)))

    def _repr_html_(self) -> str:
        import graphviz
        try:
            page = self.html()
        except graphviz.ExecutableNotFound:  # no `dot` to draw with: the frames in words
            return "<pre>" + html.escape("\n".join(self.describe(k) for k in range(len(self.frames)))) + "</pre>"
        return f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:520px;border:0"></iframe>'

    def _frame_styles(self, k: int) -> tuple[Any, Any]:
        frame = self.frames[k]
        done = {f.box for f in self.frames[:k]}
        sent = {box for box, _ in frame.sent}
        sends = dict(frame.sent)

        def box_style(name: str) -> dict[str, str]:
            if name == frame.box:
                return {"fillcolor": _RUNNING, "penwidth": "3"}
            return {"fillcolor": _DONE} if name in done else {}

        def edge_style(source: str, target: str) -> dict[str, str]:
            if target == frame.box and source in sent:
                return {"color": _SENDING, "penwidth": "3", "label": f"{sends[source]:.3g}", "fontsize": "9"}
            if source == frame.box:
                return {"color": _RECEIVING, "penwidth": "3", "label": f"{frame.received:.3g}", "fontsize": "9"}
            return {}
        return box_style, edge_style

    def strip(self, frames: int = 4) -> Any:
        """`frames` evenly spaced frames side by side, as one graphviz Digraph (`.pipe(format="png")`)."""
        import graphviz
        count = max(min(frames, len(self.frames)), 1)
        chosen = sorted({k * (len(self.frames) - 1) // max(count - 1, 1) for k in range(count)})
        dot = graphviz.Digraph("backward", graph_attr={"rankdir": self.drawing.direction, "fontname": "Helvetica",
                                                       "newrank": "true"},
                               node_attr={"shape": "box", "style": "filled,rounded", "fontname": "Helvetica",
                                          "fontsize": "11"})
        for k in chosen:
            box_style, edge_style = self._frame_styles(k)
            with dot.subgraph(name=f"cluster_frame{k}") as sub:
                sub.attr(label=_wrap(self.describe(k)), fontname="Helvetica", fontsize="11", color="#bdbdbd")
                self.drawing.emit(sub, prefix=f"f{k}_", box_style=box_style, edge_style=edge_style)
        return dot

    def save_gif(self, path: str | Path, milliseconds: int = 900) -> None:
        """Every frame as one GIF (needs Pillow and Graphviz's `dot`)."""
        try:
            from PIL import Image
        except ImportError as error:
            raise ImportError("save_gif needs Pillow: pip install pillow") from error
        import io
        images = []
        for k in range(len(self.frames)):
            box_style, edge_style = self._frame_styles(k)
            dot = self.drawing.digraph(box_style=box_style, edge_style=edge_style)
            dot.attr(label=_wrap(self.describe(k)), labelloc="t")
            images.append(Image.open(io.BytesIO(dot.pipe(format="png"))).convert("RGB"))
        width, height = max(i.width for i in images), max(i.height for i in images)
        padded = []
        for image in images:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(image, (0, 0))
            padded.append(canvas)
        padded[0].save(path, save_all=True, append_images=padded[1:], duration=milliseconds, loop=0)


def _wrap(text: str, width: int = 60) -> str:
    return re.sub(rf"(.{{1,{width}}})(?:; |, |$)", lambda m: m.group(0).rstrip() + "\n", text).strip()


def animate_backward(loss: Tensor, path: str | Path | None = None, *, params: dict[str, Tensor] | None = None,
                     model: Module | None = None, depth: int | None = None, direction: str = "TB",
                     gradient: Tensor | None = None, retain_graph: bool = False) -> BackwardAnimation:
    """Run `loss.backward(gradient, retain_graph)` (so `.grad` accumulates as usual) and record the
    nodes the engine runs, in its order; write the HTML page to `path` when given.

    `params`, `model`, `depth` and `direction` are `draw_graph`'s.
    """
    if not isinstance(loss, Tensor) or loss.grad_fn is None:
        raise RuntimeError("animate_backward: loss must be a Tensor with a grad_fn (the result of ops on tensors "
                           "that require grad)")
    drawing = layout(loss, params, model=model, depth=depth, direction=direction, shade=False)
    drawing.legend = []  # the page and the strip explain their colours in words
    frames: list[Frame] = []

    def observe(node: Node, g: Any, input_grads: tuple) -> None:
        box = drawing.shown.get(id(node))
        if box is None:  # a backward running in another thread
            return
        sent = []
        for edge, pg, needed in zip(node.edges or (), input_grads, node.needs_input_grad):
            if pg is not None and needed and id(edge) in drawing.shown:
                sent.append((drawing.shown[id(edge)], _norm(sum_to(_array(pg), np.shape(edge.array)))))
        frames.append(Frame(box, node.name(), _norm(_array(g)), tuple(sent)))

    with observe_backward(observe):
        loss.backward(gradient, retain_graph=retain_graph)
    animation = BackwardAnimation(drawing, frames)
    if path is not None:
        Path(path).write_text(animation.html(), encoding="utf-8")
    return animation


def _array(g: Any) -> Any:
    return g.array if isinstance(g, Tensor) else g


def _norm(a: Any) -> float:
    return float(np.linalg.norm(np.ravel(a)))


_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>backward, step by step</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 12px; }
#controls { margin-bottom: 8px; } #controls button { margin-right: 4px; }
#slider { width: 320px; vertical-align: middle; }
#caption { margin: 6px 0 10px; min-height: 2.4em; }
.node.running polygon, .node.running path { fill: """ + _RUNNING + """; stroke-width: 3; }
.node.done polygon, .node.done path { fill: """ + _DONE + """; }
.edge.sending path { stroke: """ + _SENDING + """; stroke-width: 3; }
.edge.sending polygon { fill: """ + _SENDING + """; stroke: """ + _SENDING + """; }
.edge.receiving path { stroke: """ + _RECEIVING + """; stroke-width: 3; }
.edge.receiving polygon { fill: """ + _RECEIVING + """; stroke: """ + _RECEIVING + """; }
</style></head>
<body>
<div id="controls">
<button id="play">play</button><button id="back">&#9664; step</button><button id="next">step &#9654;</button>
<input id="slider" type="range" min="0" max="{{LAST}}" value="0">
</div>
<div id="caption"></div>
<div>orange: the node running; blue arrows: the gradient it receives; red arrows: the gradients it sends
to its inputs; grey: nodes already run.</div>
{{SVG}}
<script>
"use strict";
const frames = {{FRAMES}};
const slider = document.getElementById("slider");
const playButton = document.getElementById("play");
let timer = null;
function element(id) { return document.getElementById(id); }
function show(k) {
  document.querySelectorAll(".running, .done, .sending, .receiving").forEach(function (e) {
    e.classList.remove("running", "done", "sending", "receiving");
  });
  if (frames.length === 0) { element("caption").textContent = "no node ran"; return; }
  const frame = frames[k];
  for (let j = 0; j < k; j++) { const done = element(frames[j].box); if (done) done.classList.add("done"); }
  const running = element(frame.box);
  if (running) { running.classList.remove("done"); running.classList.add("running"); }
  document.querySelectorAll("g.edge").forEach(function (e) {
    const ends = e.id.split("->");
    if (ends[1] === frame.box && frame.sent.indexOf(ends[0]) >= 0) e.classList.add("sending");
    if (ends[0] === frame.box) e.classList.add("receiving");
  });
  element("caption").textContent = frame.text;
  slider.value = k;
}
function step(by) { show(Math.min(Math.max(Number(slider.value) + by, 0), frames.length - 1)); }
function pause() { clearInterval(timer); timer = null; playButton.textContent = "play"; }
playButton.addEventListener("click", function () {
  if (timer !== null) { pause(); return; }
  if (Number(slider.value) >= frames.length - 1) show(0);
  playButton.textContent = "pause";
  timer = setInterval(function () {
    if (Number(slider.value) >= frames.length - 1) { pause(); return; }
    step(1);
  }, 900);
});
element("back").addEventListener("click", function () { pause(); step(-1); });
element("next").addEventListener("click", function () { pause(); step(1); });
slider.addEventListener("input", function () { pause(); show(Number(slider.value)); });
show(0);
</script>
</body></html>
"""
