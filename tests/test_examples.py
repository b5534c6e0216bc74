"""Smoke tests of examples/: each example (and the demo) runs at a small size into tmp_path, must write the
files it promises, and must show one real outcome of what it demonstrates."""
from __future__ import annotations

import importlib.util
import math
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = ["demo", "intercept_descent", "gd_variants", "robust_regression", "classification", "custom_op", "newton",
         "cnn_digits", "char_model", "optimizers"]
HAS_DOT = shutil.which("dot") is not None


def load(name: str) -> ModuleType:
    """Import examples/NAME.py as a module, with examples/ on sys.path as when it runs as a script (for _common)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


def assert_file(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size > 0, f"{path} is empty"


def assert_png(path: Path) -> None:
    assert_file(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"


def assert_graph(path: Path, node: str) -> None:
    """An SVG where Graphviz's `dot` is installed, else the graph's source next to where the SVG would be."""
    assert_file(path)
    text = path.read_text()
    if HAS_DOT:
        assert path.suffix == ".svg" and "<svg" in text
    else:
        assert path.suffix == ".gv" and text.lstrip().startswith("digraph")
    assert node in text


@pytest.mark.parametrize("name", NAMES)
def test_help_runs_as_a_script(name: str, tmp_path: Path) -> None:
    """`python examples/NAME.py --help` works from any folder, even without the package installed."""
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--out" in result.stdout


def test_write_graph_falls_back_to_the_source_without_dot(tmp_path: Path, monkeypatch) -> None:
    """Where Graphviz's `dot` is missing, the shared helper writes the graph's source next to the SVG's path."""
    load("custom_op")  # puts examples/_common in sys.modules
    common = sys.modules["_common"]
    monkeypatch.setattr(common.shutil, "which", lambda name: None)

    class Graph:  # what write_graph reads of a graphviz.Digraph when `dot` is missing
        source = "digraph { Softplus }"
    written = common.write_graph(Graph(), tmp_path / "graph.svg")
    assert written == tmp_path / "graph.gv" and written.read_text() == Graph.source
    assert not (tmp_path / "graph.svg").exists()


