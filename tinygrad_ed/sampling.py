"""Random tensors (rand, randn, randint, randperm, normal, bernoulli, multinomial, *_like) and the
in-place fills (uniform_, normal_, random_, bernoulli_, exponential_). Each takes `generator=`;
without it they draw from the default generator that `te.manual_seed` seeds. The results are leaves:
random draws are not differentiable."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .creation import float_dtype, leaf, like, parse_size
from .random import generator as numpy_stream
from .autograd import inplace
from .tensor import Tensor


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _floating(float_dtype(dtype), "rand")
    return leaf(numpy_stream(generator).random(parse_size(size, "rand")).astype(dtype), requires_grad, device, "rand")


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    dtype = _floating(float_dtype(dtype), "randn")
    values = numpy_stream(generator).standard_normal(parse_size(size, "randn"))
    return leaf(values.astype(dtype), requires_grad, device, "randn")


def randint(*args: Any, generator: Any = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size); int64 by default."""
    low, high, size = _randint_arguments(args, kwargs)
    dtype = dtypes.int64 if dtype is None else dtypes.to_dtype(dtype)
    values = numpy_stream(generator).integers(low, high, parse_size((size,), "randint"))
    return leaf(values.astype(dtype), requires_grad, device, "randint")


def _randint_arguments(args: tuple, kwargs: dict) -> tuple[int, int, Any]:
    unknown = set(kwargs) - {"low", "high", "size"}
    if unknown:
        raise TypeError(f"randint: unexpected keyword argument(s) {sorted(unknown)}")
    names = ("high", "size") if len(args) + len(set(kwargs) - {"low"}) == 2 else ("low", "high", "size")
    given = dict(zip(names, args))
    if set(given) & set(kwargs):
        raise TypeError(f"randint: got multiple values for {sorted(set(given) & set(kwargs))}")
    given.update(kwargs)
    if "high" not in given or "size" not in given:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size), "
                        f"got {len(args)} positional arguments and keywords {sorted(kwargs)}")
    low, high = given.get("low", 0), given["high"]
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint: low and high must be integers, got low={low!r}, high={high!r}")
    if not low < high:
        raise RuntimeError(f"randint: random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if not isinstance(given["size"], (tuple, list)):
        raise TypeError(f"randint: size must be a tuple of ints, got {given['size']!r}")
    return int(low), int(high), given["size"]


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64 by default)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative integer, got {n!r}")
    dtype = dtypes.int64 if dtype is None else dtypes.to_dtype(dtype)
    return leaf(numpy_stream(generator).permutation(int(n)).astype(dtype), requires_grad, device, "randperm")


