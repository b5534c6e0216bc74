"""`einsum`, composed: diagonals, sums, permutes and matmuls, so its backward is theirs (einsums again).

Each operand is first brought to canonical form: a repeated subscript becomes a diagonal, a size-1
dimension broadcast against a larger one is squeezed away, and a subscript found nowhere else (not in
the output, not in another operand) is summed. Operands are then contracted left to right, as torch
does: a pair's shared subscripts are batch dimensions (kept) or contracted ones (summed), and the pair
is permuted and reshaped to (batch, rows, inner) @ (batch, inner, columns), one BLAS call.
"""
from __future__ import annotations

import functools
import math
import string
from typing import Any, Sequence

from ..tensor import Tensor
from .dims import normalize_dims
from .elementwise import mul
from .matmul import diagonal, matmul
from .movement import as_tensors, permute, reshape
from .reduce import sum as reduce_sum

_LETTERS = frozenset(string.ascii_letters)
_SUBLIST_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # torch's order for sublist integers


def einsum(*args: Any) -> Tensor:
    """Einstein summation: `te.einsum("bij,bjk->bik", a, b)`, the operands as a list, or sublists
    (`te.einsum(a, [0, 1], b, [1, 2], [0, 2])`)."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand")
    if isinstance(args[0], str):
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    tensors = as_tensors(operands, "einsum")
    inputs, output = _parse(equation, tuple(t.ndim for t in tensors))
    return _contract(tensors, [list(term) for term in inputs], list(output))


def _sublist_equation(args: Sequence[Any]) -> tuple[str, tuple]:
    """torch's sublist form (op, [subscripts], op, [subscripts], ..., [output]) as an equation string."""
    def letters(sublist: Any) -> str:
        try:
            return "".join("..." if s is Ellipsis else _SUBLIST_LETTERS[s] for s in sublist)
        except (IndexError, TypeError):
            raise RuntimeError(f"einsum(): subscripts must be integers in [0, 52) or Ellipsis, got {sublist}") from None
    operands, terms = args[0::2], [letters(s) for s in args[1::2]]
    if len(args) % 2:  # an output sublist follows the last operand's
        operands, output = operands[:-1], "->" + letters(args[-1])
    else:
        output = ""
    return ",".join(terms) + output, tuple(operands)


@functools.lru_cache(maxsize=256)  # parsing costs more than a small matmul; a training loop repeats equations
def _parse(equation: str, ndims: tuple[int, ...]) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """Each operand's subscripts and the output's, one label per dimension; ellipsis dimensions get
    labels '.0', '.1'... aligned from the right, so that they broadcast."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    if "->" in rhs:
        raise RuntimeError(f"einsum(): invalid equation {equation!r}: more than one '->'")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise RuntimeError(f"einsum(): {len(terms)} operands specified in the equation {equation!r}, but "
                           f"{len(ndims)} provided")
    ellipsis_ndim = 0
    inputs = []
    for k, (term, ndim) in enumerate(zip(terms, ndims)):
        letters = _letters(term, equation, f"operand {k}")
        if "..." not in term and len(letters) != ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(letters)}) does not match "
                               f"the number of dimensions ({ndim}) for operand {k} and no ellipsis was given")
        extra = ndim - len(letters)
        if extra < 0:
            raise RuntimeError(f"einsum(): operand {k} has {ndim} dimensions, fewer than the "
                               f"{len(letters)} subscripts in {term!r}")
        ellipsis_ndim = max(ellipsis_ndim, extra)
        before, _, after = term.partition("...")
        inputs.append((before, extra, after))
    labels = tuple(tuple(b) + tuple(f".{ellipsis_ndim - extra + i}" for i in range(extra)) + tuple(a)
                   for b, extra, a in inputs)
    dots = [f".{i}" for i in range(ellipsis_ndim)]
    if arrow:
        before, _, after = rhs.partition("...")
        letters = _letters(rhs, equation, "the output")
        if len(set(letters)) != len(letters):
            raise RuntimeError(f"einsum(): an output subscript appears more than once in {equation!r}")
        missing = set(letters) - {label for term in labels for label in term}
        if missing:
            raise RuntimeError(f"einsum(): output subscript {sorted(missing)[0]} does not appear in the equation for "
                               "any input operand")
        output = tuple(before) + (tuple(dots) if "..." in rhs else ()) + tuple(after)
    else:
        counts: dict[str, int] = {}
        for operand_labels in labels:
            for label in operand_labels:
                counts[label] = counts.get(label, 0) + 1
        output = tuple(dots) + tuple(sorted(label for label, n in counts.items() if n == 1 and label[0] != "."))
    return labels, output


def _letters(term: str, equation: str, where: str) -> list[str]:
    if term.count("...") > 1 or "." in term.replace("...", ""):
        raise RuntimeError(f"einsum(): found '.' for {where} that is not part of an ellipsis in {equation!r}")
    letters = term.replace("...", "")
    bad = [c for c in letters if c not in _LETTERS]
    if bad:
        raise RuntimeError(f"einsum(): invalid subscript {bad[0]!r} in the equation {equation!r}, subscripts "
                           "must be in [a-zA-Z]")
    return list(letters)


def _contract(tensors: list[Tensor], labels: list[list[str]], output: list[str]) -> Tensor:
    sizes = _label_sizes(tensors, labels)
    operands = [_distinct(t, term, sizes) for t, term in zip(tensors, labels)]
    operands = [_summed_private(t, term, [rest for _, rest in operands[:k] + operands[k + 1:]], output)
                for k, (t, term) in enumerate(operands)]
    result, result_labels = operands[0]
    for k, (t, term) in enumerate(operands[1:], 1):
        later = {label for _, rest in operands[k + 1:] for label in rest}
        result, result_labels = _pair(result, result_labels, t, term, later | set(output))
    return _permuted(result, result_labels, output)


def _label_sizes(tensors: list[Tensor], labels: list[list[str]]) -> dict[str, int]:
    """Each label's size; a size of 1 broadcasts against any other."""
    sizes: dict[str, int] = {}
    for k, (t, term) in enumerate(zip(tensors, labels)):
        own: dict[str, int] = {}
        for label, n in zip(term, t.shape):
            if own.setdefault(label, n) != n:  # a diagonal needs equal sizes: no broadcasting within an operand
                raise RuntimeError(f"einsum(): subscript {label} is repeated for operand {k} but the sizes don't "
                                   f"match, {own[label]} != {n}")
            seen = sizes.get(label, 1)
            if n != seen and n != 1 and seen != 1:
                name = "..." if label[0] == "." else label
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {seen}")
            sizes[label] = n if seen == 1 else seen
    return sizes


