"""From a capture to Python source: name the Vars, plan the buffers, write the lines.

Buffer planning is liveness over the straight-line program: a planned Var takes a free buffer of its
shape and dtype when it is written and gives it back after its last read (a read of a view counts as a
read of what it views). Pinned Vars (gradients left in .grad, values returned) keep their buffer for
the whole step. Buffers are created once, at the top of the generated module, and reused every step.
"""
from __future__ import annotations

import builtins
import itertools
import keyword
import re
from typing import Any

import numpy as np

from .program import Imported, Instr, Var, literal

PHASE_TITLES = {"forward": "forward", "backward": "backward: the chain rule, newest op first",
                "optimizer": "optimizer step: parameters and state updated in place",
                "ops": "tensor ops after a backward (gradient clipping, another forward...)"}


def roots(var: Var) -> list[Var]:
    """The Vars whose memory `var` may share (itself included)."""
    found, todo, seen = [], [var], set()
    while todo:
        v = todo.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        found.append(v)
        todo += v.view_of
    return found


def plan(instrs: list[Instr], kept: list[Var]) -> tuple[dict[int, str], dict[str, tuple]]:
    """Buffer name per planned Var (by id), reusing a buffer once its last reader has run; and each
    buffer's (shape, dtype)."""
    last: dict[int, int] = {}
    forever = len(instrs)
    for i, instr in enumerate(instrs):
        for v in instr.reads + instr.writes:
            for r in roots(v):
                last[id(r)] = i
    for v in kept:
        for r in roots(v):
            last[id(r)] = forever
    free: dict[tuple, list[str]] = {}
    names: dict[int, str] = {}
    specs: dict[str, tuple] = {}
    counter = itertools.count()
    for i, instr in enumerate(instrs):
        fresh = [v for v in instr.writes + instr.temps if v.planned and id(v) not in names]
        handed = _handed_over(instr, fresh, names, last, i)
        for v in fresh:
            key = (tuple(v.shape), np.dtype(v.dtype).str)
            pool = free.get(key)
            name = names[id(handed)] if handed is not None and v is instr.writes[0] \
                else pool.pop() if pool else f"buf{next(counter)}"
            names[id(v)] = name
            specs[name] = (tuple(v.shape), np.dtype(v.dtype))
        for v in fresh:
            if v in instr.temps or last.get(id(v), i) <= i:
                free.setdefault((tuple(v.shape), np.dtype(v.dtype).str), []).append(names[id(v)])
        for v in instr.reads:
            for r in roots(v):
                if last.get(id(r)) == i and id(r) in names and r not in fresh and r is not handed:
                    free.setdefault((tuple(r.shape), np.dtype(r.dtype).str), []).append(names[id(r)])
    return names, specs


def _handed_over(instr: Instr, fresh: list[Var], names: dict[int, str], last: dict[int, int], i: int) -> Var | None:
    """The read of an elementwise instruction whose buffer its first write takes over: one of the same
    shape and dtype, in a buffer of its own, that no later instruction reads."""
    if not instr.elementwise or not instr.writes or instr.writes[0] not in fresh:
        return None
    out = instr.writes[0]
    for r in instr.reads:
        if id(r) in names and not r.view_of and last.get(id(r)) == i and r.shape == out.shape \
                and np.dtype(r.dtype) == np.dtype(out.dtype):
            return r
    return None


