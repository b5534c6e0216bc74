"""te.distributed and DistributedDataParallel on real MPI jobs.

The tests launch this file under `mpiexec -n N python -m mpi4py tests/test_distributed.py SCENARIO`
(a subprocess with a timeout, so a hang fails instead of blocking the suite); each rank runs the
scenario's `check_*` function, which asserts against numpy or against single-process training.
A failed assertion on any rank ends the job with a non-zero exit status (that is `-m mpi4py`).
They skip, saying why, when mpi4py or mpiexec (the `distributed` extra) is missing.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 180  # seconds for one job; the jobs take a few seconds each


def find_mpiexec() -> str | None:
    """The mpiexec beside this Python (where the mpich wheel installs it), else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()
needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
    reason="needs the distributed extra: pip install -e '.[distributed]' (mpi4py and an MPI runtime with mpiexec)")


def launch(ranks: int, *args: str, script: Path = Path(__file__)) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    command = [str(MPIEXEC), "-n", str(ranks), sys.executable, "-m", "mpi4py", str(script), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO, env=env)


def assert_ok(result: subprocess.CompletedProcess, ranks: int, marker: str) -> None:
    assert result.returncode == 0, f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert result.stdout.count(marker) == ranks, result.stdout


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 4])
def test_collectives_match_numpy(ranks: int) -> None:
    assert_ok(launch(ranks, "collectives"), ranks, "collectives ok")


@needs_mpi
@pytest.mark.parametrize("ranks, bucket_cap_mb", [(2, "25"), (4, "0.00001")])
def test_ddp_equals_one_process_with_the_whole_batch(ranks: int, bucket_cap_mb: str) -> None:
    assert_ok(launch(ranks, "ddp", bucket_cap_mb), ranks, "ddp ok")


@needs_mpi
def test_a_raising_rank_ends_the_job() -> None:
    start = time.monotonic()
    result = launch(2, "fail")
    assert result.returncode != 0
    assert "ValueError: rank 1 fails on purpose" in result.stderr
    assert "unreachable" not in result.stdout
    assert time.monotonic() - start < 60  # the other rank, waiting in a barrier, was ended


@needs_mpi
def test_ddp_digits_example(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    result = launch(2, "--epochs", "3", "--hidden", "32", "--out", str(tmp_path),
                    script=REPO / "examples" / "ddp_digits.py")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ddp_digits.ckpt").is_file()  # written by rank 0, read back by both
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if "samples/s" in line] == ["rank 0", "rank 1"], result.stdout
    accuracy = [float(line.split()[-1]) for line in lines if "test accuracy" in line]
    assert len(accuracy) == 1 and accuracy[0] > 0.85, result.stdout  # rank 0 alone reports it


@needs_mpi
def test_ddp_benchmark_reports_each_process_count() -> None:
    result = subprocess.run([sys.executable, "-m", "benchmarks.ddp", "--processes", "1", "2", "--steps", "2",
                             "--rounds", "1"], capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 0, result.stderr
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| ddp-mlp-b1024")]
    assert [(row[2].strip(), row[3].strip()) for row in rows] == [("1", "1024"), ("2", "512")], result.stdout
    assert "gradient 0.90 MiB" in result.stdout  # 235,146 float32 numbers of the 784-256-128-10 MLP


# -- in this process, without MPI -----------------------------------------------------------------

def test_ddp_digits_help_needs_no_mpi(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO / "examples" / "ddp_digits.py"), "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 0, result.stderr
    assert "--batch-size" in result.stdout and "data-parallel" in result.stdout


def test_without_a_process_group_every_function_says_so() -> None:
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist
    from tinygrad_ed.utils.data import DistributedSampler

    message = "Default process group has not been initialized"
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(te.ones(2)),
                 lambda: dist.broadcast(te.ones(2), src=0), lambda: DistributedSampler(range(4)),
                 lambda: te.nn.parallel.DistributedDataParallel(te.nn.Linear(2, 2))):
        with pytest.raises(ValueError, match=message):
            call()
    assert not dist.is_initialized()


