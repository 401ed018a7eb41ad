"""Decoder state kept across restarts: templates and sampling rates, as one JSON file.

Written atomically after each committed batch, so a collector killed at any moment
restarts with the templates of every batch it committed. Each collector process keeps
its own file, named for the addresses it listens on, so that several processes (one per
port) never overwrite each other's templates; `pahna ingest` uses the default one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pahna.errors import StoreError
from pahna.store.writer import write_atomically

STATE_NAME = "intake-state.json"


def state_file(home: Path, name: str = STATE_NAME) -> Path:
    return home / "state" / name


def listen_key(listen: list[str]) -> str:
    """A file-system-safe name for a collector's set of listen addresses."""
    return hashlib.sha256(",".join(sorted(listen)).encode()).hexdigest()[:16]


def state_name(listen: list[str]) -> str:
    """The state file of a collector listening on these addresses."""
    return f"intake-state-{listen_key(listen)}.json"


def load_state(home: Path, name: str = STATE_NAME) -> dict[str, Any]:
    """The saved state, or an empty one when none was saved yet."""
    path = state_file(home, name)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise StoreError(f"{path}: unreadable intake state: {exc}") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{path}: intake state is not a JSON object")
    return data


def save_state(home: Path, state: dict[str, Any], name: str = STATE_NAME) -> None:
    write_atomically(state_file(home, name), json.dumps(state, sort_keys=True).encode())
