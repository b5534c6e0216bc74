"""Second-order optimisation: Newton's method from Hessian-vector products, against gradient descent.

    python examples/newton.py        # writes out/newton.png

Gradient descent uses the slope only; Newton's method also uses the
curvature, stepping to the minimum of the local quadratic model: solve
H p = -g. tinygrad_ed gives the curvature through grad of grad: with
g = grad(f, x, create_graph=True), the gradient of g . v is H v, a
Hessian-vector product (HVP), for the cost of about two backward passes.

* Rosenbrock's banana valley f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 (2 parameters):
  the Hessian is built column by column from the HVPs H e_1 and H e_2.
* L2-regularised logistic regression (d parameters): the Newton system is solved
  by conjugate gradient using HVPs only, never forming the d x d Hessian (Newton-CG).

Both methods use the same stopping rule, |gradient| < --tol, and backtracking
line search, so the number of iterations compares their directions.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure
import tinygrad_ed as te
from tinygrad_ed.autograd import grad
from tinygrad_ed.nn import functional as F

Objective = Callable[[te.Tensor], te.Tensor]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--tol", type=float, default=1e-6, help="stop when the gradient's norm is below this")
    parser.add_argument("--max-iter", type=int, default=20000, help="iteration limit of each method")
    parser.add_argument("--samples", type=int, default=400, help="rows of the logistic-regression data")
    parser.add_argument("--features", type=int, default=8, help="features of the logistic-regression data")
    parser.add_argument("--seed", type=int, default=0, help="seed of the logistic-regression data")
    add_out(parser, "newton.png")
    return parser.parse_args(argv)


def rosenbrock(x: te.Tensor) -> te.Tensor:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def gradient(f: Objective, x: np.ndarray) -> tuple[float, np.ndarray]:
    xt = te.tensor(x, requires_grad=True)
    value = f(xt)
    (g,) = grad(value, xt)
    return value.item(), g.numpy()


def hessian_vector_product(f: Objective, x: np.ndarray) -> tuple[float, np.ndarray, Callable]:
    """f(x), its gradient g, and v -> H v through one graph of g (kept alive for every product)."""
    xt = te.tensor(x, requires_grad=True)
    value = f(xt)
    (g,) = grad(value, xt, create_graph=True)  # g is itself a differentiable function of x

    def hvp(v: np.ndarray) -> np.ndarray:
        (hv,) = grad((g * te.tensor(v)).sum(), xt, retain_graph=True)  # d/dx (g . v) = H v
        return hv.numpy()
    return value.item(), g.detach().numpy(), hvp


def hessian(hvp: Callable, n: int) -> np.ndarray:
    """The full Hessian, column i being H e_i."""
    return np.column_stack([hvp(e) for e in np.eye(n)])


def conjugate_gradient(hvp: Callable, b: np.ndarray, iterations: int, tol: float) -> tuple[np.ndarray, int]:
    """Solve H p = b with HVPs only (H symmetric positive definite); returns p and the number of HVPs."""
    p, r = np.zeros_like(b), b.copy()
    d, rr = r.copy(), r @ r
    for k in range(iterations):
        hd = hvp(d)
        alpha = rr / (d @ hd)
        p, r = p + alpha * d, r - alpha * hd
        rr, previous = r @ r, rr
        if np.sqrt(rr) < tol:
            return p, k + 1
        d = r + (rr / previous) * d
    return p, iterations


def backtrack(f: Objective, x: np.ndarray, value: float, g: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Halve the step until it decreases f enough (Armijo's rule)."""
    t = 1.0
    with te.no_grad():
        while t > 1e-12 and f(te.tensor(x + t * step)).item() > value + 1e-4 * t * (g @ step):
            t /= 2
    return x + t * step


def gradient_descent(f: Objective, x0: np.ndarray, lr: float, tol: float, max_iter: int) -> dict:
    """x <- x - lr * g, with the step halved where it would not decrease f."""
    start = time.perf_counter()
    x, path, norms = x0.copy(), [x0.copy()], []
    for iteration in range(max_iter + 1):
        value, g = gradient(f, x)
        norms.append(float(np.linalg.norm(g)))
        if norms[-1] < tol or iteration == max_iter:
            break
        x = backtrack(f, x, value, g, -lr * g)
        path.append(x.copy())
    return {"x": x, "path": np.array(path), "grad_norm": norms, "iterations": len(norms) - 1,
            "converged": norms[-1] < tol, "seconds": time.perf_counter() - start}


def newton(f: Objective, x0: np.ndarray, tol: float, max_iter: int, use_cg: bool = False) -> dict:
    """x <- x + p with H p = -g (full Hessian from HVPs, or conjugate gradient on HVPs), line-searched."""
    start = time.perf_counter()
    x, path, norms, hvps = x0.copy(), [x0.copy()], [], 0
    for iteration in range(max_iter + 1):
        value, g, hvp = hessian_vector_product(f, x)
        norms.append(float(np.linalg.norm(g)))
        if norms[-1] < tol or iteration == max_iter:
            break
        if use_cg:
            step, used = conjugate_gradient(hvp, -g, iterations=len(x), tol=1e-3 * norms[-1])
        else:
            step, used = np.linalg.solve(hessian(hvp, len(x)), -g), len(x)
        hvps += used
        if g @ step >= 0:  # the Hessian is not positive definite here: fall back to the gradient direction
            step = -g
        x = backtrack(f, x, value, g, step)
        path.append(x.copy())
    return {"x": x, "path": np.array(path), "grad_norm": norms, "iterations": len(norms) - 1,
            "converged": norms[-1] < tol, "hvps": hvps, "seconds": time.perf_counter() - start}


