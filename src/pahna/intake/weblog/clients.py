"""Client addresses of log records: text -> the 16-byte form of the flow schema, and the
client behind a declared proxy.

IPv4 addresses (nearly every row) are read column-wise; anything else (IPv6, an IPv4
with a zone or a port) once per distinct value with `ipaddress`. X-Forwarded-For is read
only when the connecting address is one of the proxies the operator declared: its
entries are walked from the right, skipping declared proxies, and the first other
address is the client (nginx's `real_ip_recursive on`); a header that names no
address, or only proxies, leaves the connecting address. Anything else (a client that
sends its own X-Forwarded-For to a server that is not behind a proxy) is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import numpy as np
import polars as pl

from pahna.errors import LogFormatError
from pahna.schema import IPV4_MAPPED_PREFIX

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ipv4(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) uint8 octets and a mask of the rows that are dotted quads."""
    quad = texts.str.contains(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$").fill_null(False)
    parts = texts.str.split_exact(".", 3).struct.unnest()
    octets = np.zeros((len(texts), 4), np.uint8)
    ok = quad.to_numpy().copy()
    for index, name in enumerate(parts.columns):
        value = parts[name].cast(pl.Int64, strict=False).fill_null(-1).to_numpy()
        ok &= (value >= 0) & (value <= 255)
        octets[:, index] = np.clip(value, 0, 255).astype(np.uint8)
    return octets, ok


def _one(text: str | None) -> bytes | None:
    if not text:
        return None
    text = text.strip().strip("[]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return IPV4_MAPPED_PREFIX + address.packed if address.version == 4 else address.packed


def parse_addresses(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(n, 16) uint8 addresses (IPv4 mapped into IPv6) and a mask of the rows read."""
    octets, ok = _ipv4(texts)
    out = np.zeros((len(texts), 16), np.uint8)
    out[:, 10:12] = 0xFF
    out[:, 12:] = octets
    rest = np.flatnonzero(~ok)
    if len(rest):
        others = texts.gather(rest)
        mapping = {v: _one(v) for v in others.unique().to_list()}
        for row, value in zip(rest.tolist(), others.to_list(), strict=True):
            packed = mapping.get(value)
            if packed is not None:
                out[row] = np.frombuffer(packed, np.uint8)
                ok[row] = True
    return out, ok


class TrustedProxies:
    """The proxies whose X-Forwarded-For header is believed."""

    def __init__(self, networks: Sequence[str]) -> None:
        try:
            self.networks: list[Network] = [ipaddress.ip_network(n, strict=False)
                                            for n in networks]
        except ValueError as exc:
            raise LogFormatError(f"trusted proxy: {exc}") from exc
        self._bounds = [(_halves(lo), _halves(hi)) for lo, hi in map(_bounds, self.networks)]

    def __bool__(self) -> bool:
        return bool(self.networks)

    def contains(self, addresses: np.ndarray) -> np.ndarray:
        """Mask of the (n, 16) addresses inside one of the networks."""
        halves = np.ascontiguousarray(addresses).view(">u8").reshape(-1, 2)
        high, low = halves[:, 0], halves[:, 1]
        inside = np.zeros(len(addresses), bool)
        for (first_hi, first_lo), (last_hi, last_lo) in self._bounds:
            above = (high > first_hi) | ((high == first_hi) & (low >= first_lo))
            below = (high < last_hi) | ((high == last_hi) & (low <= last_lo))
            inside |= above & below
        return inside

    def clients(self, addresses: np.ndarray, forwarded: pl.Series) -> np.ndarray:
        """`addresses` with each row from a trusted proxy replaced by the client its
        X-Forwarded-For names (see the module's docstring)."""
        if not self.networks:
            return addresses
        out = addresses.copy()
        rows = np.flatnonzero(self.contains(addresses))
        cache: dict[str | None, bytes | None] = {}
        for row, header in zip(rows.tolist(), forwarded.gather(rows).to_list(), strict=True):
            if header not in cache:
                cache[header] = self._client(header)
            found = cache[header]
            if found is not None:
                out[row] = np.frombuffer(found, np.uint8)
        return out

    def _client(self, header: str | None) -> bytes | None:
        for entry in reversed((header or "").split(",")):
            packed = _one(entry)
            if packed is None:
                continue
            if not self.contains(np.frombuffer(packed, np.uint8).reshape(1, 16))[0]:
                return packed
        return None


def _halves(packed: bytes) -> tuple[int, int]:
    return int.from_bytes(packed[:8], "big"), int.from_bytes(packed[8:], "big")


def _bounds(network: Network) -> tuple[bytes, bytes]:
    first, last = network.network_address, network.broadcast_address
    if network.version == 4:
        return IPV4_MAPPED_PREFIX + first.packed, IPV4_MAPPED_PREFIX + last.packed
    return first.packed, last.packed
