"""erf and erfc on float64 numpy arrays (numpy has neither), accurate to about 2e-15 relative error.

Each range uses a polynomial in t (the range's variable mapped to [-1, 1]): the Chebyshev
interpolant at Chebyshev nodes of values computed in 40-digit arithmetic (terms below 1e-16
dropped), written in powers of t for Horner's rule:
- |x| < 1:   erf(x) = x * S(x^2)
- 1 <= x < 2: erfc(x) = exp(-x^2) * M(x)
- x >= 2:    erfc(x) = exp(-x^2) / x * L(1/x^2), in two pieces (x < 4 and x >= 4)
erfc's exp(-x^2) is taken as exp(-h^2) exp(-(x-h)(x+h)) with h = x rounded to 24 bits
(h^2 is exact), so the rounding of x^2 does not cost relative accuracy where erfc is tiny.
"""
from __future__ import annotations

import numpy as np

_SMALL = (0.9654687386698677, -0.14053608902272108, 0.019852496688983468, -0.002285485561064536,
          0.00021751715603505103, -1.7537169890921692e-05, 1.2233827754152485e-06, -7.511465855281325e-08,
          4.115728866533244e-09, -2.0456306527038985e-10, 9.223774366724966e-12)  # erf(x)/x for x^2 in [0, 1]
_MIDDLE = (0.3215854164543173, -0.0818114588662812, 0.019037759963873326, -0.004116363162396202,
           0.0008360838095071038, -0.00016081117392251342, 2.9470857896695358e-05, -5.171325983704412e-06,
           8.723028414685809e-07, -1.4191848781002754e-07, 2.2331511002768687e-08, -3.397279533435743e-09,
           5.016444335424308e-10, -7.829953254726093e-11, 1.156545808115015e-11)  # erfc(x) e^(x^2), x in [1, 2]
_LARGE = (0.5277490693204528, -0.01839314616330075, 0.0016122840171489878, -0.00020401284760268696,
          3.2000956848521096e-05, -5.806477486680084e-06, 1.172683109705751e-06, -2.5732255021172967e-07,
          6.036730884006453e-08, -1.5014637767174068e-08, 3.903742800326147e-09, -9.925950442755716e-10,
          2.7511139069548295e-10, -1.2144288520714472e-10, 3.690556660477962e-11)  # x erfc(x) e^(x^2), 1/x^2 in [1/16, 1/4]
_HUGE = (0.5557581685752837, -0.008073805168515113, 0.00033359701307767077, -2.18610749038618e-05,
         1.914712591966205e-06, -2.0641919286202622e-07, 2.6102568623606845e-08, -3.752480901217371e-09,
         5.999561755258663e-10, -1.0395386634642537e-10, 1.943769665887415e-11, -4.70850628914927e-12,
         1.0853487938701433e-12)  # x erfc(x) e^(x^2), 1/x^2 in [0, 1/16]


def _polynomial(t: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """Horner's rule, in place (numpy's polyval makes a temporary per step)."""
    out = np.full_like(t, coefficients[-1])
    for c in coefficients[-2::-1]:
        out *= t
        out += c
    return out


def _on_interval(t: np.ndarray, low: float, high: float) -> np.ndarray:
    """`t` mapped from [low, high] to [-1, 1]."""
    return (2 * t - (low + high)) / (high - low)


def _exp_minus_square(a: np.ndarray) -> np.ndarray:
    head = a.astype(np.float32).astype(np.float64)
    return np.exp(-head * head) * np.exp(-(a - head) * (a + head))


def _erfc_tail(a: np.ndarray) -> np.ndarray:
    """erfc(a) for float64 `a` >= 1."""
    out = np.empty_like(a)
    middle = a < 2
    if middle.any():
        out[middle] = _polynomial(_on_interval(a[middle], 1.0, 2.0), _MIDDLE)
    for mask, coefficients, low, high in (((a >= 2) & (a < 4), _LARGE, 1 / 16, 1 / 4), (a >= 4, _HUGE, 0.0, 1 / 16)):
        if mask.any():
            x = a[mask]
            out[mask] = _polynomial(_on_interval(1 / (x * x), low, high), coefficients) / x
    return out * _exp_minus_square(a)


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) for float64 |x| < 1."""
    return x * _polynomial(_on_interval(x * x, 0.0, 1.0), _SMALL)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, in x's dtype (computed in float64)."""
    out = np.array(x, dtype=np.float64)  # NaN stays NaN
    a = np.abs(out)
    small, tail, flat = a < 1, (a >= 1) & (a < 6), a >= 6  # erf rounds to +-1 beyond 6
    out[small] = _erf_small(out[small])
    if tail.any():
        out[tail] = np.copysign(1 - _erfc_tail(a[tail]), out[tail])
    out[flat] = np.sign(out[flat])
    return out.astype(np.result_type(x, np.float32), copy=False)


def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function 1 - erf(x), accurate where it is tiny, in x's dtype."""
    out = np.array(x, dtype=np.float64)
    a = np.abs(out)
    small, tail, flat = a < 1, (a >= 1) & (a < 28), a >= 28  # erfc underflows to 0 beyond 27.3
    positive = out > 0
    out[small] = 1 - _erf_small(out[small])
    if tail.any():
        tails = _erfc_tail(a[tail])
        out[tail] = np.where(positive[tail], tails, 2 - tails)
    out[flat] = np.where(positive[flat], 0.0, 2.0)
    return out.astype(np.result_type(x, np.float32), copy=False)
