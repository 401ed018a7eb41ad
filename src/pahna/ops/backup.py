"""`pahna backup` and `pahna restore`: a workspace copied to a folder, checked on the way
back.

    BACKUP/
      backup.json          what was backed up: when, from where, the registry's kind,
                           the raw store's folder (by reference) or `store/flows` (copied),
                           and the sha256 and size of every file below
      registry.sqlite      the SQLite registry (online backup API), or
      registry.json        a portable dump of any other registry (PostgreSQL)
      files/...            the workspace's own files: pahna.toml, ledger/, tariffs/,
                           statements/, exports/, state/, quarantine/, store/manifests/,
                           store/retracted/, and store/flows/ only with --with-store

Not copied: the SQLite file itself (its backup is above), and `spool/`, the collector's
buffer of datagrams not yet committed (committed within flush_interval_s).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from pahna.config import load_config
from pahna.errors import WorkspaceError
from pahna.ledger.durable import write_atomic
from pahna.ops.registry_dump import PORTABLE_NAME, SQLITE_NAME, dump_registry, load_registry
from pahna.store.manifests import file_sha256
from pahna.workspace import CONFIG_NAME, Workspace, open_workspace

BACKUP_NAME = "backup.json"
BACKUP_FORMAT = 1
SKIPPED = ("spool", "registry.sqlite", "registry.sqlite-wal", "registry.sqlite-shm",
           "registry.sqlite-journal")
LOCKS = ("ledger/locks",)


def _workspace_files(home: Path, with_store: bool) -> list[Path]:
    """Files to copy, relative to `home`; the skipped folders are not even walked (the
    raw flows may be millions of files)."""
    skipped = {home / name for name in (*SKIPPED, *LOCKS)}
    if not with_store:
        skipped.add(home / "store" / "flows")
    files = []
    for folder, subfolders, names in os.walk(home, followlinks=True):
        here = Path(folder)
        subfolders[:] = sorted(d for d in subfolders if here / d not in skipped)
        files += [(here / n).relative_to(home) for n in sorted(names)
                  if here / n not in skipped and (here / n).is_file()]
    return sorted(files)


def backup(workspace: Workspace, target: Path, with_store: bool = False) -> dict[str, Any]:
    """Back `workspace` up into the new folder `target`; returns what backup.json says."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise WorkspaceError(f"{target}: exists and is not an empty folder")
    target.mkdir(parents=True, exist_ok=True)
    registry = dump_registry(workspace.registry_url, target)
    for relative in _workspace_files(workspace.home, with_store):
        copy = target / "files" / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workspace.home / relative, copy)
    files = {path.relative_to(target).as_posix(): {"sha256": file_sha256(path),
                                                    "bytes": path.stat().st_size}
             for path in sorted(target.rglob("*")) if path.is_file()}
    record = {"format": BACKUP_FORMAT, "made_ms": time.time_ns() // 1_000_000,
              "home": str(workspace.home), "registry": registry.name,
              "store_flows": "copied" if with_store else str(workspace.store_dir / "flows"),
              "files": files}
    write_atomic(target / BACKUP_NAME, json.dumps(record, indent=1, sort_keys=True))
    return record


def check_backup(source: Path) -> dict[str, Any]:
    """Read backup.json and check every file against it; a damaged backup is refused,
    naming the file."""
    try:
        record: dict[str, Any] = json.loads((source / BACKUP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{source}: not a pahna backup ({BACKUP_NAME}: {exc})") from exc
    if record.get("format") != BACKUP_FORMAT:
        raise WorkspaceError(f"{source}: backup format {record.get('format')}, this pahna "
                             f"reads format {BACKUP_FORMAT}")
    for name, expected in record["files"].items():
        path = source / name
        if not path.is_file():
            raise WorkspaceError(f"{source}: damaged backup: {name} is missing")
        if file_sha256(path) != expected["sha256"]:
            raise WorkspaceError(f"{source}: damaged backup: {name} does not match its "
                                 f"sha256 in {BACKUP_NAME}")
    return record


def restore(source: Path, home: Path, registry_url: str | None = None,
            store_flows: Path | None = None) -> Workspace:
    """Restore the backup in `source` into the new, empty folder `home`: its files, its
    registry (into `registry_url` if given, else the backed-up settings' registry: an
    empty database), and its raw flows (copied, else linked to `store_flows` or to the
    folder the backup refers to)."""
    record = check_backup(source)
    if home.exists() and any(home.iterdir()):
        raise WorkspaceError(f"{home}: not empty; restore needs a new or empty folder")
    flows = _flows_source(record, store_flows)
    try:
        shutil.copytree(source / "files", home, dirs_exist_ok=True)
        if registry_url is not None:
            _set_registry_url(home, registry_url)
        if flows is not None:
            (home / "store").mkdir(exist_ok=True)
            os.symlink(flows, home / "store" / "flows", target_is_directory=True)
        workspace = open_workspace(home)
        load_registry(source / record["registry"], workspace.registry_url)
    except BaseException:
        _empty(home)  # no half-restored workspace is left behind
        raise
    return workspace


def _empty(home: Path) -> None:
    for path in home.iterdir() if home.is_dir() else ():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _flows_source(record: dict[str, Any], store_flows: Path | None) -> Path | None:
    if record["store_flows"] == "copied" and store_flows is None:
        return None
    flows = (store_flows or Path(record["store_flows"])).resolve()
    if not flows.is_dir():
        raise WorkspaceError(f"the raw flows this backup refers to are not at {flows}: "
                             "give their folder with --store-flows")
    return flows


def _set_registry_url(home: Path, url: str) -> None:
    path = home / CONFIG_NAME
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.setdefault("registry", {})["url"] = url
    write_atomic(path, tomli_w.dumps(data))
    load_config(path)


__all__ = ["PORTABLE_NAME", "SQLITE_NAME", "backup", "check_backup", "restore"]
