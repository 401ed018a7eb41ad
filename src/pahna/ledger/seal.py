"""The seal of a final period: what it was computed from, and a hash over all of it.

    content_hash = sha256(canonical JSON of {inputs, settlement_sha256})

inputs: every raw-store manifest the period reads (with each file's sha256), the
registry version (a digest of every registry table but its audit log), the tariff (id,
version, digest of its meaning), the code version (pahna's version and a digest of the
sources of the stages that compute money), the tzdata release Tehran's time came from,
and the digest of the basis the final keeps (ledger.basis: rules, producers, tariff,
costs, adjustments and carried balances).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, select

from pahna import __version__
from pahna.calendar import TZDATA_VERSION
from pahna.store.manifests import Manifest
from pahna.store.reader import window_manifests

CODE_PACKAGES = ("pahna.settle", "pahna.aggregate", "pahna.attribute")


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def period_manifests(store: Path, start_ms: int, end_ms: int) -> list[Manifest]:
    """The committed batches a period reads (the same rule as committed_files)."""
    return window_manifests(store, start_ms, end_ms)


def manifest_entries(manifests: list[Manifest]) -> list[dict[str, Any]]:
    return [{"content_hash": m.content_hash, "batch_id": m.batch_id,
             "files": [{"path": f.path, "sha256": f.sha256, "rows": f.rows} for f in m.files]}
            for m in sorted(manifests, key=lambda m: m.content_hash)]


PORTAL_TABLES = "web_"
"""The portal's accounts, sessions, tokens and disputes share the registry's database but
are not settlement inputs: a log-in must not change a sealed period's registry version."""
BOOKKEEPING_TABLES = ("audit_log", "alembic_version", "sealed_periods", "registry_guard")
"""Tables that say what happened to the registry, not what it holds."""


def registry_version(engine: Engine) -> str:
    """A digest of the registry's content (every table except its audit log and the
    portal's own tables)."""
    metadata = MetaData()
    metadata.reflect(engine)
    content: dict[str, list[list[str]]] = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            if name in BOOKKEEPING_TABLES or name.startswith(PORTAL_TABLES):
                continue
            rows = connection.execute(select(table)).all()
            content[name] = sorted([[repr(v) for v in row] for row in rows])
    return _digest(content)


def code_version() -> str:
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        root = resources.files(package)
        for path in sorted(Path(str(root)).rglob("*.py")):
            digest.update(path.relative_to(Path(str(root))).as_posix().encode())
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Seal:
    inputs: dict[str, Any]
    settlement_sha256: str

    @property
    def content_hash(self) -> str:
        return _digest({"inputs": self.inputs, "settlement_sha256": self.settlement_sha256})

    def record(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "settlement_sha256": self.settlement_sha256,
                "content_hash": self.content_hash}


def seal_inputs(manifests: list[Manifest], registry: str, tariff: dict[str, Any],
                basis_sha256: str | None = None) -> dict[str, Any]:
    entries = manifest_entries(manifests)
    inputs = {"manifests": entries, "manifests_sha256": _digest(entries),
              "registry_version": registry, "tariff": tariff, "code_version": code_version(),
              "tzdata": TZDATA_VERSION}
    if basis_sha256 is not None:
        inputs["basis_sha256"] = basis_sha256
    return inputs


def damaged_files(sealed: list[dict[str, Any]], digests: Mapping[str, str | None]
                  ) -> list[str]:
    """Raw files whose bytes no longer match the sha256 sealed for them, given the
    sha256 of each file (by its path in the store; None: missing) as the engine read it."""
    problems = []
    for manifest in sealed:
        for entry in manifest["files"]:
            found = digests.get(entry["path"])
            if found is None:
                problems.append(f"raw file store/{entry['path']} is missing")
            elif found != entry["sha256"]:
                problems.append(f"raw file store/{entry['path']} was changed after "
                                f"finalizing: sha256 {found[:16]}… is not the "
                                f"sealed {entry['sha256'][:16]}…")
    return problems
