"""Decode sampled packet headers (Ethernet, 802.1Q/ad, IPv4, IPv6, TCP/UDP/SCTP ports)
for every sample at once: the headers are laid into one zero-padded byte matrix and
each field is read with NumPy fancy indexing."""

from __future__ import annotations

import numpy as np

from pahna.schema import IPV4_MAPPED_PREFIX

WIDTH = 256
ETHERNET, IPV4, IPV6 = 1, 11, 12
VLAN_TYPES = (0x8100, 0x88A8, 0x9100)
PORT_PROTOCOLS = (6, 17, 132)


def header_matrix(headers: list[bytes]) -> np.ndarray:
    """An (n, WIDTH) uint8 matrix holding each header's first bytes, zero padded."""
    out = np.zeros((len(headers), WIDTH), dtype=np.uint8)
    for row, header in enumerate(headers):
        cut = header[:WIDTH]
        out[row, : len(cut)] = np.frombuffer(cut, dtype=np.uint8)
    return out


def _u16(matrix: np.ndarray, offset: np.ndarray) -> np.ndarray:
    rows = np.arange(len(matrix))
    high = matrix[rows, np.minimum(offset, WIDTH - 2)].astype(np.uint32)
    return (high << 8) | matrix[rows, np.minimum(offset + 1, WIDTH - 1)]


def _gather(matrix: np.ndarray, offset: np.ndarray, size: int) -> np.ndarray:
    index = np.minimum(offset[:, None] + np.arange(size), WIDTH - 1)
    return matrix[np.arange(len(matrix))[:, None], index]


def network_offset(matrix: np.ndarray, protocol: np.ndarray) -> np.ndarray:
    """Where the IP header starts: after Ethernet and up to two VLAN tags, or at 0."""
    offset = np.where(protocol == ETHERNET, 12, 0).astype(np.int64)  # at the ethertype
    for _ in range(2):
        tagged = (protocol == ETHERNET) & np.isin(_u16(matrix, offset), VLAN_TYPES)
        offset = offset + np.where(tagged, 4, 0)
    return np.where(protocol == ETHERNET, offset + 2, 0)


def decode_headers(matrix: np.ndarray, protocol: np.ndarray) -> dict[str, np.ndarray]:
    """Addresses (n, 16), ports and IP protocol of each sampled packet (0 when not IP)."""
    n = len(matrix)
    rows = np.arange(n)
    l3 = network_offset(matrix, protocol)
    version = matrix[rows, l3] >> 4
    ethertype = _u16(matrix, np.maximum(l3 - 2, 0))
    is_ip = np.where(protocol == ETHERNET, np.isin(ethertype, (0x0800, 0x86DD)), True)
    v4 = is_ip & (version == 4)
    v6 = is_ip & (version == 6)
    src = np.zeros((n, 16), np.uint8)
    dst = np.zeros((n, 16), np.uint8)
    mapped = np.frombuffer(IPV4_MAPPED_PREFIX, np.uint8)
    src[v4, :12] = mapped
    dst[v4, :12] = mapped
    src[v4, 12:] = _gather(matrix, l3 + 12, 4)[v4]
    dst[v4, 12:] = _gather(matrix, l3 + 16, 4)[v4]
    src[v6] = _gather(matrix, l3 + 8, 16)[v6]
    dst[v6] = _gather(matrix, l3 + 24, 16)[v6]
    ip_protocol = np.where(v4, matrix[rows, np.minimum(l3 + 9, WIDTH - 1)],
                           np.where(v6, matrix[rows, np.minimum(l3 + 6, WIDTH - 1)], 0))
    fragment = v4 & ((_u16(matrix, l3 + 6) & 0x1FFF) != 0)
    l4 = np.where(v4, l3 + (matrix[rows, l3] & 0x0F).astype(np.int64) * 4, l3 + 40)
    has_ports = (v4 | v6) & ~fragment & np.isin(ip_protocol, PORT_PROTOCOLS)
    return {
        "src": src, "dst": dst, "protocol": ip_protocol.astype(np.uint8),
        "src_port": np.where(has_ports, _u16(matrix, l4), 0).astype(np.uint16),
        "dst_port": np.where(has_ports, _u16(matrix, l4 + 2), 0).astype(np.uint16),
    }
