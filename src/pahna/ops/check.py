"""`pahna config check`: is a workspace ready to run? Its settings, its registry (reachable,
at the schema revision this pahna expects), its raw store (readable manifests and flow
folders) and its retention archive. Checks only: it changes nothing (no migration)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from pahna.credentials import shown
from pahna.errors import PahnaError, RegistryError
from pahna.ops.prune import archive_root
from pahna.registry.database import MIGRATIONS
from pahna.store.layout import flows_dir
from pahna.store.manifests import read_manifests
from pahna.workspace import Workspace, open_workspace


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str


def head_revision() -> str:
    """The registry schema revision this pahna's migrations end at."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise RegistryError(f"{MIGRATIONS}: no migrations")
    return head


def check_workspace(home: Path) -> list[Check]:
    try:
        workspace = open_workspace(home)
    except PahnaError as exc:
        return [Check("settings", False, str(exc))]
    return [Check("settings", True, f"{home / 'pahna.toml'} is valid"),
            _registry(workspace), _store(workspace), _retention(workspace)]


def _registry(workspace: Workspace) -> Check:
    try:
        url = workspace.registry_url
        engine = create_engine(url)
        if engine.dialect.name == "sqlite" and engine.url.database and \
                not Path(engine.url.database).exists():
            return Check("registry", True, f"{engine.url.database} not made yet (the first "
                         "command that needs the registry makes it)")
        with engine.connect() as connection:
            has_version = "alembic_version" in inspect(connection).get_table_names()
            revision = connection.execute(text("SELECT version_num FROM alembic_version")
                                          ).scalar() if has_version else None
        engine.dispose()
    except (PahnaError, SQLAlchemyError) as exc:
        message = str(exc).splitlines()[0]
        return Check("registry", False, f"cannot read the registry: {message}")
    head = head_revision()
    if revision != head:
        return Check("registry", False, f"{shown(url)}: schema at {revision or 'none'}, this "
                     f"pahna expects {head} (`pahna` migrates it when it next opens it)")
    return Check("registry", True, f"{shown(url)}: schema at {head}")


def _store(workspace: Workspace) -> Check:
    store = workspace.store_dir
    try:
        batches = read_manifests(store)
    except PahnaError as exc:
        return Check("store", False, str(exc))
    flows = flows_dir(store)
    if flows.exists() and not os.access(flows, os.R_OK | os.X_OK):
        return Check("store", False, f"{flows}: not readable")
    missing = [f.path for m in batches for f in m.files if not (store / f.path).is_file()]
    if missing:
        return Check("store", False, f"{len(missing)} raw files named by manifests are "
                     f"missing, first store/{missing[0]}")
    return Check("store", True, f"{store}: {len(batches)} batches, every raw file present")


def _retention(workspace: Workspace) -> Check:
    policy = workspace.config.retention
    if policy.raw_action == "keep":
        return Check("retention", True, "raw flows kept for ever")
    if not policy.archive_dir:
        return Check("retention", False, f"raw_action = {policy.raw_action!r} needs "
                     "archive_dir")
    root = archive_root(workspace.home, policy)
    if not root.is_dir() or not os.access(root, os.W_OK):
        return Check("retention", False, f"archive_dir {root}: not a writable folder")
    return Check("retention", True, f"{policy.raw_action} into {root} "
                 f"{policy.raw_keep_months_after_final} months after final")
