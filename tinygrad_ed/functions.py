"""torch's function forms of Tensor methods: `te.exp(x)` is `x.exp()`, `te.sum(x, dim)` is `x.sum(dim)`.

Spelled out one per line (not generated) so that type checkers and editors see them.
"""
from .tensor import Tensor
from .ops import reduce

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

# elementwise math (ops/unary.py, ops/binary.py)
absolute = Tensor.absolute
negative = Tensor.negative
sin = Tensor.sin
cos = Tensor.cos
tan = Tensor.tan
asin = Tensor.asin
acos = Tensor.acos
atan = Tensor.atan
sinh = Tensor.sinh
cosh = Tensor.cosh
asinh = Tensor.asinh
acosh = Tensor.acosh
atanh = Tensor.atanh
arcsin = Tensor.arcsin
arccos = Tensor.arccos
arctan = Tensor.arctan
arcsinh = Tensor.arcsinh
arccosh = Tensor.arccosh
arctanh = Tensor.arctanh
exp2 = Tensor.exp2
expm1 = Tensor.expm1
log2 = Tensor.log2
log10 = Tensor.log10
log1p = Tensor.log1p
rsqrt = Tensor.rsqrt
reciprocal = Tensor.reciprocal
square = Tensor.square
sign = Tensor.sign
floor = Tensor.floor
ceil = Tensor.ceil
round = Tensor.round
trunc = Tensor.trunc
fix = Tensor.fix
frac = Tensor.frac
logit = Tensor.logit
nan_to_num = Tensor.nan_to_num
isnan = Tensor.isnan
isinf = Tensor.isinf
isfinite = Tensor.isfinite
atan2 = Tensor.atan2
arctan2 = Tensor.arctan2
hypot = Tensor.hypot
fmod = Tensor.fmod
remainder = Tensor.remainder
floor_divide = Tensor.floor_divide
lerp = Tensor.lerp
xlogy = Tensor.xlogy
clip = Tensor.clip
clamp_min = Tensor.clamp_min
clamp_max = Tensor.clamp_max
fmax = Tensor.fmax
fmin = Tensor.fmin
logical_and = Tensor.logical_and
logical_or = Tensor.logical_or
logical_xor = Tensor.logical_xor
logical_not = Tensor.logical_not
bitwise_and = Tensor.bitwise_and
bitwise_or = Tensor.bitwise_or
bitwise_xor = Tensor.bitwise_xor
bitwise_not = Tensor.bitwise_not
isclose = Tensor.isclose
allclose = Tensor.allclose
equal = Tensor.equal

# reductions, scans, sorting (ops/reduce.py, ops/scan.py, ops/sorting.py)
prod = Tensor.prod
all = Tensor.all
any = Tensor.any
count_nonzero = Tensor.count_nonzero
norm = Tensor.norm
cumsum = Tensor.cumsum
cumprod = Tensor.cumprod
cummax = Tensor.cummax
cummin = Tensor.cummin
sort = Tensor.sort
argsort = Tensor.argsort
topk = Tensor.topk
median = Tensor.median
unique = Tensor.unique
bincount = Tensor.bincount
histc = Tensor.histc
var_mean = reduce.var_mean
std_mean = reduce.std_mean

__all__ = ["abs", "absolute", "acos", "acosh", "add", "all", "allclose", "amax", "amin", "any", "arccos", "arccosh",
           "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin", "argsort", "asin", "asinh",
           "atan", "atan2", "atanh", "bincount", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "ceil",
           "clamp", "clamp_max", "clamp_min", "clip", "cos", "cosh", "count_nonzero", "cummax", "cummin", "cumprod",
           "cumsum", "div", "equal", "erf", "erfc", "exp", "exp2", "expm1", "fix", "flatten", "floor",
           "floor_divide", "fmax", "fmin", "fmod", "frac", "histc", "hypot", "isclose", "isfinite", "isinf", "isnan",
           "lerp", "log", "log10", "log1p", "log2", "log_softmax", "logical_and", "logical_not", "logical_or",
           "logical_xor", "logit", "logsumexp", "matmul", "max", "mean", "median", "min", "mul", "nan_to_num", "neg",
           "negative", "norm", "permute", "pow", "prod", "reciprocal", "relu", "remainder", "reshape", "round",
           "rsqrt", "sigmoid", "sign", "sin", "sinh", "softmax", "sort", "sqrt", "square", "squeeze", "std",
           "std_mean", "sub", "sum", "tan", "tanh", "topk", "transpose", "trunc", "unique", "unsqueeze", "var",
           "var_mean", "xlogy"]