def test_demo(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    demo = load("demo")
    result = demo.main(["--epochs", "2", "--hidden", "32", "--batch-size", "64", "--lr", "0.05",
                        "--no-progress", "--out", str(tmp_path)])
    assert_png(tmp_path / "loss.png")
    assert_file(tmp_path / "model.ckpt")
    assert_graph(result["graph"], "Linear")
    assert len(result["history"]["test_acc"]) == 2
    assert result["test_accuracy"] > 0.8  # two epochs of a small network already learn the digits
    assert result["reloaded_accuracy"] == result["test_accuracy"]
    assert result["reloaded_loss"] == result["test_loss"]


def test_demo_fails_loudly_when_the_checkpoint_does_not_reproduce(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    demo = load("demo")
    real_load = demo.te.load

    def corrupted_load(path):
        state = real_load(path)
        state["model"]["0.weight"].numpy()[...] = 0.0
        return state
    monkeypatch.setattr(demo.te, "load", corrupted_load)
    with pytest.raises(RuntimeError, match="evaluates differently"):
        demo.main(["--epochs", "1", "--hidden", "16", "--no-progress", "--out", str(tmp_path)])


def test_intercept_descent(tmp_path: Path) -> None:
    example = load("intercept_descent")
    result = example.main(["--out", str(tmp_path)])
    assert_png(tmp_path / "intercept_descent.png")
    best = result["closed_form"]
    assert abs(best - 1.2167) < 1e-4  # the tutorial's number, from the same data
    assert abs(result["grid_best"] - best) < 1e-3
    runs = result["runs"]
    start_gap = abs(runs["good"]["c"][0] - best)
    good = runs["good"]
    # as docs/gradient-descent.md derives: with lr 0.1 the step first falls below 0.001 at step 26
    steps = [0.1 * abs(slope) for slope in good["slope"]]
    assert len(steps) == 27 and steps[25] < 0.001 <= steps[24] and abs(good["c"][-1] - best) < 0.005
    too_small = [abs(c - best) for c in runs["too small"]["c"]]
    assert all(a > b for a, b in zip(too_small, too_small[1:])) and too_small[-1] > 0.5 * start_gap  # crawls
    too_large = [abs(c - best) for c in runs["too large"]["c"]]
    tutorial = (Path(__file__).parent.parent / "docs" / "gradient-descent.md").read_text()
    assert "x = te.tensor([0.5, 2.3, 2.9])" in tutorial and "y = te.tensor([1.4, 1.9, 3.2])" in tutorial
    assert example.X.tolist() == [0.5, 2.3, 2.9] and example.Y.tolist() == [1.4, 1.9, 3.2] and example.SLOPE == 0.5
    assert "slope = 0.5" in tutorial
    assert all(a < b for a, b in zip(too_large, too_large[1:])) and too_large[-1] > 5 * start_gap  # diverges


def test_gd_variants(tmp_path: Path) -> None:
    result = load("gd_variants").main(["--samples", "8192", "--features", "20", "--epochs", "1",
                                       "--out", str(tmp_path)])
    assert_png(tmp_path / "gd_variants.png")
    batch, mini, stochastic = (result["results"][n] for n in ("batch", "mini-batch", "stochastic"))
    assert (batch["updates"], mini["updates"], stochastic["updates"]) == (1, 256, 8192)
    assert batch["gradient_noise"] < 1e-4 < mini["gradient_noise"] < stochastic["gradient_noise"]
    assert batch["peak_bytes"] > 2 * stochastic["peak_bytes"]  # the whole data set per step costs memory
    assert math.isnan(batch["last_epoch_loss_std"]) and stochastic["last_epoch_loss_std"] > 0
    for r in (batch, mini, stochastic):
        assert r["loss"][-1] < r["loss"][0]
    assert stochastic["loss"][-1] < batch["loss"][-1]  # more updates per epoch: further in one epoch


def test_robust_regression(tmp_path: Path) -> None:
    result = load("robust_regression").main(["--steps", "1000", "--out", str(tmp_path)])
    assert_png(tmp_path / "robust_regression.png")
    fits, exact = result["fits"], result["exact"]
    for name in ("L1 (MAE)", "L2 (MSE)"):  # gradient descent reaches the exact fits
        assert fits[name] == pytest.approx(exact[name], abs=2e-2)
    true_slope = result["true"][0]
    assert abs(fits["L1 (MAE)"][0] - true_slope) < 0.1 < 0.5 < abs(fits["L2 (MSE)"][0] - true_slope)
    huber = [abs(w - true_slope) for name, (w, _) in fits.items() if name.startswith("Huber")]
    assert huber == sorted(huber)  # a larger delta behaves more like the squared error


def test_classification(tmp_path: Path) -> None:
    result = load("classification").main(["--points", "40", "--steps", "80", "--out", str(tmp_path)])
    assert_png(tmp_path / "classification.png")
    rows = result["worked_example"]
    for row in rows.values():
        assert row["tinygrad_ed"] == pytest.approx(row["hand"], rel=1e-6)
        assert row["tinygrad_ed_soft"] == pytest.approx(row["hand"], rel=1e-6)
        assert row["hand"] == pytest.approx(-math.log(row["p_true"]))
    worst = rows["very confident, wrong"]
    assert worst["hand"] > 4 > 2 > worst["squared"]
    assert result["losses"][-1] < result["losses"][0] and result["accuracy"] > 0.85


def test_custom_op(tmp_path: Path) -> None:
    result = load("custom_op").main(["--out", str(tmp_path)])
    assert_png(tmp_path / "custom_op.png")
    assert_graph(result["graph"], "Softplus")
    assert result["first_order"] is True and result["second_order"] is True
    assert result["broken_caught"] and result["numpy_second_order_refused"]
    assert result["max_error_first"] < 1e-12 and result["max_error_second"] < 1e-12


def test_newton(tmp_path: Path) -> None:
    newton = load("newton")
    result = newton.main(["--max-iter", "300", "--samples", "120", "--features", "4", "--out", str(tmp_path)])
    assert_png(tmp_path / "newton.png")
    for problem, method in (("rosenbrock", "Newton"), ("logistic", "Newton-CG")):
        second, first = result[problem][method], result[problem]["gradient descent"]
        assert second["converged"] and second["iterations"] < first["iterations"] / 5
    np.testing.assert_allclose(result["rosenbrock"]["Newton"]["x"], [1.0, 1.0], atol=1e-6)
    _, _, hvp = newton.hessian_vector_product(newton.rosenbrock, np.array([1.0, 1.0]))
    np.testing.assert_allclose(newton.hessian(hvp, 2), [[802.0, -400.0], [-400.0, 200.0]])


def test_cnn_digits(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    result = load("cnn_digits").main(["--epochs", "2", "--out", str(tmp_path)])
    for path in result["plots"]:
        assert_png(path)
    history = result["history"]
    assert history["train_loss"][-1] < history["train_loss"][0] < 2.5
    assert result["accuracy"] > 0.3  # two epochs; the full run reaches >= 98.5%


def test_char_model(tmp_path: Path) -> None:
    result = load("char_model").main(["--mlp-steps", "150", "--gru-steps", "60", "--samples", "3",
                                      "--out", str(tmp_path)])
    assert_png(result["plot"])
    for loss in result["valid"].values():
        assert loss < result["uniform"]  # both beat guessing uniformly among the characters
    for samples in result["samples"].values():
        assert len(samples) == 3 and all(set(name) <= set("abcdefghijklmnopqrstuvwxyz") for name in samples)


def test_optimizers(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    result = load("optimizers").main(["--steps", "60", "--epochs", "2", "--out", str(tmp_path)])
    for picture in ("optimizers_paths.png", "lr_schedules.png", "optimizers_digits.png"):
        assert_png(tmp_path / picture)
    valley = result["final_loss"]["valley"]
    assert valley["Adam"] < valley["SGD"] / 10  # per-weight step sizes cross the narrow valley faster
    assert all(r["accuracy"] > 0.85 for r in result["classifier"].values())
    cosine = result["schedules"]["CosineAnnealingLR(50)"]
    assert cosine[0] == 1.0 and cosine[50] < 1e-12 and cosine[100] > 0.99
