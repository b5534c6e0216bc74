"""tinygrad_ed: a small, readable reverse-mode autodiff framework on numpy with PyTorch's API."""
from .tensor import Tensor
from .dtypes import float16, float32, float64, int8, int16, int32, int64, uint8, bool_ as bool  # noqa: A001
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, ShapeError
from .creation import (tensor, from_numpy, zeros, ones, empty, full, eye, arange, rand, randn,
                       zeros_like, ones_like, full_like, rand_like, randn_like)
from .random import manual_seed
from .ops.elementwise import maximum, minimum, where
from .ops.movement import cat, stack
from .serialization import save, load
from . import autograd, nn, viz

# torch-style functions: te.exp(x) is x.exp(), te.sum(x, dim) is x.sum(dim), ...
_FUNCTIONS = ("add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "abs", "relu", "sigmoid",
              "tanh", "clamp", "sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "logsumexp", "var",
              "std", "softmax", "log_softmax", "reshape", "transpose", "permute", "unsqueeze", "squeeze", "flatten")
globals().update({name: getattr(Tensor, name) for name in _FUNCTIONS})

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye", "arange", "rand", "randn",
           "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "manual_seed", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "maximum", "minimum", "where", "cat", "stack",
           "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "ShapeError",
           "autograd", "nn", "viz", "save", "load", *_FUNCTIONS]
