"""A graph break splits the function, as torch's Dynamo does with its resume functions, at the level of the
function's top-level statements: the statements between two breaks become a function that is compiled on its
own, and each statement holding a break becomes a function that runs as plain Python at every call. They pass
each other the function's local variables, so the pieces in turn do what the function does.

Splitting needs the function's source (`inspect.getsource`). Where the pieces could not do what the function
does (no source, one statement, `super()` or private names, a closure sharing a variable a later piece rebinds),
that guard runs eagerly instead.
"""
from __future__ import annotations

import ast
import copy
import inspect
import textwrap
import types
from dataclasses import dataclass
from typing import Any, Callable

_ENV = "_te_locals"  # the pieces' one parameter: the locals the earlier pieces left


@dataclass
class Piece:
    """Some of the function's top-level statements, as a function of the locals they read."""
    run: Callable[..., Any]  # returns (True, the function's result) after a `return`, else (False, new locals)
    reads: tuple[str, ...]
    lines: tuple[int, int]
    compiled: bool
    source: str


class SplitFunction:
    """The function in pieces. Calling it binds the arguments to the function's parameters, then runs the pieces
    in turn, each given the locals it reads and adding those it assigns."""

    def __init__(self, signature: inspect.Signature, pieces: list[Piece], bound_self: Any):
        self.signature, self.pieces, self.bound_self = signature, pieces, bound_self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.bound_self is not None:
            args = (self.bound_self, *args)
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        local = dict(bound.arguments)
        for piece in self.pieces:
            done, value = piece.run(**{name: local[name] for name in piece.reads if name in local})
            if done:
                return value
            local.update(value)
        return None

    def code(self, reasons: list[str]) -> str:
        parts = [f"# split at {len(reasons)} graph break{'s' * (len(reasons) > 1)}, into {len(self.pieces)} pieces:"]
        parts += [f"#   {reason}" for reason in reasons]
        for k, piece in enumerate(self.pieces, 1):
            first, last = piece.lines
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            if piece.compiled:
                code = piece.run.code if piece.run.latest is not None else "# not called yet\n"  # type: ignore
                parts.append(f"\n# piece {k} ({where}): compiled\n{code}")
            else:
                statement = textwrap.indent(piece.source, "#     ")
                parts.append(f"\n# piece {k} ({where}): runs as Python at every call\n{statement}\n")
        return "\n".join(parts)


def split_at(function: Any, lines: list[int], compile_piece: Callable[[Callable[..., Any], str], Any]
             ) -> SplitFunction | None:
    """`function` (a plain function, or a bound method such as a Module's forward) split around the top-level
    statements holding `lines` (line numbers in its file); `compile_piece(fn, name)` compiles the other pieces.
    None when it cannot be split."""
    bound_self = getattr(function, "__self__", None)
    fn = getattr(function, "__func__", function)
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                                                                         | inspect.CO_ASYNC_GENERATOR):
        return None
    definition = _definition(fn)
    if definition is None:
        return None
    body = [s for i, s in enumerate(definition.body) if not (i == 0 and _is_docstring(s))]
    breaking = {i for i, s in enumerate(body) for line in lines if s.lineno <= line <= (s.end_lineno or s.lineno)}
    if not breaking or len(body) < 2:
        return None
    groups: list[tuple[list[ast.stmt], bool]] = []
    for i, statement in enumerate(body):
        if i in breaking or not groups or not groups[-1][1]:
            groups.append(([statement], i not in breaking))
        else:
            groups[-1][0].append(statement)
    declared = _declarations(definition.body)
    local_names = (set(fn.__code__.co_varnames) | set(fn.__code__.co_cellvars)) - {n for s in declared for n in s.names}
    reads = [_loaded(statements) & local_names for statements, _ in groups]
    sets = [_stored(statements) & local_names & set().union(*reads[k + 1:]) for k, (statements, _) in enumerate(groups)]
    cells = set(fn.__code__.co_cellvars)
    for k, (statements, _) in enumerate(groups):
        read, written = _closed_over(statements)
        later = [s for group, _ in groups[k + 1:] for s in group]
        if cells & (read & _stored(later) | written & _loaded(later)):
            return None  # each piece has its own cells: a closure and a later piece would miss each other's binding
    # a compiled piece's replay would hand on the function its capture made, closing over that call's values
    groups = [(statements, compiled and not sets[k] & _functions_made(statements))
              for k, (statements, compiled) in enumerate(groups)]
    made = _make_functions(fn, [(statements, sorted(reads[k]), sorted(sets[k]))
                                for k, (statements, _) in enumerate(groups)], declared)
    pieces = []
    for k, ((statements, compiled), run) in enumerate(zip(groups, made)):
        lines_of = (statements[0].lineno, statements[-1].end_lineno or statements[-1].lineno)
        source = "\n".join(ast.unparse(s) for s in statements)
        if compiled:
            run = compile_piece(run, f"{fn.__name__}_piece{k + 1}")
        pieces.append(Piece(run, tuple(sorted(reads[k])), lines_of, compiled, source))
    return SplitFunction(inspect.signature(fn), pieces, bound_self)