def rand_like(input: Tensor, *, generator: Any = None, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    shape, dtype = like(input, dtype, "rand_like")
    return rand(shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Any = None, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    shape, dtype = like(input, dtype, "randn_like")
    return randn(shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False) -> Tensor:
    """randint with `input`'s shape and dtype; randint_like(input, high) or randint_like(input, low, high)."""
    shape, dtype = like(input, dtype, "randint_like")
    if high is None:
        low, high = 0, low
    return randint(low, high, shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal draws: normal(mean, std) with tensors (broadcast) or a tensor and a number, or
    normal(mean, std, size) with numbers."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors and size is None:
        raise TypeError("normal: give a tensor mean or std, or a size for number mean and std")
    if tensors and size is not None:
        raise TypeError("normal: size is only for number mean and std (a tensor gives the shape)")
    m, s = (v.array if isinstance(v, Tensor) else v for v in (mean, std))
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal: expects all elements of std >= 0.0, got {s!r}")
    shape = np.broadcast_shapes(*(t.shape for t in tensors)) if tensors else parse_size((size,), "normal")
    if dtype is None:
        dtype = tensors[0].dtype if tensors else dtypes.default_float
    dtype = _floating(dtypes.to_dtype(dtype), "normal")
    values = numpy_stream(generator).standard_normal(shape) * s + m
    return leaf(np.asarray(values, dtype=dtype), requires_grad, device, "normal")


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    """1 with probability `input` (or `p` when given) elementwise, else 0; `input`'s dtype."""
    probabilities = input.array if p is None else np.full(input.shape, p)
    return Tensor._make(_bernoulli(probabilities, input.shape, generator, "bernoulli").astype(input.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
    """Indices drawn from the categories weighted by each row of `input` (1-D or 2-D, non-negative)."""
    weights = np.asarray(input.array, dtype=np.float64)
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim with categories, got shape {input.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample {num_samples!r} samples (must be a positive integer)")
    rows = weights.reshape(-1, weights.shape[-1])
    if not np.all(np.isfinite(rows)) or np.any(rows < 0) or np.any(rows.sum(axis=1) <= 0):
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0, "
                           "or a row that sums to 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement (n_sample={num_samples}, categories={rows.shape[1]})")
    stream = numpy_stream(generator)
    if replacement:  # inverse CDF: the first category whose cumulative weight exceeds a uniform draw
        cdf = np.cumsum(rows / rows.sum(axis=1, keepdims=True), axis=1)
        draws = stream.random((rows.shape[0], num_samples))
        drawn = np.stack([np.searchsorted(c, u, side="right") for c, u in zip(cdf, draws)])
        drawn = np.minimum(drawn, rows.shape[1] - 1)
    else:  # the largest weight / Exp(1) keys are a weighted draw without replacement (zero weights come last)
        keys = rows / stream.exponential(size=rows.shape)
        drawn = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._make(drawn.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))


# -- in place, outside the graph (Tensor.uniform_ etc. call these) -----------------------------------
def uniform_(t: Tensor, from_: float, to: float, generator: Any) -> Tensor:
    return _fill(t, "uniform_", numpy_stream(generator).uniform(from_, to, t.shape))


def normal_(t: Tensor, mean: float, std: float, generator: Any) -> Tensor:
    if std < 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    return _fill(t, "normal_", numpy_stream(generator).normal(mean, std, t.shape))


def random_(t: Tensor, from_: int, to: int | None, generator: Any) -> Tensor:
    """Integers uniform on [from_, to); without `to`, up to the dtype's largest exactly representable integer."""
    if to is None:
        from_, to = (0, from_) if from_ else (0, _random_limit(t.dtype) + 1)
    if not from_ < to:
        raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    return _fill(t, "random_", numpy_stream(generator).integers(from_, to, t.shape))


def _random_limit(dtype: np.dtype) -> int:
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1)
    return 1 if dtype.kind == "b" else int(np.iinfo(dtype).max)


def bernoulli_(t: Tensor, p: Any, generator: Any) -> Tensor:
    probabilities = p.array if isinstance(p, Tensor) else p
    return _fill(t, "bernoulli_", _bernoulli(np.broadcast_to(probabilities, t.shape), t.shape, generator,
                                             "bernoulli_"))


def exponential_(t: Tensor, lambd: float, generator: Any) -> Tensor:
    if not lambd > 0:
        raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
    return _fill(t, "exponential_", numpy_stream(generator).exponential(1.0 / lambd, t.shape))


def _fill(t: Tensor, op: str, values: np.ndarray) -> Tensor:
    if inplace.recording(t):
        raise RuntimeError(f"{op}: a tensor that requires grad is being used in an in-place random fill; "
                           "fill it under `with te.no_grad():` (as nn.init does)")
    inplace.store(t, op, values, casting="unsafe")
    return t


def _bernoulli(probabilities: Any, shape: tuple, generator: Any, op: str) -> np.ndarray:
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if np.any(~((probabilities >= 0) & (probabilities <= 1))):
        raise RuntimeError(f"{op}: expects 0 <= p <= 1")
    return numpy_stream(generator).random(shape) < probabilities


def _floating(dtype: np.dtype, op: str) -> np.dtype:
    if dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating point dtype, got {dtype}")
    return dtype
