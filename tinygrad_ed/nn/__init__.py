"""Neural-network building blocks: Module, layers, losses, functional, init, optim, data."""
from . import functional, init, optim, data, utils, parallel
from .module import Module, Parameter
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .layers import Linear, Identity, Unflatten, Dropout, Dropout1d, Dropout2d, Flatten
from . import activation_layers
from .activation_layers import *  # noqa: F401,F403
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .pooling import MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm
from .sparse import Embedding
from .rnn import RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU
from .transformer import MultiheadAttention, TransformerEncoderLayer
from .losses import (L1Loss, MSELoss, HuberLoss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss,
                     BCEWithLogitsLoss)
from .margin_losses import (CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss,
                            MultiLabelSoftMarginLoss, MultiMarginLoss, SoftMarginLoss, TripletMarginLoss,
                            TripletMarginWithDistanceLoss)
from .distribution_losses import GaussianNLLLoss, KLDivLoss, PoissonNLLLoss

__all__ = ["functional", "init", "optim", "data", "utils", "Module", "Parameter", "Linear", "Sequential", "ModuleList",
           "ModuleDict", "ParameterList", "ParameterDict", "Identity", "Unflatten", "Dropout", "Dropout1d", "Dropout2d",
           "Flatten",
           "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm",
           "Embedding", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU",
           "MultiheadAttention", "TransformerEncoderLayer", "L1Loss", "MSELoss",
           "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
           "CosineEmbeddingLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "MultiMarginLoss", "SoftMarginLoss",
           "TripletMarginLoss", "TripletMarginWithDistanceLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
           "GaussianNLLLoss", "KLDivLoss", "PoissonNLLLoss",
           "parallel"]
__all__ += activation_layers.__all__
