"""Convolution layers: Conv1d, Conv2d, ConvTranspose2d, initialised as torch."""
from __future__ import annotations

import math
import numbers
from typing import Any

from .. import creation
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


def _tuple(value: Any, n: int, name: str) -> tuple:
    values = (value,) * n if isinstance(value, numbers.Integral) else tuple(value)
    if len(values) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    return values


PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _explicit_pads(padding: Any, kernel: tuple, dilation: tuple) -> tuple[int, ...]:
    """F.pad's argument for the layer's padding (last dimension first, left then right); for "same",
    d*(k-1) in all, the odd one on the right, as torch."""
    pads: list[int] = []
    for k, d, p in reversed(list(zip(kernel, dilation, (0,) * len(kernel) if padding == "valid" else
                                     (None,) * len(kernel) if padding == "same" else padding))):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2] if p is None else [p, p]
    return tuple(pads)


class _ConvNd(Module):
    """What the convolution layers share: shapes, torch's initialisation and repr."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: str | tuple[int, ...]
    dilation: tuple[int, ...]
    transposed: bool
    output_padding: tuple[int, ...]
    groups: int
    padding_mode: str
    _reversed_padding_repeated_twice: tuple[int, ...]
    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any, groups: int, bias: bool, padding_mode: str, dtype: Any, dims: int,
                 transposed: bool = False, output_padding: Any = 0):
        super().__init__()
        if not isinstance(groups, numbers.Integral) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, but got padding_mode={padding_mode!r}")
        if transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, dims, "stride")):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, dims, "kernel_size")
        self.stride = _tuple(stride, dims, "stride")
        self.padding = padding if isinstance(padding, str) else _tuple(padding, dims, "padding")
        self.dilation = _tuple(dilation, dims, "dilation")
        self.transposed, self.output_padding = transposed, _tuple(output_padding, dims, "output_padding")
        self.groups, self.padding_mode = groups, padding_mode
        self._reversed_padding_repeated_twice = _explicit_pads(self.padding, self.kernel_size, self.dilation)
        shape = ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(creation.empty(*shape, *self.kernel_size, dtype=dtype))
        self.bias = Parameter(creation.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _conv_forward(self, conv: Any, input: Tensor) -> Tensor:
        """`conv` with the layer's settings; a padding_mode other than zeros pads with F.pad first, as torch."""
        padding: Any = self.padding
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        return conv(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if isinstance(self.padding, str) or any(self.padding):
            s += f", padding={self.padding}"
        if any(d != 1 for d in self.dilation):
            s += f", dilation={self.dilation}"
        if any(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """Cross-correlation over (N, C, L) input; weight (out_channels, in_channels/groups, kernel_size)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, 1)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(F.conv1d, input)


class Conv2d(_ConvNd):
    """Cross-correlation over (N, C, H, W) input; weight (out_channels, in_channels/groups, kH, kW)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, 2)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(F.conv2d, input)


class ConvTranspose2d(_ConvNd):
    """The adjoint of Conv2d (upsampling); weight (in_channels, out_channels/groups, kH, kW)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None):
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding={padding!r} is not supported")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, 2, transposed=True, output_padding=output_padding)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        """output_size (H, W), or (N, C, H, W), picks the output_padding that gives it, as torch."""
        extra = self.output_padding if output_size is None else self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, extra,
                                  self.groups, self.dilation)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        sizes = [int(s) for s in output_size]
        if len(sizes) == 4:
            sizes = sizes[2:]
        if len(sizes) != 2:
            raise ValueError(f"ConvTranspose2D: for {input.ndim}D input, output_size must have 2 or 4 elements "
                             f"(got {len(output_size)})")
        spatial = input.shape[-2:]
        smallest = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]  # type: ignore[operator]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in (0, 1)]
        largest = [smallest[d] + self.stride[d] - 1 for d in (0, 1)]
        if any(not smallest[d] <= sizes[d] <= largest[d] for d in (0, 1)):
            raise ValueError(f"requested an output size of {sizes}, but valid sizes range from {smallest} to "
                             f"{largest} (for an input of {list(spatial)})")
        return tuple(sizes[d] - smallest[d] for d in (0, 1))
