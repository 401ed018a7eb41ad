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
    """Held data sets in arrival order."""

    def __init__(self, hold_ms: int) -> None:
        self.hold_ms = hold_ms
        self.items: list[Pending] = []
        self._identities: set[bytes] = set()

    def __len__(self) -> int:
        return len(self.items)

    def add(self, pending: Pending) -> list[Rejected]:
        """Hold a set (once); returns the oldest ones pushed out when the hold is full."""
        if pending.identity in self._identities:
            return []
        out = []
        while len(self.items) >= MAX_HELD:
            oldest = self.items.pop(0)
            self._identities.discard(oldest.identity)
            out.append(Rejected(oldest.datagram, DecodeError(
                f"{MAX_HELD} data sets already wait for templates", reason="hold_full")))
        self.items.append(pending)
        self._identities.add(pending.identity)
        return out

    def take(self, wanted: set[TemplateKey] | None = None,
             identities: set[bytes] | None = None) -> list[Pending]:
        """Remove and return the held sets whose key is in `wanted` or whose identity is
        in `identities`."""
        if not self.items:
            return []
        def chosen(p: Pending) -> bool:
            return (wanted is not None and p.key in wanted) or (
                identities is not None and p.identity in identities)
        out = [p for p in self.items if chosen(p)]
        if out:
            self.items = [p for p in self.items if not chosen(p)]
            self._identities -= {p.identity for p in out}
        return out

    def expire(self, now_ms: int) -> list[Rejected]:
        """Reject what has waited longer than the hold time."""
        late = [p for p in self.items if now_ms - p.datagram.received_ms > self.hold_ms]
        if not late:
            return []
        self.items = [p for p in self.items if now_ms - p.datagram.received_ms <= self.hold_ms]
        self._identities -= {p.identity for p in late}
        return [Rejected(p.datagram, _missing(p, "within the hold time")) for p in late]

    def drain(self) -> list[Rejected]:
        """Reject everything held (the decoder is shutting down)."""
        out = [Rejected(p.datagram, _missing(p, "before shutdown")) for p in self.items]
        self.items, self._identities = [], set()
        return out

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready: each held set as its message, exporter, receive time and identity."""
        return [{"exporter": p.datagram.exporter.hex(), "received_ms": p.datagram.received_ms,
                 "identity": p.identity.hex(),
                 "message": base64.b64encode(p.datagram.payload).decode()} for p in self.items]


def saved_messages(items: list[dict[str, Any]]) -> list[tuple[Datagram, bytes]]:
    """(message, identity) of each set :meth:`Hold.to_list` saved."""
    return [(Datagram(bytes.fromhex(i["exporter"]), base64.b64decode(i["message"]),
                      int(i["received_ms"])), bytes.fromhex(i["identity"])) for i in items]


def _missing(pending: Pending, when: str) -> DecodeError:
    return DecodeError(f"no template {pending.key[2]} {when}", reason="template_missing")
