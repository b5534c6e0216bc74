"""The optimizer base class. `Optimizer` holds parameter groups and per-parameter state and runs the
loop over parameters with a gradient; a new optimizer writes `__init__` (its defaults), `validate` and
`update` (one parameter's step on numpy arrays, in place)."""
from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable

import numpy as np

from ..autograd import enable_grad
from ..autograd.versions import record_writes
from ..tensor import Tensor


SCRATCH_MIN_SIZE = 4096


def zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Drop (or zero) the gradients of `params`: what `Optimizer.zero_grad` and `Module.zero_grad` do."""
    if set_to_none:  # the training loop's call
        for p in params:
            p.grad = None
        return
    for p in params:
        if p.grad is not None:
            p.grad = Tensor._make(np.zeros_like(p.array))


def check_unsupported(name: str, **options: Any) -> None:
    """torch's keyword arguments for devices and compiled kernels: accepted at their defaults only."""
    for option, value in options.items():
        if value not in (None, False):
            raise ValueError(f"{name}: {option}={value!r} is not supported (tinygrad_ed runs one numpy "
                             f"implementation on the CPU); leave {option} at its default")


def check_non_negative(name: str, group: dict[str, Any], *options: str) -> None:
    for option in options:
        value = group[option]
        if not isinstance(value, numbers.Real) or not float(value) >= 0.0:
            raise ValueError(f"{name}: invalid {option} {value!r} (must be a number >= 0)")


def check_betas(name: str, betas: Any) -> None:
    if len(betas) != 2 or not all(isinstance(b, numbers.Real) and 0.0 <= float(b) < 1.0 for b in betas):
        raise ValueError(f"{name}: invalid betas {betas!r} (two numbers in [0, 1))")


class Optimizer:
    """Base class: `param_groups` (dicts of hyper-parameters plus 'params') and `state` per parameter."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._scratch: dict[tuple, np.ndarray] = {}
        if isinstance(params, Tensor):  # iterating it would give its rows
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                            "got a Tensor (wrap it in a list)")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                            f"got {type(params).__name__}") from None
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        if not isinstance(group, dict):
            raise TypeError(f"{type(self).__name__}: a parameter group must be a dict, got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{type(self).__name__}: a parameter group needs a 'params' entry, got {sorted(group)}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:  # frozen (requires_grad=False) leaves are fine, as in torch: they get no grad
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: a parameter appears more than once in a parameter group "
                             "(it would be updated twice per step)")
        known = {id(p) for p in self._all_params()}
        if any(id(p) in known for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        full = {**self.defaults, **group, "params": params}
        self.validate(full)
        self.param_groups.append(full)

    def validate(self, group: dict[str, Any]) -> None:
        """Raise ValueError for hyper-parameters the optimizer rejects."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns `closure()`'s loss (None without one)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        written = []
        update, states = self.update, self.state
        try:
            for group in self.param_groups:
                for p in group["params"]:
                    grad = p.grad
                    if grad is not None:
                        array = p.array
                        state = states.get(p)
                        if state is None:
                            state = states[p] = {}
                        update(array, grad.array, state, group)
                        written.append(array)
        finally:
            if written:  # graphs that saved the old values refuse to backward (version counters)
                record_writes(written)
        return loss

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Change `param` in place from `grad`, this parameter's `state` and its group's hyper-parameters."""
        raise NotImplementedError

    def scratch(self, like: np.ndarray, slot: int = 0) -> np.ndarray | None:
        """A work array shaped like `like`, reused across parameters and steps (not part of the state), for
        `out=`; None (numpy allocates) for small arrays, where a fresh array costs less than the lookup."""
        if like.size < SCRATCH_MIN_SIZE:
            return None
        key = (like.shape, like.dtype, slot)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = np.empty_like(like)
        return buf

    def state_dict(self) -> dict[str, Any]:
        """{'state': {param index: {name: array}}, 'param_groups': [hyper-parameters, 'params': indices]}."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        state = {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state; every mismatch is found before anything changes."""
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{where}: expected a dict, got {type(state_dict).__name__}")
        groups, state = state_dict.get("param_groups"), state_dict.get("state", {})
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError(f"{where}: the state has {len(groups) if isinstance(groups, list) else 'no'} "
                             f"parameter groups, the optimizer {len(self.param_groups)}")
        for part in (state, *groups, *(state.values() if isinstance(state, dict) else ())):
            if not isinstance(part, dict):
                raise TypeError(f"{where}: the state and its parameter groups must be dicts, got "
                                f"{type(part).__name__}")
        params = self._all_params()
        for mine, theirs in zip(self.param_groups, groups):
            if len(theirs.get("params", ())) != len(mine["params"]):
                raise ValueError(f"{where}: a parameter group has {len(theirs.get('params', ()))} parameters in "
                                 f"the state and {len(mine['params'])} in the optimizer")
        new_state = {}
        for key, values in state.items():
            if not str(key).isdecimal() or int(key) >= len(params):
                raise ValueError(f"{where}: state for unknown parameter {key!r}")
            i = int(key)
            restored = {}
            for name, value in values.items():
                if isinstance(value, Tensor):
                    value = value.array
                if isinstance(value, np.ndarray):
                    if value.shape != params[i].shape:
                        raise ValueError(f"{where}: {name} of parameter {i} has shape {value.shape}, "
                                         f"the parameter {params[i].shape}")
                    value = value.astype(params[i].dtype, copy=True)
                restored[name] = value
            new_state[params[i]] = restored
        trial = [{**mine, **{k: v for k, v in theirs.items() if k != "params"}}
                 for mine, theirs in zip(self.param_groups, groups)]
        for group in trial:
            self.validate(group)
        self.param_groups = trial
        self.state = new_state

    def _all_params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


__all__ = ["Optimizer", "zero_grads", "check_unsupported", "check_non_negative", "check_betas"]


def decayed_gradient(param: np.ndarray, grad: np.ndarray, group: dict[str, Any]) -> np.ndarray:
    """The gradient after `maximize` and weight decay, in the Adam family's order: decoupled decay
    (AdamW's) shrinks the parameter in place, coupled decay adds weight_decay * param to the gradient."""
    if group["maximize"]:
        grad = -grad
    weight_decay = group["weight_decay"]
    if weight_decay:
        if group["decoupled_weight_decay"]:
            param *= 1 - group["lr"] * weight_decay
        else:
            grad = grad + weight_decay * param
    return grad

