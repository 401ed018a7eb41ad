"""Views of the 16-byte address column as lookup keys."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pahna.schema import IPV4_MAPPED_PREFIX

_MAPPED_WORD = int(np.frombuffer(IPV4_MAPPED_PREFIX[8:12], dtype=np.uint32)[0])


def address_matrix(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The (n, 16) uint8 view of a fixed_size_binary(16) column (zero-copy when possible)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_fixed_size_binary(column.type):  # engines may hand back BLOBs
        column = column.cast(pa.binary(16))
    raw = np.frombuffer(column.buffers()[1], dtype=np.uint8)
    return raw[column.offset * 16 : (column.offset + len(column)) * 16].reshape(-1, 16)


def ipv4_keys(matrix: np.ndarray) -> np.ndarray:
    """The last four bytes of every address, a big-endian uint32 view (no copy): the
    IPv4 address of the IPv4-mapped rows, meaningless for the others."""
    return matrix.view(">u4")[:, 3]


def ipv6_rows(matrix: np.ndarray) -> np.ndarray:
    """Indices of the rows that are not IPv4-mapped. Native-order views compared with
    byte-swapped constants avoid converting the column first."""
    quads = matrix.view(np.uint64)
    words = matrix.view(np.uint32)
    return np.flatnonzero((quads[:, 0] != 0) | (words[:, 2] != _MAPPED_WORD))


def client_networks(addresses: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The client network of each address, as 15 bytes a row: the /24 of an IPv4
    address, the /48 of an IPv6 one (the networks settlement counts, for flows and for
    web logs alike)."""
    matrix = address_matrix(addresses)
    v4 = (matrix[:, :10] == 0).all(axis=1) & (matrix[:, 10] == 255) & (matrix[:, 11] == 255)
    keys = matrix[:, :15].copy()
    keys[~v4, 6:] = 0
    return keys
