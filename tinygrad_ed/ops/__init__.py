"""The primitive ops, one `Function` subclass each, with forward and backward side by side.

- elementwise.py: Add Sub Mul Div Pow Neg Exp Log Sqrt Abs Relu Sigmoid Tanh Where Maximum Cast
- unary.py:       Erf Erfc (math functions; special.py computes erf/erfc on arrays, as numpy has neither)
- reduce.py:      Sum Amax LogSoftmax (mean, var, logsumexp, softmax... are composed)
- movement.py:    Reshape Permute Expand Cat (transpose, squeeze, flatten, stack... are composed)
- index.py:       GetItem ScatterAdd
- matmul.py:      Matmul Linear
- backward_math.py: the functions backward rules use, on numpy arrays or on Tensors
"""
