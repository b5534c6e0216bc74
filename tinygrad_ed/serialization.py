"""`save` and `load` for state dicts: a zip of .npy arrays plus a JSON description of the nesting.

Nothing in the format is executable: arrays are read with allow_pickle=False
and the structure is plain JSON, so loading a file never runs code. A save
writes a temporary file beside the target and renames it over the target, so
a crash mid-save leaves the previous file whole.
"""
from __future__ import annotations

import io
import json
import os
import secrets
import zipfile
from typing import Any

import numpy as np

from .tensor import Tensor

FORMAT = "tinygrad_ed-checkpoint-1"


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save nested dicts/lists/tuples of Tensors, arrays, numbers, strings and None to `path`."""
    arrays: list[np.ndarray] = []
    structure = {"format": FORMAT, "root": _encode(obj, arrays, "obj")}
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".tmp-{secrets.token_hex(8)}.ckpt")
    raw = open(temporary, "xb")  # not mkstemp: its file is private (0600), open's follows the umask
    try:
        with raw, zipfile.ZipFile(raw, "w") as archive:
            archive.writestr("structure.json", json.dumps(structure))
            for i, array in enumerate(arrays):
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)  # not ascontiguousarray: it makes 0-d arrays 1-d
                archive.writestr(f"{i}.npy", buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _encode(obj: Any, arrays: list[np.ndarray], where: str) -> Any:
    if isinstance(obj, Tensor):
        arrays.append(obj.array)
        return {"tensor": len(arrays) - 1, "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"save: {where} is an array of dtype {obj.dtype}; only numeric arrays can be saved")
        arrays.append(obj)
        return {"array": len(arrays) - 1}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: {where} has a key {key!r}; only str and int keys can be saved")
        return {"dict": [[key, _encode(value, arrays, f"{where}[{key!r}]")] for key, value in obj.items()]}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(value, arrays, f"{where}[{i}]") for i, value in enumerate(obj)]}
    if callable(getattr(obj, "state_dict", None)):  # a Module or an optimizer: save what it holds, as in torch
        name = "optimizer" if hasattr(obj, "param_groups") else "model"
        raise TypeError(f"save: {where} is a {type(obj).__name__}; save its state instead, "
                        f"te.save({name}.state_dict(), path), and restore it with "
                        f"{name}.load_state_dict(te.load(path))")
    raise TypeError(f"save: {where} is a {type(obj).__name__}, which cannot be saved "
                    "(Tensors, arrays, numbers, strings, None, dicts, lists and tuples can)")


def load(path: str | os.PathLike, map_location: Any = None, *, weights_only: bool | None = None, **_: Any) -> Any:
    """Load what `save` wrote. Tensors come back as Tensors, arrays as arrays. torch's `map_location` and
    `weights_only` are accepted: everything is on the CPU, and nothing is ever unpickled."""
    try:
        with zipfile.ZipFile(path) as archive:
            if any(name.endswith("data.pkl") for name in archive.namelist()):
                raise _Unreadable("it was written by torch.save (pickled objects in a zip) and is refused, "
                                  "never unpickled; load it with torch.load and save its tensors' numpy arrays")
            structure = json.loads(archive.read("structure.json"))
            tag = structure.get("format") if isinstance(structure, dict) else None
            if tag != FORMAT:
                raise ValueError(f"unknown format {tag!r}")
            arrays = {}
            for name in archive.namelist():
                if name.endswith(".npy"):
                    arrays[int(name[:-4])] = np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
            return _decode(structure["root"], arrays)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError, RuntimeError) as error:
        raise ValueError(f"load: {os.fspath(path)!r} is not a readable tinygrad_ed checkpoint: "
                         f"{_what_is_wrong(path, error)}") from None


class _Unreadable(ValueError):
    """A checkpoint error whose message already says what is wrong with the file."""


def _what_is_wrong(path: str | os.PathLike, error: Exception) -> str:
    if isinstance(error, _Unreadable):
        return str(error)
    if isinstance(error, (zipfile.BadZipFile, EOFError)):
        with open(path, "rb") as file:
            if file.read(1) == b"\x80":  # the first byte of every pickle since protocol 2
                return "it is a pickle and is refused, never unpickled (te.save writes a zip of .npy arrays)"
        return f"it is not a complete zip archive, so it is truncated, damaged or not written by te.save ({error})"
    if isinstance(error, KeyError):
        return f"an entry is missing ({error}), so it is damaged or not written by te.save"
    return f"{error}; the file is damaged or not written by te.save"


def _decode(node: Any, arrays: dict[int, np.ndarray]) -> Any:
    if "tensor" in node:
        t = Tensor._make(arrays[node["tensor"]])
        return t.requires_grad_(True) if node.get("requires_grad") else t
    if "array" in node:
        return arrays[node["array"]]
    if "value" in node:
        return node["value"]
    if "dict" in node:
        return {key: _decode(value, arrays) for key, value in node["dict"]}
    if "list" in node:
        return [_decode(value, arrays) for value in node["list"]]
    if "tuple" in node:
        return tuple(_decode(value, arrays) for value in node["tuple"])
    raise ValueError(f"unknown entry {sorted(node)}")
