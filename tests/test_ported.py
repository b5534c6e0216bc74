"""Scripts written against PyTorch's API (examples/ported/) run with only their imports changed.

Each script imports `tinygrad_ed as torch`; the same source with `tinygrad_ed` replaced by `torch`
is a torch script. Both run here, and their results must agree: exactly where the script is
deterministic (fixed initial values), and as the same quality of fit where it draws random
numbers (the random streams differ between the libraries by design).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PORTED = Path(__file__).resolve().parent.parent / "examples" / "ported"
ROOT = PORTED.parent.parent


def run(name: str, tmp_path: Path, library: str) -> str:
    """Run examples/ported/NAME.py with `library` imported as torch; return its output."""
    source = (PORTED / f"{name}.py").read_text()
    if library == "torch":
        source = source.replace("tinygrad_ed", "torch")
    script = tmp_path / library / f"{name}.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(source)
    shutil.copy(PORTED / "names.txt", script.parent)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def number(output: str, label: str) -> float:
    match = re.search(rf"^{re.escape(label)}: (\S+)$", output, re.MULTILINE)
    assert match, f"no '{label}:' line in\n{output}"
    return float(match.group(1))


def torch_output(name: str, tmp_path: Path) -> str:
    pytest.importorskip("torch")
    return run(name, tmp_path, "torch")


def test_polynomial_fit(tmp_path: Path) -> None:
    ours = run("polynomial_fit", tmp_path, "tinygrad_ed")
    assert number(ours, "autograd loss") < 30 and number(ours, "nn loss") < 15  # the cubic fit of sin: ~9
    theirs = torch_output("polynomial_fit", tmp_path)
    assert abs(number(ours, "nn loss") - number(theirs, "nn loss")) < 3


def test_custom_function_matches_torch(tmp_path: Path) -> None:
    ours = run("legendre_function", tmp_path, "tinygrad_ed")
    assert "gradcheck: True" in ours
    theirs = torch_output("legendre_function", tmp_path)
    # fixed initial values and float64: the same trajectory to round-off
    assert number(ours, "loss") == pytest.approx(number(theirs, "loss"), rel=1e-9)


def test_character_model(tmp_path: Path) -> None:
    ours = run("char_mlp", tmp_path, "tinygrad_ed")
    dev = number(ours, "dev loss")
    assert dev < 2.6  # a uniform guess over 27 characters scores log(27) = 3.30
    theirs = torch_output("char_mlp", tmp_path)
    assert abs(dev - number(theirs, "dev loss")) < 0.3


def test_compile_intro(tmp_path: Path) -> None:
    """torch.compile's introduction, ported: every compiled result equals the eager one bit for bit here
    (torch's compiled kernels differ by round-off), and the graph break splits the function in both."""
    ours = run("compile_intro", tmp_path, "tinygrad_ed")
    for label in ("function", "decorated", "module", "training", "split"):
        assert number(ours, f"max difference {label}") == 0.0
    assert number(ours, "graph breaks") == 1 and number(ours, "graphs") == 2  # split around the if, as torch
    number(ours, "speed-up")  # printed, and only that: a time ratio is not a tested figure
    theirs = torch_output("compile_intro", tmp_path)
    for label in ("function", "decorated", "module", "training", "split"):
        assert number(theirs, f"max difference {label}") < 1e-5
    assert number(theirs, "graph breaks") == 1 and number(theirs, "graphs") == 2


def test_gpt_train(tmp_path: Path) -> None:
    """The minimal GPT training script's model and loop, on the names: with compile on, a GradScaler and
    autocast chosen for a GPU (both turn themselves off on a CPU), a checkpoint and top-k sampling. The
    random streams differ from torch's, so both must reach the same quality: the validation loss falls from
    log(vocabulary) to well below it."""
    ours = run("gpt_train", tmp_path, "tinygrad_ed")
    assert number(ours, "parameters") == 26336
    assert number(ours, "first loss") > 3.2 and number(ours, "final val loss") < 2.5
    assert re.search(r"^sample: \S", ours, re.MULTILINE)
    theirs = torch_output("gpt_train", tmp_path)
    assert number(theirs, "parameters") == 26336
    assert number(theirs, "final val loss") < 2.5
