"""L-BFGS: a quasi-Newton method that builds the inverse Hessian's action from the last `history_size`
steps and gradient changes; `step(closure)` re-evaluates the loss as often as it needs."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..autograd import enable_grad
from ..autograd.versions import record_write
from .line_search import strong_wolfe
from .optimizer import Optimizer


class LBFGS(Optimizer):
    """torch's LBFGS: up to max_iter iterations per step; direction d = -H g by the two-loop recursion
    over the stored (s, y) pairs; step t = lr (the first one scaled by min(1, 1/|g|_1)), or a strong
    Wolfe line search. One parameter group; the parameters are treated as one flat vector."""

    def __init__(self, params: Iterable[Any], lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self.params = self.param_groups[0]["params"]

    def validate(self, group: dict[str, Any]) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"LBFGS: invalid learning rate {group['lr']!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}")

    def flat_grad(self) -> np.ndarray:
        return np.concatenate([np.zeros(p.numel(), p.dtype) if p.grad is None else p.grad.array.reshape(-1)
                               for p in self.params])

    def add_to_params(self, t: float, d: np.ndarray) -> None:
        start = 0
        for p in self.params:
            n = p.numel()
            p.array += t * d[start:start + n].reshape(p.shape)
            record_write(p.array)
            start += n

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to max_iter iterations; returns the loss the closure gave first."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the model and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval, history_size = group["lr"], group["max_iter"], group["max_eval"], group["history_size"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(self.params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        def evaluate() -> tuple[Any, float, np.ndarray]:
            with enable_grad():
                result = closure()
            return result, float(result), self.flat_grad()

        orig_loss, loss, g = evaluate()
        evals = 1
        state["func_evals"] += 1
        if np.abs(g).max() <= tolerance_grad:
            return orig_loss
        d: Any = state.get("d")  # the search state carried over from the last step (None on the first)
        t: Any = state.get("t")
        prev_g: Any = state.get("prev_flat_grad")
        prev_loss: Any = state.get("prev_loss")
        old_dirs: Any = state.get("old_dirs")
        old_steps: Any = state.get("old_stps")
        ro: Any = state.get("ro")
        h_diag: Any = state.get("H_diag")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_steps, ro, h_diag = -g, [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only if the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_steps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_steps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = self.two_loop(-g, old_dirs, old_steps, ro, h_diag)
            prev_g, prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = float(g @ d)
            if gtd > -tolerance_change:  # not a descent direction
                break
            ls_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                start = [p.array.copy() for p in self.params]

                def at(step: float, d: np.ndarray = d, start: list = start) -> tuple[float, np.ndarray]:
                    self.add_to_params(step, d)
                    _, value, grad = evaluate()
                    for p, saved in zip(self.params, start):
                        p.array[...] = saved
                        record_write(p.array)
                    return value, grad

                loss, g, t, ls_evals = strong_wolfe(at, t, d, loss, g, gtd, max_ls=max_eval - evals)
                self.add_to_params(t, d)
                converged = np.abs(g).max() <= tolerance_grad
            else:
                self.add_to_params(t, d)
                converged = False
                if n_iter != max_iter:
                    _, loss, g = evaluate()
                    converged, ls_evals = np.abs(g).max() <= tolerance_grad, 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if (n_iter == max_iter or evals >= max_eval or converged
                    or np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_steps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss

    @staticmethod
    def two_loop(q: np.ndarray, old_dirs: list, old_steps: list, ro: list, h_diag: float) -> np.ndarray:
        """H q for the L-BFGS inverse-Hessian estimate H (Nocedal and Wright, algorithm 7.4)."""
        alphas = [0.0] * len(old_dirs)
        for i in range(len(old_dirs) - 1, -1, -1):
            alphas[i] = float(old_steps[i] @ q) * ro[i]
            q -= alphas[i] * old_dirs[i]
        r = q * h_diag
        for i in range(len(old_dirs)):
            beta = float(old_dirs[i] @ r) * ro[i]
            r += (alphas[i] - beta) * old_steps[i]
        return r


__all__ = ["LBFGS"]
