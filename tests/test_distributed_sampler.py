"""DistributedSampler: torch's partitions (padding by repetition, drop_last), exact coverage per epoch.

Our shuffled order comes from te.randperm, whose stream is not torch's; so with shuffle=True the
partitioning is checked on torch's own permutation (te.randperm replaced by torch.randperm seeded
alike), and our own shuffles are checked for coverage and agreement between ranks."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.utils.data import DataLoader, DistributedSampler, TensorDataset
from tinygrad_ed.utils.data import distributed as sampler_module

CASES = [(n, replicas, drop_last) for n in (0, 1, 2, 5, 7, 12, 13) for replicas in (1, 2, 3, 4, 8)
         for drop_last in (False, True)]


def shares(n: int, replicas: int, drop_last: bool, epoch: int = 0, **kw) -> list[list[int]]:
    samplers = [DistributedSampler(range(n), replicas, r, drop_last=drop_last, **kw) for r in range(replicas)]
    for s in samplers:
        s.set_epoch(epoch)
    return [list(s) for s in samplers]


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_unshuffled_partitions_equal_torchs(n: int, replicas: int, drop_last: bool) -> None:
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize("n, replicas, drop_last", [c for c in CASES if c[0]])
def test_shuffled_partitions_of_torchs_permutation_equal_torchs(n: int, replicas: int, drop_last: bool,
                                                                monkeypatch) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchSampler

    def torch_randperm(size: int, generator: te.Generator) -> te.Tensor:
        seeded = torch.Generator().manual_seed(generator.initial_seed())
        return te.tensor(torch.randperm(size, generator=seeded).numpy())
    monkeypatch.setattr(sampler_module, "randperm", torch_randperm)
    for epoch in (0, 3):
        theirs = []
        for rank in range(replicas):
            sampler = TorchSampler(range(n), replicas, rank, seed=5, drop_last=drop_last)
            sampler.set_epoch(epoch)
            theirs.append(list(sampler))
        assert shares(n, replicas, drop_last, epoch, seed=5) == theirs


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_each_epoch_covers_the_data_set_once(n: int, replicas: int, drop_last: bool) -> None:
    for epoch in (0, 1):
        parts = shares(n, replicas, drop_last, epoch, seed=3)
        sizes = {len(p) for p in parts}
        assert len(sizes) <= 1  # every rank takes the same number of steps
        everything = [i for p in parts for i in p]
        if drop_last:  # a cut, never a repeat
            assert len(everything) == len(set(everything)) == n - n % replicas
        else:  # everything, and the first few again to fill the last round
            assert set(everything) == set(range(n)) and len(everything) == -(-n // replicas) * replicas
            if n >= replicas:  # padding repeats each index at most once
                assert np.bincount(everything).max() <= 2


def test_the_order_depends_on_seed_and_epoch_only() -> None:
    first = shares(50, 4, False, epoch=0, seed=1)
    assert shares(50, 4, False, epoch=0, seed=1) == first  # every rank computes the same order
    assert shares(50, 4, False, epoch=1, seed=1) != first
    assert shares(50, 4, False, epoch=0, seed=2) != first
    # without shuffling: every 4th of 0..49 padded to 52 by repeating 0, 1
    assert shares(50, 4, False, epoch=0, seed=1, shuffle=False) == [[i % 50 for i in range(r, 52, 4)] for r in range(4)]


def test_invalid_rank() -> None:
    for rank in (-1, 3):
        with pytest.raises(ValueError, match=rf"Invalid rank {rank}, rank should be in the interval \[0, 2\]"):
            DistributedSampler(range(10), num_replicas=3, rank=rank)


def test_dataloader_batches_of_this_ranks_share() -> None:
    data = TensorDataset(te.arange(10.0), te.arange(10))
    sampler = DistributedSampler(data, num_replicas=3, rank=1, shuffle=False)
    batches = [y.tolist() for _, y in DataLoader(data, batch_size=2, sampler=sampler)]
    assert batches == [[1, 4], [7, 0]]  # rows 1, 4, 7 and, to fill the round, row 0 again
