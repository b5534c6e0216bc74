"""`te.autograd`, laid out as torch's: the engine (backward, grad, grad modes, anomaly
detection), finite-difference checks (gradcheck.py)."""
from .engine import (AccumulateGrad, AnomalyError, Function, ShapeError, backward, detect_anomaly,
                     enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["AccumulateGrad", "AnomalyError", "Function", "GradcheckError", "ShapeError", "backward",
           "detect_anomaly", "enable_grad", "grad", "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad",
           "set_grad_enabled"]
