"""The collector's UDP sockets: opening them, closing them without losing what they
hold, and the kernel's count of what they dropped.

A datagram the kernel could not queue because the socket's receive buffer was full is
lost before pahna sees it; the kernel counts it per socket, in the `drops` column of
/proc/net/udp and /proc/net/udp6, on the line of the socket's inode, beside `rx_queue`
(the memory of the datagrams waiting to be read). `kernel_view` reads both, so the
collector can export the drops and print them in its flush line.

Closing a socket discards what it holds without counting it anywhere. So a collector
stops in three steps: `refuse_new` attaches a socket filter that refuses every datagram
arriving from then on (the kernel drops it and counts it in `drops`), the receive path
takes everything queued until the socket says EAGAIN, and the counters are read just
before the close (`rx_queue` then says 0: nothing was left to discard).
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pahna.errors import ConfigError

PROC_TABLES = (Path("/proc/net/udp"), Path("/proc/net/udp6"))
LINUX = sys.platform == "linux"
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33 if LINUX else None)
"""Python's socket module does not name it; 33 on Linux (asm-generic/socket.h)."""
SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26 if LINUX else None)
"""Nor this one; 26 on Linux (asm-generic/socket.h)."""
REFUSE_ALL = struct.pack("=HBBI", 0x06, 0, 0, 0)
"""A classic BPF program of one instruction, `ret #0` (BPF_RET | BPF_K): keep no byte of
any datagram, so the kernel drops it (and counts it in the socket's drops)."""


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


@dataclass(frozen=True)
class KernelView:
    """What the kernel says of a set of sockets."""

    drops: int
    """Datagrams it dropped on them since they were opened."""
    queued_bytes: int
    """The memory of the datagrams waiting in them to be read (`rx_queue`: payloads and
    the kernel's bookkeeping); 0 when they are empty."""


def kernel_view(sockets: Iterable[socket.socket],
                tables: Iterable[Path] = PROC_TABLES) -> KernelView:
    """The kernel's drops and queued bytes on these sockets (0 where /proc is not there
    to say)."""
    inodes = {os.fstat(sock.fileno()).st_ino for sock in sockets if sock.fileno() >= 0}
    drops = queued = 0
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) >= 13 and int(fields[9]) in inodes:
                drops += int(fields[-1])
                queued += int(fields[4].partition(":")[2], 16)
    return KernelView(drops, queued)


def kernel_drops(sockets: Iterable[socket.socket], tables: Iterable[Path] = PROC_TABLES) -> int:
    """Datagrams the kernel dropped on these sockets since they were opened."""
    return kernel_view(sockets, tables).drops


def refuse_new(sock: socket.socket) -> bool:
    """From now on the kernel refuses every datagram that arrives for `sock` and counts it
    in the socket's drops; what is already queued stays there to be read. False where the
    system has no socket filters (the socket is left as it was)."""
    if SO_ATTACH_FILTER is None:
        return False
    code = ctypes.create_string_buffer(REFUSE_ALL, len(REFUSE_ALL))
    program = struct.pack("@HP", 1, ctypes.addressof(code))  # struct sock_fprog
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, program)
    except OSError:
        return False
    return True
