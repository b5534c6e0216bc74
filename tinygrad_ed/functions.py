"""torch's function forms of Tensor methods: `te.exp(x)` is `x.exp()`, `te.sum(x, dim)` is `x.sum(dim)`.

Spelled out one per line (not generated) so that type checkers and editors see them; every
public name here is exported by `import tinygrad_ed` (the imports are underscored to stay out).
"""
import warnings as _warnings
from typing import Any as _Any, Callable as _Callable

import numpy as _np

from .autograd import inplace as _inplace
from .autograd.grad_mode import is_grad_enabled as _is_grad_enabled
from . import linalg as _linalg, printing as _printing, structured as _structured
from .ops import binary as _binary, elementwise as _elementwise, movement as _movement, reduce as _reduce
from .tensor import Size as _Size, Tensor as _Tensor


def _out_form(op: _Callable[..., _Tensor]) -> _Callable[..., _Tensor]:
    """torch's function form of `op`, with its `out=` keyword: the result is written into `out`."""

    def function(*args: _Any, out: _Tensor | None = None, **kwargs: _Any) -> _Tensor:
        result = op(*args, **kwargs)
        return result if out is None else _write_out(out, result, op.__name__)

    function.__name__ = function.__qualname__ = op.__name__
    function.__doc__ = op.__doc__
    function.__wrapped__ = op  # type: ignore[attr-defined]
    return function


def _write_out(out: _Tensor, result: _Tensor, name: str) -> _Tensor:
    """`result` written into `out` (resized when its shape differs, with torch's warning unless it is empty)."""
    if not isinstance(out, _Tensor):
        raise TypeError(f"{name}(): argument 'out' must be a Tensor, got {type(out).__name__}")
    if _is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if out.shape != result.shape:
        if out.numel():
            _warnings.warn(f"{name}(): an output with one or more elements was resized since it had shape "
                           f"{list(out.shape)}, which does not match the required output shape {list(result.shape)}",
                           UserWarning, stacklevel=3)
        out.array = _np.empty(result.shape, out.array.dtype)
    _inplace.store(out, name, result)
    return out


add = _out_form(_Tensor.add)
sub = _out_form(_Tensor.sub)
mul = _out_form(_Tensor.mul)
div = _out_form(_Tensor.div)
pow = _out_form(_Tensor.pow)
neg = _out_form(_Tensor.neg)
matmul = _out_form(_Tensor.matmul)
exp = _out_form(_Tensor.exp)
log = _out_form(_Tensor.log)
sqrt = _out_form(_Tensor.sqrt)
abs = _out_form(_Tensor.abs)
relu = _out_form(_Tensor.relu)
sigmoid = _out_form(_Tensor.sigmoid)
tanh = _out_form(_Tensor.tanh)
clamp = _out_form(_Tensor.clamp)
sum = _out_form(_Tensor.sum)
mean = _out_form(_Tensor.mean)
amax = _out_form(_Tensor.amax)
amin = _out_form(_Tensor.amin)
max = _Tensor.max
min = _Tensor.min
argmax = _out_form(_Tensor.argmax)
argmin = _out_form(_Tensor.argmin)
logsumexp = _out_form(_Tensor.logsumexp)
var = _out_form(_Tensor.var)
std = _out_form(_Tensor.std)
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
select = _Tensor.select
split = _movement.split  # torch.split names its argument split_size_or_sections, _Tensor.split split_size
chunk = _Tensor.chunk
unbind = _Tensor.unbind
flip = _Tensor.flip
fliplr = _Tensor.fliplr
flipud = _Tensor.flipud
roll = _Tensor.roll
repeat_interleave = _Tensor.repeat_interleave
gather = _out_form(_Tensor.gather)
scatter = _Tensor.scatter
scatter_add = _Tensor.scatter_add
scatter_reduce = _Tensor.scatter_reduce
index_fill = _Tensor.index_fill
broadcast_to = _Tensor.broadcast_to
broadcast_tensors = _movement.broadcast_tensors
broadcast_shapes = _movement.broadcast_shapes
cat = _out_form(_movement.cat)
concat = _out_form(_movement.cat)
concatenate = _out_form(_movement.cat)
stack = _out_form(_movement.stack)
maximum = _out_form(_elementwise.maximum)
minimum = _out_form(_elementwise.minimum)
index_select = _out_form(_Tensor.index_select)
index_add = _Tensor.index_add
masked_fill = _Tensor.masked_fill
masked_select = _out_form(_Tensor.masked_select)
take = _out_form(_Tensor.take)
take_along_dim = _out_form(_Tensor.take_along_dim)
nonzero = _Tensor.nonzero

