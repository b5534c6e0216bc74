"""Collectives on Python objects, without pickle: an object travels as the JSON structure that
`te.save` writes (numbers, strings, None, lists, tuples, dicts, Tensors and numeric arrays)
followed by its arrays' raw bytes, so receiving one never runs code."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..serialization import _decode, _encode
from .collectives import _root
from .process_group import ProcessGroup, default_group

_LENGTH = np.dtype("<i8")


def encode(obj: Any, op: str) -> np.ndarray:
    """`obj` as bytes (uint8): an 8-byte header length, the JSON header, then the arrays' bytes."""
    arrays: list[np.ndarray] = []
    root = _encode(obj, arrays, f"the object given to {op}")
    header = json.dumps({"root": root, "arrays": [[a.dtype.str, list(a.shape)] for a in arrays]}).encode()
    parts = [np.array([len(header)], _LENGTH).tobytes(), header, *(np.ascontiguousarray(a).tobytes() for a in arrays)]
    return np.frombuffer(b"".join(parts), np.uint8)


def decode(payload: np.ndarray) -> Any:
    raw = payload.tobytes()
    length = int(np.frombuffer(raw[:8], _LENGTH)[0])
    header = json.loads(raw[8:8 + length])
    arrays, offset = {}, 8 + length
    for i, (dtype_text, shape) in enumerate(header["arrays"]):
        dtype = np.dtype(dtype_text)
        if dtype.kind not in "biuf":
            raise ValueError(f"received an array of dtype {dtype}; only numeric arrays are accepted")
        count = int(np.prod(shape))
        arrays[i] = np.frombuffer(raw, dtype, count, offset).reshape(shape).copy()
        offset += count * dtype.itemsize
    return _decode(header["root"], arrays)


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """object_list[i] = rank i's `obj`, on every rank (`object_list` has one slot per rank)."""
    pg = default_group(group)
    if not isinstance(object_list, list) or len(object_list) != pg.size():
        got = len(object_list) if isinstance(object_list, list) else type(object_list).__name__
        raise ValueError(f"all_gather_object: object_list must be a list of {pg.size()} slots "
                         f"(one per rank), got {got}")
    payload = encode(obj, "all_gather_object")
    sizes = np.empty(pg.size(), _LENGTH)
    pg.comm.Allgather(np.array([payload.size], _LENGTH), sizes)
    block = np.empty(int(sizes.sum()), np.uint8)
    pg.comm.Allgatherv(payload, [block, sizes.tolist()])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    object_list[:] = [decode(block[starts[i]:starts[i + 1]]) for i in range(pg.size())]


def broadcast_object_list(object_list: list[Any], src: int | None = None, group: ProcessGroup | None = None,
                          device: Any = None, group_src: int | None = None) -> None:
    """Replace the items of every rank's `object_list` by rank `src`'s (the lists have equal lengths)."""
    pg = default_group(group)
    root = _root(src, group_src, "src", pg, "broadcast_object_list")
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got {type(object_list).__name__}")
    payload = encode(list(object_list), "broadcast_object_list") if pg.rank() == root else None
    size = np.array([0 if payload is None else payload.size], _LENGTH)
    pg.comm.Bcast(size, root=root)
    if payload is None:
        payload = np.empty(int(size[0]), np.uint8)
    pg.comm.Bcast(payload, root=root)
    received = decode(payload)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {root} sent {len(received)} objects but this rank's "
                         f"object_list has {len(object_list)} slots")
    object_list[:] = received