def test_without_mpi4py_the_error_says_how_to_install(monkeypatch) -> None:
    from tinygrad_ed.distributed import process_group

    monkeypatch.setattr(process_group.importlib.util, "find_spec", lambda name: None)
    assert not process_group.is_available()
    with pytest.raises(RuntimeError, match=r"pip install 'tinygrad_ed\[distributed\]'"):
        process_group.init_process_group("mpi")
    assert not process_group.is_initialized()


def test_only_the_mpi_backend() -> None:
    from tinygrad_ed import distributed as dist

    with pytest.raises(RuntimeError, match="only backend is 'mpi'"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


# -- the scenarios, run on every rank -------------------------------------------------------------

def rank_input(rank: int, dtype: np.dtype) -> np.ndarray:
    rng = np.random.default_rng(100 + rank)
    if dtype.kind == "f":
        return rng.uniform(0.5, 1.5, (3, 4)).astype(dtype)
    if dtype.kind == "b":
        return rng.random((3, 4)) < 0.5
    return rng.integers(1, 4, (3, 4)).astype(dtype)


def expected(op_name: str, stacked: np.ndarray) -> np.ndarray:
    if stacked.dtype.kind == "b":  # torch's bool reductions are logical
        return (stacked.any(0) if op_name in ("SUM", "MAX", "BOR") else
                stacked.all(0) if op_name in ("PRODUCT", "MIN", "BAND") else np.logical_xor.reduce(stacked))
    ufunc = {"SUM": np.add, "PRODUCT": np.multiply, "MIN": np.minimum, "MAX": np.maximum, "BAND": np.bitwise_and,
             "BOR": np.bitwise_or, "BXOR": np.bitwise_xor}
    if op_name == "AVG":
        return stacked.sum(0, dtype=stacked.dtype) / len(stacked)
    return ufunc[op_name].reduce(stacked, axis=0, dtype=stacked.dtype)


def check_equal(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    if want.dtype.kind == "f":  # MPI may add in another order than numpy
        assert np.allclose(got, want, rtol=8 * np.finfo(want.dtype).eps, atol=0), (what, got, want)
    else:
        assert np.array_equal(got, want), (what, got, want)


def check_collectives() -> None:
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist

    for wrong in ({"world_size": 99}, {"rank": 99}, {"init_method": "tcp://10.0.0.1:23456"}):
        try:
            dist.init_process_group("mpi", **wrong)
        except ValueError as error:
            assert next(iter(wrong)) in str(error)
        else:
            raise AssertionError(f"init_process_group accepted {wrong}")
    assert not dist.is_initialized()
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    if "PMI_RANK" in os.environ:  # MPICH's launcher says which rank each process is
        assert (rank, size) == (int(os.environ["PMI_RANK"]), int(os.environ["PMI_SIZE"]))
    assert dist.get_backend() == "mpi" and dist.group.WORLD is not None
    for dtype in map(np.dtype, ("float32", "float64", "float16", "int64", "int32", "uint8", "bool")):
        stacked = np.stack([rank_input(r, dtype) for r in range(size)])
        ops = ["SUM", "PRODUCT", "MIN", "MAX"] + (["AVG"] if dtype.kind == "f" else ["BAND", "BOR", "BXOR"])
        for op_name in ops:
            t = te.tensor(rank_input(rank, dtype))
            own = t.array
            work = dist.all_reduce(t, op=getattr(dist.ReduceOp, op_name), async_op=True)
            assert work.wait() and work.is_completed()
            check_equal(t.numpy(), expected(op_name, stacked), f"all_reduce {op_name} {dtype}")
            assert t.array is own  # in place, in the tensor's own buffer
            t = te.tensor(rank_input(rank, dtype))
            assert dist.reduce(t, dst=size - 1, op=getattr(dist.ReduceOp, op_name)) is None
            want = expected(op_name, stacked) if rank == size - 1 else rank_input(rank, dtype)
            check_equal(t.numpy(), want, f"reduce {op_name} {dtype}")
        t = te.tensor(rank_input(rank, dtype))
        dist.broadcast(t, src=size - 1)
        check_equal(t.numpy(), stacked[-1], f"broadcast {dtype}")
        outputs = [te.tensor(np.zeros((3, 4), dtype)) for _ in range(size)]
        dist.all_gather(outputs, te.tensor(rank_input(rank, dtype)))
        for r in range(size):
            check_equal(outputs[r].numpy(), stacked[r], f"all_gather {dtype}")
        gathered = [te.tensor(np.zeros((3, 4), dtype)) for _ in range(size)] if rank == 0 else None
        dist.gather(te.tensor(rank_input(rank, dtype)), gathered, dst=0)
        for r in range(size if rank == 0 else 0):
            check_equal(gathered[r].numpy(), stacked[r], f"gather {dtype}")
        received = te.tensor(np.zeros((3, 4), dtype))
        pieces = [te.tensor(rank_input(r, dtype)) for r in range(size)] if rank == 1 else None
        dist.scatter(received, pieces, src=1)
        check_equal(received.numpy(), stacked[rank], f"scatter {dtype}")
    check_views_and_scalars(rank, size)
    check_objects(rank, size)
    check_errors(size)
    check_sampler(rank, size)
    dist.barrier()
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"rank {rank}: collectives ok", flush=True)


def check_views_and_scalars(rank: int, size: int) -> None:
    """A transposed view is reduced through a copy written back into its base (as torch's shared
    storage); a 0-d result such as a loss can be averaged for logging."""
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist

    stacked = np.stack([rank_input(r, np.dtype("float64")) for r in range(size)])
    base = te.tensor(rank_input(rank, np.dtype("float64")))
    view = base.T
    dist.all_reduce(view)
    check_equal(view.numpy(), stacked.sum(0).T, "all_reduce of a view")
    check_equal(base.numpy(), stacked.sum(0), "the view's base")
    loss = te.tensor(rank_input(rank, np.dtype("float64"))).mean()
    dist.all_reduce(loss, op=dist.ReduceOp.AVG)
    assert np.isclose(loss.item(), stacked.mean(axis=(1, 2)).mean(), rtol=1e-12)


def check_objects(rank: int, size: int) -> None:
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist

    objects: list = [None] * size
    dist.all_gather_object(objects, {"rank": rank, "name": f"r{rank}", "weights": np.full(rank + 1, rank, np.int16),
                                     "t": te.arange(rank + 2), "nested": [1.5, None, (True, "x")]})
    for r, got in enumerate(objects):
        assert got["rank"] == r and got["name"] == f"r{r}" and got["nested"] == [1.5, None, (True, "x")]
        assert got["weights"].dtype == np.int16 and got["weights"].tolist() == [r] * (r + 1)
        assert isinstance(got["t"], te.Tensor) and got["t"].tolist() == list(range(r + 2))
    slots = [{"lr": 0.1, "steps": np.arange(3.0)}, "config"] if rank == size - 1 else [None, None]
    dist.broadcast_object_list(slots, src=size - 1)
    assert slots[0]["lr"] == 0.1 and slots[0]["steps"].tolist() == [0.0, 1.0, 2.0] and slots[1] == "config"
    try:
        dist.all_gather_object([None] * size, {1, 2})  # a set is not JSON-safe: refused before sending
    except TypeError as error:
        assert "set" in str(error)
    else:
        raise AssertionError("all_gather_object sent a set")


def check_errors(size: int) -> None:
    """Bad arguments raise on every rank before anything is sent, so the ranks stay in step."""
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist

    cases = [(lambda: dist.all_reduce(te.tensor([1, 2]), op=dist.ReduceOp.AVG), RuntimeError, "AVG"),
             (lambda: dist.all_reduce(te.ones(2), op="sum"), TypeError, "ReduceOp"),
             (lambda: dist.all_reduce(te.ones(2), op=dist.ReduceOp.BAND), RuntimeError, "integer"),
             (lambda: dist.all_gather([te.ones(2)] * (size + 1), te.ones(2)), ValueError, f"list of {size}"),
             (lambda: dist.all_gather([te.ones(3)] * size, te.ones(2)), ValueError, r"shape \(2,\)"),
             (lambda: dist.broadcast(te.ones(2), src=size), ValueError, "invalid src"),
             (lambda: dist.broadcast(te.ones(2)), ValueError, "src is required"),
             (lambda: dist.all_reduce(te.ones(3).expand(2, 3)), RuntimeError, "read-only"),
             (lambda: dist.all_reduce(np.ones(2)), TypeError, "must be a Tensor"),
             (lambda: dist.init_process_group("mpi"), ValueError, "twice")]
    for call, kind, text in cases:
        try:
            call()
        except kind as error:
            assert __import__("re").search(text, str(error)), (text, error)
        else:
            raise AssertionError(f"no {kind.__name__} ({text})")


def check_sampler(rank: int, size: int) -> None:
    """The ranks' DistributedSampler shares cover the data set once per epoch (plus the padding)."""
    from tinygrad_ed import distributed as dist
    from tinygrad_ed.utils.data import DistributedSampler

    for n, drop_last in ((23, False), (23, True), (24, False)):
        sampler = DistributedSampler(range(n), drop_last=drop_last, seed=7)
        for epoch in range(2):
            sampler.set_epoch(epoch)
            shares: list = [None] * size
            dist.all_gather_object(shares, list(sampler))
            everything = [i for share in shares for i in share]
            assert all(len(share) == len(sampler) for share in shares)
            if drop_last:
                assert len(set(everything)) == len(everything) == n - n % size
            else:
                assert set(everything) == set(range(n)) and len(everything) == -(-n // size) * size


def mlp(seed: int):
    import tinygrad_ed as te
    from tinygrad_ed import nn

    te.manual_seed(seed)
    return nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 5))


