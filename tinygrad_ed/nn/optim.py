"""Optimizers. `Optimizer` holds parameter groups and per-parameter state; a new
optimizer only writes `__init__` (its defaults and their validation) and `step`."""
from __future__ import annotations

import numbers
from typing import Any, Iterable

import numpy as np

from ..autograd import no_grad
from ..autograd.versions import record_write
from ..tensor import Tensor


class Optimizer:
    """Base class: `param_groups` (dicts of hyper-parameters plus 'params') and `state` per parameter."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
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
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor._make(np.zeros_like(p.array))

    def step(self) -> None:
        raise NotImplementedError

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


class SGD(Optimizer):
    """Stochastic gradient descent, w <- w - lr * dL/dw, with torch's momentum, dampening,
    Nesterov, weight decay and maximize options (the same update, in the same order)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def validate(self, group: dict[str, Any]) -> None:
        for name in ("lr", "momentum", "weight_decay"):
            if not isinstance(group[name], numbers.Real) or not group[name] >= 0.0:
                raise ValueError(f"SGD: invalid {name} {group[name]!r} (must be a number >= 0)")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening")

    @no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad.array
                if maximize:
                    d_p = -d_p
                if weight_decay:
                    d_p = d_p + weight_decay * p.array
                if momentum:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = np.array(d_p, dtype=p.dtype)
                    else:
                        buf *= momentum
                        buf += d_p if dampening == 0 else (1 - dampening) * d_p
                    d_p = d_p + momentum * buf if nesterov else buf
                p.array -= lr * d_p
                record_write(p.array)  # an in-place change: a graph that saved p can no longer use it


__all__ = ["Optimizer", "SGD"]
