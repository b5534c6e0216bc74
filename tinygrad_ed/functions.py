"""torch's function forms of Tensor methods: `te.exp(x)` is `x.exp()`, `te.sum(x, dim)` is `x.sum(dim)`.

Spelled out one per line (not generated) so that type checkers and editors see them.
"""
from .ops import movement
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

# shape, indexing and joining
view_as = Tensor.view_as
reshape_as = Tensor.reshape_as
tile = Tensor.tile
unflatten = Tensor.unflatten
swapaxes = Tensor.swapaxes
swapdims = Tensor.swapdims
t = Tensor.t
movedim = Tensor.movedim
moveaxis = Tensor.moveaxis
narrow = Tensor.narrow
split = movement.split  # torch.split names its argument split_size_or_sections, Tensor.split split_size
chunk = Tensor.chunk
unbind = Tensor.unbind
flip = Tensor.flip
fliplr = Tensor.fliplr
flipud = Tensor.flipud
roll = Tensor.roll
repeat_interleave = Tensor.repeat_interleave
gather = Tensor.gather
scatter = Tensor.scatter
scatter_add = Tensor.scatter_add
index_select = Tensor.index_select
index_add = Tensor.index_add
masked_fill = Tensor.masked_fill
masked_select = Tensor.masked_select
take = Tensor.take
take_along_dim = Tensor.take_along_dim
nonzero = Tensor.nonzero

# matrix products and linear algebra
mm = Tensor.mm
bmm = Tensor.bmm
mv = Tensor.mv
dot = Tensor.dot
vdot = Tensor.vdot
outer = Tensor.outer
ger = Tensor.ger
addmm = Tensor.addmm
addmv = Tensor.addmv
addbmm = Tensor.addbmm
baddbmm = Tensor.baddbmm
diagonal = Tensor.diagonal
trace = Tensor.trace
inverse = Tensor.inverse
det = Tensor.det
slogdet = Tensor.slogdet

__all__ = ["abs", "add", "addbmm", "addmm", "addmv", "amax", "amin", "argmax", "argmin", "baddbmm", "bmm", "chunk", "clamp", "det", "diagonal", "div", "dot", "exp", "flatten", "flip", "fliplr", "flipud", "gather", "ger", "index_add", "index_select", "inverse", "log", "log_softmax", "logsumexp", "masked_fill", "masked_select", "matmul", "max", "mean", "min", "mm", "moveaxis", "movedim", "mul", "mv", "narrow", "neg", "nonzero", "outer", "permute", "pow", "relu", "repeat_interleave", "reshape", "reshape_as", "roll", "scatter", "scatter_add", "sigmoid", "slogdet", "softmax", "split", "sqrt", "squeeze", "std", "sub", "sum", "swapaxes", "swapdims", "t", "take", "take_along_dim", "tanh", "tile", "trace", "transpose", "unbind", "unflatten", "unsqueeze", "var", "vdot", "view_as"]
