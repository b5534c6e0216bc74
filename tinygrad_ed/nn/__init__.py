"""Neural-network building blocks: Module, layers, losses, functional, init, optim, data."""
from . import functional, init, optim, data
from .module import Module, Parameter
from .layers import Linear, Sequential, Identity, ReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Dropout, Flatten
from .losses import (L1Loss, MSELoss, HuberLoss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss,
                     BCEWithLogitsLoss)
from .margin_losses import (CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss,
                            MultiLabelSoftMarginLoss, MultiMarginLoss, SoftMarginLoss, TripletMarginLoss,
                            TripletMarginWithDistanceLoss)
from .distribution_losses import GaussianNLLLoss, KLDivLoss, PoissonNLLLoss

__all__ = ["functional", "init", "optim", "data", "Module", "Parameter", "Linear", "Sequential", "Identity",
           "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Flatten", "L1Loss", "MSELoss",
           "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
           "CosineEmbeddingLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "MultiMarginLoss", "SoftMarginLoss",
           "TripletMarginLoss", "TripletMarginWithDistanceLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
           "GaussianNLLLoss", "KLDivLoss", "PoissonNLLLoss"]
