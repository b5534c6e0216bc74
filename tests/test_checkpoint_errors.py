"""te.load says what is wrong with a bad file; te.save of a Module or optimizer points to state_dict()."""
from __future__ import annotations

import pytest

import tinygrad_ed as te
from tinygrad_ed import nn


def test_a_truncated_checkpoint_says_it_is_incomplete_not_pickle(tmp_path):
    path = tmp_path / "model.ckpt"
    te.save(nn.Linear(3, 2).state_dict(), path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match="not a complete zip archive, so it is truncated, damaged") as error:
        te.load(path)
    assert "pickle" not in str(error.value)


def test_a_damaged_entry_says_what_is_missing(tmp_path):
    path = tmp_path / "model.ckpt"
    te.save({"w": te.ones(2)}, path)
    data = path.read_bytes().replace(b"0.npy", b"9.npy")
    path.write_bytes(data)
    with pytest.raises(ValueError, match="not a readable tinygrad_ed checkpoint: .*damaged or not written by te.save"):
        te.load(path)


@pytest.mark.parametrize("make, kind", [
    (lambda: nn.Sequential(nn.Linear(2, 2)), "Sequential"),
    (lambda: nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), "SGD"),
])
def test_saving_a_module_or_optimizer_suggests_its_state_dict(tmp_path, make, kind):
    with pytest.raises(TypeError, match=rf"save: obj is a {kind}.*\.state_dict\(\)"):
        te.save(make(), tmp_path / "x.ckpt")
    assert not list(tmp_path.iterdir())  # nothing half-written is left behind
    with pytest.raises(TypeError, match=r"obj\['model'\] is a Sequential.*state_dict"):
        te.save({"model": nn.Sequential(nn.Linear(2, 2))}, tmp_path / "y.ckpt")