def check_ddp(bucket_cap_mb: str) -> None:
    """20 SGD steps on N ranks of B rows each equal 20 steps of one process on the N*B rows; then the
    same with two micro-batches per step, the first under no_sync."""
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist
    from tinygrad_ed.nn import functional as F
    from tinygrad_ed.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    steps, rows, micro = 20, 8, 2
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps * micro * size * rows, 16)).astype(np.float32)
    y = rng.integers(0, 5, len(x))
    for accumulate in (1, micro):
        ddp = DistributedDataParallel(mlp(seed=10 + rank), bucket_cap_mb=float(bucket_cap_mb))  # ranks differ...
        reference = mlp(seed=10)  # ...and rank 0's initial weights are broadcast
        if float(bucket_cap_mb) < 0.001:
            assert len(ddp.buckets) == len(list(reference.parameters()))  # one gradient per bucket
        else:
            assert len(ddp.buckets) == 1
        optimizers = [te.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (ddp, reference)]
        group = size * rows * accumulate
        for step in range(steps):
            start = step * group
            optimizers[0].zero_grad()
            for m in range(accumulate):  # this rank's micro-batches: rows rank*B.. of each micro-group
                first = start + m * size * rows + rank * rows
                context = ddp.no_sync() if m < accumulate - 1 else __import__("contextlib").nullcontext()
                with context:
                    loss = F.cross_entropy(ddp(te.from_numpy(x[first:first + rows])),
                                           te.from_numpy(y[first:first + rows])) / accumulate
                    loss.backward()
            optimizers[0].step()
            optimizers[1].zero_grad()
            F.cross_entropy(reference(te.from_numpy(x[start:start + group])),
                            te.from_numpy(y[start:start + group])).backward()
            optimizers[1].step()
        names = list(ddp.state_dict())
        assert names == [f"module.{name}" for name in reference.state_dict()], names
        for (name, got), want in zip(ddp.module.named_parameters(), reference.parameters()):
            difference = np.abs(got.detach().numpy() - want.detach().numpy()).max()
            assert difference < 1e-6, (name, accumulate, difference)  # float32 round-off after 20 steps (seen: 5e-8)
            replicas = [te.zeros(*got.shape) for _ in range(size)]
            dist.all_gather(replicas, got.detach())
            assert all(np.array_equal(r.numpy(), replicas[0].numpy()) for r in replicas)  # bit-identical
    check_ddp_unused_parameters(rank, size, float(bucket_cap_mb))
    check_ddp_buffers(rank, size)
    check_ddp_misuse()
    dist.destroy_process_group()
    print(f"rank {rank}: ddp ok", flush=True)


