"""Neural-network building blocks: Module, layers, losses, functional, init, optim, data."""
from . import functional, init, optim, data
from .module import Module, Parameter
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .layers import Linear, Identity, Unflatten, ReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Dropout, Flatten
from .losses import (L1Loss, MSELoss, HuberLoss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss,
                     BCEWithLogitsLoss)

__all__ = ["functional", "init", "optim", "data", "Module", "Parameter", "Linear", "Sequential", "ModuleList", "ModuleDict",
           "ParameterList", "ParameterDict", "Identity", "Unflatten",
           "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Flatten", "L1Loss", "MSELoss",
           "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]
