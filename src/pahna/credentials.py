"""Secrets from outside pahna.toml: the registry's URL, or only its password, from an
environment variable or a file (a Docker/systemd credential), so that the settings file
can be shown and backed up without them. Shown anywhere, the URL hides its password."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pahna.config import RegistrySettings
from pahna.errors import ConfigError

URL_ENV = "PAHNA_REGISTRY_URL"
PASSWORD_ENV = "PAHNA_REGISTRY_PASSWORD"


def _read_secret(path: str, home: Path, what: str) -> str:
    file = home / path
    try:
        return file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"[registry] {what}: cannot read {file}: {exc.strerror}") from exc


def registry_url(settings: RegistrySettings, home: Path) -> str:
    """$PAHNA_REGISTRY_URL, else [registry] url_file's content, else url, else the
    workspace's registry.sqlite; then the password from $PAHNA_REGISTRY_PASSWORD or
    [registry] password_file, when either is given."""
    url = (os.environ.get(URL_ENV) or
           (_read_secret(settings.url_file, home, "url_file") if settings.url_file else "")
           or settings.url or f"sqlite:///{home / 'registry.sqlite'}")
    password = os.environ.get(PASSWORD_ENV) or (
        _read_secret(settings.password_file, home, "password_file")
        if settings.password_file else "")
    if not password:
        return url
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"[registry] url: not a database URL: {shown(url)}") from exc
    return parsed.set(password=password).render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL as it may be printed or logged: its password as ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"
