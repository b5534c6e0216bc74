"""tinygrad_ed: a small, readable reverse-mode autodiff framework on numpy with PyTorch's API."""
from .tensor import Tensor
from .dtypes import float16, float32, float64, int8, int16, int32, int64, uint8, bool_ as bool
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, ShapeError
from .creation import (tensor, from_numpy, zeros, ones, empty, full, eye, arange, rand, randn,
                       zeros_like, ones_like, full_like, rand_like, randn_like)
from .random import manual_seed
from .ops.elementwise import maximum, minimum, where
from .ops.movement import cat, stack
from .serialization import save, load
from . import autograd, functions, nn, optim, viz
from .functions import *  # te.exp, te.sum, ...: torch's function forms of Tensor methods

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye", "arange", "rand", "randn",
           "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "manual_seed", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "maximum", "minimum", "where", "cat", "stack",
           "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "ShapeError",
           "autograd", "nn", "optim", "viz", "save", "load", *functions.__all__]
