"""`Module`, the base of every layer and model, and `Parameter`, a Tensor a Module learns."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, NamedTuple

import numpy as np

from ..optim.optimizer import zero_grads
from ..tensor import Tensor, as_array


class Parameter(Tensor):
    """A Tensor that requires grad and registers itself on the Module it is assigned to."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True):
        super().__init__(np.empty(0, np.float32) if data is None else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What load_state_dict returns, as torch: the model's keys the state lacked, and the state's extra keys."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for layers and models: subclass it, assign Parameters and sub-Modules, define `forward`."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")
        if value is not None and not isinstance(value, (Parameter, Module)):  # as torch: no silent unregistering
            if name in self._parameters:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(Parameter or None expected)")
            if name in self._modules:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                "(Module or None expected)")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- traversal -------------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-Module; one assigned under two names comes once."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this Module and all below it, depth first; shared ones once unless
        `remove_duplicate=False`."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, named like torch ('0.weight' inside a Sequential); shared ones once
        unless `remove_duplicate=False`."""
        seen: set[int] = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, p in module._parameters.items():
                if p is not None and not (remove_duplicate and id(p) in seen):
                    seen.add(id(p))
                    yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters(recurse=recurse))

    # -- modes and gradients ---------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- state -----------------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Parameter name -> Tensor sharing the parameter's data; a shared parameter under each of its
        names, as in torch."""
        named = self.named_parameters(remove_duplicate=False)
        return OrderedDict((name, Tensor._make(p.array)) for name, p in named)

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters; every problem is found before anything changes.

        Missing or unexpected keys (with `strict`) and wrongly shaped values raise
        RuntimeError listing all of them, leaving the model as it was.
        Returns (missing_keys, unexpected_keys), a NamedTuple.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: expected a dict of name -> tensor, got {type(state_dict).__name__}")
        own = dict(self.named_parameters(remove_duplicate=False))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        values = {}
        for name, value in state_dict.items():
            if name not in own:
                continue
            try:
                array = as_array(value, None, "load_state_dict")
            except (TypeError, ValueError) as error:
                problems.append(f"{name}: {error}")
                continue
            if array.shape != own[name].shape:
                problems.append(f"size mismatch for {name}: checkpoint shape {array.shape}, "
                                f"model shape {own[name].shape}")
            values[name] = array
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                               + "\n  ".join(problems))
        for name, array in values.items():
            own[name]._writable_array()[...] = array  # in place: optimizers keep pointing at the same parameters
        return IncompatibleKeys(missing, unexpected)

    # -- printing --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        """torch's layout: extra_repr() inline when it is all there is, else one line each, then the children."""
        extra = self.extra_repr()
        if not self._modules and "\n" not in extra:
            return f"{type(self).__name__}({extra})"
        lines = extra.split("\n") if extra else []
        lines += [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

