"""Mutated export datagrams built from every capture in ../shared/captures, for the intake
fuzz test (tests/e2e/test_intake_fuzz.py) and its long run (benchmarks/intake_fuzz.py).

Each capture's datagrams are replayed in order as "episodes" (templates before data, as
an exporter sends them), from an exporter address of their own, with most datagrams
mutated by one or more of: bit flips, truncation, lying lengths (message, set, v9
flowset), lying counts (v9/v5 header, sFlow samples), lying template field lengths,
absurd timestamps and counters (8-byte fields overwritten with extremes), inserted
garbage, and garbage behind a plausible version header.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from pathlib import Path

from pahna.intake.replay import read_capture

Episode = list[bytes]
EXTREMES = [b"\xff" * 8, b"\x80" + bytes(7), b"\x7f" + b"\xff" * 7, bytes(8),
            b"\x00\x00\x01\x00\x00\x00\x00\x00", b"\xfe\xdc\xba\x98\x76\x54\x32\x10"]


def episodes(shared: Path) -> list[Episode]:
    """Every capture's datagrams, in the order its exporter would send them."""
    out: list[Episode] = []
    vendor = sorted((shared / "captures/vendor-payloads").glob("*.dat"))
    groups: dict[str, list[Path]] = {}
    for path in vendor:
        groups.setdefault(path.stem.split("_tpl")[0].split("_data")[0].split("_opt")[0],
                          []).append(path)
    for files in groups.values():
        files.sort(key=lambda p: (0 if "tpl" in p.stem and "data" not in p.stem else 1, p.name))
        out.append([f.read_bytes() for f in files])
    for capture in sorted((shared / "captures/pmacct-cases").glob("*/*.pcap")):
        out.append([d.payload for d in read_capture(capture)])
    return out


class Mutator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def mutate(self, data: bytes) -> bytes:
        rng = self.rng
        out = bytearray(data)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            action = rng.choice((self._flip, self._flip, self._cut, self._length, self._count,
                                 self._field_length, self._extreme, self._extreme,
                                 self._insert, self._garbage))
            out = action(out)
        return bytes(out)

    def _flip(self, b: bytearray) -> bytearray:
        if b:
            for _ in range(self.rng.randint(1, 4)):
                b[self.rng.randrange(len(b))] ^= 1 << self.rng.randrange(8)
        return b

    def _cut(self, b: bytearray) -> bytearray:
        return b[: self.rng.randrange(len(b) + 1)]

    def _length(self, b: bytearray) -> bytearray:
        """A message length (offset 2) or a set/flowset length (a u16 after the header)."""
        if len(b) < 24:
            return b
        at = self.rng.choice([2, 16 + 2, 20 + 2, self.rng.randrange(2, len(b) - 1) & ~1])
        struct.pack_into("!H", b, min(at, len(b) - 2),
                         self.rng.choice([0, 1, 3, 4, 0xFFFF, len(b) + 4, len(b) - 5]) & 0xFFFF)
        return b

    def _count(self, b: bytearray) -> bytearray:
        if len(b) >= 28 and b[:4] == b"\x00\x00\x00\x05":
            struct.pack_into("!I", b, 24, self.rng.choice([0, 4097, 0xFFFFFFFF, 2]))
        elif len(b) >= 4:
            struct.pack_into("!H", b, 2, self.rng.choice([0, 1, 31, 0xFFFF]))
        return b

    def _field_length(self, b: bytearray) -> bytearray:
        """A template's field length: odd, zero, 65535 (variable) or huge."""
        for at in range(16, len(b) - 8, 2):
            if b[at : at + 2] in (b"\x00\x02", b"\x00\x00") and self.rng.random() < 0.2:
                spec = at + 8 + 4 * self.rng.randrange(4)
                if spec + 4 <= len(b):
                    struct.pack_into("!H", b, spec + 2,
                                     self.rng.choice([0, 3, 7, 0xFFFF, 0xFFFE, 65000]))
                break
        return b

    def _extreme(self, b: bytearray) -> bytearray:
        if len(b) > 28:
            at = self.rng.randrange(16, len(b) - 8)
            b[at : at + 8] = self.rng.choice(EXTREMES)
        return b

    def _insert(self, b: bytearray) -> bytearray:
        at = self.rng.randrange(len(b) + 1)
        b[at:at] = self.rng.randbytes(self.rng.randint(1, 16))
        return b

    def _garbage(self, b: bytearray) -> bytearray:
        head = self.rng.choice([b"\x00\x0a", b"\x00\x09", b"\x00\x05", b"\x00\x00\x00\x05"])
        return bytearray(head + self.rng.randbytes(self.rng.randint(0, 1400)))


def stream(shared: Path, count: int, seed: int, exporters: int = 64
           ) -> Iterator[tuple[int, bytes]]:
    """`count` (exporter number, payload) pairs: episodes replayed, 80 % mutated."""
    chosen = episodes(shared)
    mutator = Mutator(seed)
    rng = random.Random(seed + 1)
    sent = 0
    while sent < count:
        exporter = rng.randrange(exporters)
        for payload in rng.choice(chosen):
            yield exporter, mutator.mutate(payload) if rng.random() < 0.8 else payload
            sent += 1
            if sent == count:
                return
