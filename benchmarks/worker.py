"""One measurement, in a fresh process started by run.measure:

    python -m benchmarks.worker SPEC CONTENDER [--profile PATH]

SPEC is a JSON object naming the workload kind and its sizes; --profile dumps cProfile stats of the
measured region to PATH (or, for a PATH ending in GC_LOG_SUFFIX, the garbage collector's pauses).
The worker prints one JSON line:
times (seconds per sample), memory (bytes, see each kind), check (numbers every contender must
agree on) and, for the memory workloads, data_bytes.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import time

import numpy as np

from benchmarks import environment, memory, problems

CHECK_STEPS = 3  # losses of the first steps, compared across contenders
MEM_WARMUP_ROWS = 64


def load_contender(name: str):
    if name == "numpy":
        from benchmarks import numpy_ref
        return numpy_ref
    from benchmarks import torch_like
    if name == "tinygrad_ed":
        return torch_like.TorchLike(torch_like.tinygrad_ed_api())
    if name == "compiled":
        return torch_like.TorchLike(torch_like.tinygrad_ed_api(), compiled=True)
    if name == "torch-compiled":
        return torch_like.TorchLike(torch_like.torch_api(environment.worker_threads()), compiled=True)
    if name == "torch":
        return torch_like.TorchLike(torch_like.torch_api(environment.worker_threads()))
    raise ValueError(f"unknown contender {name!r}")


@contextlib.contextmanager
def profiled(path: str | None):
    """cProfile around the measured region when `path` is given; the stats are dumped there.
    A path ending in GC_LOG_SUFFIX records the garbage collector's pauses there instead."""
    if path is None:
        yield
    elif path.endswith(GC_LOG_SUFFIX):
        with collector_pauses(path):
            yield
    else:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()
            profiler.dump_stats(path)


GC_LOG_SUFFIX = ".gc.json"


