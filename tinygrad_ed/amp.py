"""`te.amp`: mixed-precision training as torch scripts write it, on the CPU.

`autocast` is accepted as a context manager and a decorator, but ops run in their inputs' dtypes: there
are no float16 or bfloat16 kernels here, so where torch would compute a product in lower precision the
result stays float32 (it warns once). `device_type="cuda"` disables itself with torch's warning, as on a
machine without a GPU. `GradScaler` is torch's dynamic loss scaling, step for step (scale the loss,
unscale the gradients, skip a step whose gradients overflowed, grow or back off the scale).
"""
from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Callable

from . import dtypes
from .autograd.grad_mode import no_grad
from .creation import full
from .tensor import Tensor

_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "hpu", "mtia", "meta")
_active: dict[str, bool] = {}  # device type -> whether an autocast region is open and enabled
_warned_precision = False


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled autocast region for `device_type` (by default "cuda", as torch) is open."""
    return _active.get("cuda" if device_type is None else device_type, False)


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): see the module's note."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True, cache_enabled: bool | None = None):
        if not isinstance(device_type, str) or device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device_type = device_type
        self.fast_dtype = dtypes.bfloat16 if dtype is None and device_type == "cpu" else \
            dtypes.float16 if dtype is None else dtype
        self._enabled = bool(enabled)
        if self._enabled and device_type != "cpu":
            warnings.warn(f"User provided device_type of '{device_type}', but {device_type.upper()} is not available. "
                          "Disabling", UserWarning, stacklevel=2)
            self._enabled = False
        self._previous = False

    def __enter__(self) -> autocast:
        global _warned_precision
        if self._enabled and not _warned_precision:
            _warned_precision = True
            warnings.warn(f"autocast: tinygrad_ed has no {self.fast_dtype} kernels; ops inside run in their inputs' "
                          "dtypes (float32 results where torch's would be lower precision)", UserWarning, stacklevel=2)
        self._previous = _active.get(self.device_type, False)
        _active[self.device_type] = self._enabled
        return self

    def __exit__(self, *exc: Any) -> None:
        _active[self.device_type] = self._previous

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def autocast_region(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)
        return autocast_region


_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """torch.amp.GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True). For "cuda" it disables itself with torch's warning (no GPU);
    disabled, scale() returns its input and step() calls the optimizer's."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device != "cpu":
            warnings.warn(f"torch.{device}.amp.GradScaler is enabled, but {device.upper()} is not available.  "
                          "Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
        # a tensor, as torch's: a compiled step that scales its loss reads the scale at every call
        self._scale = full((), float(init_scale), dtype=dtypes.float32)
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale.item() if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def scale(self, outputs: Any) -> Any:
        """outputs (a tensor, or tensors in lists and tuples) times the scale; as they are when disabled."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer: Any) -> None:
        """Divide the optimizer's gradients by the scale, in place, noting whether any is inf or NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        if any(g.dtype == dtypes.float16 for g in grads):
            raise ValueError("Attempting to unscale FP16 gradients.")
        found_inf = False
        inverse = 1.0 / self._scale.item()
        with no_grad():
            for g in grads:
                g.mul_(inverse)
                found_inf = found_inf or not bool(g.isfinite().all())
        state.update(stage=_UNSCALED, found_inf=found_inf)

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """optimizer.step(), after unscale_, unless the gradients held an inf or NaN (the step is skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Back the scale off after a skipped step; grow it after growth_interval steps in a row that were not."""
        if not self._enabled:
            return
        scale = self._scale.item()
        if new_scale is not None:
            scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        else:
            checked = [s for s in self._per_optimizer.values() if "found_inf" in s]
            if not checked:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in checked):
                scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    scale = scale * self._growth_factor if math.isfinite(scale * self._growth_factor) else scale
                    self._growth_tracker = 0
        with no_grad():
            self._scale.fill_(scale)
        self._per_optimizer.clear()

    def state_dict(self) -> dict[str, Any]:
        if not self._enabled:
            return {}
        return {"scale": self._scale.item(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        with no_grad():
            self._scale.fill_(float(state_dict["scale"]))
        self._growth_factor, self._backoff_factor = state_dict["growth_factor"], state_dict["backoff_factor"]
        self._growth_interval, self._growth_tracker = state_dict["growth_interval"], state_dict["_growth_tracker"]

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY})


__all__ = ["autocast", "GradScaler", "is_autocast_enabled"]
