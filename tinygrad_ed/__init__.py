"""tinygrad_ed: a small, readable reverse-mode autodiff framework on numpy with PyTorch's API."""
from .tensor import Tensor
from .dtypes import (float16, float32, float64, int8, int16, int32, int64, uint8, bool_ as bool,
                     float32 as float, float64 as double, float16 as half, int64 as long, int32 as int,
                     int16 as short, bfloat16, finfo, iinfo, get_default_dtype, set_default_dtype)
from .device import device, set_default_device, get_default_device
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .autograd.grad_mode import inference_mode, is_inference_mode_enabled
from .errors import ShapeError
from .creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, eye, arange, linspace, logspace,
                       zeros_like, ones_like, full_like, empty_like)
from .sampling import (rand, randn, randint, randperm, normal, bernoulli, multinomial, rand_like, randn_like,
                       randint_like)
from .structured import tril, triu, diag, diag_embed, meshgrid
from .random import Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state
from .ops.index import where
from .ops.movement import hstack, vstack, dstack, column_stack
from .ops.einsum import einsum
from .serialization import save, load
from .settings import (set_num_threads, get_num_threads, use_deterministic_algorithms,
                       are_deterministic_algorithms_enabled, set_float32_matmul_precision,
                       get_float32_matmul_precision)
from . import accelerator, autograd, backends, cuda, distributed, functions, linalg, nn, optim, return_types
from . import utils, viz
from . import amp, compiler
from .amp import autocast, is_autocast_enabled
from . import _dynamo, _logging  # noqa: F401  (torch._dynamo and torch._logging are attributes after `import torch`, too)
from .compiler import compile
from .autograd import functional as _functional  # noqa: F401  (makes te.autograd.functional an attribute)
from .functions import *  # noqa: F403  te.exp, te.sum, ...: torch's function forms of Tensor methods

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye", "arange",
           "linspace", "logspace", "zeros_like", "ones_like", "full_like", "empty_like",
           "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like", "randn_like",
           "randint_like", "tril", "triu", "diag", "diag_embed", "meshgrid",
           "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled",
           "where", "hstack", "vstack", "dstack", "column_stack", "einsum",
           "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "float", "double",
           "half", "long", "int", "short", "bfloat16", "finfo", "iinfo", "get_default_dtype", "set_default_dtype",
           "device", "set_default_device", "get_default_device", "ShapeError",
           "accelerator", "amp", "autocast", "is_autocast_enabled", "autograd", "backends", "compile", "compiler",
           "cuda", "linalg", "nn", "optim",
           "return_types", "utils", "viz", "save", "load", "distributed", "set_num_threads", "get_num_threads",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "set_float32_matmul_precision", "get_float32_matmul_precision",
           *(name for name in vars(functions) if not name.startswith("_"))]
