"""Random numbers: te.Generator (seeding, state round trips, independence from the default stream),
generator= on every sampler and in-place fill, torch's signatures and errors, and loose checks of the
distributions (seeded, so deterministic)."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te

SAMPLERS = {
    "rand": lambda g: te.rand(2, 3, generator=g), "randn": lambda g: te.randn((2, 3), generator=g),
    "randint": lambda g: te.randint(0, 10, (5,), generator=g), "randperm": lambda g: te.randperm(6, generator=g),
    "multinomial": lambda g: te.multinomial(te.tensor([1.0, 2.0, 3.0]), 4, replacement=True, generator=g),
    "normal": lambda g: te.normal(te.zeros(4), te.ones(4), generator=g),
    "bernoulli": lambda g: te.bernoulli(te.full((6,), 0.5), generator=g),
    "rand_like": lambda g: te.rand_like(te.ones(3), generator=g),
    "randint_like": lambda g: te.randint_like(te.ones(3), 0, 9, generator=g),
    "uniform_": lambda g: te.empty(4).uniform_(-1, 1, generator=g),
    "normal_": lambda g: te.empty(4).normal_(2.0, 0.5, generator=g),
    "random_": lambda g: te.empty(4, dtype=te.int64).random_(0, 100, generator=g),
    "bernoulli_": lambda g: te.empty(6).bernoulli_(0.3, generator=g),
    "exponential_": lambda g: te.empty(4).exponential_(2.0, generator=g),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_generator_keyword_repeats_and_leaves_the_default_stream_alone(name):
    te.manual_seed(5)
    expected_default = te.rand(3).tolist()
    te.manual_seed(5)
    first = SAMPLERS[name](te.Generator().manual_seed(11)).tolist()
    assert SAMPLERS[name](te.Generator().manual_seed(11)).tolist() == first
    assert te.rand(3).tolist() == expected_default  # the default stream did not move
    te.manual_seed(11)
    assert SAMPLERS[name](None).tolist() == first  # a seeded default generator is the same stream
    assert SAMPLERS[name](te.Generator().manual_seed(12)).tolist() != first


def test_same_seed_same_numbers_on_every_platform():
    te.manual_seed(0)
    # numpy's PCG64 and its float conversion are specified bit for bit, so these are fixed values
    assert te.rand(3).tolist() == [0.6369616985321045, 0.2697867155075073, 0.04097352549433708]
    assert te.randint(0, 100, (3,)).tolist() == [7, 1, 17]


def test_manual_seed_seed_and_initial_seed():
    g = te.manual_seed(123)
    assert isinstance(g, te.Generator) and g is te.default_generator and te.initial_seed() == 123
    drawn = te.seed()
    assert isinstance(drawn, int) and te.initial_seed() == drawn
    h = te.Generator()
    assert h.manual_seed(7) is h and h.initial_seed() == 7 and h.device == te.device("cpu")
    assert h.manual_seed(-1).initial_seed() == 2**64 - 1  # torch keeps a negative seed as unsigned
    with pytest.raises(TypeError):
        h.manual_seed(1.5)
    with pytest.raises(RuntimeError, match="CPU only"):
        te.Generator("cuda")


def test_get_state_set_state_round_trip():
    g = te.Generator().manual_seed(3)
    te.randn(5, generator=g)  # move the stream
    state = g.get_state()
    assert state.dtype == te.uint8 and state.ndim == 1
    ahead = te.rand(4, generator=g).tolist()
    assert te.Generator().set_state(state).initial_seed() == 3
    assert te.rand(4, generator=g.set_state(state)).tolist() == ahead
    te.set_rng_state(state)
    assert te.rand(4).tolist() == ahead and te.get_rng_state().tolist() != state.tolist()
    for junk in (te.zeros(3, dtype=te.uint8), state.float(), state.numpy(), None):
        with pytest.raises(RuntimeError, match="set_state"):
            g.set_state(junk)


def test_randint_signatures_match_torch():
    torch = pytest.importorskip("torch")
    te.manual_seed(0)
    cases = [((10, (3,)), {}), ((2, 5, (2, 2)), {}), ((), {"high": 5, "size": (4,)}),
             ((3,), {"high": 9, "size": (2, 1)}), ((-3, 3, [6]), {"dtype": te.int32})]
    for args, kwargs in cases:
        torch_kwargs = {k: getattr(torch, str(v)) if k == "dtype" else v for k, v in kwargs.items()}
        mine, theirs = te.randint(*args, **kwargs), torch.randint(*args, **torch_kwargs)
        assert mine.shape == tuple(theirs.shape) and str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
    values = te.randint(-2, 3, (2000,)).numpy()
    assert values.min() == -2 and values.max() == 2
    for bad_args in [(5, 5, (2,)), (3, 1, (2,))]:
        with pytest.raises(RuntimeError):
            torch.randint(*bad_args)
        with pytest.raises(RuntimeError):
            te.randint(*bad_args)
    with pytest.raises(TypeError):
        te.randint(5)


def test_randperm_and_randint_like():
    te.manual_seed(1)
    p = te.randperm(10)
    assert p.dtype == te.int64 and sorted(p.tolist()) == list(range(10))
    assert te.randperm(0).shape == (0,)
    x = te.zeros(2, 3, dtype=te.int32)
    like = te.randint_like(x, 4)
    assert like.shape == (2, 3) and like.dtype == te.int32 and like.numpy().max() < 4
    assert te.randint_like(x, 5, 7).numpy().min() >= 5


def test_multinomial_matches_torch_rules():
    torch = pytest.importorskip("torch")
    te.manual_seed(2)
    weights = te.tensor([[0.0, 1.0, 3.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    drawn = te.multinomial(weights, 2)
    assert drawn.shape == (2, 2) and drawn.dtype == te.int64
    assert sorted(drawn[0].tolist()) == [1, 2] and len(set(drawn[1].tolist())) == 2
    many = te.multinomial(te.tensor([1.0, 3.0]), 4000, replacement=True).numpy()
    assert abs(many.mean() - 0.75) < 0.03
    assert te.multinomial(te.tensor([1.0, 0.0, 0.0]), 2).tolist() == torch.multinomial(torch.tensor([1.0, 0, 0]),
                                                                                         2).tolist()  # [0, 1]
    for args in [(te.tensor([1.0, 1.0]), 3), (te.tensor([-1.0, 2.0]), 1), (te.tensor([0.0, 0.0]), 1),
                 (te.tensor([1.0, float("nan")]), 1)]:
        with pytest.raises(RuntimeError):
            torch.multinomial(torch.tensor(args[0].numpy()), args[1])
        with pytest.raises(RuntimeError):
            te.multinomial(*args)


def test_normal_overloads_match_torch_shapes():
    torch = pytest.importorskip("torch")
    cases = [((te.zeros(3), te.ones(3)), (torch.zeros(3), torch.ones(3))),
             ((te.zeros(2, 1), te.ones(3)), (torch.zeros(2, 1), torch.ones(3))),
             ((te.zeros(3), 2.0), (torch.zeros(3), 2.0)), ((1.0, te.ones(2, 2)), (1.0, torch.ones(2, 2))),
             ((0.0, 1.0, (4, 2)), (0.0, 1.0, (4, 2)))]
    for mine_args, their_args in cases:
        mine, theirs = te.normal(*mine_args), torch.normal(*their_args)
        assert mine.shape == tuple(theirs.shape) and mine.dtype == te.float32
    assert te.normal(te.zeros(2, dtype=te.float64), 1.0).dtype == te.float64
    with pytest.raises(RuntimeError):
        te.normal(te.zeros(2), -1.0)
    with pytest.raises(TypeError):
        te.normal(0.0, 1.0)


def test_distributions_loosely():
    te.manual_seed(4)
    n = 20000
    u = te.rand(n).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    z = te.normal(3.0, 2.0, (n,)).numpy()
    assert abs(z.mean() - 3) < 0.05 and abs(z.std() - 2) < 0.05
    e = te.empty(n).exponential_(4.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.01
    b = te.bernoulli(te.full((n,), 0.2)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.2) < 0.01
    assert te.bernoulli(te.tensor([0.0, 1.0, 1.0])).tolist() == [0.0, 1.0, 1.0]
    assert te.bernoulli(te.ones(3), p=0.0).tolist() == [0.0, 0.0, 0.0]
    assert te.empty(4).bernoulli_(te.tensor([1.0, 0.0, 1.0, 0.0])).tolist() == [1.0, 0.0, 1.0, 0.0]
    r = te.empty(n, dtype=te.int64).random_(10).numpy()
    assert r.min() == 0 and r.max() == 9
    f = te.empty(n).random_().numpy()
    assert f.min() >= 0 and f.max() <= 2**24 and np.all(f == np.round(f))


def test_in_place_fills_only_where_torch_allows_them():
    torch = pytest.importorskip("torch")
    w = te.zeros(3, requires_grad=True)
    w_torch = torch.zeros(3, requires_grad=True)
    for fill in ("uniform_", "normal_", "bernoulli_", "exponential_"):
        with pytest.raises(RuntimeError):
            getattr(w_torch, fill)()
        with pytest.raises(RuntimeError, match="no_grad"):
            getattr(w, fill)()
        with te.no_grad():
            assert getattr(w, fill)() is w
    with pytest.raises(RuntimeError):
        te.empty(2).normal_(0.0, -1.0)
    with pytest.raises(RuntimeError):
        te.empty(2).exponential_(0.0)
    with pytest.raises(RuntimeError):
        te.empty(2).random_(5, 2)
