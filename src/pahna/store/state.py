"""Decoder state kept across restarts: templates and sampling rates, as one JSON file.

Written atomically after each committed batch, so a collector killed at any moment
restarts with the templates of every batch it committed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pahna.errors import StoreError
from pahna.store.writer import write_atomically

STATE_NAME = "intake-state.json"


def state_file(home: Path) -> Path:
    return home / "state" / STATE_NAME


def load_state(home: Path) -> dict[str, Any]:
    """The saved state, or an empty one when none was saved yet."""
    path = state_file(home)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise StoreError(f"{path}: unreadable intake state: {exc}") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{path}: intake state is not a JSON object")
    return data


def save_state(home: Path, state: dict[str, Any]) -> None:
    write_atomically(state_file(home), json.dumps(state, sort_keys=True).encode())
