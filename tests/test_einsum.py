"""te.einsum: equations torch accepts (implicit output, ellipsis, repeated subscripts, broadcasting,
sublists), values against torch (when installed) and np.einsum, derivatives against finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck

# equation -> operand shapes
CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(3,)] * 2),
    ("i,i", [(3,)] * 2),
    ("i,j->ij", [(3,), (2,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ji", [(2, 2, 3)]),
    ("ijj,jk->ik", [(2, 3, 3), (3, 4)]),
    ("ij,ij->ij", [(2, 3)] * 2),
    ("ij,ij->i", [(2, 3)] * 2),
    ("...ij,...jk->...ik", [(5, 2, 3), (1, 3, 4)]),
    ("...ij,...jk", [(2, 3), (4, 3, 2)]),
    ("b...,b->b...", [(2, 3, 4), (2,)]),
    ("...ij->ij", [(2, 3, 4)]),
    ("i...->...", [(2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ab,Ab", [(2, 3), (4, 3)]),
    ("ij,jk->ik broadcast", [(2, 1), (3, 4)]),
    ("ij,ij->ij broadcast", [(1, 3), (2, 3)]),
    ("ij,kj,k->i", [(2, 3), (4, 3), (4,)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("ij,ij,ij->", [(2, 3)] * 3),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
]


def _equation(name):
    return name.split(" broadcast")[0]


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


@pytest.mark.parametrize("equation, shapes", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(equation, shapes):
    torch = pytest.importorskip("torch")
    arrays = _inputs(shapes)
    expected = torch.einsum(_equation(equation), *[torch.tensor(a) for a in arrays]).numpy()
    got = te.einsum(_equation(equation), *[te.tensor(a) for a in arrays])
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)


NUMPY_CASES = [c for c in CASES if "broadcast" not in c[0] and c[0] != "...ij->ij"]  # numpy refuses these


@pytest.mark.parametrize("equation, shapes", NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_matches_numpy(equation, shapes):
    arrays = _inputs(shapes)
    expected = np.einsum(_equation(equation).replace(" ", ""), *arrays)
    np.testing.assert_allclose(te.einsum(equation, *[te.tensor(a) for a in arrays]).numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize("equation, shapes", CASES, ids=[c[0] for c in CASES])
def test_gradients(equation, shapes):
    leaves = [te.tensor(a, requires_grad=True) for a in _inputs(shapes)]
    fn = lambda *xs: te.einsum(_equation(equation), *xs)  # noqa: E731
    assert gradcheck(fn, leaves)
    assert gradgradcheck(lambda *xs: fn(*xs) ** 2, leaves)


def test_operands_as_a_list_and_sublists():
    a, b = (te.tensor(x) for x in _inputs([(2, 3), (3, 4)]))
    expected = (a @ b).numpy()
    np.testing.assert_allclose(te.einsum("ij,jk->ik", [a, b]).numpy(), expected)
    np.testing.assert_allclose(te.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(), expected)
    np.testing.assert_allclose(te.einsum(a, [0, 1], b, [1, 2]).numpy(), expected)  # implicit: A, C sorted
    x = te.tensor(_inputs([(2, 3, 4)])[0])
    assert te.einsum(x, [Ellipsis, 0, 1], [1, Ellipsis]).shape == (4, 2)


def test_two_operand_contractions_are_one_matmul():
    a = te.randn(2, 3, 4, requires_grad=True)
    b = te.randn(2, 4, 5, requires_grad=True)
    assert type(te.einsum("bij,bjk->bik", a, b).grad_fn).__name__ == "Matmul"


@pytest.mark.parametrize("args, message", [
    (("ij->k", (2, 3)), "output subscript k does not appear"),
    (("ij,jk", (2, 3), (4, 2)), "subscript j has size 4 for operand 1"),
    (("ij", (2, 3), (2, 3)), "1 operands specified"),
    (("ij->ii", (2, 2)), "more than once"),
    (("ij", (2, 3, 4)), "number of subscripts"),
    (("i.j", (2, 3)), "not part of an ellipsis"),
    (("i1->i", (2, 3)), "must be in \\[a-zA-Z\\]"),
    (("ij->i->j", (2, 3)), "more than one"),
    (("ii->i", (2, 1)), "subscript i is repeated for operand 0 but the sizes don't match"),
])
def test_errors(args, message):
    equation, *shapes = args
    with pytest.raises(RuntimeError, match=message):
        te.einsum(equation, *[te.zeros(*s) for s in shapes])


SIZES = {"a": 2, "b": 3, "c": 4, "d": 2, "e": 3}


def _random_einsum(rng):
    """A random equation over 1-3 operands: repeated subscripts, size-1 dimensions, ellipses, implicit or
    explicit outputs; and its operands."""
    terms, arrays = [], []
    use_ellipsis = rng.random() < 0.3
    ellipsis_shape = [int(s) for s in rng.integers(1, 3, size=int(rng.integers(0, 3)))]
    for _ in range(int(rng.integers(1, 4))):
        letters = "".join(rng.choice(list("abcde"), size=int(rng.integers(0, 4))))
        shape = [SIZES[c] if rng.random() > 0.1 else 1 for c in letters]
        if use_ellipsis and rng.random() < 0.7:
            k, at = int(rng.integers(0, len(ellipsis_shape) + 1)), int(rng.integers(0, len(letters) + 1))
            dims = [1 if rng.random() < 0.2 else s for s in ellipsis_shape[len(ellipsis_shape) - k:]]
            letters, shape = letters[:at] + "..." + letters[at:], shape[:at] + dims + shape[at:]
        terms.append(letters)
        arrays.append(rng.standard_normal(shape))
    equation = ",".join(terms)
    if rng.random() < 0.6:
        present = sorted(set("".join(terms).replace(".", "")))
        output = "".join(rng.permutation(present)[:int(rng.integers(0, len(present) + 1))]) if present else ""
        equation += "->" + ("..." if use_ellipsis and rng.random() < 0.7 else "") + output
    return equation, arrays


def test_random_equations_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for _ in range(400):
        equation, arrays = _random_einsum(rng)
        try:
            expected = torch.einsum(equation, *[torch.tensor(a) for a in arrays]).numpy()
        except RuntimeError:
            with pytest.raises(RuntimeError):
                te.einsum(equation, *[te.tensor(a) for a in arrays])
            continue
        got = te.einsum(equation, *[te.tensor(a) for a in arrays])
        assert got.shape == expected.shape, equation
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12, err_msg=equation)


def test_random_equations_gradients():
    rng = np.random.default_rng(4)
    checked = 0
    while checked < 25:
        equation, arrays = _random_einsum(rng)
        leaves = [te.tensor(a, requires_grad=True) for a in arrays]
        try:
            te.einsum(equation, *leaves)
        except RuntimeError:
            continue
        assert gradcheck(lambda *xs, equation=equation: te.einsum(equation, *xs), leaves), equation
        checked += 1