class Namer:
    """Readable, unique names for Vars and for the objects the code refers to."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        # numpy, math, the replay's helpers, the optimizer lines' local names and Python's builtins are taken
        self.used: set[str] = {"np", "math", "run_forward", "as_tuple", "buf", "lr", "beta1", "beta2", "count",
                               "exp_avg", "exp_avg_sq", *dir(builtins)}
        self.namespace: dict[str, Any] = {}
        self.constants: list[str] = []  # module-level lines defining constants with a literal form
        self.imports: dict[str, str] = {}  # name -> the module-level line importing it
        self.next_suffix: dict[str, int] = {}

    def unique(self, hint: str) -> str:
        base = re.sub(r"\W", "_", hint).strip("_") or "t"
        if base[0].isdigit() or keyword.iskeyword(base) or re.fullmatch(r"buf\d*", base):  # buf, buf0...: taken
            base = "v_" + base
        name, i = base, self.next_suffix.get(base, 1)
        while name in self.used:
            name, i = f"{base}{i}", i + 1
        self.next_suffix[base] = i
        self.used.add(name)
        return name

    def var(self, v: Var) -> str:
        name = self.names.get(id(v))
        if name is None:
            name = self.names[id(v)] = self.unique(v.hint)
            if v.kind == "const":
                source = literal(v.value)
                if source is None:
                    self.namespace[name] = v.value
                else:
                    self.constants.append(f"{name} = {source}")
        return name

    def __call__(self, value: Any) -> str:
        if isinstance(value, Var):
            return self.var(value)
        if isinstance(value, Imported):
            self.used.add(value.name)
            self.imports[value.name] = f"from {value.module} import {value.name}"
            return value.name
        source = literal(value)
        if source is not None:
            return source
        if isinstance(value, list):
            return "[" + ", ".join(self(v) for v in value) + "]"
        if isinstance(value, tuple) and any(isinstance(v, Var) for v in value):
            return "(" + ", ".join(self(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        name = self.names.get(id(value))
        if name is None:
            hint = getattr(value, "__name__", None) or type(value).__name__.lower()
            name = self.names[id(value)] = self.unique(hint)
            self.namespace[name] = value
        return name


LONG = 2000  # instructions: beyond, names are recycled and repeated blocks of lines become loops


def recycle_names(instrs: list[Instr], kept: list[Var], namer: Namer) -> None:
    """Give a value the name of one already dead (same base name): a long chain then repeats the same
    few lines, which `roll` turns into a loop. Names are freed only after an instruction's writes, so
    no line overwrites a name it still reads."""
    last: dict[int, int] = {}
    for i, instr in enumerate(instrs):
        for v in instr.reads:
            last[id(v)] = i
    stay = {id(v) for v in kept}
    free: dict[str, list[str]] = {}
    freed: set[int] = set()
    for i, instr in enumerate(instrs):
        for v in instr.writes:
            if v.kind in ("temp", "object") and id(v) not in stay and id(v) not in namer.names:
                pool = free.get(v.hint)
                if pool:
                    namer.names[id(v)] = pool.pop()
                else:
                    namer.var(v)
        for v in instr.reads + instr.writes:
            if v.kind in ("temp", "object") and id(v) not in stay and id(v) not in freed \
                    and last.get(id(v), i) == i and id(v) in namer.names:
                freed.add(id(v))
                free.setdefault(v.hint, []).append(namer.names[id(v)])


def roll(lines: list[str], longest: int = 8, fewest: int = 4) -> list[str]:
    """Runs of a block of up to `longest` lines repeated at least `fewest` times, as a for loop."""
    rolled, i, n = [], 0, len(lines)
    while i < n:
        best = (1, 1)
        for period in range(1, longest + 1):
            block = lines[i:i + period]
            repeats = 1
            while lines[i + repeats * period:i + (repeats + 1) * period] == block:
                repeats += 1
            if repeats >= fewest and repeats * period > best[0] * best[1]:
                best = (repeats, period)
        repeats, period = best
        if repeats > 1:
            rolled.append(f"for _ in range({repeats}):")
            rolled += ["    " + line for line in lines[i:i + period]]
        else:
            rolled.append(lines[i])
        i += repeats * period
    return rolled


def generate(function_name: str, instrs: list[Instr], params: list[Var], results: list[Var],
             kept: list[Var], namer: Namer) -> str:
    """The module source: buffers and constants, then `def function_name(params): ... return results`."""
    buffers, specs = plan(instrs, kept)
    signature = ", ".join(namer(p) for p in params)

    def buf(v: Var) -> str:
        """The buffer of a planned Var; for an unplanned one, a fresh array."""
        name = buffers.get(id(v))
        return name if name is not None else f"np.empty({tuple(v.shape)!r}, np.{np.dtype(v.dtype).name})"
    long = len(instrs) > LONG
    if long:
        recycle_names(instrs, kept, namer)
    body: list[str] = []
    phase = None
    for instr in instrs:
        if instr.phase != phase:
            phase = instr.phase
            body += ["", f"# {PHASE_TITLES[phase]}"]
        lines = instr.render(namer, buf)
        if instr.comment:
            lines[0] += f"  # {instr.comment}"
        body += lines
    if long:
        body = roll(body)
    returns = ", ".join(namer(r) for r in results)
    body += ["", f"return ({returns}{',' if len(results) == 1 else ''})"]
    head = ["# generated by tinygrad_ed.compile: one captured call, replayed as numpy calls",
            "import math", "import numpy as np", *namer.imports.values(), ""]
    if specs:
        head.append(f"# {len(specs)} buffers, planned by liveness and reused every step")
        head += [f"{name} = np.empty({shape!r}, np.{dtype.name})" for name, (shape, dtype) in specs.items()]
    head += namer.constants
    indented = ["    " + line if line else "" for line in body]
    return "\n".join(head + ["", "", f"def {function_name}({signature}):"] + indented) + "\n"
