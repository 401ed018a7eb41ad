"""Views of the 16-byte address column as lookup keys."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def address_matrix(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The (n, 16) uint8 view of a fixed_size_binary(16) column (zero-copy when possible)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_fixed_size_binary(column.type):  # engines may hand back BLOBs
        column = column.cast(pa.binary(16))
    raw = np.frombuffer(column.buffers()[1], dtype=np.uint8)
    return raw[column.offset * 16 : (column.offset + len(column)) * 16].reshape(-1, 16)


def split_families(matrix: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(is_ipv4 mask, IPv4 keys as uint32, IPv6 high and low halves as uint64)."""
    words = matrix.view(">u4")
    is_v4 = (words[:, 0] == 0) & (words[:, 1] == 0) & (words[:, 2] == 0xFFFF)
    v4_keys = words[is_v4, 3].astype(np.uint32)
    halves = matrix.view(">u8")[~is_v4]
    return is_v4, v4_keys, halves[:, 0].astype(np.uint64), halves[:, 1].astype(np.uint64)
