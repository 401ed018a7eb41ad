"""Typed settings, read from the workspace's ``pahna.toml``.

Each stage owns one section; unknown keys are refused so that a typo never silently
falls back to a default, and a setting of a newer pahna is never silently ignored by an
older one that would compute without it. ``load_config`` names the file, the key and
what is allowed.
"""

from __future__ import annotations

import ipaddress
import platform
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pahna import __version__
from pahna.errors import ConfigError
from pahna.grants.config import GrantSettings

WORKSPACE_FORMAT = 1


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkspaceSettings(_Section):
    format: int = Field(WORKSPACE_FORMAT, description="Workspace layout version.")
    name: str = Field("pahna", description="A label for this workspace.")


class CollectorSettings(_Section):
    name: str = Field(
        "", pattern=r"^[A-Za-z0-9._-]{0,64}$",
        description="This collector's name, kept in every batch it commits (usage shows "
        "which collectors contributed to a month); empty: the machine's host name.",
    )
    listen: list[str] = Field(
        default_factory=lambda: ["127.0.0.1:4739"],
        description="ADDR:PORT pairs the UDP collector binds (IPv6 as [::1]:4739).",
    )
    flush_interval_s: float = Field(
        5.0, gt=0, description="Seconds between flushes to the store; bounds loss on a crash."
    )
    receive_buffer_bytes: int = Field(
        32 * 1024 * 1024, ge=65536, description="Socket receive buffer asked of the kernel."
    )
    template_hold_s: float = Field(
        60.0, ge=0, description="Seconds data waits for its template before it is quarantined."
    )
    sampling_override: dict[str, int] = Field(
        default_factory=dict,
        description="Exporter address -> sampling rate that replaces what the exporter sends.",
    )
    metrics_listen: str = Field(
        "", description="ADDR:PORT of the Prometheus metrics endpoint of `pahna collect` "
        "(empty: none)."
    )
    workers: int = Field(
        1, ge=1, le=64, description="Receiving processes of `pahna collect` sharing each "
        "listen address (SO_REUSEPORT); each has its own spool and decoder state."
    )
    spool_limit_bytes: int = Field(
        8 << 30, ge=1 << 20, description="Bound of the spool's size on disk (per receiving "
        "process); past it datagrams are dropped, counted and alarmed."
    )
    spool_segment_bytes: int = Field(
        64 << 20, ge=1 << 16, description="A spool segment is sealed at this size (or when "
        "its first datagram is flush_interval_s old)."
    )
    spool_fsync_interval_s: float = Field(
        1.0, gt=0, description="Seconds between fsyncs of the open spool segment."
    )
    expected_exporters: list[str] = Field(
        default_factory=list, description="Exporter addresses this collector must hear "
        "from: one whose data has not reached the store for silence_limit_s raises an "
        "alarm (a log line and pahna_collector_exporter_silent).")
    silence_limit_s: float = Field(
        300.0, gt=0, description="Seconds without a committed batch from an expected "
        "exporter before it counts as silent.")

    @field_validator("expected_exporters")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            try:
                address = ipaddress.ip_address(item)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address") from exc
            mapped = getattr(address, "ipv4_mapped", None)
            out.append(str(mapped or address))
        return out

    @property
    def identity(self) -> str:
        """The name kept in the batches this workspace commits."""
        return self.name or platform.node() or "unnamed"


class SparkSettings(_Section):
    master: str = Field(
        "local[*]", description="Spark master URL: local[N], spark://HOST:7077, yarn, k8s://..."
    )
    store: str = Field(
        "", description="Where Spark reads the flow files: empty for the workspace's store "
        "folder, else a local path or a URI (hdfs://NN/pahna/store, s3a://BUCKET/store) "
        "holding the same layout; manifests are always read from the workspace."
    )
    python: str = Field(
        "", description="The Python interpreter the executors run (PYSPARK_PYTHON), as a "
        "path on the workers; it needs NumPy and pyarrow, pahna ships its own modules. "
        "Empty: this interpreter in local mode, else PYSPARK_PYTHON or python3."
    )
    shuffle_partitions: int = Field(8, ge=1, description="spark.sql.shuffle.partitions.")
    arrow_batch_rows: int = Field(
        1 << 18, ge=1024, description="Rows per Arrow batch handed to the attribution kernel."
    )
    driver_memory: str = Field("2g", description="spark.driver.memory (JVM heap of the driver).")
    executor_memory: str = Field("2g", description="spark.executor.memory per executor.")
    conf: dict[str, str] = Field(
        default_factory=dict, description="Further Spark settings, passed as they are."
    )


