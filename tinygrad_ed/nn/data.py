"""Old home of the data utilities, kept as an alias: use `tinygrad_ed.utils.data` (torch's path)."""
from ..utils.data import (Dataset, TensorDataset, Subset, random_split, Sampler, SequentialSampler, RandomSampler,
                          SubsetRandomSampler, BatchSampler, DataLoader, default_collate)

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "DataLoader", "default_collate"]