def lines_using(function: Any, name: str) -> list[int]:
    """The first line of each of the function's top-level statements that mentions `name` (none without source)."""
    fn = getattr(function, "__func__", function)
    definition = _definition(fn) if isinstance(fn, types.FunctionType) else None
    if definition is None:
        return []
    return [s.lineno for s in definition.body
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(s))]


def _definition(fn: types.FunctionType) -> ast.FunctionDef | None:
    """The function's definition, with the line numbers of its file."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, ValueError, IndexError, SyntaxError):
        return None
    ast.increment_lineno(tree, fn.__code__.co_firstlineno - 1)
    definition = tree.body[0] if tree.body else None
    if not isinstance(definition, ast.FunctionDef) or definition.name != fn.__name__:
        return None  # a lambda, or source that is not this function's
    if any(_needs_its_class(node) for node in ast.walk(definition)):
        return None
    return definition


def _needs_its_class(node: ast.AST) -> bool:
    """Code that means something else outside its class's body: `super()` without arguments (it reads the
    class's cell) and private names (`self.__x` is mangled to `self._Class__x`)."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name == "super" or name.startswith("__") and not name.endswith("__")


def _declarations(statements: list[ast.stmt]) -> list[ast.Global | ast.Nonlocal]:
    """The function's own `global` and `nonlocal` statements (not those of functions it defines)."""
    found: list[ast.Global | ast.Nonlocal] = []
    for statement in statements:
        if isinstance(statement, (ast.Global, ast.Nonlocal)):
            found.append(statement)
        elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found += _declarations([c for c in ast.iter_child_nodes(statement) if isinstance(c, ast.stmt)])
    return found


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
        and isinstance(statement.value.value, str)


def _loaded(statements: list[ast.stmt]) -> set[str]:
    """Names the statements read (an augmented assignment reads its target too)."""
    found: set[str] = set()
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Load, ast.Del)):
            found.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return found


def _stored(statements: list[ast.stmt]) -> set[str]:
    """Names the statements may bind (or delete)."""
    found: set[str] = set()
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
    return found


def _closed_over(statements: list[ast.stmt]) -> tuple[set[str], set[str]]:
    """The names the functions and lambdas the statements define read, and those they bind `nonlocal`."""
    read: set[str] = set()
    written: set[str] = set()
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        if isinstance(node, ast.Lambda):
            read |= _loaded([ast.Expr(node.body)])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            read |= _loaded(node.body)
            written |= {n for s in _declarations(node.body) if isinstance(s, ast.Nonlocal) for n in s.names}
    return read, written


def _functions_made(statements: list[ast.stmt]) -> set[str]:
    """Names the statements bind to a function, lambda or class they define."""
    found: set[str] = set()
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            found |= _stored([node])
    return found


class _ReturnsDone(ast.NodeTransformer):
    """`return x` in a piece becomes `return True, x` (not in functions or classes the piece defines)."""

    def visit_Return(self, node: ast.Return) -> ast.Return:
        value = node.value or ast.Constant(None)
        return ast.copy_location(ast.Return(ast.Tuple([ast.Constant(True), value], ast.Load())), node)

    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef


def _make_functions(fn: types.FunctionType, pieces: list[tuple[list[ast.stmt], list[str], list[str]]],
                    declared: list[ast.Global | ast.Nonlocal]) -> list[Callable[..., Any]]:
    """One function per piece: `def piece(**locals)` binding the locals it reads that are set, running its
    statements, and returning (False, the locals it sets that later pieces read). They are compiled inside a
    function that has the original's free variables, then given its globals and closure cells."""
    freevars = fn.__code__.co_freevars
    factory = ast.parse(f"def _te_pieces():\n    {' = '.join([*freevars, 'None']) if freevars else 'pass'}\n")
    outer = factory.body[0]
    assert isinstance(outer, ast.FunctionDef)
    for k, (statements, reads, sets) in enumerate(pieces):
        head = ast.parse(f"def _te_piece{k}(**{_ENV}):\n"
                         + "".join(f"    if {name!r} in {_ENV}: {name} = {_ENV}[{name!r}]\n" for name in reads)
                         + "    pass\n").body[0]
        tail = ast.parse(f"_te_set = locals()\nreturn False, {{k: _te_set[k] for k in {tuple(sets)!r} "
                         "if k in _te_set}").body
        assert isinstance(head, ast.FunctionDef)
        body = [_ReturnsDone().visit(copy.deepcopy(s)) for s in statements]
        head.body = [*declared, *head.body, *body, *tail]
        outer.body.append(head)
    outer.body.append(ast.parse(f"return ({', '.join(f'_te_piece{k}' for k in range(len(pieces)))},)").body[0])
    ast.fix_missing_locations(factory)
    namespace: dict[str, Any] = {}
    exec(compile(factory, fn.__code__.co_filename, "exec"), namespace)
    cells = dict(zip(freevars, fn.__closure__ or ()))
    made: list[Callable[..., Any]] = []
    for draft in namespace["_te_pieces"]():
        code = draft.__code__
        piece = types.FunctionType(code, fn.__globals__, code.co_name, None,
                                   tuple(cells[name] for name in code.co_freevars))
        made.append(piece)
    return made
