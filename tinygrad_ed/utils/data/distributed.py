"""DistributedSampler: each rank's share of a data set, for data-parallel training."""
from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import distributed as dist
from ...random import Generator
from ...sampling import randperm
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Rank `rank`'s indices of `dataset`: every `num_replicas`-th of one (shuffled) order, so that the
    ranks together visit each index once per epoch. When the length does not divide, the order is
    padded by repeating it from the start (or, with `drop_last`, cut to a multiple of the ranks).
    Shuffling is seeded by `seed + epoch`: call `set_epoch(epoch)` before each epoch for a new order
    shared by all ranks. Partitions are torch's; the shuffled order is te.randperm's, not torch's."""

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = randperm(n, generator=Generator().manual_seed(self.seed + self.epoch)).numpy()
        else:
            order = np.arange(n)
        order = np.resize(order, self.total_size)  # cyclic: pads by repeating from the start, or cuts
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose order `__iter__` yields when shuffling (the same on every rank)."""
        self.epoch = epoch
