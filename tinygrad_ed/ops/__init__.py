"""The primitive ops, one `Primitive` subclass each (tinygrad_ed.autograd.engine), with forward and backward side by side.

- elementwise.py: Add Sub Mul Div Pow Neg Exp Log Sqrt Abs Relu Sigmoid Tanh Where Maximum Cast
- reduce.py:      Sum Amax LogSoftmax (mean, var, logsumexp, softmax... are composed)
- movement.py:    Reshape Permute Expand Cat (transpose, squeeze, flatten, stack... are composed)
- index.py:       GetItem ScatterAdd
- matmul.py:      Matmul Linear
- backward_math.py: the functions backward rules use, on numpy arrays or on Tensors
"""
