"""Version counters: how backward knows that a tensor it needs was changed in place.

As in torch, each storage (a numpy array that owns its memory; its views share
it) has a version, bumped by every in-place write. Nothing is stored on the
forward path: graph nodes and writes take their times from one clock
(`clock`), so a node created at time `t` saved values that a write at a later
time has changed. Only storages that were ever written have a log (weakly
keyed, freed with the storage); backward looks there only for nodes older
than the latest write, so a training loop (forward, backward, then the
optimizer's writes) checks nothing at all.

A log keeps each write's time and writer: the graph node of a recorded
in-place op (its creation number), or `UNTRACKED` for writes under `no_grad`,
to tensors outside the graph, and by optimizers.
"""
from __future__ import annotations

import itertools
import weakref
from typing import Any, Iterable

import numpy as np

clock = itertools.count()  # creation numbers of graph nodes and times of writes, from one sequence
UNTRACKED = -1
_KEPT = 64  # writes remembered per storage; older ones only count (see `changes_after`)
_TRIM_AT = 2 * _KEPT


class WriteLog:
    __slots__ = ("version", "times", "writers", "forgotten_until")

    def __init__(self) -> None:
        self.version = 0
        self.times: list[int] = []
        self.writers: list[int] = []
        self.forgotten_until = -1  # writes at or before this time were dropped from `times`

    def forget_oldest(self) -> None:
        self.forgotten_until = self.times[-_KEPT - 1]
        del self.times[:-_KEPT], self.writers[:-_KEPT]


_logs: dict[int, WriteLog] = {}  # id(storage) -> its log, dropped when the storage is freed
latest_write = -1  # time of the most recent write to any storage
latest_tracked_write = -1  # time of the most recent write by a recorded in-place op


def storage_of(array: Any) -> np.ndarray | None:
    """The array owning `array`'s memory (None for a numpy scalar: immutable, never written)."""
    if not isinstance(array, np.ndarray):
        return None
    base = array.base
    while isinstance(base, np.ndarray):
        array, base = base, base.base
    return array


def shares_storage(a: Any, b: Any) -> bool:
    return storage_of(a) is storage_of(b)


def record_write(array: Any, writer: int = UNTRACKED) -> None:
    """Bump the version of `array`'s storage: call it after every in-place write."""
    record_writes((array,), writer)


def record_writes(arrays: Iterable[Any], writer: int = UNTRACKED) -> None:
    """Bump the versions of the storages of `arrays`, written together (an optimizer's step)."""
    global latest_write, latest_tracked_write
    latest_write = time = next(clock)
    if writer != UNTRACKED:
        latest_tracked_write = time
    for array in arrays:
        root = array if type(array) is np.ndarray and array.base is None else storage_of(array)
        if root is None:
            continue
        log = _logs.get(id(root)) or _new_log(root)
        log.version += 1
        log.times.append(time)
        log.writers.append(writer)
        if len(log.times) > _TRIM_AT:
            log.forget_oldest()


def _new_log(root: np.ndarray) -> WriteLog:
    log = _logs[id(root)] = WriteLog()
    weakref.finalize(root, _logs.pop, id(root), None)
    return log

def version_of(array: Any) -> int:
    root = storage_of(array)
    log = None if root is None else _logs.get(id(root))
    return 0 if log is None else log.version


def changes_after(array: Any, since: int) -> tuple[int, int] | None:
    """(version now, version when saved) if `array`'s storage was written after time `since` (other than
    by the node created at `since` itself: an in-place op's node saves the result it writes), else None."""
    root = storage_of(array)
    log = None if root is None else _logs.get(id(root))
    if log is None or not log.times or log.times[-1] <= since:
        return None
    later = sum(1 for t, writer in zip(log.times, log.writers) if t > since and writer != since)
    if not later:
        return None
    if since < log.forgotten_until:  # older writes were dropped: the count is a lower bound
        later = log.version
    return log.version, log.version - later


def tracked_writes_between(array: Any, start: int, end: int, excluded_writer: int) -> int | None:
    """The writer of a recorded in-place write to `array`'s storage in (start, end), other than
    `excluded_writer`; None if there is none."""
    root = storage_of(array)
    log = None if root is None else _logs.get(id(root))
    if log is None or not log.times or log.times[-1] <= start:
        return None
    for t, writer in zip(log.times, log.writers):
        if start < t < end and writer not in (UNTRACKED, excluded_writer):
            return writer
    return None
