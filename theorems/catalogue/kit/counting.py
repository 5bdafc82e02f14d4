"""Counting the operations of torch code, for the claims that state a cost in O(·) (000-13, 000-14,
001-08, 002-03): count, never time.

One counter, two tallies. ``flops``: 2 per multiply-add of every matrix product and convolution,
forward and backward, as ``torch.utils.flop_counter.FlopCounterMode`` sees them at dispatch (so
autograd's products count, and meta tensors need no arithmetic), with matrix-vector and dot
products added (FlopCounterMode leaves aten.mv and aten.dot out). ``elements``: for every other torch
call, the elements it writes unless its result is a view of an input (a gather of b rows of d
entries writes bd elements; a slice writes none), read at the function level, where one call is one
step of the code as written. Its first use in a process imports torch._dynamo (about 2 s).
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

aten = torch.ops.aten

#: the torch functions whose work is the flops of a product, not written elements
MATRIX_PRODUCTS = frozenset({torch.matmul, torch.mm, torch.mv, torch.Tensor.matmul, torch.Tensor.__matmul__,
                             torch.Tensor.__rmatmul__, torch.Tensor.mm, torch.Tensor.mv})


def vector_product_flops(a_shape, b_shape, *args, out_shape=None, **kwargs) -> int:
    """aten.mv (m × k by k) and aten.dot (k by k): 2 flops for each of the m·k (or k) multiply-adds."""
    return 2 * math.prod(a_shape)


class WrittenElements(TorchFunctionMode):
    """The elements written by the torch calls inside the ``with`` block, products and views excepted."""

    def __init__(self) -> None:
        super().__init__()
        self.elements = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func not in MATRIX_PRODUCTS:
            self.elements += sum(result.numel() for result in tree_leaves(out)
                                 if isinstance(result, torch.Tensor) and not result._is_view())
        return out


class OperationCounter(contextlib.ExitStack):
    """``with OperationCounter() as counter: …`` counts the block's ``flops`` (products, forward and
    backward), ``elements`` (everything else written) and their sum ``total`` (see the module)."""

    def __enter__(self) -> OperationCounter:
        super().__enter__()
        self._products = self.enter_context(FlopCounterMode(
            display=False, custom_mapping={aten.mv: vector_product_flops, aten.dot: vector_product_flops}))
        self._written = self.enter_context(WrittenElements())
        return self

    @property
    def flops(self) -> int:
        return self._products.get_total_flops()

    @property
    def elements(self) -> int:
        return self._written.elements

    @property
    def total(self) -> int:
        return self.flops + self.elements


__all__ = ["MATRIX_PRODUCTS", "OperationCounter"]
