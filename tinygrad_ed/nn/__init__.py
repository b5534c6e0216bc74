"""Neural-network building blocks: Module, layers, losses, functional, init, optim, data."""
from . import functional, init, optim, data, utils
from .module import Module, Parameter
from .layers import Linear, Sequential, Identity, ReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Dropout, Flatten
from .losses import (L1Loss, MSELoss, HuberLoss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss,
                     BCEWithLogitsLoss)

__all__ = ["functional", "init", "optim", "data", "utils", "Module", "Parameter", "Linear", "Sequential", "Identity",
           "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Flatten", "L1Loss", "MSELoss",
           "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]
