"""te.utils.data against torch.utils.data: import paths, DataLoader's options and their conflicts,
collation of every sample type, samplers, random_split, generator= repeatability, and that a mini-batch
of a memory map reads only its rows."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.utils.data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
                                    SubsetRandomSampler, TensorDataset, default_collate, random_split)


def test_import_forms_and_the_old_alias():
    import tinygrad_ed.nn as nn
    import tinygrad_ed.nn.data
    import tinygrad_ed.nn.functional as F
    from tinygrad_ed import utils

    assert tinygrad_ed.nn.data.DataLoader is DataLoader is utils.data.DataLoader is te.utils.data.DataLoader
    assert nn.data.TensorDataset is TensorDataset and callable(F.relu)
    assert callable(nn.init.kaiming_normal_)


def as_lists(batch):
    """A batch as nested Python values with type names, to compare ours with torch's."""
    if hasattr(batch, "tolist") and hasattr(batch, "dtype"):
        return ("tensor", str(batch.dtype).removeprefix("torch."), tuple(batch.shape), batch.tolist())
    if isinstance(batch, dict):
        return {k: as_lists(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [as_lists(v) for v in batch])
    return batch


Point = namedtuple("Point", "x y")
SAMPLES = {
    "tuples": lambda m: [(np.array([i, i * i], dtype=np.float32), i, i / 2) for i in range(5)],
    "tensors": lambda m: [m.tensor([float(i), 1.0]) for i in range(5)],
    "numbers": lambda m: [1, 2, 3, 4, 5],
    "floats": lambda m: [0.5, 1.5, 2.5],
    "bools": lambda m: [True, False, True],
    "dicts": lambda m: [{"x": np.ones(2) * i, "label": i % 2} for i in range(4)],
    "strings": lambda m: [("a", 1.0), ("b", 2.0), ("c", 3.0)],
    "namedtuples": lambda m: [Point(i, float(i)) for i in range(3)],
    "lists": lambda m: [[i, i + 1] for i in range(4)],
    "numpy_scalars": lambda m: [np.float32(i) for i in range(3)],
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_collation_matches_torch(name):
    torch = pytest.importorskip("torch")
    mine = [as_lists(b) for b in DataLoader(SAMPLES[name](te), batch_size=2)]
    theirs = [as_lists(b) for b in torch.utils.data.DataLoader(SAMPLES[name](torch), batch_size=2)]
    assert mine == theirs


def test_tensor_dataset_batches_match_torch():
    torch = pytest.importorskip("torch")
    x, y = np.arange(10.0, dtype=np.float32).reshape(5, 2), np.arange(5)
    for kwargs in ({"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None},
                   {"batch_sampler": [[0, 3], [4], [1, 2]]}, {"sampler": [4, 3, 2, 1, 0], "batch_size": 3}):
        mine = [as_lists(b) for b in DataLoader(TensorDataset(x, y), **kwargs)]
        theirs = [as_lists(b) for b in torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), **kwargs)]
        assert mine == theirs, kwargs
        assert len(DataLoader(TensorDataset(x, y), **kwargs)) == len(theirs)


CONFLICTS = [{"sampler": [0, 1], "shuffle": True}, {"batch_sampler": [[0]], "batch_size": 2},
             {"batch_sampler": [[0]], "shuffle": True}, {"batch_sampler": [[0]], "sampler": [0]},
             {"batch_sampler": [[0]], "drop_last": True}, {"batch_size": None, "drop_last": True},
             {"num_workers": -1}, {"batch_size": 0}, {"batch_size": 2.0}, {"drop_last": "yes"}]


@pytest.mark.parametrize("kwargs", CONFLICTS, ids=[str(k) for k in CONFLICTS])
def test_conflicting_options_raise_as_torch(kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(3)), **kwargs)
    with pytest.raises(ValueError) as mine:
        DataLoader(TensorDataset(np.ones(3)), **kwargs)
    first_words = str(theirs.value).split(",")[0].split(" ")[:3]
    assert all(word in str(mine.value) for word in first_words), (str(mine.value), str(theirs.value))


def test_num_workers_and_other_torch_options_are_accepted():
    loader = DataLoader(TensorDataset(np.arange(6)), batch_size=4, num_workers=2, pin_memory=True,
                        persistent_workers=False, timeout=0, worker_init_fn=None)
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]] and loader.num_workers == 2


