"""torch.optim.lr_scheduler's names: the schedules are written in schedules.py (closed-form shapes),
cyclic_schedules.py (CyclicLR, OneCycleLR) and combined_schedules.py (SequentialLR, ChainedScheduler,
ReduceLROnPlateau)."""
from .schedules import (LRScheduler, LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR,
                        ExponentialLR, PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts)
from .cyclic_schedules import CyclicLR, OneCycleLR
from .combined_schedules import SequentialLR, ChainedScheduler, ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]
