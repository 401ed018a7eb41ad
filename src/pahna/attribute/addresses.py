"""Views of the 16-byte address column as lookup keys."""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa

from pahna.schema import IPV4_MAPPED_PREFIX

_LITTLE = sys.byteorder == "little"
_MAPPED_WORD = int(np.frombuffer(IPV4_MAPPED_PREFIX[8:12], dtype=np.uint32)[0])


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
    is_v4, _ = family_mask(matrix)
    words = matrix.view(">u4")
    v4_keys = words[is_v4, 3].astype(np.uint32)
    halves = matrix.view(">u8")[~is_v4]
    return is_v4, v4_keys, halves[:, 0].astype(np.uint64), halves[:, 1].astype(np.uint64)


def family_mask(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is_ipv4 mask, the low 32 bits of every address as uint32 keys).

    For IPv4-mapped rows the keys are the IPv4 addresses; for the others they are
    meaningless and callers overwrite what they computed from them. Native-order views
    compared with byte-swapped constants avoid converting the whole column first."""
    quads = matrix.view(np.uint64)
    words = matrix.view(np.uint32)
    is_v4 = (quads[:, 0] == 0) & (words[:, 2] == _MAPPED_WORD)
    return is_v4, words[:, 3].byteswap() if _LITTLE else words[:, 3].copy()


def v6_halves(matrix: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """High and low 64-bit halves (uint64) of the addresses in `rows`."""
    halves = matrix.view(">u8")[rows]
    return halves[:, 0].astype(np.uint64), halves[:, 1].astype(np.uint64)
