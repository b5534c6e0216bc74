"""torch's function forms of Tensor methods: `te.exp(x)` is `x.exp()`, `te.sum(x, dim)` is `x.sum(dim)`.

Spelled out one per line (not generated) so that type checkers and editors see them.
"""
from .tensor import Tensor

add = Tensor.add
sub = Tensor.sub
mul = Tensor.mul
div = Tensor.div
pow = Tensor.pow
neg = Tensor.neg
matmul = Tensor.matmul
exp = Tensor.exp
log = Tensor.log
sqrt = Tensor.sqrt
abs = Tensor.abs
relu = Tensor.relu
sigmoid = Tensor.sigmoid
tanh = Tensor.tanh
clamp = Tensor.clamp
sum = Tensor.sum
mean = Tensor.mean
amax = Tensor.amax
amin = Tensor.amin
max = Tensor.max
min = Tensor.min
argmax = Tensor.argmax
argmin = Tensor.argmin
logsumexp = Tensor.logsumexp
var = Tensor.var
std = Tensor.std
softmax = Tensor.softmax
log_softmax = Tensor.log_softmax
reshape = Tensor.reshape
transpose = Tensor.transpose
permute = Tensor.permute
unsqueeze = Tensor.unsqueeze
squeeze = Tensor.squeeze
flatten = Tensor.flatten

# math functions
erf = Tensor.erf
erfc = Tensor.erfc

__all__ = ["abs", "add", "amax", "amin", "argmax", "argmin", "clamp", "div", "erf", "erfc", "exp", "flatten", "log", "log_softmax", "logsumexp", "matmul", "max", "mean", "min", "mul", "neg", "permute", "pow", "relu", "reshape", "sigmoid", "softmax", "sqrt", "squeeze", "std", "sub", "sum", "tanh", "transpose", "unsqueeze", "var"]
