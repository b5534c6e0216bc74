"""Grad mode and anomaly mode, per thread as in torch: `no_grad`, `enable_grad`,
`set_grad_enabled`, `is_grad_enabled`, `inference_mode`, `is_inference_mode_enabled`,
`detect_anomaly`."""
from __future__ import annotations

import copy
import functools
import threading
from typing import Callable


class Mode(threading.local):
    enabled = True
    anomaly = False
    inference = False


mode = Mode()


def is_grad_enabled() -> bool:
    """Whether ops record a graph in this thread."""
    return mode.enabled


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside an `inference_mode()` block."""
    return mode.inference


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off in this thread."""

    def __init__(self, mode: bool):
        self.mode = mode

    def __enter__(self):
        self.previous = mode.enabled
        mode.enabled = self.mode

    def __exit__(self, *exc):
        mode.enabled = self.previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with copy.copy(self):  # a fresh context per call: it keeps the state it restores
                return fn(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """`with te.no_grad():` records nothing; results do not require grad.

    Also a decorator, with or without parentheses (`@te.no_grad()`, `@te.no_grad`).

    >>> from tinygrad_ed import Tensor
    >>> with no_grad():
    ...     y = Tensor([1.0], requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, fn: Callable | None = None):
        if fn is not None:  # used as a bare decorator
            return set_grad_enabled(False)(fn)
        return super().__new__(cls)

    def __init__(self, fn: Callable | None = None):
        super().__init__(False)


class inference_mode(set_grad_enabled):
    """`with te.inference_mode():` (or a decorator): as `no_grad` here, since nothing else would change;
    `inference_mode(False)` records as usual."""

    def __new__(cls, mode: bool | Callable = True):
        if callable(mode):  # used as a bare decorator
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool | Callable = True):
        super().__init__(is_grad_enabled() and not mode)
        self.inference = bool(mode)

    def __enter__(self):
        super().__enter__()
        self.previous_inference = mode.inference
        mode.inference = self.inference

    def __exit__(self, *exc):
        super().__exit__(*exc)
        mode.inference = self.previous_inference


class enable_grad(set_grad_enabled):
    """`with te.enable_grad():` records again inside a `no_grad` block; also a decorator."""

    def __init__(self):
        super().__init__(True)


class detect_anomaly:
    """Raise at the first op whose forward result or backward gradient is NaN or inf.

    The error names the op and the line of user code that created it.
    """

    def __enter__(self):
        self.previous = mode.anomaly
        mode.anomaly = True

    def __exit__(self, *exc):
        mode.anomaly = self.previous
