"""Attention layers: MultiheadAttention and TransformerEncoderLayer, with torch's parameter names,
initialisation and mask conventions (a True in a boolean attn_mask or key_padding_mask means "may not
attend", the opposite of F.scaled_dot_product_attention's)."""
from __future__ import annotations

import math
from typing import Any, Callable, cast

import numpy as np

from .. import creation
from ..ops.matmul import linear
from ..ops.movement import cat
from ..ops.reduce import softmax
from ..tensor import Tensor
from . import functional as F
from . import init
from .layers import Dropout, Linear
from .module import Module, Parameter
from .normalization import LayerNorm


class NonDynamicallyQuantizableLinear(Linear):
    """torch's name for MultiheadAttention's output projection (a plain Linear), so reprs match."""


def _additive_mask(mask: Tensor | None, dtype: Any) -> Tensor | None:
    """A boolean mask (True = blocked) as 0 / -inf to add to scores; a float mask as it is."""
    if mask is None:
        return None
    if mask.dtype == np.bool_:
        return Tensor._make(np.where(mask.array, -np.inf, 0.0).astype(dtype))
    return mask


def _padded_mask(mask: Tensor | None, extra: int) -> Tensor | None:
    """A mask over source positions, extended with `extra` unmasked columns (for appended keys)."""
    if mask is None or extra == 0:
        return mask
    fill = np.zeros(mask.shape[:-1] + (extra,), mask.dtype)
    return Tensor._make(np.concatenate([mask.array, fill], -1))


class MultiheadAttention(Module):
    """Scaled dot-product attention over num_heads projections of query, key and value."""

    in_proj_weight: Parameter | None
    q_proj_weight: Parameter | None
    k_proj_weight: Parameter | None
    v_proj_weight: Parameter | None
    bias_k: Parameter | None
    bias_v: Parameter | None

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None, dtype: Any = None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:  # one packed projection, as torch
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:  # a learned extra key and value every query may attend to
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for weight in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if weight is not None:
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(cast(Tensor, self.out_proj.bias))  # out_proj has a bias whenever in_proj does
        for extra in (self.bias_k, self.bias_v):
            if extra is not None:
                init.xavier_normal_(extra)

    def _projection_weights(self) -> tuple[Tensor, Tensor, Tensor]:
        if self.in_proj_weight is not None:
            w_q, w_k, w_v = self.in_proj_weight.chunk(3, 0)
            return w_q, w_k, w_v
        return (cast(Tensor, self.q_proj_weight), cast(Tensor, self.k_proj_weight),
                cast(Tensor, self.v_proj_weight))

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint")
        unbatched = query.ndim == 2
        q, k, v = (t.unsqueeze(0) if unbatched else t if self.batch_first else t.transpose(0, 1)
                   for t in (query, key, value))
        n, target = q.shape[0], q.shape[1]
        w_q, w_k, w_v = self._projection_weights()
        b_q, b_k, b_v = self.in_proj_bias.chunk(3, 0) if self.in_proj_bias is not None else (None, None, None)
        projected = [linear(x, w, b) for x, w, b in ((q, w_q, b_q), (k, w_k, b_k), (v, w_v, b_v))]
        extra = 0  # key/value positions appended to every sequence: bias_k/bias_v, then a zero one
        if self.bias_k is not None and self.bias_v is not None:
            projected[1] = cat([projected[1], self.bias_k.expand(n, 1, self.embed_dim)], 1)
            projected[2] = cat([projected[2], self.bias_v.expand(n, 1, self.embed_dim)], 1)
            extra += 1
        if self.add_zero_attn:
            zeros = creation.zeros(n, 1, self.embed_dim, dtype=projected[1].dtype)
            projected[1], projected[2] = cat([projected[1], zeros], 1), cat([projected[2], zeros], 1)
            extra += 1
        source = projected[1].shape[1]
        heads = [x.reshape(n, x.shape[1], self.num_heads, self.head_dim).transpose(1, 2) for x in projected]
        scores = heads[0] @ heads[1].transpose(-2, -1) * (1.0 / math.sqrt(self.head_dim))
        attn_mask, key_padding_mask = (_padded_mask(m, extra) for m in (attn_mask, key_padding_mask))
        mask = _additive_mask(attn_mask, scores.dtype)
        if mask is not None:
            scores = scores + (mask.reshape(n, self.num_heads, target, source) if mask.ndim == 3 else mask)
        padding = _additive_mask(key_padding_mask, scores.dtype)
        if padding is not None:
            scores = scores + padding.reshape(n, 1, 1, source)
        weights = softmax(scores, -1)
        if self.dropout > 0.0:
            weights = F.dropout(weights, self.dropout, self.training)
        out = (weights @ heads[2]).transpose(1, 2).reshape(n, target, self.embed_dim)
        out = self.out_proj(out)
        out = out.squeeze(0) if unbatched else out if self.batch_first else out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.mean(1) if average_attn_weights else weights
        return out, weights.squeeze(0) if unbatched else weights


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each with a residual connection, dropout and LayerNorm
    (after each block, or before it with norm_first=True)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            if activation not in ("relu", "gelu"):
                raise RuntimeError(f"activation should be relu/gelu, not {activation}")
            activation = F.relu if activation == "relu" else F.gelu
        self.activation = activation

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))

    def _attention_block(self, x: Tensor, mask: Tensor | None, padding: Tensor | None, is_causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, key_padding_mask=padding, need_weights=False, attn_mask=mask,
                                is_causal=is_causal)
        return self.dropout1(out)

    def _feed_forward_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))
