"""Decoder state kept across restarts: templates, sampling rates and the data sets held
for their template, as one JSON file.

The state goes with the batch it follows: it is staged (`NAME.next`, naming the batch)
before the batch's manifest is written, and put in place after it. On loading, a staged
state whose batch has a manifest is put in place (the process died between the two),
and one whose batch has none is thrown away (the batch is not in the store either), so
the state and the store always agree, whatever moment a collector is killed at. A batch
that stores no rows has no manifest: its state is saved directly. Each collector keeps
its own file, named for the addresses it listens on; `pahna ingest` uses the default.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pahna.errors import StoreError
from pahna.store.durable import write_atomically
from pahna.store.lineage import batch_committed

STATE_NAME = "intake-state.json"


def state_file(home: Path, name: str = STATE_NAME) -> Path:
    return home / "state" / name


def listen_key(listen: list[str]) -> str:
    """A file-system-safe name for a collector's set of listen addresses."""
    return hashlib.sha256(",".join(sorted(listen)).encode()).hexdigest()[:16]


def state_name(listen: list[str]) -> str:
    """The state file of a collector listening on these addresses."""
    return f"intake-state-{listen_key(listen)}.json"


def stage_state(home: Path, state: dict[str, Any], name: str, content_hash: str) -> None:
    """Write the state that holds once the batch `content_hash` is committed."""
    staged = {"batch": content_hash, "state": state}
    write_atomically(_staged(home, name), json.dumps(staged, sort_keys=True).encode())


def promote_state(home: Path, name: str) -> None:
    """The staged state's batch is committed: put the state in place."""
    staged = _staged(home, name)
    data = json.loads(staged.read_text(encoding="utf-8"))
    save_state(home, data["state"], name)
    staged.unlink()


def _staged(home: Path, name: str) -> Path:
    return state_file(home, name + ".next")


def load_state(home: Path, name: str = STATE_NAME, store: Path | None = None
               ) -> dict[str, Any]:
    """The saved state, or an empty one when none was saved yet (a staged state is put in
    place or thrown away first, as the store says; see the module doc)."""
    staged = _staged(home, name)
    if store is not None and staged.exists():
        try:
            batch = json.loads(staged.read_text(encoding="utf-8"))["batch"]
        except (ValueError, KeyError, TypeError):
            batch = ""
        if batch and batch_committed(store, batch):
            promote_state(home, name)
        else:
            staged.unlink()
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
