"""The primitive ops, one `Function` subclass each, with forward and backward side by side.

- elementwise.py: Add Sub Mul Div Pow Neg Exp Log Sqrt Abs Relu Sigmoid Tanh Where Maximum Minimum Cast
- unary.py:       Erf Erfc (math functions; special.py computes erf/erfc on arrays, as numpy has neither)
- reduce.py:      Sum Amax Amin LogSoftmax (mean, prod, var, logsumexp, softmax, max(dim)... are composed)
- scan.py:        Cumsum (cumprod, cummax, cummin are composed); take_along, the gather of max(dim), sort...
- movement.py:    Reshape Permute Expand Cat (transpose, squeeze, flatten, stack... are composed)
- index.py:       GetItem ScatterAdd
- matmul.py:      Matmul Linear
- backward_math.py: the functions backward rules use, on numpy arrays or on Tensors
"""
