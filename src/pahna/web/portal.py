"""What one running portal holds: the workspace, its registry, caches and throttle."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import Engine

from pahna.grants.board import Board, BoardCache, load_board
from pahna.grants.ocds.packages import PackageCache
from pahna.market.cache import MarketCache
from pahna.parties import Producer
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers
from pahna.registry.provinces import BY_CODE, Province
from pahna.web.accounts import Account
from pahna.web.claims import ClaimBook
from pahna.web.snapshot_cache import SnapshotCache
from pahna.web.throttle import LoginThrottle
from pahna.workspace import Workspace


@dataclass
class Directory:
    """Producers by id, reloaded from the registry at most every `ttl_s` seconds."""

    engine: Engine
    ttl_s: float = 30.0
    version: int = 0
    _loaded: float = -1e9
    _producers: dict[str, Producer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def producers(self) -> dict[str, Producer]:
        with self._lock:
            if time.monotonic() - self._loaded > self.ttl_s:
                self._producers = {p.id: p for p in list_producers(self.engine)}
                self._loaded = time.monotonic()
                self.version += 1
            return self._producers

    def producer(self, producer_id: str) -> Producer | None:
        return self.producers().get(producer_id)

    def in_province(self, code: str) -> list[Producer]:
        return [p for p in self.producers().values() if p.province == code]

    def reload(self) -> None:
        with self._lock:
            self._loaded = -1e9


@dataclass
class Portal:
    workspace: Workspace
    engine: Engine
    directory: Directory
    claims: ClaimBook
    snapshots: SnapshotCache
    throttle: LoginThrottle
    secure_cookies: bool = False
    grants: BoardCache | None = None
    """The grant board, kept up to date from its history."""
    open_data: PackageCache | None = None
    """The board's OCDS packages, made once per revision."""
    market: MarketCache | None = None
    """The content market's published months (built outside requests)."""
    sessions: dict[str, tuple[float, Account | None]] = field(default_factory=dict)
    """Session lookups held for SESSION_MEMO_S seconds (cleared at log-out)."""

    @classmethod
    def open(cls, workspace: Workspace, secure_cookies: bool = False) -> Portal:
        engine = open_registry(workspace.registry_url)
        return cls(workspace, engine, Directory(engine), ClaimBook(engine),
                   SnapshotCache(workspace),
                   LoginThrottle(engine, workspace.config.portal), secure_cookies,
                   BoardCache(engine), PackageCache(engine, workspace.config.grants),
                   market=MarketCache(workspace))

    def forget(self, username: str) -> None:
        """Drop the session lookups held for `username` (disabled, password reset)."""
        for cookie, (_, account) in list(self.sessions.items()):
            if account is not None and account.username == username:
                self.sessions.pop(cookie, None)

    def board(self) -> Board:
        """The grant board as its history holds it now."""
        return self.grants.current() if self.grants else load_board(self.engine)

    @staticmethod
    def province(code: str) -> Province | None:
        return BY_CODE.get(code)


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal
