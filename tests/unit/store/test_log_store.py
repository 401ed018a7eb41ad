"""An access log stored once by the hash of its content, its bad lines kept in
quarantine with file, line number, reason and text."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import zstandard

from pahna.intake.weblog.presets import resolve_format
from pahna.intake.weblog.scan import ScanOptions
from pahna.store.logingest import ingest_log
from pahna.store.logs import read_log_manifests

LINES = (
    '203.0.113.5 - - [10/Oct/2025:13:55:36 +0330] "GET /a HTTP/1.1" 200 100 "-" "M"\n'
    "garbage\n"
    '203.0.113.6 - - [11/Oct/2025:13:55:36 +0330] "GET /b HTTP/1.1" 206 250 "-" "M"\n')


def test_the_same_content_is_stored_once_whatever_its_name_or_compression(
        tmp_path: Path) -> None:
    store, quarantine = tmp_path / "store", tmp_path / "quarantine"
    spec, options = resolve_format("nginx-combined"), ScanOptions(host="www.example.ir")
    plain = tmp_path / "access.log"
    plain.write_text(LINES)
    first = ingest_log(store, quarantine, plain, spec, options)
    assert (first.records, first.bytes, dict(first.rejected)) == (2, 350, {"no_match": 1})
    assert not first.duplicate
    for name, data in (("again.log.gz", gzip.compress(LINES.encode())),
                       ("again.zst", zstandard.ZstdCompressor().compress(LINES.encode()))):
        (tmp_path / name).write_bytes(data)
        again = ingest_log(store, quarantine, tmp_path / name, spec, options)
        assert again.duplicate and again.content_hash == first.content_hash
    [manifest] = read_log_manifests(store)
    assert (manifest.records, manifest.bytes, manifest.lines) == (2, 350, 3)
    # one Parquet file per UTC day of the records
    assert sorted(pq.read_table(store / f.path).num_rows for f in manifest.files) == [1, 1]
    assert first.quarantine is not None
    kept = [json.loads(line) for line in first.quarantine.read_text().splitlines()]
    assert kept == [{"file": "access.log", "line": 2, "reason": "no_match", "text": "garbage"}]


def test_a_log_grown_since_it_was_stored_is_refused_not_paid_twice(tmp_path: Path) -> None:
    """The server still writing access.log: taken with two lines, then again with a third
    appended. The second file begins with the first: refused, nothing stored again; the
    same content under a rotated name with new lines after it is another file."""
    store, quarantine = tmp_path / "store", tmp_path / "quarantine"
    spec, options = resolve_format("nginx-combined"), ScanOptions(host="www.example.ir")
    log = tmp_path / "access.log"
    log.write_text(LINES)
    first = ingest_log(store, quarantine, log, spec, options)
    more = '203.0.113.7 - - [11/Oct/2025:14:00:00 +0330] "GET /c HTTP/1.1" 200 40 "-" "M"\n'
    log.write_text(LINES + more)
    grown = ingest_log(store, quarantine, log, spec, options)
    assert grown.grown_from == first.content_hash and not grown.duplicate
    assert grown.manifest is None and grown.records == 0
    assert [m.records for m in read_log_manifests(store)] == [2]
    gz = tmp_path / "access.log.gz"  # compressed, same name stem but another name
    gz.write_bytes(gzip.compress((LINES + more).encode()))
    assert ingest_log(store, quarantine, gz, spec, options).grown_from is None
    assert sorted(m.records for m in read_log_manifests(store)) == [2, 3]
    (tmp_path / "x").mkdir()
    gzlog = tmp_path / "x" / "access.log.gz"  # a grown gzip file of a stored gzip name
    gzlog.write_bytes(gzip.compress((LINES + more + more).encode()))
    three = next(m.content_hash for m in read_log_manifests(store) if m.records == 3)
    assert ingest_log(store, quarantine, gzlog, spec, options).grown_from == three