def _distinct(t: Tensor, term: list[str], sizes: dict[str, int]) -> tuple[Tensor, list[str]]:
    """The operand with one dimension per label (diagonals taken) and no size-1 dimension that broadcasts."""
    term = list(term)
    for label in dict.fromkeys(term):
        while term.count(label) > 1:
            first = term.index(label)
            second = term.index(label, first + 1)
            t = diagonal(t, 0, first, second)  # the diagonal becomes the last dimension
            term = [x for i, x in enumerate(term) if i not in (first, second)] + [label]
    squeezed = [i for i, label in enumerate(term) if t.shape[i] == 1 and sizes[label] != 1]
    if squeezed:
        t = reshape(t, tuple(n for i, n in enumerate(t.shape) if i not in squeezed))
        term = [label for i, label in enumerate(term) if i not in squeezed]
    return t, term


def _summed_private(t: Tensor, term: list[str], others: list[list[str]],
                    output: list[str]) -> tuple[Tensor, list[str]]:
    """The operand with the labels found nowhere else (not in the output, not in another operand) summed."""
    elsewhere = set(output).union(*others)
    private = [i for i, label in enumerate(term) if label not in elsewhere]
    if private:
        t = reduce_sum(t, normalize_dims(private, t.ndim, "einsum"))
        term = [label for i, label in enumerate(term) if i not in private]
    return t, term


def _pair(a: Tensor, a_labels: list[str], b: Tensor, b_labels: list[str], keep: set[str]) -> tuple[Tensor, list[str]]:
    """Contract two canonical operands, keeping the labels in `keep`: (batch..., a's, b's)."""
    batch = [label for label in a_labels if label in b_labels and label in keep]
    inner = [label for label in a_labels if label in b_labels and label not in keep]
    rows = [label for label in a_labels if label not in b_labels]
    columns = [label for label in b_labels if label not in a_labels]
    a = _permuted(a, a_labels, batch + rows + inner)
    b = _permuted(b, b_labels, batch + inner + columns)
    batch_shape = a.shape[:len(batch)]
    row_shape = a.shape[len(batch):len(batch) + len(rows)]
    column_shape = b.shape[len(batch) + len(inner):]
    if not inner:  # nothing summed: an outer product by broadcasting beats a matmul with inner size 1
        a = reshape(a, batch_shape + row_shape + (1,) * len(columns))
        b = reshape(b, batch_shape + (1,) * len(rows) + column_shape)
        return mul(a, b), batch + rows + columns
    n_inner = int(math.prod(a.shape[len(batch) + len(rows):]))
    lead = (int(math.prod(batch_shape)),) if batch else ()
    product = matmul(reshape(a, lead + (int(math.prod(row_shape)), n_inner)),
                     reshape(b, lead + (n_inner, int(math.prod(column_shape)))))
    return reshape(product, batch_shape + row_shape + column_shape), batch + rows + columns


def _permuted(t: Tensor, labels: list[str], order: list[str]) -> Tensor:
    if labels == order:
        return t
    return permute(t, tuple(labels.index(label) for label in order))
