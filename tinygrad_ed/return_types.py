"""torch.return_types: the named (values, indices) pairs that max(dim), min(dim), sort, topk,
median(dim), cummax and cummin return, and histogram's (hist, bin_edges). They unpack
(`values, indices = x.max(1)`), index (`x.max(1)[0]`) and print as torch's do."""
from __future__ import annotations

from typing import Any, NamedTuple


class ValuesIndices(NamedTuple):
    values: Any
    indices: Any

    def __repr__(self) -> str:
        return f"tinygrad_ed.return_types.{type(self).__name__}(\nvalues={self.values!r},\nindices={self.indices!r})"

    def squeeze(self, axis: int, keepdim: bool) -> Any:
        """Both without the reduced `axis`, unless `keepdim` (or they are 0-d)."""
        if keepdim or self.values.ndim == 0:
            return self
        return type(self)(self.values.squeeze(axis), self.indices.squeeze(axis))


class max(ValuesIndices):
    __slots__ = ()


class min(ValuesIndices):
    __slots__ = ()


class sort(ValuesIndices):
    __slots__ = ()


class topk(ValuesIndices):
    __slots__ = ()


class median(ValuesIndices):
    __slots__ = ()


class cummax(ValuesIndices):
    __slots__ = ()


class cummin(ValuesIndices):
    __slots__ = ()


class histogram(NamedTuple):
    hist: Any
    bin_edges: Any

    def __repr__(self) -> str:
        return f"tinygrad_ed.return_types.histogram(\nhist={self.hist!r},\nbin_edges={self.bin_edges!r})"
