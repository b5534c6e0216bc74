"""te.save / te.load: round trips of model and optimizer state dicts and of nested structures, refusal of
pickle payloads without running them, clear errors for damaged files, and atomic saves."""
from __future__ import annotations

import io
import json
import os
import pickle
import sys
import zipfile

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn as nn
from tinygrad_ed.nn.optim import SGD


def model():
    return nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Sequential(nn.Linear(5, 2)))


def listing(directory):
    return sorted(os.listdir(directory))


def test_model_state_dict_round_trip(tmp_path):
    te.manual_seed(0)
    net = model()
    path = tmp_path / "model.ckpt"
    te.save(net.state_dict(), path)
    loaded = te.load(path)
    assert list(loaded) == list(net.state_dict()) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    for name, value in loaded.items():
        assert isinstance(value, te.Tensor) and value.dtype == np.float32
        np.testing.assert_array_equal(value.numpy(), net.state_dict()[name].numpy())
    fresh = model()
    fresh.load_state_dict(loaded)
    x = te.randn(4, 3)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), net(x).detach().numpy())
    assert listing(tmp_path) == ["model.ckpt"]


def test_optimizer_state_dict_round_trip_continues_training_identically(tmp_path):
    te.manual_seed(1)
    net = model()
    opt = SGD([{"params": list(net.parameters())[:2]}, {"params": list(net.parameters())[2:], "lr": 0.05}],
              lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    x, y = te.randn(8, 3), te.randn(8, 2)

    def train_step(net, opt):
        opt.zero_grad()
        nn.functional.mse_loss(net(x), y).backward()
        opt.step()

    for _ in range(3):
        train_step(net, opt)
    te.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt")
    checkpoint = te.load(str(tmp_path / "ckpt"))
    assert checkpoint["epoch"] == 3
    assert sorted(checkpoint["optimizer"]["state"]) == [0, 1, 2, 3]  # integer keys stay integers
    assert checkpoint["optimizer"]["param_groups"] == opt.state_dict()["param_groups"]
    resumed = model()
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = SGD([{"params": list(resumed.parameters())[:2]}, {"params": list(resumed.parameters())[2:]}],
                      lr=1.0)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    for _ in range(3):
        train_step(net, opt)
        train_step(resumed, resumed_opt)
    for a, b in zip(net.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_nested_structures_round_trip(tmp_path):
    arrays = {np.dtype(dtype).name: (np.arange(6) % 2).astype(dtype).reshape(2, 3) for dtype in
              (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_)}
    obj = {
        "arrays": arrays,
        "scalar_array": np.array(3.5),
        "empty": np.zeros((0, 4)),
        "transposed": np.arange(6.0).reshape(2, 3).T,
        "tensor": te.tensor([1.0, 2.0]),
        "scalar_tensor": te.tensor(2.5),
        "leaf": te.tensor([1.0, 2.0], requires_grad=True),
        "parameter": nn.Parameter(te.ones(2, 2)),
        "numbers": [1, 2.5, float("inf"), True, None, "text", np.float32(0.5), np.int64(7), np.bool_(False)],
        "tuple": (1, (2, [3, {"deep": te.tensor([[4]])}])),
        7: "int key",
        "nan": float("nan"),
    }
    te.save(obj, tmp_path / "nested")
    loaded = te.load(tmp_path / "nested")
    assert set(loaded) == set(obj)
    for dtype, array in arrays.items():
        assert loaded["arrays"][dtype] is not array
        assert loaded["arrays"][dtype].dtype == array.dtype
        np.testing.assert_array_equal(loaded["arrays"][dtype], array)
    assert isinstance(loaded["scalar_array"], np.ndarray) and loaded["scalar_array"].shape == ()
    assert loaded["empty"].shape == (0, 4)
    np.testing.assert_array_equal(loaded["transposed"], obj["transposed"])
    assert isinstance(loaded["tensor"], te.Tensor) and not loaded["tensor"].requires_grad
    assert loaded["scalar_tensor"].shape == () and loaded["scalar_tensor"].item() == 2.5
    assert loaded["leaf"].requires_grad and loaded["parameter"].requires_grad and loaded["parameter"].shape == (2, 2)
    assert loaded["numbers"][:6] == [1, 2.5, float("inf"), True, None, "text"]
    assert loaded["numbers"][6:] == [0.5, 7, False] and type(loaded["numbers"][7]) is int
    assert type(loaded["numbers"][3]) is bool
    assert isinstance(loaded["tuple"], tuple) and isinstance(loaded["tuple"][1][1], list)
    assert loaded["tuple"][1][1][1]["deep"].tolist() == [[4]]
    assert loaded[7] == "int key" and np.isnan(loaded["nan"])


@pytest.mark.parametrize("unsaveable", [
    {"a": [1, {"b": object()}]},
    {"a": np.array(["text"])},
    {"a": np.array([object()], dtype=object)},
    {"a": {1, 2}},
    {("tuple", "key"): 1},
    {"a": np.array([1 + 2j])},
    lambda: 0,
])
def test_unsaveable_objects_raise_type_error_and_leave_the_previous_file(tmp_path, unsaveable):
    path = tmp_path / "ckpt"
    te.save({"weights": te.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        te.save(unsaveable, path)
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["ckpt"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_save_failing_midway_leaves_the_previous_file_byte_identical(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt"
    te.save({"weights": te.ones(3)}, path)
    before = path.read_bytes()
    real_save, calls = np.save, []

    def failing_save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first array is already written into the temporary file
            raise error
        return real_save(*args, **kwargs)

    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(type(error)):
        te.save({"a": te.zeros(100), "b": te.zeros(100)}, path)
    assert len(calls) == 2
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["ckpt"]
    monkeypatch.undo()
    assert te.load(path)["weights"].tolist() == [1.0, 1.0, 1.0]


def test_memmap_and_fortran_order_arrays(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(12.0).reshape(3, 4))
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    te.save({"mapped": mapped, "fortran": np.asfortranarray(mapped), "strided": mapped[::2, ::3]}, tmp_path / "c")
    loaded = te.load(tmp_path / "c")
    for name, expected in (("mapped", mapped), ("fortran", mapped), ("strided", mapped[::2, ::3])):
        assert type(loaded[name]) is np.ndarray
        np.testing.assert_array_equal(loaded[name], expected)


def test_save_overwrites_and_creates_files_like_open(tmp_path):
    path = tmp_path / "ckpt"
    te.save([1], path)
    te.save([2], path)
    assert te.load(path) == [2]
    assert listing(tmp_path) == ["ckpt"]
    if sys.platform != "win32":  # the temporary file must not leave the checkpoint private (0600)
        (tmp_path / "plain").write_bytes(b"")
        assert os.stat(path).st_mode == os.stat(tmp_path / "plain").st_mode


class Payload:
    """Unpickling this creates a directory: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_pickle_files_are_refused_without_running_them(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"weights": Payload(marker)}))
    with pytest.raises(ValueError, match="refused"):
        te.load(path)
    assert not marker.exists()
    pickle.loads(path.read_bytes())  # the payload is live: it does run when unpickled
    assert marker.exists()


def test_pickled_arrays_inside_a_valid_looking_archive_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    path = tmp_path / "evil.ckpt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("structure.json", json.dumps({"format": "tinygrad_ed-checkpoint-1",
                                                       "root": {"array": 0}}))
        archive.writestr("0.npy", buffer.getvalue())
    with pytest.raises(ValueError):
        te.load(path)
    assert not marker.exists()


def test_torch_save_files_are_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"weight": torch.ones(2)}, path)
    with pytest.raises(ValueError, match="not a readable tinygrad_ed checkpoint"):
        te.load(path)


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],
    lambda data: data[:-10],
    lambda data: data[:10],
    lambda data: b"",
    lambda data: b"\x00" * 64,
    lambda data: data.replace(b"tinygrad_ed-checkpoint-1", b"tinygrad_ed-checkpoint-9"),
], ids=["half", "tail", "head", "empty", "zeros", "format"])
def test_damaged_files_raise_a_clear_value_error(tmp_path, damage):
    path = tmp_path / "ckpt"
    te.save(model().state_dict(), path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match="not a readable tinygrad_ed checkpoint"):
        te.load(path)


def test_corrupted_array_bytes_are_detected(tmp_path):
    path = tmp_path / "ckpt"
    te.save({"w": te.tensor(np.arange(1000.0))}, path)
    data = bytearray(path.read_bytes())
    start = data.index(b"\x93NUMPY") + 200  # inside the array's values
    data[start:start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):  # the zip's CRC catches it
        te.load(path)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        te.load(tmp_path / "nothing")


def test_file_objects_and_torch_arguments(tmp_path):
    """torch.save(obj, open(..., 'wb')) and torch.load(f, map_location='cpu', weights_only=True), the
    spellings of pytorch/examples' scripts, work; a pickle in a file object is still refused."""
    data = {"w": te.arange(6.0).reshape(2, 3), "a": np.sin(np.arange(4.0)), "n": 3}
    with open(tmp_path / "c.pt", "wb") as file:
        te.save(data, file)
    buffer = io.BytesIO()
    te.save(data, buffer)
    for source in (open(tmp_path / "c.pt", "rb"), io.BytesIO(buffer.getvalue())):
        with source:
            back = te.load(source, map_location=te.device("cpu"), weights_only=True)
        assert back["w"].tolist() == data["w"].tolist() and back["n"] == 3
        np.testing.assert_array_equal(back["a"], data["a"])
    assert te.load(tmp_path / "c.pt", map_location="cpu")["n"] == 3
    with pytest.raises(RuntimeError, match="CPU only"):
        te.load(tmp_path / "c.pt", map_location="cuda:0")
    with pytest.raises(ValueError, match="pickle and is refused"):
        te.load(io.BytesIO(pickle.dumps({"a": 1})))