def check_ddp_unused_parameters(rank: int, size: int, bucket_cap_mb: float) -> None:
    """find_unused_parameters=True: rank r trains head r only (the others add zeros to its average),
    the spare head is used nowhere and keeps no gradient; the result is one process's training of
    the mean of the ranks' losses, each through its own head."""
    import tinygrad_ed as te
    from tinygrad_ed import nn
    from tinygrad_ed.nn import functional as F
    from tinygrad_ed.nn.parallel import DistributedDataParallel

    class Heads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.trunk = nn.Linear(4, 6)
            self.heads = nn.ModuleList([nn.Linear(6, 3) for _ in range(size)])
            self.spare = nn.Linear(6, 3)

        def forward(self, x, head):
            return self.heads[head](self.trunk(x).tanh())

    te.manual_seed(3)
    ddp = DistributedDataParallel(Heads(), bucket_cap_mb=bucket_cap_mb, find_unused_parameters=True)
    te.manual_seed(3)
    reference = Heads()
    optimizers = [te.optim.SGD(m.parameters(), lr=0.2, momentum=0.9) for m in (ddp, reference)]
    rng = np.random.default_rng(5)
    for _ in range(5):
        x = rng.standard_normal((size, 4, 4)).astype(np.float32)
        y = rng.integers(0, 3, (size, 4))
        for optimizer in optimizers:
            optimizer.zero_grad()
        F.cross_entropy(ddp(te.from_numpy(x[rank]), rank), te.from_numpy(y[rank])).backward()
        (sum(F.cross_entropy(reference(te.from_numpy(x[r]), r), te.from_numpy(y[r])) for r in range(size))
         / size).backward()
        for optimizer in optimizers:
            optimizer.step()
    assert ddp.module.spare.weight.grad is None and reference.spare.weight.grad is None
    assert all(p.grad is not None for p in ddp.module.heads.parameters())  # other ranks' heads too
    for (name, got), want in zip(ddp.module.named_parameters(), reference.parameters()):
        difference = np.abs(got.detach().numpy() - want.detach().numpy()).max()
        assert difference < 1e-6, (name, difference)


