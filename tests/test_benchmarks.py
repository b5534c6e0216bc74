"""The benchmark scripts run end to end (`--quick` sizes) and produce their tables; the
cross-contender loss check catches disagreement. No timing assertions."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import report, suite

REPO_ROOT = Path(__file__).resolve().parent.parent

QUICK_ROWS = ["mlp-b1", "mlp-b16", "mlp-b128", "mlp-b1024", "adam-mlp-b16", "adam-mlp-b1024", "sgd1", "deep-1e3", "deep-1e4",
              "mem-full-ram-40k", "mem-mini-ram-40k", "mem-full-mmap-40k", "mem-mini-mmap-10k", "mem-mini-mmap-40k",
              "cnn-digits-b64", "lenet-b64", "gru-b32"]


def run_script(module: str, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO_ROOT, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def table_rows(markdown: str) -> dict[str, list[str]]:
    """Workload name -> the cells of its row, from the report's Markdown table."""
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("| workload"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_quick_run_prints_a_table_with_every_workload(tmp_path):
    markdown_file = tmp_path / "RESULTS.md"
    done = run_script("run", "--quick", "--markdown", str(markdown_file))
    assert "| workload | numpy ms | tinygrad_ed ms (x numpy) |" in done.stdout
    rows = table_rows(done.stdout)
    assert list(rows) == QUICK_ROWS
    for name, cells in rows.items():
        numpy_ms, framework_ms = cells[0], cells[1]
        if name == "gru-b32":  # no numpy floor: its target is torch
            assert numpy_ms == "n/a" and float(framework_ms.split()[0]) > 0
            continue
        assert float(numpy_ms.split()[0]) > 0, name
        assert framework_ms.endswith("x)"), (name, framework_ms)  # a time and its ratio, not "error"
    assert rows["mlp-b1"][-2] == "<= 1.5x numpy" and rows["mlp-b1"][-1] in ("pass", "MISS")
    assert "machine:" in done.stdout and "MALLOC_ARENA_MAX=2" in done.stdout
    assert markdown_file.read_text().strip() == done.stdout.strip()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is optional")
def test_torch_contender_agrees_with_numpy():
    rows = "mlp-b16,adam-mlp-b16,sgd1,deep-1e3,mem-mini-mmap-10k"
    done = run_script("run", "--quick", "--contenders", "numpy,torch", "--only", rows)
    rows = table_rows(done.stdout)
    assert list(rows) == ["mlp-b16", "adam-mlp-b16", "sgd1", "deep-1e3", "mem-mini-mmap-10k"]
    assert all(cells[1].endswith("x)") for cells in rows.values())


def test_torch_column_is_left_out_when_torch_cannot_be_imported(tmp_path):
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('no torch here')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    done = run_script("run", "--quick", "--contenders", "numpy,tinygrad_ed,torch", "--only", "sgd1", env=env)
    assert "torch ms" not in done.stdout and "torch not installed" in done.stdout
    assert list(table_rows(done.stdout)) == ["sgd1"]


def test_profile_prints_the_top_functions():
    done = run_script("profile_row", "sgd1", "--quick", "--top", "5")
    assert "tottime" in done.stdout and "(apply)" in done.stdout  # Function.apply, the hottest function


def test_profile_counts_collector_pauses():
    done = run_script("profile_row", "deep-1e4", "--quick", "--gc")
    pauses = re.search(r"paused ([0-9.]+) ms of the ([0-9.]+) ms measured", done.stdout)
    assert pauses and float(pauses.group(1)) <= float(pauses.group(2))
    collections = [int(n) for n in re.findall(r"generation \d: (\d+) collections", done.stdout)]
    assert len(collections) == 3 and collections[0] > 0  # 10,000 recorded ops fill generation 0 many times


def test_mem_minibatch_memory_does_not_grow_with_the_data_set():
    done = run_script("mem_minibatch", "--quick")
    assert "| 40,000 rows" in done.stdout and "| 160,000 rows" in done.stdout
    assert "independent of the data set's size: yes" in done.stdout


def result(check: list[float], memory: int = 0, data_bytes: int = 0, times=(1.0,)) -> report.Result:
    r = report.Result()
    r.add({"times": list(times), "memory": memory, "check": check, "data_bytes": data_bytes})
    return r


def test_disagreeing_losses_are_reported():
    workload = suite.Workload("w", {"kind": "mlp"})
    same = {"w": {"numpy": result([2.3, 2.2]), "tinygrad_ed": result([2.3 * (1 + 1e-6), 2.2])}}
    assert report.disagreements(workload, same) == []
    differ = {"w": {"numpy": result([2.3, 2.2]), "tinygrad_ed": result([2.3, 2.21])}}
    (message,) = report.disagreements(workload, differ)
    assert "tinygrad_ed" in message


def test_rows_without_a_numpy_floor_are_checked_against_torch():
    workload = suite.Workload("gru", {"kind": "gru"})
    floorless = report.Result()
    floorless.add({"failure": "n/a", "detail": "no numpy reference"})
    differ = {"gru": {"numpy": floorless, "tinygrad_ed": result([2.4]), "torch": result([2.3])}}
    (message,) = report.disagreements(workload, differ)
    assert "torch computed" in message
    differ["gru"]["tinygrad_ed"] = result([2.3])
    assert report.disagreements(workload, differ) == [] and report.errors(workload, differ) == []


def test_targets_pass_and_miss():
    ratio = suite.Workload("w", {"kind": "mlp"}, target=("ratio", 1.5))
    timed = {"numpy": result([1.0], times=[1.0, 1.0]), "tinygrad_ed": result([1.0], times=[1.4, 1.6, 1.4])}
    assert report.evaluate(ratio, {"w": timed}) == ("<= 1.5x numpy", "pass")
    timed["tinygrad_ed"] = result([1.0], times=[1.6])
    assert report.evaluate(ratio, {"w": timed}) == ("<= 1.5x numpy", "MISS")

    several = suite.Workload("w", {"kind": "image"}, target=(("ratio", 1.5), ("torch", 1.0), ("peak", 2.0)))
    timed["torch"] = result([1.0], memory=100, times=[1.2])
    timed["numpy"] = result([1.0], memory=100, times=[1.0])
    timed["tinygrad_ed"] = result([1.0], memory=150, times=[1.1])
    assert report.evaluate(several, {"w": timed}) == ("<= 1.5x numpy; <= 1.0x torch; peak <= 2.0x numpy's", "pass")
    timed["tinygrad_ed"] = result([1.0], memory=250, times=[1.3])
    assert report.evaluate(several, {"w": timed}) == ("<= 1.5x numpy; <= 1.0x torch; peak <= 2.0x numpy's",
                                                      "MISS (<= 1.0x torch; peak <= 2.0x numpy's)")

    extra = suite.Workload("m", {"kind": "mem"}, target=("extra", 0.5))
    small = {"numpy": result([1.0]), "tinygrad_ed": result([1.0], memory=40, data_bytes=100)}
    assert report.evaluate(extra, {"m": small})[1] == "pass"
    large = {"numpy": result([1.0]), "tinygrad_ed": result([1.0], memory=60, data_bytes=100)}
    assert report.evaluate(extra, {"m": large})[1] == "MISS"


def test_ratio_pairs_the_contenders_of_each_round():
    numpy, framework = report.Result(), report.Result()
    for numpy_times, framework_times in [([1.0, 1.2], [1.1, 1.3]), ([3.0, 3.0], [3.6, 3.6]), ([1.0], [1.3])]:
        numpy.add({"times": numpy_times, "memory": 0, "check": [0.0]})
        framework.add({"times": framework_times, "memory": 0, "check": [0.0]})
    # round ratios 1.2/1.1, 3.6/3.0 and 1.3/1.0: their median is 1.2, whichever round ran slowly
    assert report.ratio(framework, numpy) == pytest.approx(1.2)
    workload = suite.Workload("w", {"kind": "mlp"}, target=("ratio", 1.25))
    assert report.evaluate(workload, {"w": {"numpy": numpy, "tinygrad_ed": framework}})[1] == "pass"


def test_extra_memory_that_scales_with_the_data_set_is_caught():
    mib = report.MIB
    small_set = result([1.0], memory=1 * mib, data_bytes=30 * mib)
    assert report.independent_of_data_size(result([1.0], memory=1 * mib, data_bytes=120 * mib), small_set)
    assert not report.independent_of_data_size(result([1.0], memory=90 * mib, data_bytes=120 * mib), small_set)