def test_shuffling_with_a_generator_repeats_and_covers_every_sample():
    data = TensorDataset(np.arange(20))

    def order(**kwargs):
        return [i for (batch,) in DataLoader(data, batch_size=6, shuffle=True, **kwargs) for i in batch.tolist()]

    first = order(generator=te.Generator().manual_seed(3))
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert order(generator=te.Generator().manual_seed(3)) == first
    assert order(generator=te.Generator().manual_seed(4)) != first
    g = te.Generator().manual_seed(3)
    loader = DataLoader(data, batch_size=6, shuffle=True, generator=g)
    epochs = [[i for (b,) in loader for i in b.tolist()] for _ in range(2)]
    assert epochs[0] == first and epochs[1] != first  # a new order each epoch
    te.manual_seed(9)
    default = order()
    te.manual_seed(9)
    assert order() == default


def test_samplers_match_torch():
    torch = pytest.importorskip("torch")
    data = list(range(7))
    assert list(SequentialSampler(data)) == list(torch.utils.data.SequentialSampler(data))
    for size, drop in [(3, False), (3, True), (7, False), (10, True)]:
        mine = list(BatchSampler(SequentialSampler(data), size, drop))
        theirs = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(data), size, drop))
        assert mine == theirs and len(BatchSampler(range(7), size, drop)) == len(theirs)
    random = RandomSampler(data, generator=te.Generator().manual_seed(0))
    assert sorted(random) == data and len(random) == 7
    with_replacement = list(RandomSampler(data, replacement=True, num_samples=50, generator=te.Generator().manual_seed(0)))
    assert len(with_replacement) == 50 and set(with_replacement) <= set(data)
    more = list(RandomSampler(data, num_samples=10, generator=te.Generator().manual_seed(0)))
    assert len(more) == 10 and sorted(more[:7]) == data
    subset = list(SubsetRandomSampler([10, 20, 30], generator=te.Generator().manual_seed(0)))
    assert sorted(subset) == [10, 20, 30]
    for bad in ({"num_samples": 0}, {"replacement": 1}):
        with pytest.raises((ValueError, TypeError)):
            torch.utils.data.RandomSampler(data, **bad)
        with pytest.raises((ValueError, TypeError)):
            RandomSampler(data, **bad)


def test_custom_sampler_and_batch_sampler_drive_the_loader():
    class EvensFirst(te.utils.data.Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter([*range(0, self.n, 2), *range(1, self.n, 2)])

        def __len__(self):
            return self.n

    data = TensorDataset(np.arange(6) * 10)
    assert [b[0].tolist() for b in DataLoader(data, batch_size=4, sampler=EvensFirst(6))] == [[0, 20, 40, 10], [30, 50]]
    batches = BatchSampler(EvensFirst(6), batch_size=2, drop_last=False)
    assert [b[0].tolist() for b in DataLoader(data, batch_sampler=batches)] == [[0, 20], [40, 10], [30, 50]]


def test_random_split_matches_torch_lengths_and_covers_the_data():
    torch = pytest.importorskip("torch")
    for n, lengths in [(10, [3, 7]), (10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]), (5, [5, 0]), (7, [0.2, 0.8])]:
        mine = random_split(range(n), lengths, generator=te.Generator().manual_seed(0))
        theirs = torch.utils.data.random_split(range(n), lengths)
        assert [len(s) for s in mine] == [len(s) for s in theirs]
        assert sorted(i for s in mine for i in s) == list(range(n))
    again = random_split(range(10), [3, 7], generator=te.Generator().manual_seed(0))
    assert [list(s) for s in again] == [list(s) for s in random_split(range(10), [3, 7],
                                                                      generator=te.Generator().manual_seed(0))]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError):
        torch.utils.data.random_split(range(10), [3, 3])


def test_subset_of_a_tensor_dataset_through_the_loader():
    data = TensorDataset(np.arange(10.0), np.arange(10))
    part = Subset(data, [9, 1, 5])
    assert len(part) == 3 and part[0][1].item() == 9
    batches = [(x.tolist(), y.tolist()) for x, y in DataLoader(part, batch_size=2)]
    assert batches == [([9.0, 1.0], [9, 1]), ([5.0], [5])]
    train, test = random_split(data, [0.8, 0.2], generator=te.Generator().manual_seed(1))
    assert len(train) == 8 and len(next(iter(DataLoader(test, batch_size=5)))[0]) == 2


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object()])


def test_in_order_batches_of_a_memory_map_are_views(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(4000, dtype=np.float32).reshape(1000, 4))
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    first = next(iter(DataLoader(TensorDataset(mapped), batch_size=8)))[0]
    assert np.shares_memory(first.numpy(), mapped) and first.shape == (8, 4)  # no read beyond the batch
    shuffled = next(iter(DataLoader(TensorDataset(mapped), batch_size=8, shuffle=True)))[0]
    assert shuffled.shape == (8, 4) and not np.shares_memory(shuffled.numpy(), mapped)  # only 8 rows gathered


def test_base_classes():
    with pytest.raises(NotImplementedError):
        iter(te.utils.data.Sampler())
    assert issubclass(TensorDataset, Dataset) and issubclass(Subset, Dataset)
