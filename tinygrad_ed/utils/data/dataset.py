"""Datasets: the base class, TensorDataset (rows of arrays, kept without a copy), Subset, random_split."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...random import Generator
from ...random import generator as numpy_stream
from ...tensor import Tensor


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

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        return tuple(Tensor._make(a) for a in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor._make(np.asarray(a[index])) for a in self.arrays)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[int(i)] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[Any], generator: Generator | None = None) -> list[Subset]:
    """Disjoint random Subsets of the given lengths (or fractions summing to 1; the remainder of their
    rounding down goes one sample each to the first subsets)."""
    n = len(dataset)
    if lengths and all(isinstance(v, float) for v in lengths) and math.isclose(sum(lengths), 1):
        if any(not 0 <= v <= 1 for v in lengths):
            raise ValueError(f"random_split: fractions must be between 0 and 1, got {list(lengths)}")
        counts = [int(math.floor(n * v)) for v in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0 for v in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions summing to 1, "
                         f"got {list(lengths)}")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"({list(lengths)} for {n} samples)")
    order = numpy_stream(generator).permutation(n).tolist()
    offsets = np.cumsum([0, *lengths]).tolist()
    return [Subset(dataset, order[start:stop]) for start, stop in zip(offsets, offsets[1:])]
