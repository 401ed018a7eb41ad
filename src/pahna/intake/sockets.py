"""The collector's UDP sockets: opening them, and the kernel's count of what they dropped.

A datagram the kernel could not queue because the socket's receive buffer was full is
lost before pahna sees it; the kernel counts it per socket, in the `drops` column of
/proc/net/udp and /proc/net/udp6, on the line of the socket's inode. `kernel_drops`
reads that counter so the collector can export it and print it in its flush line.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pahna.errors import ConfigError

PROC_TABLES = (Path("/proc/net/udp"), Path("/proc/net/udp6"))
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33 if sys.platform == "linux" else None)
"""Python's socket module does not name it; 33 on Linux (asm-generic/socket.h)."""


@dataclass(frozen=True)
class ListenAddress:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        """`127.0.0.1:4739` or `[::1]:4739`."""
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise ConfigError(f"listen address {text!r}: expected HOST:PORT or [V6]:PORT")
        return cls(host.strip("[]"), int(port))


def open_socket(address: ListenAddress, receive_buffer: int,
                reuse_port: bool = False) -> socket.socket:
    """A bound, non-blocking UDP socket with the receive buffer asked for: beyond
    net.core.rmem_max when the process may (SO_RCVBUFFORCE, with CAP_NET_ADMIN), else
    capped by it (`granted_buffer` says what the kernel gave). With `reuse_port`, several
    processes bind the same address and the kernel spreads exporters over them."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, receive_buffer)
            break
        except OSError:
            continue
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((address.host, address.port))
    except OSError as error:
        sock.close()
        raise ConfigError(f"cannot listen on {address.host}:{address.port}: {error}") from error
    sock.setblocking(False)
    return sock


def granted_buffer(sock: socket.socket) -> int:
    """The receive buffer the kernel gave the socket (Linux reports twice what was asked,
    the other half being its bookkeeping)."""
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


def kernel_drops(sockets: Iterable[socket.socket], tables: Iterable[Path] = PROC_TABLES) -> int:
    """Datagrams the kernel dropped on these sockets since they were opened (0 where
    /proc is not there to say)."""
    inodes = {os.fstat(sock.fileno()).st_ino for sock in sockets if sock.fileno() >= 0}
    total = 0
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) >= 13 and int(fields[9]) in inodes:
                total += int(fields[-1])
    return total
