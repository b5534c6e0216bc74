"""Version counters: how backward knows that a tensor it needs was changed in place.

As in torch, each storage (a numpy array that owns its memory; its views share
it) has a version, bumped by every in-place write. Nothing is stored on the
forward path: graph nodes and writes take their times from one clock
(`clock`), so a node created at time `t` saved values that a write at a later
time has changed. Only storages that were ever written have a log (weakly
keyed, freed with the storage); backward looks there only for nodes older
than the latest write, so a training loop (forward, backward, then the
optimizer's writes) checks nothing at all.

A log keeps each write's time and, for a write by a recorded in-place op,
its graph node (creation number); writes under `no_grad`, to tensors outside
the graph and by optimizers are `UNTRACKED`, and cost one list append.
"""
from __future__ import annotations

import itertools
import weakref
from bisect import bisect_right
from typing import Any, Iterable

import numpy as np

clock = itertools.count()  # creation numbers of graph nodes and times of writes, from one sequence
UNTRACKED = -1
_KEPT = 64  # writes remembered per storage; older ones only count (see `changes_after`)
_TRIM_AT = 2 * _KEPT


class WriteLog:
    """The times of the writes to one storage, and the writer of each recorded in-place write among them."""
    __slots__ = ("times", "tracked", "forgotten", "forgotten_until")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.tracked: dict[int, int] = {}  # time -> the writing node's creation number
        self.forgotten = 0  # how many of the oldest writes were dropped from `times`
        self.forgotten_until = -1  # ... all of them at or before this time

    @property
    def version(self) -> int:
        return self.forgotten + len(self.times)

    def forget_oldest(self) -> None:
        self.forgotten += len(self.times) - _KEPT
        self.forgotten_until = until = self.times[-_KEPT - 1]
        del self.times[:-_KEPT]
        self.tracked = {t: writer for t, writer in self.tracked.items() if t > until}


_logs: dict[int, WriteLog] = {}  # id(storage) -> its log, dropped when the storage is freed
latest_write = -1  # time of the most recent write to any storage
latest_tracked_write = -1  # time of the most recent write by a recorded in-place op


def storage_of(array: Any) -> np.ndarray | None:
    """The array owning `array`'s memory (None for a numpy scalar: immutable, never written)."""
    if not isinstance(array, np.ndarray):
        return None
    base = array.base
    while base is not None:
        if not isinstance(base, np.ndarray):  # as_strided's views hold their array through a helper object
            base = getattr(base, "base", None)
            if not isinstance(base, np.ndarray):
                break
        array, base = base, base.base
    return array


def shares_storage(a: Any, b: Any) -> bool:
    return storage_of(a) is storage_of(b)


def record_write(array: Any, writer: int = UNTRACKED) -> None:
    """Bump the version of `array`'s storage: call it after every in-place write (`writer`: the recorded
    in-place op's node, if the write is one)."""
    global latest_tracked_write
    record_writes((array,))
    if writer != UNTRACKED:
        latest_tracked_write = latest_write
        _log_of(array).tracked[latest_write] = writer


def record_writes(arrays: Iterable[Any]) -> None:
    """Bump the versions of the storages of `arrays`, written together (an optimizer's step)."""
    global latest_write
    latest_write = time = next(clock)
    logs = _logs
    for array in arrays:
        log = logs.get(id(array)) or _log_of(array)  # the first lookup finds it when `array` owns its memory
        log.times.append(time)
        if len(log.times) > _TRIM_AT:
            log.forget_oldest()


def _log_of(array: Any) -> WriteLog:
    """The log of `array`'s storage (a throwaway one for a numpy scalar, which is immutable)."""
    root = storage_of(array)
    if root is None:
        return WriteLog()
    log = _logs.get(id(root))
    if log is None:
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
    tracked = log.tracked
    later = sum(1 for t in log.times[bisect_right(log.times, since):] if tracked.get(t) != since)
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
    for t, writer in log.tracked.items():
        if start < t < end and writer != excluded_writer:
            return writer
    return None
