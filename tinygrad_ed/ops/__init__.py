"""The primitive ops, one `Function` subclass each, with forward and backward side by side.

- elementwise.py: Add Sub Mul Div Pow Neg Exp Log Sqrt Abs Relu Sigmoid Tanh Where Maximum Cast
- reduce.py:      Sum Amax LogSoftmax (mean, var, logsumexp, softmax... are composed)
- movement.py:    Reshape Permute Expand Cat (transpose, squeeze, flatten, stack... are composed)
- index.py:       GetItem ScatterAdd Scatter (gather, index_select, masked_select, scatter_add... are composed)
- matmul.py:      Matmul Linear (mm, bmm, addmm, diagonal, trace... are composed)
- linalg.py:      Inv Det LogAbsDet Solve
- einsum.py:      einsum, composed of diagonals, sums, permutes and matmuls
- backward_math.py: the functions backward rules use, on numpy arrays or on Tensors
"""