@contextlib.contextmanager
def collector_pauses(path: str):
    """Count the garbage collector's runs per generation and time its pauses; write them to `path`
    as JSON together with the wall time of the region."""
    pauses = {generation: [0, 0.0] for generation in range(3)}
    started = []

    def on_collection(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        else:
            entry = pauses[info["generation"]]
            entry[0] += 1
            entry[1] += time.perf_counter() - started.pop()
    gc.callbacks.append(on_collection)
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        gc.callbacks.remove(on_collection)
        with open(path, "w") as file:
            json.dump({"elapsed": elapsed, "pauses": pauses}, file)


def measure_training(contender, step, spec: dict, profile_path: str | None) -> dict:
    """Time per training step, in blocks of steps after a warm-up; memory is the peak growth over
    the process after setup (data, model, imports), so activations, gradients and optimizer state."""
    memory.reset_peak()
    baseline = memory.current()
    check = [step().item() for _ in range(CHECK_STEPS)]
    for _ in range(spec["warmup"]):
        step()
    times = []
    with profiled(profile_path):
        for _ in range(spec["blocks"]):
            start = time.perf_counter()
            for _ in range(spec["block_size"]):
                step()
            times.append((time.perf_counter() - start) / spec["block_size"])
    return {"times": times, "memory": memory.peak() - baseline, "check": check, **compile_time(contender)}


def compile_time(contender) -> dict:
    """The seconds the compiled contender's first call spent capturing and generating its program."""
    seconds = getattr(contender, "compile_seconds", None)
    return {} if seconds is None else {"compile_seconds": seconds}


def mlp(contender, spec: dict, profile_path: str | None) -> dict:
    batch = spec["batch"]
    x, y = problems.mlp_data(spec["batches"] * batch)
    step = contender.mlp_step(problems.mlp_weights(), x, y, batch, spec.get("optimizer", "sgd"))
    return measure_training(contender, step, spec, profile_path)


def sgd1(contender, spec: dict, profile_path: str | None) -> dict:
    x, y = problems.line_data(spec["samples"])
    step = contender.linear_step(problems.linear_weights(1), x, y, 1)
    return measure_training(contender, step, spec, profile_path)


IMAGE_MODELS = {"cnn-digits": (problems.cnn_digits_weights, problems.DIGITS_IMAGE, "cnn_digits_step"),
                "lenet": (problems.lenet_weights, problems.LENET_IMAGE, "lenet_step")}


def image(contender, spec: dict, profile_path: str | None) -> dict:
    """Training steps of a convolutional net on random images."""
    make_weights, shape, method = IMAGE_MODELS[spec["model"]]
    x, y = problems.image_data(spec["batches"] * spec["batch"], shape)
    step = getattr(contender, method)(make_weights(), x, y, spec["batch"])
    return measure_training(contender, step, spec, profile_path)


def gru(contender, spec: dict, profile_path: str | None) -> dict:
    """Training steps of a GRU sequence classifier; there is no numpy reference (the target is torch)."""
    if not hasattr(contender, "gru_step"):
        return {"failure": "n/a", "detail": "no numpy reference for this row"}
    x, y = problems.image_data(spec["batches"] * spec["batch"], (problems.GRU_SEQUENCE, problems.GRU_INPUT))
    step = contender.gru_step(problems.gru_weights(), x, y, spec["batch"])
    return measure_training(contender, step, spec, profile_path)


def deep(contender, spec: dict, profile_path: str | None) -> dict:
    """Time of forward + backward of the whole chain; memory is the peak growth during it."""
    contender.deep_chain(min(spec["n"], 1000))
    if getattr(contender, "compiled", False):  # its captures of the whole chain (two calls), timed apart
        contender.deep_chain(spec["n"])
        contender.deep_chain(spec["n"])
    memory.reset_peak()
    baseline = memory.current()
    times = []
    with profiled(profile_path):
        for _ in range(spec["repeats"]):
            start = time.perf_counter()
            check = contender.deep_chain(spec["n"])
            times.append(time.perf_counter() - start)
    return {"times": times, "memory": memory.peak() - baseline, "check": check, **compile_time(contender)}


def mem(contender, spec: dict, profile_path: str | None) -> dict:
    """One linear-regression step (the full set, or one mini-batch) on data already in memory or
    memory-mapped. Memory is the peak growth during the step beyond the data itself: for a memory
    map, the pages the step reads become resident, so their size is subtracted."""
    memory_mapped = spec["source"] == "mmap"
    x, y = problems.load_regression(spec["data"], memory_mapped)
    batch = spec["batch"] or len(x)
    weights = problems.linear_weights(x.shape[1])
    # a small first step, on other data so that no page of the memory map is resident yet,
    # pays for lazy imports and BLAS buffers before the baseline
    warm_x, warm_y = np.ones((MEM_WARMUP_ROWS, x.shape[1]), x.dtype), np.ones((MEM_WARMUP_ROWS, 1), y.dtype)
    contender.linear_step(weights, warm_x, warm_y, MEM_WARMUP_ROWS)()
    step = contender.linear_step(weights, x, y, batch)
    row_bytes = x.itemsize * x.shape[1] + y.itemsize * y.shape[1]
    memory.reset_peak()
    baseline = memory.current()
    with profiled(profile_path):
        start = time.perf_counter()
        loss = step().item()
        elapsed = time.perf_counter() - start
    read = batch * row_bytes if memory_mapped else 0
    return {"times": [elapsed], "memory": memory.peak() - baseline - read, "check": [loss],
            "data_bytes": len(x) * row_bytes}


KINDS = {"mlp": mlp, "sgd1": sgd1, "deep": deep, "mem": mem, "image": image, "gru": gru}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", help="the workload, as JSON")
    parser.add_argument("contender", help="numpy, tinygrad_ed or torch")
    parser.add_argument("--profile", help="dump cProfile stats (or collector pauses) of the measured region here")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    result = KINDS[spec["kind"]](load_contender(args.contender), spec, args.profile)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
