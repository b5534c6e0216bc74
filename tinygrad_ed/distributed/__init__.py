"""`te.distributed`: torch.distributed's process group and collectives, on MPI through mpi4py.

Start a script on N processes with `mpiexec -n N python -m mpi4py script.py` (`-m mpi4py` makes an
exception on any rank end the whole job instead of leaving the others waiting); each process
calls `init_process_group("mpi")`. Without the `distributed` extra (mpi4py) this module imports,
and `init_process_group` says how to install it. See docs/distributed.md.
"""
from .collectives import all_gather, all_reduce, broadcast, gather, reduce, scatter
from .objects import all_gather_object, broadcast_object_list
from .process_group import (ProcessGroup, ReduceOp, Work, barrier, destroy_process_group, get_backend, get_rank,
                            get_world_size, group, init_process_group, is_available, is_initialized)

__all__ = ["ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce", "barrier",
           "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "get_backend", "get_rank",
           "get_world_size", "group", "init_process_group", "is_available", "is_initialized", "reduce", "scatter"]
