"""The workloads: what each row of the table runs, how often, and the target it is held to.

Targets (see report.evaluate): ("ratio", r) tinygrad_ed's median time at most r times numpy's;
("torch", r) at most r times torch's; ("peak", f) tinygrad_ed's peak memory at most f times numpy's;
("runs", None) tinygrad_ed finishes; ("extra", f) tinygrad_ed's extra memory at most f times the
data's size; ("same-as", name) tinygrad_ed's extra memory the same as on row `name`, whose data
set has another size (within 5% of the difference in data size).
"""
from __future__ import annotations

from dataclasses import dataclass

MLP_TARGETS = {1: 1.5, 16: 1.25, 128: 1.10, 1024: 1.05}
ADAM_TARGETS = {16: 1.15, 1024: 1.05}  # the MLP step with Adam instead of SGD with momentum
# (warm-up steps, timed blocks, steps per block): about a second of steps per worker
MLP_REPEATS = {1: (100, 20, 50), 16: (50, 20, 20), 128: (10, 15, 5), 1024: (3, 8, 2)}
SGD1_SAMPLES = 256
# eager: 25x held against the old floor, which kept a tape and took about twice as long as today's lean
# loop (numpy_ref.deep_chain), so 50x against it; the compiled contender's target is COMPILED_TARGETS'
DEEP_TARGETS = {100_000: ("ratio", 50), 1_000_000: ("runs", None)}
DEEP_REPEATS = {1_000: 3, 10_000: 5, 100_000: 2, 1_000_000: 1}
MEM_BATCH = 1024
# the compiled contender (te.compile): its step's ratio to numpy, per row
COMPILED_TARGETS = {"mlp-b1": 0.80, "mlp-b16": 0.86, "mlp-b128": 0.95, "mlp-b1024": 0.97, "sgd1": 1.3,
                    "deep-1e5": 3}


@dataclass(frozen=True)
class Workload:
    name: str
    spec: dict  # what the worker needs: the kind and its sizes
    rounds: int = 1  # workers per contender, interleaved with the other contenders'
    target: tuple | None = None  # one target, or a tuple of targets that must all pass
    timeout_s: float = 300
    compiled: bool = True  # whether the compiled contender runs it (not the 1e6 chain: capturing it takes minutes)


def workloads(quick: bool) -> list[Workload]:
    return (mlp_workloads(quick) + [sgd1_workload(quick)] + deep_workloads(quick) + mem_workloads(quick)
            + layer_workloads(quick))


def mlp_workloads(quick: bool) -> list[Workload]:
    rows = []
    for batch, target in MLP_TARGETS.items():
        warmup, blocks, block_size = (1, 2, 1) if quick else MLP_REPEATS[batch]
        spec = dict(kind="mlp", batch=batch, batches=4, warmup=warmup, blocks=blocks, block_size=block_size)
        rows.append(Workload(f"mlp-b{batch}", spec, 1 if quick else 3, ("ratio", target)))
    for batch, target in ADAM_TARGETS.items():
        warmup, blocks, block_size = (1, 2, 1) if quick else MLP_REPEATS[batch]
        spec = dict(kind="mlp", batch=batch, batches=4, warmup=warmup, blocks=blocks, block_size=block_size,
                    optimizer="adam")
        rows.append(Workload(f"adam-mlp-b{batch}", spec, 1 if quick else 3, ("ratio", target)))
    return rows


# convolution and recurrent rows: several targets each, all judged in the same run
LAYER_TARGETS = {
    "cnn-digits-b64": (("ratio", 1.25), ("torch", 1.0)),
    "lenet-b64": (("ratio", 1.25), ("torch", 1.5), ("peak", 2.0)),
    "gru-b32": (("torch", 2.0),),
}


def layer_workloads(quick: bool) -> list[Workload]:
    warmup, blocks, block_size = (1, 2, 1) if quick else (5, 20, 4)  # about a second of steps per worker
    repeats = dict(batches=4, warmup=warmup, blocks=blocks, block_size=block_size)
    specs = {"cnn-digits-b64": dict(kind="image", model="cnn-digits", batch=64),
             "lenet-b64": dict(kind="image", model="lenet", batch=64),
             "gru-b32": dict(kind="gru", batch=32)}
    return [Workload(name, {**spec, **repeats}, 1 if quick else 3, LAYER_TARGETS[name])
            for name, spec in specs.items()]


def sgd1_workload(quick: bool) -> Workload:
    warmup, blocks, block_size = (5, 2, 5) if quick else (SGD1_SAMPLES, 20, 100)
    spec = dict(kind="sgd1", samples=SGD1_SAMPLES, warmup=warmup, blocks=blocks, block_size=block_size)
    return Workload("sgd1", spec, 1 if quick else 3, ("ratio", 4))


def deep_workloads(quick: bool) -> list[Workload]:
    rows = []
    for n in (1_000, 10_000) if quick else (10_000, 100_000, 1_000_000):
        spec = dict(kind="deep", n=n, repeats=1 if quick else DEEP_REPEATS[n])
        rounds = 1 if quick or n >= 1_000_000 else 3
        rows.append(Workload(f"deep-1e{len(str(n)) - 1}", spec, rounds, DEEP_TARGETS.get(n),
                             compiled=n < 1_000_000))
    return rows


def mem_workloads(quick: bool) -> list[Workload]:
    small, large = (10_000, 40_000) if quick else (500_000, 2_000_000)
    small_name = mem_name("mini", "mmap", small)
    return [mem_workload("full", "ram", large, ("extra", 0.5)),
            mem_workload("mini", "ram", large),
            mem_workload("full", "mmap", large, ("extra", 0.5)),
            mem_workload("mini", "mmap", small),
            mem_workload("mini", "mmap", large, ("same-as", small_name))]


def mem_workload(mode: str, source: str, rows: int, target: tuple | None = None,
                 batch: int = MEM_BATCH) -> Workload:
    """One step of linear regression on `rows` rows: mode "full" (the whole set) or "mini" (one
    batch), source "ram" (loaded before the measurement) or "mmap" (memory-mapped file)."""
    spec = dict(kind="mem", rows=rows, batch=batch if mode == "mini" else None, source=source)
    return Workload(mem_name(mode, source, rows), spec, 1, target, compiled=False)  # one step: nothing to replay


def mem_name(mode: str, source: str, rows: int) -> str:
    return f"mem-{mode}-{source}-{count_name(rows)}"


def count_name(n: int) -> str:
    """2000000 -> '2M', 500000 -> '500k'."""
    for suffix, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)
