"""`te.autograd`, laid out as torch's: the engine (engine.py: nodes, backward, grad; grad_mode.py;
versions.py, the version counters; inplace.py, in-place ops; hooks.py), torch's `Function` (function.py),
`Variable` (variable.py, the legacy wrapper), `functional` (jacobian, hessian, vjp, jvp, hvp, vhp) and
finite-difference checks (gradcheck.py)."""
from .engine import AccumulateGrad, AnomalyError, ShapeError, backpropagate, backward, grad
from .function import Function, once_differentiable
from .hooks import RemovableHandle
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["AccumulateGrad", "AnomalyError", "Function", "GradcheckError", "RemovableHandle", "ShapeError",
           "backpropagate", "backward", "detect_anomaly", "enable_grad", "grad", "gradcheck", "gradgradcheck",
           "is_grad_enabled",
           "no_grad", "once_differentiable", "set_grad_enabled", "Variable"]
