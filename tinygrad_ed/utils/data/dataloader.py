"""The DataLoader and default_collate, as torch's. A batch of a TensorDataset is gathered in one
indexing step (a slice, so a view, when the indices run in order): a mini-batch of a memory-mapped
data set reads only its own rows."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ...autograd import ShapeError
from ...random import Generator
from ...tensor import Tensor
from .dataset import TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over a dataset in batches of `batch_size`, as torch's DataLoader.

    With `shuffle=True` each epoch visits every sample once in a new order drawn from
    `generator` (default: the package's generator, seeded by `te.manual_seed`). Batches are
    loaded in this process: `num_workers` is accepted and ignored (no worker processes).
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable[int] | None = None, batch_sampler: Iterable[list[int]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None, multiprocessing_context: Any = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True):
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: a dataset needs __len__ and __getitem__, got {type(dataset).__name__}")
        if len(dataset) == 0:
            raise ValueError("DataLoader: the dataset is empty")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative, got {num_workers!r}")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last, self.generator = dataset, batch_size, drop_last, generator
        self.sampler, self.batch_sampler, self.num_workers = sampler, batch_sampler, num_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.batch_size = None if batch_size is None else int(batch_size)

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # no auto-batching: one sample at a time
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return (self._fetch(indices) for indices in self.batch_sampler)

    def _fetch(self, indices: list[int]) -> Any:
        if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
            return list(self.dataset[_as_index(indices)])
        return self.collate_fn([self.dataset[i] for i in indices])


def _as_index(indices: list[int]) -> Any:
    """A slice for indices that run in order (rows are read as a view), else an index array."""
    first, n = indices[0], len(indices)
    if indices[-1] - first == n - 1 and indices == list(range(first, first + n)):
        return slice(first, first + n)
    return np.asarray(indices)


def default_collate(batch: list[Any]) -> Any:
    """Stack a list of samples into batches, field by field, as torch does: Tensors, numpy arrays and
    numbers become Tensors with a leading batch dimension (Python floats float64, ints int64); tuples and
    lists become lists, dicts dicts, named tuples named tuples; strings stay as they are."""
    first = batch[0]
    if isinstance(first, (Tensor, np.ndarray, np.number, np.bool_)):
        return _stack([np.asarray(s.array if isinstance(s, Tensor) else s) for s in batch])
    if isinstance(first, (bool, int, float)):
        return _stack([np.asarray(s, dtype=np.float64 if isinstance(first, float) else None) for s in batch])
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, Sequence):
        if any(not isinstance(s, Sequence) or len(s) != len(first) for s in batch):
            raise ShapeError(f"DataLoader: each element in list of batch should be of equal size (the first "
                             f"sample has {len(first)} fields, others {sorted({len(s) for s in batch})})")
        fields = [default_collate(samples) for samples in zip(*batch)]  # type: ignore[arg-type]
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(first)}")


def default_convert(data: Any) -> Any:
    """A sample without batching (batch_size=None): numpy arrays become Tensors, containers are walked."""
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor._make(data)
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, (tuple, list)) and not hasattr(data, "_fields"):
        return [default_convert(value) for value in data]
    return data


def _stack(arrays: list[np.ndarray]) -> Tensor:
    shapes = sorted({a.shape for a in arrays})
    if len(shapes) > 1:
        raise ShapeError(f"DataLoader: stack expects each sample to be equal size, got shapes {shapes}")
    batch = np.stack(arrays)
    if batch.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: cannot batch samples of dtype {batch.dtype} (numbers only)")
    return Tensor._make(batch)
