"""The default process group over MPI (mpi4py): starting and ending it, rank and size, barrier.

mpi4py is imported only by `init_process_group` (importing `mpi4py.MPI` starts MPI), so
`import tinygrad_ed.distributed` works without it and every other function says how to install it.
"""
from __future__ import annotations

import importlib.util
from enum import Enum
from typing import Any

INSTALL_HINT = ("te.distributed needs mpi4py and an MPI runtime: pip install 'tinygrad_ed[distributed]' "
                "(or pip install mpi4py mpich; a system MPI works too)")


class ReduceOp(Enum):
    """How `all_reduce` and `reduce` combine the ranks' tensors (torch.distributed.ReduceOp)."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class ProcessGroup:
    """The ranks taking part in collectives: an MPI communicator of its own (a duplicate of
    COMM_WORLD, so that a script's own MPI messages never mix with ours)."""

    def __init__(self, comm: Any):
        self.comm = comm

    def rank(self) -> int:
        return int(self.comm.Get_rank())

    def size(self) -> int:
        return int(self.comm.Get_size())

    def __repr__(self) -> str:
        return f"<ProcessGroup mpi rank={self.rank()} size={self.size()}>"


class Work:
    """What a collective returns with `async_op=True`. Our collectives finish before returning
    (numpy cannot compute while MPI moves data), so `wait` returns at once."""

    def wait(self, timeout: Any = None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True


_default: ProcessGroup | None = None


class _GroupNamespace:
    """`group.WORLD`: the default process group (None before `init_process_group`)."""

    @property
    def WORLD(self) -> ProcessGroup | None:
        return _default


group = _GroupNamespace()


def is_available() -> bool:
    """True when mpi4py is installed (the `distributed` extra)."""
    return importlib.util.find_spec("mpi4py") is not None


def mpi() -> Any:
    """The mpi4py.MPI module, or a clear error saying how to install it."""
    if not is_available():
        raise RuntimeError(INSTALL_HINT)
    from mpi4py import MPI
    return MPI


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout: Any = None,
                       world_size: int = -1, rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:
    """Join the job's default process group. Under `mpiexec` rank and size come from MPI; a
    `world_size` or `rank` given must agree with them. `timeout` is accepted and unused: MPI
    collectives do not time out (a failing rank ends the job instead, see docs/distributed.md)."""
    global _default
    if _default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() != "mpi":
        raise RuntimeError(f"init_process_group: backend {backend!r} is not available; "
                           "tinygrad_ed's only backend is 'mpi'")
    for name, value in (("init_method", init_method), ("store", store), ("pg_options", pg_options)):
        if value is not None and not (name == "init_method" and value == "env://"):
            raise ValueError(f"init_process_group: {name}={value!r} is not supported by the MPI backend "
                             "(mpiexec starts the processes and tells each its rank)")
    if device_id is not None and str(device_id) != "cpu":
        raise ValueError(f"init_process_group: device_id={device_id!r}; tinygrad_ed runs on the CPU only")
    comm = mpi().COMM_WORLD
    for name, given, actual in (("world_size", world_size, comm.Get_size()), ("rank", rank, comm.Get_rank())):
        if given != -1 and given != actual:
            raise ValueError(f"init_process_group: {name}={given} but MPI started this process with "
                             f"{name} {actual}; leave it out (mpiexec -n sets the world size)")
    _default = ProcessGroup(comm.Dup())


def is_initialized() -> bool:
    return _default is not None


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default process group (MPI itself stays up until the process exits)."""
    global _default
    process_group = default_group(group)
    process_group.comm.Free()
    _default = None


def default_group(group: ProcessGroup | None = None) -> ProcessGroup:
    """The group a collective runs on: the default one (the only one there is)."""
    if _default is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    if group is not None and group is not _default:
        raise ValueError(f"unknown process group {group!r}: only the default group (group=None or "
                         "group.WORLD) exists; new_group is not implemented")
    return _default


def get_rank(group: ProcessGroup | None = None) -> int:
    return default_group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    return default_group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    default_group(group)
    return "mpi"


def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None) -> Work | None:
    """Wait until every rank has called barrier."""
    default_group(group).comm.Barrier()
    return Work() if async_op else None