def logistic_problem(samples: int, features: int, seed: int) -> tuple[Objective, float]:
    """Mean binary cross-entropy with an L2 penalty, and the gradient's Lipschitz constant L (for lr = 1/L)."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(0.2, 3.0, features)  # features on different scales: an ill-conditioned problem
    x = rng.standard_normal((samples, features)) * scales
    w_true = rng.normal(0, 1, features)
    y = (rng.random(samples) < 1 / (1 + np.exp(-(x @ w_true)))).astype(np.float64)
    inputs = te.tensor(np.column_stack([x, np.ones(samples)]))  # last weight: the bias
    targets, penalty = te.tensor(y), 1e-2

    def objective(w: te.Tensor) -> te.Tensor:
        logits = inputs @ w
        return F.binary_cross_entropy_with_logits(logits, targets) + 0.5 * penalty * (w * w).sum()
    design = inputs.numpy()
    lipschitz = 0.25 * np.linalg.eigvalsh(design.T @ design / samples).max() + penalty
    return objective, float(lipschitz)


def plot(rosen: dict[str, dict], logistic: dict[str, dict], path: Path) -> None:
    from matplotlib.colors import LogNorm

    plt = pyplot()
    colors = {"gradient descent": "tab:orange", "Newton": "tab:blue", "Newton-CG": "tab:blue"}
    fig, (ax_path, ax_rosen, ax_logistic) = plt.subplots(1, 3, figsize=(16, 4.9))
    gx, gy = np.meshgrid(np.linspace(-1.6, 1.6, 400), np.linspace(-0.6, 1.8, 400))
    surface = (1 - gx) ** 2 + 100 * (gy - gx ** 2) ** 2
    shading = ax_path.contourf(gx, gy, surface + 1e-3, levels=np.geomspace(1e-3, 1e3, 25), norm=LogNorm(),
                               cmap="Greys_r", alpha=0.7)
    fig.colorbar(shading, ax=ax_path, label="f(x, y)", ticks=[1e-3, 1e-1, 1e1, 1e3])
    for name, run in rosen.items():
        p = run["path"]
        ax_path.plot(p[:, 0], p[:, 1], ".-" if name == "Newton" else "-", color=colors[name], lw=1.5, ms=8,
                     label=f"{name}: {run['iterations']} iterations")
    ax_path.plot(-1.2, 1.0, "s", color="black", ms=7, label="start (-1.2, 1)")
    ax_path.plot(1.0, 1.0, "*", color="gold", mec="black", ms=15, label="minimum (1, 1)")
    ax_path.set(xlabel="x", ylabel="y", title="Rosenbrock's valley: paths to the minimum")
    ax_path.legend(loc="lower right", fontsize=8.5)

    for ax, runs, title in ((ax_rosen, rosen, "Rosenbrock (2 parameters)"),
                            (ax_logistic, logistic, "Logistic regression")):
        for name, run in runs.items():
            label = f"{name}: {run['iterations']} iterations"
            if "hvps" in run:
                label += f", {run['hvps']} HVPs"
            ax.plot(np.arange(len(run["grad_norm"])), run["grad_norm"], color=colors[name], lw=1.8, label=label)
        ax.set(xlabel="iteration (log scale after 1)", ylabel="gradient norm |g|", xscale="symlog", yscale="log",
               title=f"{title}: convergence")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8.5)
    fig.suptitle("Newton's method (Hessian-vector products by grad of grad) vs gradient descent")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)

    start = np.array([-1.2, 1.0])
    rosen = {"gradient descent": gradient_descent(rosenbrock, start, 2e-3, args.tol, args.max_iter),
             "Newton": newton(rosenbrock, start, args.tol, args.max_iter)}
    _, _, hvp = hessian_vector_product(rosenbrock, np.array([1.0, 1.0]))
    print(f"Rosenbrock Hessian at (1, 1) from HVPs: {hessian(hvp, 2).round(6).tolist()} "
          "(exact: [[802, -400], [-400, 200]])")

    objective, lipschitz = logistic_problem(args.samples, args.features, args.seed)
    w0 = np.zeros(args.features + 1)
    logistic = {"gradient descent": gradient_descent(objective, w0, 1 / lipschitz, args.tol, args.max_iter),
                "Newton-CG": newton(objective, w0, args.tol, args.max_iter, use_cg=True)}

    print(f"\n{'problem':<20} {'method':<17} {'iterations':>10} {'converged':>10} {'|g| at end':>11} "
          f"{'time (s)':>9}  solution")
    for problem, runs in (("Rosenbrock", rosen), ("logistic regression", logistic)):
        for name, run in runs.items():
            shown = np.array2string(run["x"][:3], precision=5) + (" ..." if len(run["x"]) > 3 else "")
            print(f"{problem:<20} {name:<17} {run['iterations']:>10} {str(run['converged']):>10} "
                  f"{run['grad_norm'][-1]:>11.2e} {run['seconds']:>9.3f}  {shown}")
    print(f"(logistic regression: gradient descent with lr = 1/L = {1 / lipschitz:.3f}; "
          f"Newton-CG used {logistic['Newton-CG']['hvps']} Hessian-vector products in all)")

    path = out / "newton.png"
    plot(rosen, logistic, path)
    print(f"wrote {path}")
    return {"rosenbrock": rosen, "logistic": logistic, "plot": path}


if __name__ == "__main__":
    main()
