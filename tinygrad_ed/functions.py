"""torch's function forms of Tensor methods: `te.exp(x)` is `x.exp()`, `te.sum(x, dim)` is `x.sum(dim)`.

Spelled out one per line (not generated) so that type checkers and editors see them; every
public name here is exported by `import tinygrad_ed` (the imports are underscored to stay out).
"""
from .ops import movement as _movement, reduce as _reduce
from .tensor import Tensor as _Tensor

add = _Tensor.add
sub = _Tensor.sub
mul = _Tensor.mul
div = _Tensor.div
pow = _Tensor.pow
neg = _Tensor.neg
matmul = _Tensor.matmul
exp = _Tensor.exp
log = _Tensor.log
sqrt = _Tensor.sqrt
abs = _Tensor.abs
relu = _Tensor.relu
sigmoid = _Tensor.sigmoid
tanh = _Tensor.tanh
clamp = _Tensor.clamp
sum = _Tensor.sum
mean = _Tensor.mean
amax = _Tensor.amax
amin = _Tensor.amin
max = _Tensor.max
min = _Tensor.min
argmax = _Tensor.argmax
argmin = _Tensor.argmin
logsumexp = _Tensor.logsumexp
var = _Tensor.var
std = _Tensor.std
softmax = _Tensor.softmax
log_softmax = _Tensor.log_softmax
reshape = _Tensor.reshape
transpose = _Tensor.transpose
permute = _Tensor.permute
unsqueeze = _Tensor.unsqueeze
squeeze = _Tensor.squeeze
flatten = _Tensor.flatten

# shape, indexing and joining
view_as = _Tensor.view_as
reshape_as = _Tensor.reshape_as
tile = _Tensor.tile
unflatten = _Tensor.unflatten
swapaxes = _Tensor.swapaxes
swapdims = _Tensor.swapdims
t = _Tensor.t
movedim = _Tensor.movedim
moveaxis = _Tensor.moveaxis
narrow = _Tensor.narrow
split = _movement.split  # torch.split names its argument split_size_or_sections, _Tensor.split split_size
chunk = _Tensor.chunk
unbind = _Tensor.unbind
flip = _Tensor.flip
fliplr = _Tensor.fliplr
flipud = _Tensor.flipud
roll = _Tensor.roll
repeat_interleave = _Tensor.repeat_interleave
gather = _Tensor.gather
scatter = _Tensor.scatter
scatter_add = _Tensor.scatter_add
index_select = _Tensor.index_select
index_add = _Tensor.index_add
masked_fill = _Tensor.masked_fill
masked_select = _Tensor.masked_select
take = _Tensor.take
take_along_dim = _Tensor.take_along_dim
nonzero = _Tensor.nonzero

# matrix products and linear algebra
mm = _Tensor.mm
bmm = _Tensor.bmm
mv = _Tensor.mv
dot = _Tensor.dot
vdot = _Tensor.vdot
outer = _Tensor.outer
ger = _Tensor.ger
addmm = _Tensor.addmm
addmv = _Tensor.addmv
addbmm = _Tensor.addbmm
baddbmm = _Tensor.baddbmm
diagonal = _Tensor.diagonal
trace = _Tensor.trace
inverse = _Tensor.inverse
det = _Tensor.det
slogdet = _Tensor.slogdet

# math functions
erf = _Tensor.erf
erfc = _Tensor.erfc

# elementwise math (ops/unary.py, ops/binary.py)
absolute = _Tensor.absolute
negative = _Tensor.negative
sin = _Tensor.sin
cos = _Tensor.cos
tan = _Tensor.tan
asin = _Tensor.asin
acos = _Tensor.acos
atan = _Tensor.atan
sinh = _Tensor.sinh
cosh = _Tensor.cosh
asinh = _Tensor.asinh
acosh = _Tensor.acosh
atanh = _Tensor.atanh
arcsin = _Tensor.arcsin
arccos = _Tensor.arccos
arctan = _Tensor.arctan
arcsinh = _Tensor.arcsinh
arccosh = _Tensor.arccosh
arctanh = _Tensor.arctanh
exp2 = _Tensor.exp2
expm1 = _Tensor.expm1
log2 = _Tensor.log2
log10 = _Tensor.log10
log1p = _Tensor.log1p
rsqrt = _Tensor.rsqrt
reciprocal = _Tensor.reciprocal
square = _Tensor.square
sign = _Tensor.sign
floor = _Tensor.floor
ceil = _Tensor.ceil
round = _Tensor.round
trunc = _Tensor.trunc
fix = _Tensor.fix
frac = _Tensor.frac
logit = _Tensor.logit
nan_to_num = _Tensor.nan_to_num
isnan = _Tensor.isnan
isinf = _Tensor.isinf
isfinite = _Tensor.isfinite
atan2 = _Tensor.atan2
arctan2 = _Tensor.arctan2
hypot = _Tensor.hypot
fmod = _Tensor.fmod
remainder = _Tensor.remainder
floor_divide = _Tensor.floor_divide
lerp = _Tensor.lerp
xlogy = _Tensor.xlogy
clip = _Tensor.clip
clamp_min = _Tensor.clamp_min
clamp_max = _Tensor.clamp_max
fmax = _Tensor.fmax
fmin = _Tensor.fmin
logical_and = _Tensor.logical_and
logical_or = _Tensor.logical_or
logical_xor = _Tensor.logical_xor
logical_not = _Tensor.logical_not
bitwise_and = _Tensor.bitwise_and
bitwise_or = _Tensor.bitwise_or
bitwise_xor = _Tensor.bitwise_xor
bitwise_not = _Tensor.bitwise_not
isclose = _Tensor.isclose
allclose = _Tensor.allclose
equal = _Tensor.equal

# reductions, scans, sorting (ops/reduce.py, ops/scan.py, ops/sorting.py)
prod = _Tensor.prod
all = _Tensor.all
any = _Tensor.any
count_nonzero = _Tensor.count_nonzero
norm = _Tensor.norm
cumsum = _Tensor.cumsum
cumprod = _Tensor.cumprod
cummax = _Tensor.cummax
cummin = _Tensor.cummin
sort = _Tensor.sort
argsort = _Tensor.argsort
topk = _Tensor.topk
median = _Tensor.median
unique = _Tensor.unique
bincount = _Tensor.bincount
histc = _Tensor.histc
histogram = _Tensor.histogram
var_mean = _reduce.var_mean
std_mean = _reduce.std_mean

# tensor basics (surface group)
clone = _Tensor.clone
numel = _Tensor.numel
is_floating_point = _Tensor.is_floating_point


def is_tensor(obj: object) -> bool:
    return isinstance(obj, _Tensor)


