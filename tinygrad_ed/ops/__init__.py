"""The primitive ops, one `Primitive` subclass each (tinygrad_ed.autograd.engine), forward and backward
side by side.

A math function is a primitive when numpy computes it in one call and composing it would cost
more calls or exactness (tan, log2, expm1...); everything else is composed from primitives.

- elementwise.py: Add Sub Mul Div Pow Neg Exp Log Sqrt Abs Relu Sigmoid Tanh Where Maximum Minimum Cast
- unary.py:       Sin Cos Tan Asin Acos Atan Sinh Cosh Asinh Acosh Atanh Exp2 Expm1 Log2 Log10 Log1p Erf Erfc
                  Rounding (floor ceil round trunc sign: zero gradient); rsqrt, frac, logit... are composed.
                  special.py computes erf/erfc on arrays (numpy has neither)
- binary.py:      Atan2 Hypot Fmod Remainder (lerp, xlogy, logical/bitwise ops, isclose... are composed)
- reduce.py:      Sum Amax Amin LogSoftmax (mean, prod, var, logsumexp, softmax, max(dim)... are composed)
- scan.py:        Cumsum (cumprod, cummax, cummin are composed); take_along, the gather of max(dim), sort...
- sorting.py:     no primitive: sort, argsort, topk, median gather with take_along; unique, bincount, histc
- movement.py:    Reshape Permute Expand Cat (transpose, squeeze, flatten, stack... are composed)
- index.py:       GetItem ScatterAdd Scatter (gather, index_select, masked_select, scatter_add... are composed)
- matmul.py:      Matmul Linear (mm, bmm, addmm, diagonal, trace... are composed)
- linalg.py:      Inv Det LogAbsDet Solve
- winograd.py:    Transform (Winograd's F(2x2, 3x3) maps and their adjoints: the 3x3 stride-1 conv2d)
- einsum.py:      einsum, composed of diagonals, sums, permutes and matmuls
- backward_math.py: the functions backward rules use, on numpy arrays or on Tensors
"""
