"""Dataset, TensorDataset and DataLoader: batch counts and sizes, shuffling (each sample once per epoch,
a new order each epoch, repeatable), collation of generic datasets, memmap-backed data, validation."""
from __future__ import annotations


import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_ed as te
from tinygrad_ed.utils.data import DataLoader, Dataset, TensorDataset

EXAMPLES_SCALE = settings.default.max_examples / 100  # 1 by default, 20 under --hypothesis-profile=explore
N = 23


def dataset(n=N):
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


def labels(loader):
    return [int(i) for _, y in loader for i in y.numpy()]


class Squares(Dataset):
    """A generic per-sample dataset: (features array, python int label, python float)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), i % 3, float(i) / 2


@pytest.mark.parametrize("batch_size", [1, 7, N, N + 3])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_counts_and_sizes(batch_size, drop_last, shuffle):
    loader = DataLoader(dataset(), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=te.Generator().manual_seed(0))
    sizes = [len(y) for _, y in loader]
    full, rest = divmod(N, batch_size)
    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert sizes == expected
    assert len(loader) == len(expected) == (N // batch_size if drop_last else math.ceil(N / batch_size))


def test_batches_are_lists_of_tensors_with_leading_batch_dimension():
    loader = DataLoader(dataset(), batch_size=7)
    batches = list(loader)
    for x, y in batches:
        assert isinstance(x, te.Tensor) and isinstance(y, te.Tensor)
        assert x.shape == (len(y), 2) and x.dtype == np.float32 and y.dtype == np.int64
        assert not x.requires_grad
    assert isinstance(batches[0], list)  # torch collates tuple samples into a list
    np.testing.assert_array_equal(batches[0][0].numpy(), np.arange(14, dtype=np.float32).reshape(7, 2))
    assert labels(loader) == list(range(N))  # in order without shuffle


def test_torch_batch_counts_agree():
    torch = pytest.importorskip("torch")
    ds = torch.utils.data.TensorDataset(torch.arange(N))
    for batch_size in (1, 7, N, N + 3):
        for drop_last in (False, True):
            theirs = [len(b[0]) for b in torch.utils.data.DataLoader(ds, batch_size=batch_size, drop_last=drop_last)]
            mine = [len(y) for _, y in DataLoader(dataset(), batch_size=batch_size, drop_last=drop_last)]
            assert mine == theirs


@settings(max_examples=round(30 * EXAMPLES_SCALE))
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 2**31))
def test_shuffle_visits_each_sample_once_per_epoch(n, batch_size, seed):
    loader = DataLoader(dataset(n), batch_size=batch_size, shuffle=True, generator=te.Generator().manual_seed(seed))
    for _ in range(2):
        seen = []
        for x, y in loader:
            seen += [int(i) for i in y.numpy()]
            rows = np.stack([[2 * i, 2 * i + 1] for i in y.numpy()])
            np.testing.assert_array_equal(x.numpy(), rows)  # features and labels stay paired
        assert sorted(seen) == list(range(n))


@settings(max_examples=round(20 * EXAMPLES_SCALE))
@given(n=st.integers(2, 40), batch_size=st.integers(1, 8), seed=st.integers(0, 2**31))
def test_shuffle_with_drop_last_visits_each_kept_sample_once(n, batch_size, seed):
    loader = DataLoader(dataset(n), batch_size=batch_size, shuffle=True, drop_last=True, generator=te.Generator().manual_seed(seed))
    seen = labels(loader)
    assert len(seen) == len(set(seen)) == (n // batch_size) * batch_size


def test_shuffle_gives_a_new_order_each_epoch_repeatable_with_seed():
    loader = DataLoader(dataset(), batch_size=5, shuffle=True, generator=te.Generator().manual_seed(1))
    first, second = labels(loader), labels(loader)
    assert first != second and first != list(range(N))
    again = DataLoader(dataset(), batch_size=5, shuffle=True, generator=te.Generator().manual_seed(1))
    assert labels(again) == first and labels(again) == second
    assert labels(DataLoader(dataset(), batch_size=5, shuffle=True, generator=te.Generator().manual_seed(2))) != first


def test_shuffle_is_repeatable_with_manual_seed():
    loader = DataLoader(dataset(), batch_size=4, shuffle=True)
    te.manual_seed(42)
    first, second = labels(loader), labels(loader)
    assert first != second
    te.manual_seed(42)
    assert labels(loader) == first and labels(loader) == second
    te.manual_seed(42)
    assert labels(DataLoader(dataset(), batch_size=4, shuffle=True)) == first


def test_generic_dataset_is_collated():
    loader = DataLoader(Squares(10), batch_size=4)
    batches = list(loader)
    assert len(batches) == 3
    features, classes, halves = batches[0]
    np.testing.assert_array_equal(features.numpy(), [[0, 0], [1, 1], [2, 4], [3, 9]])
    assert features.dtype == np.float32
    np.testing.assert_array_equal(classes.numpy(), [0, 1, 2, 0])
    assert classes.dtype == np.int64
    np.testing.assert_allclose(halves.numpy(), [0, 0.5, 1, 1.5])
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    shuffled = DataLoader(Squares(10), batch_size=3, shuffle=True, generator=te.Generator().manual_seed(0))
    assert sorted(int(i) for batch in shuffled for i in batch[0].numpy()[:, 0]) == list(range(10))


def test_generic_dataset_of_single_values_and_tensors():
    class Values(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return te.tensor([float(i), 1.0])

    batch = next(iter(DataLoader(Values(), batch_size=5)))  # a Tensor per batch, as torch
    np.testing.assert_array_equal(batch.numpy(), [[i, 1.0] for i in range(5)])


def test_base_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_tensor_dataset_accepts_tensors_and_arrays():
    x = te.tensor(np.arange(12.0).reshape(6, 2))
    y = np.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    row_x, row_y = ds[2]
    np.testing.assert_array_equal(row_x.numpy(), [4.0, 5.0])
    assert int(row_y.item()) == 2
    batch_x, batch_y = ds[np.array([5, 0])]
    np.testing.assert_array_equal(batch_y.numpy(), [5, 0])
    np.testing.assert_array_equal(batch_x.numpy(), [[10, 11], [0, 1]])
    single = TensorDataset([[1.0], [2.0]])
    assert len(single) == 2 and len(next(iter(DataLoader(single, batch_size=2)))) == 1


def test_tensor_dataset_validation():
    with pytest.raises(ValueError):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError):
        TensorDataset(te.zeros(3), te.zeros(2))
    with pytest.raises(ValueError):
        TensorDataset(np.float32(1.0))  # no first dimension
    with pytest.raises(ValueError):
        TensorDataset()


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, 2.0, True, "4"])
def test_invalid_batch_size_raises(batch_size):
    with pytest.raises(ValueError):
        DataLoader(dataset(), batch_size=batch_size)


def test_numpy_integer_batch_size_and_empty_dataset():
    assert len(DataLoader(dataset(), batch_size=np.int64(5))) == 5
    with pytest.raises(ValueError):
        DataLoader(TensorDataset(np.zeros((0, 2))), batch_size=2)
    with pytest.raises(ValueError):
        DataLoader(Squares(0))


@pytest.mark.parametrize("shuffle", [False, True])
def test_memmap_backed_data(tmp_path, shuffle):
    features = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    targets = np.arange(50)
    np.save(tmp_path / "x.npy", features)
    np.save(tmp_path / "y.npy", targets)
    x = np.load(tmp_path / "x.npy", mmap_mode="r")
    y = np.load(tmp_path / "y.npy", mmap_mode="r")
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=shuffle, generator=te.Generator().manual_seed(0))
    seen = []
    for bx, by in loader:
        np.testing.assert_array_equal(bx.numpy(), features[by.numpy()])
        seen += by.numpy().tolist()
        (bx * 2).sum()  # usable in ops
    assert sorted(seen) == list(range(50))
    assert len(loader) == 7
    assert TensorDataset(te.from_numpy(x), y)[3][0].numpy().tolist() == features[3].tolist()
