"""Datasets and the DataLoader. `batch_size` picks the flavour of gradient descent:
len(dataset) is batch GD, 1 is stochastic GD, anything between is mini-batch GD."""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from ..random import generator
from ..tensor import Tensor


class Dataset:
    """Subclass it with `__len__` and `__getitem__(i)` returning a sample (a tuple of arrays/numbers)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are rows of the given Tensors/arrays; `dataset[indices]` gathers a whole batch at once.

    Arrays are kept as they are (no copy), so an np.memmap stays on disk until rows are read.
    """

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        try:
            self.arrays = [t.array if isinstance(t, Tensor) else np.asanyarray(t) for t in tensors]
        except ValueError as error:
            raise ValueError(f"TensorDataset: cannot make an array of ragged data ({error})") from None
        if any(a.dtype.kind not in "biuf" for a in self.arrays):
            raise TypeError(f"TensorDataset: data must be numbers, got dtypes {[str(a.dtype) for a in self.arrays]}")
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: tensors must share their first dimension, got shapes "
                             f"{[a.shape for a in self.arrays]}")

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor._make(np.asarray(a[index])) for a in self.arrays)


class DataLoader:
    """Iterate over a dataset in batches of `batch_size` (tuples of Tensors with a leading batch dimension).

    With `shuffle=True` each epoch visits every sample once in a new order, drawn
    from `seed` when given, else from the package's generator (`te.manual_seed`).
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: a dataset needs __len__ and __getitem__, got {type(dataset).__name__}")
        if len(dataset) == 0:
            raise ValueError("DataLoader: the dataset is empty")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, int(batch_size), shuffle, drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        order = (self._rng or generator()).permutation(n) if self.shuffle else None
        for b in range(len(self)):
            start, stop = b * self.batch_size, min((b + 1) * self.batch_size, n)
            # in order, a slice: rows are read as a view; shuffled, an index array gathers them at once
            yield self._batch(slice(start, stop) if order is None else order[start:stop])

    def _batch(self, index: Any) -> tuple[Tensor, ...]:
        if isinstance(self.dataset, TensorDataset):
            return self.dataset[index]
        positions = range(len(self.dataset))[index] if isinstance(index, slice) else index
        return collate([self.dataset[int(i)] for i in positions])


def collate(samples: list[Any]) -> tuple[Tensor, ...]:
    """Stack a list of samples (each a tuple of fields) into one Tensor per field."""
    first = samples[0]
    if not isinstance(first, (tuple, list)):
        return (_stack([_array(s) for s in samples]),)
    if any(not isinstance(s, (tuple, list)) or len(s) != len(first) for s in samples):
        raise ValueError(f"DataLoader: samples must all have {len(first)} fields, like the first one")
    return tuple(_stack([_array(s[i]) for s in samples]) for i in range(len(first)))


def _stack(arrays: list[np.ndarray]) -> Tensor:
    shapes = sorted({a.shape for a in arrays})
    if len(shapes) > 1:
        raise ValueError(f"DataLoader: cannot batch samples of different shapes {shapes}")
    batch = np.stack(arrays)
    if batch.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: cannot batch samples of dtype {batch.dtype} (numbers only)")
    return Tensor._make(batch)


def _array(value: Any) -> np.ndarray:
    return value.array if isinstance(value, Tensor) else np.asarray(value)
