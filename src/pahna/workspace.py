"""The workspace: one folder holding settings, registry, raw store and statements.

    HOME/
      pahna.toml          settings (config.PahnaConfig)
      registry.sqlite     producers, provinces, claims (SQLite by default)
      store/              the raw flow store (store.layout)
      quarantine/         bytes that could not be decoded, with their reason
      tariffs/            tariff documents (TOML)
      statements/PERIOD/  statements issued for a Jalali month
      grants/documents/   documents uploaded to the grant board, by SHA-256
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from pahna.config import WORKSPACE_FORMAT, PahnaConfig, load_config
from pahna.credentials import registry_url
from pahna.errors import WorkspaceError

CONFIG_NAME = "pahna.toml"
DEFAULT_HOME = "pahna-home"


@dataclass(frozen=True)
class Workspace:
    home: Path
    config: PahnaConfig

    @property
    def registry_url(self) -> str:
        """[registry] url from pahna.toml (or from the environment or a file:
        credentials.registry_url), else registry.sqlite in the workspace."""
        return registry_url(self.config.registry, self.home)

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def tariffs_dir(self) -> Path:
        return self.home / "tariffs"

    @property
    def documents_dir(self) -> Path:
        """Documents uploaded to the grant board, by content hash (never served as files)."""
        return self.home / "grants" / "documents"

    def statements_dir(self, period: str) -> Path:
        return self.home / "statements" / period


def resolve_home(home: str | os.PathLike[str] | None) -> Path:
    """--home, else $PAHNA_HOME, else ./pahna-home."""
    chosen = home or os.environ.get("PAHNA_HOME") or DEFAULT_HOME
    return Path(chosen).expanduser().resolve()


def init_workspace(home: Path, config: PahnaConfig | None = None) -> Workspace:
    """Create a workspace; refuses a non-empty folder that is not already one."""
    if home.exists() and not home.is_dir():
        raise WorkspaceError(f"{home}: exists and is not a folder")
    if (home / CONFIG_NAME).exists():
        raise WorkspaceError(f"{home}: already a pahna workspace")
    if home.exists() and any(home.iterdir()):
        raise WorkspaceError(f"{home}: folder is not empty and is not a pahna workspace")
    config = config or PahnaConfig()
    for sub in ("store", "quarantine", "tariffs", "statements"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    data = config.model_dump(mode="json")
    (home / CONFIG_NAME).write_text(tomli_w.dumps(data), encoding="utf-8")
    return Workspace(home, config)


def open_workspace(home: Path) -> Workspace:
    """Open an existing workspace, saying clearly why a folder is not one."""
    if not home.exists():
        raise WorkspaceError(f"{home}: no such folder; create it with `pahna init --home {home}`")
    if not (home / CONFIG_NAME).is_file():
        raise WorkspaceError(f"{home}: not a pahna workspace (no {CONFIG_NAME})")
    config = load_config(home / CONFIG_NAME)
    if config.workspace.format != WORKSPACE_FORMAT:
        raise WorkspaceError(
            f"{home}: workspace format {config.workspace.format}, "
            f"this pahna reads format {WORKSPACE_FORMAT}"
        )
    return Workspace(home, config)
