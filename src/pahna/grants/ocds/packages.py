"""Release and record packages. Records are compiled from the releases by the Open
Contracting Partnership's own tools (ocdskit's merge, which uses ocdsmerge) with the
patched local schema, so nothing is fetched; every package is validated before it is
handed out. Bulk files are cut per Jalali month of the releases' dates."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from ocdskit.combine import merge
from sqlalchemy import Engine

from pahna.calendar import JalaliMonth
from pahna.errors import GrantNotFoundError
from pahna.grants.config import GrantSettings
from pahna.grants.history import head_seq, revisions
from pahna.grants.ocds.releases import all_releases, iso
from pahna.grants.ocds.schema import extension_urls, patched_release_schema, validate

VERSION = "1.1"


def board_releases(engine: Engine, settings: GrantSettings) -> list[dict[str, Any]]:
    """Every release the board publishes, oldest first, each validated."""
    releases = all_releases(revisions(engine), settings)
    for release in releases:
        validate(release, "release", f"release {release['id']}")
    return releases


def _published(releases: list[dict[str, Any]]) -> str:
    return max((r["date"] for r in releases), default="2025-03-21T00:00:00Z")


def release_package(releases: list[dict[str, Any]], settings: GrantSettings,
                    name: str = "releases.json") -> dict[str, Any]:
    """The releases as a package (OCDS wants at least one: GrantNotFoundError if none)."""
    if not releases:
        raise GrantNotFoundError(f"{name}: the board has published no release yet")
    package = {
        "uri": f"{settings.base_uri}/{name}", "version": VERSION,
        "extensions": extension_urls(), "publishedDate": _published(releases),
        "publisher": {"name": settings.publisher}, "releases": releases,
    }
    validate(package, "release-package", name)
    return package


def record_package(releases: list[dict[str, Any]], settings: GrantSettings,
                   name: str = "records.json") -> dict[str, Any]:
    """One record per ocid: its releases and the release compiled from them."""
    source = release_package(releases, settings)
    package: dict[str, Any] = next(iter(merge(
        [source], uri=f"{settings.base_uri}/{name}", publisher=source["publisher"],
        published_date=source["publishedDate"], version=VERSION,
        schema=patched_release_schema(), return_package=True)))
    package["extensions"] = source["extensions"]
    package["records"] = sorted(package["records"], key=lambda r: r["ocid"])
    validate(package, "record-package", name)
    return package


def in_month(releases: list[dict[str, Any]], period: str) -> list[dict[str, Any]]:
    """The releases dated in a Jalali month (Tehran time)."""
    month = JalaliMonth.parse(period)
    start, end = iso(month.start_ms), iso(month.end_ms)
    return [r for r in releases if start <= r["date"] < end]


def months(releases: list[dict[str, Any]]) -> list[str]:
    """The Jalali months that hold at least one release, oldest first."""
    found = {str(JalaliMonth.containing(int(datetime.fromisoformat(
        r["date"].replace("Z", "+00:00")).timestamp() * 1000))) for r in releases}
    return sorted(found)


class PackageCache:
    """The board's releases and packages as of its newest revision, computed once per
    revision (a portal serves them to anyone, as often as asked)."""

    def __init__(self, engine: Engine, settings: GrantSettings) -> None:
        self.engine, self.settings = engine, settings
        self._seq = -1
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _fresh(self) -> dict[str, Any]:
        with self._lock:
            seq = head_seq(self.engine)
            if seq != self._seq:
                self._made = {"releases": board_releases(self.engine, self.settings)}
                self._seq = seq
            return self._made

    def releases(self) -> list[dict[str, Any]]:
        return list(self._fresh()["releases"])

    def package(self, name: str) -> dict[str, Any]:
        """`releases.json`, `records.json` or `months/YYYY-MM.json`, made at most once."""
        made = self._fresh()
        with self._lock:
            if name not in made:
                made[name] = self._make(name, made["releases"])
            return dict(made[name])

    def _make(self, name: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
        if name == "records.json":
            return record_package(releases, self.settings)
        if name.startswith("months/"):
            period = name.removeprefix("months/").removesuffix(".json")
            return release_package(in_month(releases, period), self.settings, name)
        return release_package(releases, self.settings)
