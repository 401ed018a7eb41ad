from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tests.flowgen import Flow, flow_table

from pahna.schema import FLOW_SCHEMA
from pahna.store.manifests import read_manifests
from pahna.store.reader import committed_files
from pahna.store.writer import write_batch

DAY = 86_400_000
T0 = 1_761_165_000_000  # 2025-10-22T20:30:00Z


def test_batch_is_split_by_utc_day_and_committed_by_manifest(tmp_path: Path) -> None:
    flows = flow_table([Flow("1.1.1.1", "2.2.2.2", 100, T0), Flow("1.1.1.1", "2.2.2.2", 50,
                        T0 + 4 * 3_600_000)])  # 20:30Z and 00:30Z next day
    manifest = write_batch(tmp_path, flows, "unit", "ab" * 32)
    assert manifest is not None
    assert [f.path for f in manifest.files] == [
        "flows/day=2025-10-22/abababababababababababab.parquet",
        "flows/day=2025-10-23/abababababababababababab.parquet",
    ]
    assert manifest.records == 2 and manifest.bytes == 150
    files = committed_files(tmp_path, T0, T0 + DAY)
    assert sum(pq.read_table(f).num_rows for f in files) == 2
    assert not list(tmp_path.rglob(".tmp-*"))


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    flows = flow_table([Flow("1.1.1.1", "2.2.2.2", 100, T0)])
    assert write_batch(tmp_path, flows, "first", "cd" * 32) is not None
    assert write_batch(tmp_path, flows, "again", "cd" * 32) is None
    assert len(read_manifests(tmp_path)) == 1


def test_files_without_a_manifest_are_invisible(tmp_path: Path) -> None:
    stray = tmp_path / "flows" / "day=2025-10-22" / "orphan.parquet"
    stray.parent.mkdir(parents=True)
    pq.write_table(flow_table([Flow("1.1.1.1", "2.2.2.2", 1, T0)]), stray)
    assert committed_files(tmp_path, 0, 2**62) == []


def test_manifest_totals_are_exact_where_a_64_bit_sum_would_wrap(tmp_path: Path) -> None:
    """Arrow's sum of a uint64 column wraps modulo 2^64 without a word; the manifest's
    totals are Python integers, exact."""
    huge = 2**64 - 1
    flows = flow_table([Flow("1.1.1.1", "2.2.2.2", 1, T0 + n) for n in range(3)])
    column = pa.array([huge, huge, 7], pa.uint64())
    for name in ("bytes", "packets"):
        index = FLOW_SCHEMA.get_field_index(name)
        flows = flows.set_column(index, FLOW_SCHEMA.field(index), column)
    manifest = write_batch(tmp_path, flows, "unit", "ef" * 32)
    assert manifest is not None
    assert manifest.bytes == manifest.packets == 2 * huge + 7
    assert read_manifests(tmp_path)[0].bytes == 2 * huge + 7