def check_ddp_buffers(rank: int, size: int) -> None:
    """Buffers (BatchNorm's running statistics) are rank 0's at the start of every forward with grad."""
    import tinygrad_ed as te
    from tinygrad_ed import distributed as dist, nn
    from tinygrad_ed.nn.parallel import DistributedDataParallel

    ddp = DistributedDataParallel(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
    ddp(te.tensor(np.random.default_rng(rank).standard_normal((6, 3)), dtype=te.float32))  # stats differ
    same = te.tensor(np.random.default_rng(99).standard_normal((6, 3)), dtype=te.float32)
    stats = ddp.module[1].running_mean
    everyone = [te.zeros(4) for _ in range(size)]
    dist.all_gather(everyone, stats)
    assert not np.array_equal(everyone[0].numpy(), everyone[1].numpy())
    ddp(same)  # rank 0's statistics first, then the same batch on every rank
    dist.all_gather(everyone, stats)
    assert all(np.array_equal(e.numpy(), everyone[0].numpy()) for e in everyone)


def check_ddp_misuse() -> None:
    """A parameter left out of the loss is named at the next forward (as torch does: its bucket was
    never averaged); the wrapper's hooks leave the module with the wrapper."""
    import gc

    import tinygrad_ed as te
    from tinygrad_ed import nn
    from tinygrad_ed.autograd.hooks import post_accumulate_hooks
    from tinygrad_ed.nn.parallel import DistributedDataParallel

    class Partly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used, self.unused = nn.Linear(2, 1), nn.Linear(2, 1)

        def forward(self, x):
            return self.used(x)
    ddp = DistributedDataParallel(Partly())
    ddp(te.ones(1, 2)).sum().backward()
    try:
        ddp(te.ones(1, 2))
    except RuntimeError as error:
        assert "unused.weight, unused.bias" in str(error) and "used.weight" not in str(error).replace("unused", "")
    else:
        raise AssertionError("an unused parameter went unnoticed")
    module = ddp.module
    assert all(len(post_accumulate_hooks.get(p, ())) == 1 for p in module.parameters())
    del ddp
    gc.collect()
    assert not any(post_accumulate_hooks.get(p, ()) for p in module.parameters())


def check_failure() -> None:
    from tinygrad_ed import distributed as dist

    dist.init_process_group("mpi")
    if dist.get_rank() == 1:
        raise ValueError("rank 1 fails on purpose")
    dist.barrier()  # rank 0 would wait here forever
    print("unreachable", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    scenario, *arguments = sys.argv[1:]
    {"collectives": check_collectives, "ddp": check_ddp, "fail": check_failure}[scenario](*arguments)
