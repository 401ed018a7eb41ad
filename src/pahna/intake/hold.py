"""Data sets that wait for their template (data that arrived before its template).

A data set whose template is unknown is kept as a standalone message of its format (its
message's header, the one set), with the identity of the set (its datagram's identity
and its place in it, see :mod:`pahna.intake.identity`). It is decoded when its template
arrives, with that template. It is rejected with those bytes, for quarantine, when it
waits longer than the hold time or when the decoder is shut down (`template_missing`),
or when the hold is full (`hold_full`, oldest first): never dropped. What is held is part
of the decoder's saved state, so it survives a restart; a set already held is not held
twice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from pahna.errors import DecodeError
from pahna.intake.base import Datagram, Rejected
from pahna.intake.templates import TemplateKey

MAX_HELD = 10_000
"""Data sets held at most; past it the oldest is rejected."""


@dataclass(frozen=True)
class Pending:
    key: TemplateKey
    datagram: Datagram  # the set as a message of its own, with its exporter and receive time
    identity: bytes


class Hold:
    """Held data sets in arrival order, found by their template key."""

    def __init__(self, hold_ms: int) -> None:
        self.hold_ms = hold_ms
        self._items: dict[bytes, Pending] = {}  # by identity, oldest first
        self._by_key: dict[TemplateKey, list[bytes]] = {}

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[Pending]:
        return list(self._items.values())

    def add(self, pending: Pending) -> list[Rejected]:
        """Hold a set (once); returns the oldest ones pushed out when the hold is full."""
        if pending.identity in self._items:
            return []
        out = []
        while len(self._items) >= MAX_HELD:
            oldest = self._items.pop(next(iter(self._items)))
            out.append(Rejected(oldest.datagram, DecodeError(
                f"{MAX_HELD} data sets already wait for templates", reason="hold_full")))
        if out:
            self._reindex()
        self._items[pending.identity] = pending
        self._by_key.setdefault(pending.key, []).append(pending.identity)
        return out

    def take(self, key: TemplateKey) -> list[Pending]:
        """Remove and return the held sets that wait for `key`, oldest first."""
        identities = self._by_key.pop(key, None)
        if not identities:
            return []
        return [p for i in identities if (p := self._items.pop(i, None)) is not None]

    def expire(self, now_ms: int) -> list[Rejected]:
        """Reject what has waited longer than the hold time."""
        late = [p for p in self._items.values()
                if now_ms - p.datagram.received_ms > self.hold_ms]
        for pending in late:
            del self._items[pending.identity]
        if late:
            self._reindex()
        return [Rejected(p.datagram, _missing(p, "within the hold time")) for p in late]

    def _reindex(self) -> None:
        self._by_key = {}
        for identity, pending in self._items.items():
            self._by_key.setdefault(pending.key, []).append(identity)

    def drain(self) -> list[Rejected]:
        """Reject everything held (the decoder is shutting down)."""
        out = [Rejected(p.datagram, _missing(p, "before shutdown")) for p in self._items.values()]
        self._items, self._by_key = {}, {}
        return out

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready: each held set as its message, exporter, receive time and identity."""
        return [{"exporter": p.datagram.exporter.hex(), "received_ms": p.datagram.received_ms,
                 "identity": p.identity.hex(),
                 "message": base64.b64encode(p.datagram.payload).decode()}
                for p in self._items.values()]


def saved_messages(items: list[dict[str, Any]]) -> list[tuple[Datagram, bytes]]:
    """(message, identity) of each set :meth:`Hold.to_list` saved."""
    return [(Datagram(bytes.fromhex(i["exporter"]), base64.b64decode(i["message"]),
                      int(i["received_ms"])), bytes.fromhex(i["identity"])) for i in items]


def _missing(pending: Pending, when: str) -> DecodeError:
    return DecodeError(f"no template {pending.key[2]} {when}", reason="template_missing")
