"""`Module`, the base of every layer and model, and `Parameter`, a Tensor a Module learns."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, NamedTuple

import numpy as np

from .. import dtypes
from ..conversion import to_arguments
from ..autograd.hooks import RemovableHandle
from ..autograd.inplace import store
from ..optim.optimizer import zero_grads
from ..tensor import Tensor, as_array
from .hooks import ModuleHooks


class Parameter(Tensor):
    """A Tensor that requires grad and registers itself on the Module it is assigned to."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True):
        self._init(as_array(np.empty(0, np.float32) if data is None else data, None, "Parameter"), requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What load_state_dict returns, as torch: the model's keys the state lacked, and the state's extra keys."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for layers and models: subclass it, assign Parameters and sub-Modules, define `forward`."""

    _parameters: OrderedDict[str, Parameter | None]
    _modules: OrderedDict[str, Module | None]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
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
        if value is None and (name in self._parameters or name in self._modules):
            (self._parameters if name in self._parameters else self._modules)[name] = None  # stays registered
        elif name in self._buffers and not isinstance(value, (Parameter, Module)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (Tensor or None expected)")
            self._buffers[name] = value  # a buffer reassigned stays a buffer, in its place
        else:
            self._forget(name, keep=self._parameters if isinstance(value, Parameter) else
                         self._modules if isinstance(value, Module) else None)
            if isinstance(value, Parameter):
                self._parameters[name] = value  # an existing key keeps its place in the order, as torch
            elif isinstance(value, Module):
                self._modules[name] = value
        object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: Any = None) -> None:
        """Unregister `name` from every registry but `keep` (where reassignment keeps its order)."""
        for registry in (self._parameters, self._modules, self._buffers):
            if registry is not keep:
                registry.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent_buffers_set.discard(name)

    def __delattr__(self, name: str) -> None:
        self._forget(name)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    _module_hooks: ModuleHooks | None = None  # created by the first register_*_hook

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._module_hooks is None:
            return self.forward(*args, **kwargs)
        return self._module_hooks.call(self, self.forward, args, kwargs)

    def _hooks(self) -> ModuleHooks:
        hooks = self._module_hooks
        if hooks is None:
            hooks = ModuleHooks()
            object.__setattr__(self, "_module_hooks", hooks)
        return hooks

    def register_forward_pre_hook(self, hook: Any, *, prepend: bool = False) -> RemovableHandle:
        """`hook(module, args)` before forward; a returned value (a tuple, or one argument) replaces args."""
        return self._hooks().add(self._hooks().forward_pre, hook, prepend)

    def register_forward_hook(self, hook: Any, *, prepend: bool = False) -> RemovableHandle:
        """`hook(module, args, output)` after forward; a returned value replaces the output."""
        return self._hooks().add(self._hooks().forward, hook, prepend)

    def register_full_backward_hook(self, hook: Any, prepend: bool = False) -> RemovableHandle:
        """`hook(module, grad_input, grad_output)` when the gradients of the module's inputs are computed;
        a returned tuple replaces grad_input."""
        return self._hooks().add(self._hooks().backward, hook, prepend)

    # -- registration ----------------------------------------------------------------------------
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A Tensor the module keeps but does not learn (running statistics); saved in state_dict
        unless `persistent=False`."""
        _check_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} object to buffer {name!r} "
                            "(torch Tensor or None required)")
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"attribute {name!r} already exists")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} object to parameter {name!r} "
                            "(torch.nn.Parameter or None required)")
        if name in self.__dict__ and name not in self._parameters:
            raise KeyError(f"attribute {name!r} already exists")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        _check_name(self, name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if name in self.__dict__ and name not in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._forget(name, keep=self._modules)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The Module at a dotted path such as 'features.0'; '' is the module itself."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = child
        return module

    def apply(self, fn: Any) -> Module:
        """Call fn on every sub-Module (children first) and then on this one; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- traversal -------------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-Module; one assigned under two names comes once."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
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
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
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

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(name, buffer) pairs, named like torch ('bn.running_mean')."""
        seen: set[int] = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, b in module._buffers.items():
                if b is not None and not (remove_duplicate and id(b) in seen):
                    seen.add(id(b))
                    yield (f"{module_name}.{name}" if module_name else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return (b for _, b in self.named_buffers(recurse=recurse))

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

    # -- device and dtype (the CPU only) -----------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """torch's to(device), to(dtype), to(device, dtype), to(tensor): converts the floating point
        parameters, buffers and gradients in place, so optimizers holding them keep working."""
        dtype, _ = to_arguments(args, kwargs)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        return self if dtype is None else self._cast_floating(dtype)

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        raise RuntimeError("cuda: tinygrad_ed runs on the CPU only (te.cuda.is_available() is False); "
                           "use .cpu() or .to('cpu')")

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def half(self) -> Module:
        return self.to(dtypes.float16)

    def _cast_floating(self, dtype: Any) -> Module:
        for t in list(self.parameters()) + list(self.buffers()):
            if np.issubdtype(t.dtype, np.floating) and t.dtype != dtype:
                t.array = t.array.astype(dtype)
                if t.grad is not None:
                    t.grad.array = t.grad.array.astype(dtype)
        return self

    # -- state -----------------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Name -> Tensor sharing the data of each parameter and persistent buffer, in torch's order (per
        module: parameters, then buffers); a shared one under each of its names, as in torch."""
        return OrderedDict((name, Tensor._make(t.array)) for name, t in self._state_items())

    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{module_name}." if module_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    yield prefix + name, p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    yield prefix + name, b

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters; every problem is found before anything changes.

        Missing or unexpected keys (with `strict`) and wrongly shaped values raise
        RuntimeError listing all of them, leaving the model as it was.
        Returns (missing_keys, unexpected_keys), a NamedTuple.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: expected a dict of name -> tensor, got {type(state_dict).__name__}")
        own = dict(self._state_items())
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
            # in place: optimizers keep pointing at the same parameters
            store(own[name], "load_state_dict", array, casting="unsafe")
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
        lines += [f"({label}): " + text.replace("\n", "\n  ") for label, text in self._child_reprs()]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def _child_reprs(self) -> Iterator[tuple[str, str]]:
        return ((name, repr(m)) for name, m in self._modules.items())


def _check_name(module: Module, name: Any, kind: str) -> None:
    if "_parameters" not in module.__dict__:
        raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')

