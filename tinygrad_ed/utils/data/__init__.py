"""Datasets, samplers and the DataLoader, as torch.utils.data. `batch_size` picks the flavour of gradient
descent: len(dataset) is batch GD, 1 is stochastic GD, anything between is mini-batch GD."""
from .dataloader import DataLoader, default_collate
from .distributed import DistributedSampler
from .dataset import Dataset, Subset, TensorDataset, random_split
from .sampler import (
           BatchSampler,
           RandomSampler,
           Sampler,
           SequentialSampler,
           SubsetRandomSampler,
)

__all__ = [
           "BatchSampler",
           "DataLoader",
           "DistributedSampler",
           "Dataset",
           "RandomSampler",
           "Sampler",
           "SequentialSampler",
           "Subset",
           "SubsetRandomSampler",
           "TensorDataset",
           "default_collate",
           "random_split",
]
