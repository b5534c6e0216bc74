"""Recurrent layers: RNNCell, LSTMCell, GRUCell and the sequence layers RNN, LSTM, GRU, with torch's gate
order (LSTM: input, forget, cell, output; GRU: reset, update, new), parameter names and initialisation,
so state_dicts line up. Composed from linear and elementwise ops: gradients are automatic."""
from __future__ import annotations

import math
from typing import Any, cast

from .. import creation
from ..ops.matmul import linear
from ..ops.movement import cat, stack
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _step(mode: str, x_proj: Tensor, state: Any, w_hh: Tensor, b_hh: Tensor | None) -> Any:
    """One time step given the input's projection x W_ih^T + b_ih; returns the new state."""
    h = state[0] if mode == "LSTM" else state
    h_proj = linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return (x_proj + h_proj).tanh()
    if mode == "RNN_RELU":
        return (x_proj + h_proj).relu()
    if mode == "LSTM":
        i, f, g, o = (x_proj + h_proj).chunk(4, -1)
        c = f.sigmoid() * state[1] + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c
    xr, xz, xn = x_proj.chunk(3, -1)
    hr, hz, hn = h_proj.chunk(3, -1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * h


def _reset_uniform(module: Module, hidden_size: int) -> None:
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class _Cell(Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        self.mode = mode
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(creation.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gates, hidden_size, dtype=dtype))
        self.bias_ih = Parameter(creation.empty(gates, dtype=dtype)) if bias else None
        self.bias_hh = Parameter(creation.empty(gates, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self, self.hidden_size)

    def _run(self, input: Tensor, state: Any) -> Any:
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise RuntimeError(f"{type(self).__name__}: expected input of size (N, {self.input_size}) or "
                               f"({self.input_size},), got {tuple(input.shape)}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        zeros = creation.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        if self.mode == "LSTM":
            state = (zeros, zeros) if state is None else tuple(s.unsqueeze(0) if unbatched else s for s in state)
        else:
            state = zeros if state is None else (state.unsqueeze(0) if unbatched else state)
        new = _step(self.mode, linear(x, self.weight_ih, self.bias_ih), state, self.weight_hh, self.bias_hh)
        if unbatched:
            return tuple(s.squeeze(0) for s in new) if self.mode == "LSTM" else new.squeeze(0)
        return new

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")  # only RNNCell has one
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s


class RNNCell(_Cell):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias,
                         device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)


class LSTMCell(_Cell):
    """Gates i, f, g, o (in that order in the weights); returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, hx)


class GRUCell(_Cell):
    """Gates r, z, n (in that order in the weights); h' = (1 - z) n + z h."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)


class _RNNBase(Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None):
        super().__init__()
        self.mode = mode
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if num_layers < 1:
            raise ValueError("num_layers must be greater than or equal to 1")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        gates = GATES[self.mode] * hidden_size
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * directions
            for suffix in ["", "_reverse"][:directions]:
                self.register_parameter(f"weight_ih_l{layer}{suffix}",
                                        Parameter(creation.empty(gates, width, dtype=dtype)))
                self.register_parameter(f"weight_hh_l{layer}{suffix}",
                                        Parameter(creation.empty(gates, hidden_size, dtype=dtype)))
                if bias:
                    self.register_parameter(f"bias_ih_l{layer}{suffix}", Parameter(creation.empty(gates, dtype=dtype)))
                    self.register_parameter(f"bias_hh_l{layer}{suffix}", Parameter(creation.empty(gates, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self, self.hidden_size)

    def _weights(self, layer: int, suffix: str) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        weights = tuple(self._parameters.get(f"{name}_l{layer}{suffix}")
                        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        return cast("tuple[Tensor, Tensor, Tensor | None, Tensor | None]", weights)  # biases None without bias

    def _run(self, input: Tensor, hx: Any) -> tuple[Tensor, Any]:
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise RuntimeError(f"{type(self).__name__}: input.size(-1) must be equal to input_size. "
                               f"Expected {self.input_size}, got input of size {tuple(input.shape)}")
        unbatched = input.ndim == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        steps, batch = x.shape[0], x.shape[1]
        directions = 2 if self.bidirectional else 1
        states = self._initial_states(hx, unbatched, batch, directions, x.dtype)
        finals: list[Any] = []
        # the sequence is kept as a list of time steps, each step's input projected on its own: slicing
        # one (steps, batch, ...) tensor per step would make each slice's gradient a full-size array
        # (the gru-b32 step 1.2x faster this way, measured)
        inputs = list(x.unbind(0))
        for layer in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(["", "_reverse"][:directions]):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, suffix)
                state = states[layer * directions + d]
                hs: list[Tensor] = [None] * steps  # type: ignore[list-item]
                for t in (reversed(range(steps)) if d else range(steps)):
                    state = _step(self.mode, linear(inputs[t], w_ih, b_ih), state, w_hh, b_hh)
                    hs[t] = state[0] if self.mode == "LSTM" else state
                outputs.append(hs)
                finals.append(state)
            inputs = outputs[0] if directions == 1 else [cat(pair, -1) for pair in zip(*outputs)]
            if self.dropout and self.training and layer < self.num_layers - 1:
                inputs = list(F.dropout(stack(inputs, 0), self.dropout, True).unbind(0))
        x = stack(inputs, 0)
        out = x.squeeze(1) if unbatched else (x.transpose(0, 1) if self.batch_first else x)
        return out, self._final(finals, unbatched)

    def _initial_states(self, hx: Any, unbatched: bool, batch: int, directions: int, dtype: Any) -> list[Any]:
        count = self.num_layers * directions
        if hx is None:
            zeros = creation.zeros(batch, self.hidden_size, dtype=dtype)
            return [(zeros, zeros) if self.mode == "LSTM" else zeros] * count
        parts = hx if self.mode == "LSTM" else (hx,)
        expected = (count, self.hidden_size) if unbatched else (count, batch, self.hidden_size)
        for p in parts:
            if tuple(p.shape) != expected:
                raise RuntimeError(f"{type(self).__name__}: Expected hidden size {expected}, got {tuple(p.shape)}")
        parts = tuple(p.unsqueeze(1) if unbatched else p for p in parts)
        if self.mode == "LSTM":
            return [(parts[0][k], parts[1][k]) for k in range(count)]
        return [parts[0][k] for k in range(count)]

    def _final(self, finals: list[Any], unbatched: bool) -> Any:
        parts = [[f[0] for f in finals], [f[1] for f in finals]] if self.mode == "LSTM" else [finals]
        stacked = [stack(p, 0).squeeze(1) if unbatched else stack(p, 0) for p in parts]
        return tuple(stacked) if self.mode == "LSTM" else stacked[0]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Elman RNN over a sequence; returns (output, h_n)."""

    def __init__(self, *args: Any, nonlinearity: str = "tanh", **kwargs: Any):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, hx)


class LSTM(_RNNBase):
    """LSTM over a sequence; returns (output, (h_n, c_n))."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Any]:
        return self._run(input, hx)


class GRU(_RNNBase):
    """GRU over a sequence; returns (output, h_n)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, hx)
