"""Pooling worker outcomes, checking that the contenders agree, judging targets, and the
Markdown report."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np

from benchmarks.suite import COMPILED_TARGETS, Workload

REFERENCE, FRAMEWORK, COMPILED, TORCH = "numpy", "tinygrad_ed", "compiled", "torch"
CHECK_RTOL, CHECK_ATOL = 1e-4, 1e-6  # float32 rounding, summed in different orders
MIB = 2 ** 20


@dataclass
class Result:
    """One contender on one workload, pooled over its rounds."""
    times: list[float] = field(default_factory=list)  # seconds
    round_medians: list[float] = field(default_factory=list)  # seconds, one per round (worker)
    memories: list[int] = field(default_factory=list)  # bytes
    check: list[float] | None = None
    data_bytes: int = 0
    compile_seconds: list[float] = field(default_factory=list)  # the compiled contender's capture, per round
    failure: str | None = None  # "timeout", or "error" with the worker's stderr in `detail`
    detail: str = ""

    def add(self, outcome: dict) -> None:
        if "failure" in outcome:
            self.failure, self.detail = outcome["failure"], outcome.get("detail", "")
            return
        self.times += outcome["times"]
        self.round_medians.append(statistics.median(outcome["times"]))
        self.memories.append(outcome["memory"])
        self.check = self.check or outcome["check"]
        self.data_bytes = outcome.get("data_bytes", 0)
        if "compile_seconds" in outcome:
            self.compile_seconds.append(outcome["compile_seconds"])

    @property
    def ok(self) -> bool:
        return self.failure is None and bool(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def memory(self) -> int:
        return max(self.memories)


Results = dict[str, dict[str, Result]]  # workload name -> contender -> Result


def ratio(result: Result, reference: Result) -> float:
    """The median over rounds of each round's ratio of medians. The contenders of a round run back
    to back, so a slow spell of a shared machine that spans the round cancels out of its ratio."""
    return statistics.median(r / n for r, n in zip(result.round_medians, reference.round_medians))


def disagreements(workload: Workload, results: Results) -> list[str]:
    """Contenders whose losses (or chain value and gradient) differ from the numpy reference's."""
    by_contender = results[workload.name]
    # a row without a numpy reference (gru-b32) checks tinygrad_ed against torch
    judge = REFERENCE if by_contender[REFERENCE].check is not None else TORCH
    reference = by_contender[judge].check if judge in by_contender else None
    found = []
    for name, result in by_contender.items():
        if reference is None or result.check is None or name == judge:
            continue
        if not np.allclose(result.check, reference, rtol=CHECK_RTOL, atol=CHECK_ATOL):
            found.append(f"{workload.name}: {name} computed {result.check}, {judge} computed {reference}")
    return found


def errors(workload: Workload, results: Results) -> list[str]:
    return [f"{workload.name}: {name} failed:\n{result.detail}"
            for name, result in results[workload.name].items() if result.failure == "error"]


TARGET_TEXT = {"ratio": "<= {}x numpy", "runs": "finishes", "extra": "extra <= {}x data", "same-as": "extra = {}'s",
               "torch": "<= {}x torch", "peak": "peak <= {}x numpy's"}


def evaluate(workload: Workload, results: Results) -> tuple[str, str]:
    """The target's description and 'pass' or 'MISS' (empty strings without a target). A row with several
    targets lists them all; it passes when all pass, and says which missed."""
    if workload.target is None:
        return "", ""
    targets = workload.target if isinstance(workload.target[0], tuple) else (workload.target,)
    judged = [evaluate_one(kind, value, workload, results) for kind, value in targets]
    if len(judged) == 1:
        return judged[0]
    verdicts = [verdict for _, verdict in judged]
    if "" in verdicts:
        verdict = ""
    elif "MISS" in verdicts:
        verdict = "MISS (" + "; ".join(text for text, v in judged if v == "MISS") + ")"
    else:
        verdict = "pass"
    return "; ".join(text for text, _ in judged), verdict


def evaluate_one(kind: str, value, workload: Workload, results: Results) -> tuple[str, str]:
    description = TARGET_TEXT[kind].format(value)
    row = results[workload.name]
    framework = row.get(FRAMEWORK)
    reference = row.get(TORCH) if kind == "torch" else row[REFERENCE]
    if framework is None or reference is None or not reference.ok:
        return description, ""
    if not framework.ok:
        return description, "MISS"
    if kind in ("ratio", "torch"):
        passed = ratio(framework, reference) <= value
    elif kind == "peak":
        passed = framework.memory <= value * reference.memory
    elif kind == "runs":
        passed = True
    elif kind == "extra":
        passed = framework.memory <= value * framework.data_bytes
    elif value not in results:  # the row to compare with was not run
        return description, ""
    else:
        passed = independent_of_data_size(framework, results[value][FRAMEWORK])
    return description, "pass" if passed else "MISS"