class AggregateSettings(_Section):
    engine: Literal["duckdb", "spark"] = Field("duckdb", description="Aggregation engine.")
    memory_limit: str = Field("2GB", description="DuckDB memory limit.")
    threads: int = Field(
        0, ge=0, description="Threads running the attribution kernel on the DuckDB engine "
        "(0: one per core).")
    spark: SparkSettings = Field(
        default_factory=SparkSettings, description="Apache Spark, used when engine = \"spark\"."
    )


class SettleSettings(_Section):
    currency: str = Field("IRR", description="ISO 4217 code of the settlement currency.")
    minor_units: int = Field(
        0, ge=0, le=4, description="Decimal places of the currency (IRR: 0)."
    )


class RegistrySettings(_Section):
    url: str = Field(
        "", description="SQLAlchemy URL of the registry (e.g. postgresql+psycopg://user:pw@"
        "host/db); empty means registry.sqlite in the workspace. $PAHNA_REGISTRY_URL, "
        "when set, wins.")
    url_file: str = Field(
        "", description="A file holding the registry's URL (relative to the workspace "
        "unless absolute), used instead of url, to keep a password out of pahna.toml.")
    password_file: str = Field(
        "", description="A file holding only the registry's password, put into the URL "
        "($PAHNA_REGISTRY_PASSWORD, when set, wins).")


def _check_networks(value: list[str]) -> list[str]:
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network") from exc
    return value


class WeblogSettings(_Section):
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Networks (CIDR) of the proxies and load balancers in front of the web "
        "servers whose logs are ingested: only a request that came through one of them is "
        "attributed to the client its X-Forwarded-For names.")
    watch_interval_s: float = Field(
        10.0, gt=0, description="Seconds between looks into a folder `pahna ingest --watch` "
        "watches; a file is taken once its size has not changed for one interval.")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return _check_networks(value)


class PortalSettings(_Section):
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies in front of `pahna serve` "
        "(e.g. [\"127.0.0.1\", \"10.0.0.0/24\"]). X-Forwarded-For is honoured only from "
        "them, to learn the client's address; empty: the peer's address is the client's.")
    login_failures_per_account: int = Field(
        5, ge=1, description="Wrong passwords for one account name from one client address "
        "within the window before that pair is held back.")
    login_failures_per_address: int = Field(
        20, ge=1, description="Wrong passwords from one client address, whatever the names, "
        "within the window before that address is held back.")
    login_window_s: float = Field(
        900.0, gt=0, description="The window (seconds) login failures are counted over.")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return _check_networks(value)


class RetentionSettings(_Section):
    raw_action: Literal["keep", "archive", "delete"] = Field(
        "keep", description="What `pahna store prune` does with raw flow files once kept "
        "long enough: keep them (never prune), archive them (copied into archive_dir, "
        "checked, and the store's file replaced by a link to the copy), or delete them "
        "(the store's file freed the same way, only where archive_dir already holds a copy "
        "with the same sha256; never the only copy).")
    raw_keep_months_after_final: int = Field(
        12, ge=0, description="Whole Jalali months a raw flow file is kept after the last "
        "month it holds flows of ends, every such month being final.")
    archive_dir: str = Field(
        "", description="Folder raw flow files are archived into (same layout as the "
        "store); needed by raw_action = \"archive\" and \"delete\".")
    quarantine_keep_days: int = Field(
        0, ge=0, description="Days a quarantine day-folder is kept after its UTC day; 0: "
        "kept for ever.")


class LoggingSettings(_Section):
    format: Literal["text", "logfmt", "json"] = Field(
        "text", description="How `pahna collect` and `pahna serve` write their logs on "
        "standard error: text (the message alone), logfmt or json (one object a line: ts, "
        "level, logger, event, msg and the event's fields).")
    access_log: bool = Field(
        True, description="`pahna serve` logs every request: method, path without its "
        "query, status, milliseconds, bytes and client address; never a header, cookie, "
        "query string or body.")


class PahnaConfig(_Section):
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    collector: CollectorSettings = Field(default_factory=CollectorSettings)
    aggregate: AggregateSettings = Field(default_factory=AggregateSettings)
    settle: SettleSettings = Field(default_factory=SettleSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    weblog: WeblogSettings = Field(default_factory=WeblogSettings)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    grants: GrantSettings = Field(default_factory=GrantSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)


def load_config(path: Path) -> PahnaConfig:
    """Read and validate a ``pahna.toml``; errors name the file, the key and the rule."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return PahnaConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"[{'.'.join(str(p) for p in err['loc'])}] {err['msg']}" for err in exc.errors()
        )
        if any(err["type"] == "extra_forbidden" for err in exc.errors()):
            problems += (f" (a misspelt key, or a setting of a newer pahna than this "
                         f"{__version__}: remove that line, or run the newer pahna)")
        raise ConfigError(f"{path}: {problems}") from exc
