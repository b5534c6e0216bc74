"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Iterable, Iterator, cast

from ..tensor import Tensor
from .module import Module, Parameter


def _position(index: Any, length: int, op: str) -> int:
    """A list index (negative counts from the end) checked against `length`, as torch's message says."""
    i = operator.index(index)
    if not -length <= i < length:
        raise IndexError(f"{op}: index {i} is out of range")
    return i % length


class Sequential(Module):
    """Modules applied in order; indexing, slicing, `len`, iteration and `append` work as in torch."""

    def __init__(self, *modules: Module | OrderedDict[str, Any]):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, module in items:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: {type(module).__name__} is not a Module")
            self.add_module(name, module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)  # type: ignore[misc]  # a child set to None raises here, as in torch
        return x

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):  # keeps the names, as torch does: state_dict keys stay the same
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_position(index, len(self), "Sequential")]

    def __setitem__(self, index: int, module: Module) -> None:
        name = list(self._modules)[_position(index, len(self), "Sequential")]
        setattr(self, name, module)

    def __delitem__(self, index: int | slice) -> None:
        names = list(self._modules)
        for name in (names[index] if isinstance(index, slice) else [names[_position(index, len(self), "Sequential")]]):
            delattr(self, name)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(cast("Iterable[Module]", self._modules.values()))  # a child set to None stays, as in torch

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self


class ModuleList(Module):
    """A list of Modules, registered so their parameters are found; it has no forward of its own."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self)[index])
        return self._modules[str(_position(index, len(self), "ModuleList"))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_position(index, len(self), "ModuleList")), module)

    def __delitem__(self, index: int | slice) -> None:
        kept = list(self)
        del kept[index]
        for name in list(self._modules):
            delattr(self, name)
        self.extend(kept)  # renumbered 0.. as torch does

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(cast("Iterable[Module]", self._modules.values()))  # a child set to None stays, as in torch

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return type(self)([*self, *other])

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, (Module, Tensor)) or not isinstance(modules, Iterable):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self)
        modules.insert(index, module)
        for name in list(self._modules):
            delattr(self, name)
        self.extend(modules)

    def _child_reprs(self) -> Iterator[tuple[str, str]]:
        """Runs of equal children print once, as torch's '(0-2): 3 x Linear(...)'."""
        texts = [repr(m) for m in self._modules.values()]
        start = 0
        for i in range(1, len(texts) + 1):
            if i == len(texts) or texts[i] != texts[start]:
                count = i - start
                yield (f"{start}-{i - 1}", f"{count} x {texts[start]}") if count > 1 else (str(start), texts[start])
                start = i


class ModuleDict(Module):
    """An ordered dict of name -> Module, registered as children."""

    def __init__(self, modules: Any = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return cast(Module, self._modules[key])

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self) -> Any:
        return self._modules.keys()

    def items(self) -> Any:
        return self._modules.items()

    def values(self) -> Any:
        return self._modules.values()

    def pop(self, key: str) -> Module:
        module = self[key]
        delattr(self, key)
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            delattr(self, key)

    def update(self, modules: Any) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module


def _parameter_line(p: Any) -> str:
    kind = "Parameter" if isinstance(p, Parameter) else type(p).__name__
    if isinstance(p, Tensor):
        return f"{kind} containing: [{p.dtype} of size {'x'.join(str(n) for n in p.shape)}]"
    return kind


class ParameterList(Module):
    """A list of Parameters registered under '0', '1', ...; a plain Tensor is wrapped into a Parameter."""

    def __init__(self, values: Iterable[Any] | None = None):
        super().__init__()
        for value in values if values is not None else []:
            self.append(value)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self)[index])
        return self._parameters[str(_position(index, len(self), "ParameterList"))]

    def __setitem__(self, index: int, value: Any) -> None:
        self.register_parameter(str(_position(index, len(self), "ParameterList")), _as_parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(cast("Iterable[Parameter]", self._parameters.values()))

    def append(self, value: Any) -> ParameterList:
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_parameter_line(p)}" for i, p in enumerate(self))


class ParameterDict(Module):
    """An ordered dict of name -> Parameter; a plain Tensor is wrapped into a Parameter."""

    def __init__(self, parameters: Any = None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return cast(Parameter, self._parameters[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def keys(self) -> Any:
        return self._parameters.keys()

    def items(self) -> Any:
        return self._parameters.items()

    def values(self) -> Any:
        return self._parameters.values()

    def update(self, parameters: Any) -> None:
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in items:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_parameter_line(p)}" for k, p in self.items())


def _as_parameter(value: Any) -> Any:
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value.array, requires_grad=value.requires_grad)
    return value
