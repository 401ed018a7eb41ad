"""Where things live in the raw store.

    store/
      flows/day=YYYY-MM-DD/BATCH.parquet   flows whose start falls on that UTC day
      manifests/HASH.json                   one per committed batch, named by the
                                            content hash of what was ingested

A batch is visible only once its manifest exists: the manifest is written last, after
every Parquet file of the batch has been renamed into place, so a reader that goes
through the manifests never sees a half-written batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

DAY_MS = 86_400_000


def flows_dir(store: Path) -> Path:
    return store / "flows"


def manifests_dir(store: Path) -> Path:
    return store / "manifests"


def day_label(day_index: int) -> str:
    """UTC day number since the epoch -> YYYY-MM-DD."""
    return datetime.fromtimestamp(day_index * 86_400, tz=UTC).strftime("%Y-%m-%d")


def flow_file(store: Path, day_index: int, batch_id: str) -> Path:
    return flows_dir(store) / f"day={day_label(day_index)}" / f"{batch_id}.parquet"


def manifest_file(store: Path, content_hash: str) -> Path:
    return manifests_dir(store) / f"{content_hash}.json"
