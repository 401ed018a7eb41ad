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
    if pa.types.is_binary(column.type) and len(column) and column.null_count == 0:
        # engines hand back BLOBs: when every value is 16 bytes, their data is the matrix
        offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[
            column.offset : column.offset + len(column) + 1]
        if bool((np.diff(offsets) == 16).all()):
            raw = np.frombuffer(column.buffers()[2], dtype=np.uint8)
            return raw[offsets[0] : offsets[0] + 16 * len(column)].reshape(-1, 16)
    if not pa.types.is_fixed_size_binary(column.type):
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


IPV4_CLIENT_FLAG = 1 << 56
"""Set on the client key of an IPv4 network, above any IPv6 /48 key (48 bits)."""


def client_keys(matrix: np.ndarray) -> np.ndarray:
    """The client network of every address as an int64 key: its /24 for IPv4 (the
    flag IPV4_CLIENT_FLAG plus the first 24 bits), its /48 for IPv6 (the first 48 bits),
    so two addresses share a key exactly when they share that network."""
    v6_key = (matrix.view(">u8")[:, 0] >> np.uint64(16)).astype(np.int64)
    v4_key = (ipv4_keys(matrix) >> np.uint32(8)).astype(np.int64) | IPV4_CLIENT_FLAG
    keys = v4_key
    rows = ipv6_rows(matrix)
    keys[rows] = v6_key[rows]
    return keys