# matrix products and linear algebra
mm = _out_form(_Tensor.mm)
bmm = _out_form(_Tensor.bmm)
mv = _out_form(_Tensor.mv)
dot = _out_form(_Tensor.dot)
vdot = _out_form(_Tensor.vdot)
outer = _out_form(_Tensor.outer)
ger = _out_form(_Tensor.ger)
addmm = _out_form(_Tensor.addmm)
addmv = _out_form(_Tensor.addmv)
addbmm = _out_form(_Tensor.addbmm)
baddbmm = _out_form(_Tensor.baddbmm)
diagonal = _Tensor.diagonal
trace = _out_form(_Tensor.trace)
inverse = _out_form(_Tensor.inverse)
det = _out_form(_Tensor.det)
slogdet = _Tensor.slogdet

# math functions
erf = _out_form(_Tensor.erf)
erfc = _out_form(_Tensor.erfc)

# elementwise math (ops/unary.py, ops/binary.py)
absolute = _out_form(_Tensor.absolute)
negative = _out_form(_Tensor.negative)
sin = _out_form(_Tensor.sin)
cos = _out_form(_Tensor.cos)
tan = _out_form(_Tensor.tan)
asin = _out_form(_Tensor.asin)
acos = _out_form(_Tensor.acos)
atan = _out_form(_Tensor.atan)
sinh = _out_form(_Tensor.sinh)
cosh = _out_form(_Tensor.cosh)
asinh = _out_form(_Tensor.asinh)
acosh = _out_form(_Tensor.acosh)
atanh = _out_form(_Tensor.atanh)
arcsin = _out_form(_Tensor.arcsin)
arccos = _out_form(_Tensor.arccos)
arctan = _out_form(_Tensor.arctan)
arcsinh = _out_form(_Tensor.arcsinh)
arccosh = _out_form(_Tensor.arccosh)
arctanh = _out_form(_Tensor.arctanh)
exp2 = _out_form(_Tensor.exp2)
expm1 = _out_form(_Tensor.expm1)
log2 = _out_form(_Tensor.log2)
log10 = _out_form(_Tensor.log10)
log1p = _out_form(_Tensor.log1p)
rsqrt = _out_form(_Tensor.rsqrt)
reciprocal = _out_form(_Tensor.reciprocal)
square = _out_form(_Tensor.square)
sign = _out_form(_Tensor.sign)
floor = _out_form(_Tensor.floor)
ceil = _out_form(_Tensor.ceil)
round = _out_form(_Tensor.round)
trunc = _out_form(_Tensor.trunc)
fix = _out_form(_Tensor.fix)
frac = _out_form(_Tensor.frac)
logit = _out_form(_Tensor.logit)
nan_to_num = _out_form(_Tensor.nan_to_num)
isnan = _Tensor.isnan
isinf = _Tensor.isinf
isfinite = _Tensor.isfinite
atan2 = _out_form(_Tensor.atan2)
arctan2 = _out_form(_Tensor.arctan2)
hypot = _out_form(_Tensor.hypot)
fmod = _out_form(_Tensor.fmod)
remainder = _out_form(_Tensor.remainder)
floor_divide = _out_form(_Tensor.floor_divide)
lerp = _out_form(_Tensor.lerp)
xlogy = _out_form(_Tensor.xlogy)
clip = _out_form(_Tensor.clip)
clamp_min = _out_form(_Tensor.clamp_min)
clamp_max = _out_form(_Tensor.clamp_max)
fmax = _out_form(_Tensor.fmax)
fmin = _out_form(_Tensor.fmin)
logical_and = _out_form(_Tensor.logical_and)
logical_or = _out_form(_Tensor.logical_or)
logical_xor = _out_form(_Tensor.logical_xor)
logical_not = _out_form(_Tensor.logical_not)
bitwise_and = _out_form(_Tensor.bitwise_and)
bitwise_or = _out_form(_Tensor.bitwise_or)
bitwise_xor = _out_form(_Tensor.bitwise_xor)
bitwise_not = _out_form(_Tensor.bitwise_not)
isclose = _out_form(_Tensor.isclose)
eq = _out_form(_Tensor.eq)
ne = _out_form(_Tensor.ne)
lt = _out_form(_Tensor.lt)
le = _out_form(_Tensor.le)
gt = _out_form(_Tensor.gt)
ge = _out_form(_Tensor.ge)
greater = _out_form(_Tensor.greater)
greater_equal = _out_form(_Tensor.greater_equal)
less = _out_form(_Tensor.less)
less_equal = _out_form(_Tensor.less_equal)
not_equal = _out_form(_Tensor.not_equal)
allclose = _Tensor.allclose
equal = _Tensor.equal