def evaluate_compiled(workload: Workload, results: Results) -> tuple[str, str]:
    """The compiled step's target (a ratio to numpy) and 'pass' or 'MISS', where the row has one."""
    target = COMPILED_TARGETS.get(workload.name)
    compiled, reference = results[workload.name].get(COMPILED), results[workload.name][REFERENCE]
    if target is None or compiled is None:
        return "", ""
    if not reference.ok:
        return f"<= {target}x numpy", ""
    return f"<= {target}x numpy", "pass" if compiled.ok and ratio(compiled, reference) <= target else "MISS"


def independent_of_data_size(a: Result, b: Result) -> bool:
    """Equal extra memory on two data sets: within 5% of their size difference (and 1 MiB of noise)."""
    tolerance = max(0.05 * abs(a.data_bytes - b.data_bytes), MIB)
    return b.ok and abs(a.memory - b.memory) <= tolerance


def format_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.4f}" if ms < 0.1 else f"{ms:.3f}" if ms < 10 else f"{ms:.1f}" if ms < 1000 else f"{ms:.0f}"


def time_cell(result: Result, reference: Result, is_reference: bool) -> str:
    if not result.ok:
        return result.failure or "-"
    cell = format_ms(result.median)
    if len(result.times) > 1:
        cell += f" [{format_ms(min(result.times))}-{format_ms(max(result.times))}]"
    if not is_reference and reference.ok:
        cell += f" ({ratio(result, reference):.2f}x)"
    if result.compile_seconds:
        cell += f"; first calls {max(result.compile_seconds):.2f} s"
    return cell


def memory_cell(result: Result) -> str:
    if not result.ok:
        return "-"
    cell = f"{result.memory / MIB:.1f}"
    if result.data_bytes:
        cell += f" ({result.memory / result.data_bytes:.3f}x data)"
    return cell


def table(workloads: list[Workload], contenders: list[str], results: Results) -> list[str]:
    header = (["workload"] + [f"{c} ms" + ("" if c == REFERENCE else " (x numpy)") for c in contenders]
              + [f"{c} peak MiB" for c in contenders] + ["target", "result"]
              + (["compiled target", "result"] if COMPILED in contenders else []))
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for workload in workloads:
        row = results[workload.name]
        reference = row[REFERENCE]
        cells = ([workload.name] + [time_cell(row[c], reference, c == REFERENCE) for c in contenders]
                 + [memory_cell(row[c]) for c in contenders] + list(evaluate(workload, results))
                 + (list(evaluate_compiled(workload, results)) if COMPILED in contenders else []))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def document(workloads: list[Workload], contenders: list[str], results: Results,
             setup: list[str], memory_method: str) -> str:
    """The whole Markdown report: setup, table, how to read it."""
    return "\n".join([
        "# tinygrad_ed benchmarks", "",
        *setup, "",
        *table(workloads, contenders, results), "",
        "Times: median [min-max] in milliseconds over all timed samples of all rounds: per training step "
        "for mlp-* and sgd1, per forward+backward of the whole chain for deep-*, for the one measured "
        "step for mem-*. (Nx numpy) is the ratio to the numpy reference: in each round the contenders "
        "run one after another, the round's ratio divides their median times, and the table shows the "
        "median of those ratios over the rounds (a slow spell of the machine that spans a round cancels "
        "out). Lower is better; 1.00x means no framework overhead. The compiled column is tinygrad_ed's "
        "step under te.compile (captured on its first two calls, replayed after), torch-compiled torch's "
        "under torch.compile; 'first calls' is the wall time of the first two calls (te.compile's "
        "captures: the eager step, its recording and the code generation; torch's compilation), not in "
        "the median.",
        f"Memory: {memory_method}, minus the RSS at its start, in MiB; for mlp-* and sgd1 the region "
        "is every training step after setup, for deep-* the chain runs. For mem-* it is one step, "
        "minus the size of the data that step reads from a memory map (those pages become "
        "resident), shown also as a multiple of the data set's size.",
        "",
    ])