# reductions, scans, sorting (ops/reduce.py, ops/scan.py, ops/sorting.py)
prod = _out_form(_Tensor.prod)
all = _out_form(_Tensor.all)
any = _out_form(_Tensor.any)
count_nonzero = _Tensor.count_nonzero
norm = _out_form(_Tensor.norm)
cumsum = _out_form(_Tensor.cumsum)
cumprod = _out_form(_Tensor.cumprod)
cummax = _Tensor.cummax
cummin = _Tensor.cummin
sort = _Tensor.sort
argsort = _Tensor.argsort
topk = _Tensor.topk
median = _Tensor.median
unique = _Tensor.unique
bincount = _Tensor.bincount
histc = _out_form(_Tensor.histc)
histogram = _Tensor.histogram
var_mean = _reduce.var_mean
std_mean = _reduce.std_mean

# found missing by running tutorial and lecture idioms
multiply = _out_form(_Tensor.multiply)
divide = _out_form(_Tensor.divide)
true_divide = _out_form(_Tensor.true_divide)
subtract = _out_form(_Tensor.subtract)
addcmul = _out_form(_Tensor.addcmul)
addcdiv = _out_form(_Tensor.addcdiv)
logaddexp = _out_form(_Tensor.logaddexp)
nansum = _out_form(_Tensor.nansum)
nanmean = _out_form(_Tensor.nanmean)
quantile = _out_form(_Tensor.quantile)
diff = _out_form(_Tensor.diff)
aminmax = _Tensor.aminmax
kthvalue = _Tensor.kthvalue
argwhere = _Tensor.argwhere
ravel = _Tensor.ravel
tensor_split = _Tensor.tensor_split
hsplit = _Tensor.hsplit
vsplit = _Tensor.vsplit
atleast_1d = _movement.atleast_1d
atleast_2d = _movement.atleast_2d
atleast_3d = _movement.atleast_3d
isin = _binary.isin
cdist = _linalg.cdist
tril_indices = _structured.tril_indices
triu_indices = _structured.triu_indices
set_printoptions = _printing.set_printoptions
Size = _Size

# tensor basics (surface group)
clone = _Tensor.clone
numel = _Tensor.numel
is_floating_point = _Tensor.is_floating_point


def is_tensor(obj: object) -> bool:
    return isinstance(obj, _Tensor)


