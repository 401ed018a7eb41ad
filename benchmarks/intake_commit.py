"""The commit path on clean data: decode a NetFlow v9 stream and commit it through the
Ingestor (export identities, Parquet, manifest, decoder state), handed over 5,000
datagrams at a time as a collector's flushes do. Prints records per CPU-second of that
loop; the stream is built before the clock starts.

    PYTHONPATH=src python benchmarks/intake_commit.py [RECORDS]     # default 600000

Run it against another checkout's src (PYTHONPATH=OTHER/src) to compare."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from pahna.intake.base import Datagram
from pahna.intake.netflow.encoder import encode_v9
from pahna.pipeline import Ingestor
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX
from pahna.workspace import init_workspace

BASE_MS = 1_760_000_000_000


def stream(count: int) -> list[Datagram]:
    rng = np.random.default_rng(1)
    src = np.zeros((count, 16), np.uint8)
    src[:, 10:12] = 255
    src[:, 12:] = rng.integers(0, 256, (count, 4))
    addresses = [bytes(row) for row in src]
    order = np.arange(count)
    columns = {
        "exporter": pa.array([bytes(16)] * count, pa.binary(16)),
        "observation_domain": np.zeros(count, np.uint32),
        "src_addr": pa.array(addresses, pa.binary(16)),
        "dst_addr": pa.array(addresses[::-1], pa.binary(16)),
        "src_port": rng.integers(0, 65535, count).astype(np.uint16),
        "dst_port": np.full(count, 443, np.uint16), "protocol": np.full(count, 6, np.uint8),
        "bytes": rng.integers(40, 10**6, count).astype(np.uint64),
        "packets": np.ones(count, np.uint64), "start_ms": BASE_MS - 5000 + order // 100,
        "end_ms": BASE_MS + order // 100, "sampling_rate": np.ones(count, np.uint32),
        "input_if": np.ones(count, np.uint32), "output_if": np.full(count, 2, np.uint32),
        "direction": np.zeros(count, np.uint8), "src_as": np.zeros(count, np.uint32),
        "dst_as": np.zeros(count, np.uint32), "batch_id": pa.array([""] * count),
    }
    table = pa.table({name: pa.array(columns[name], FLOW_SCHEMA.field(name).type)
                      if not isinstance(columns[name], pa.Array) else columns[name]
                      for name in FLOW_SCHEMA.names}, schema=FLOW_SCHEMA)
    exporter = IPV4_MAPPED_PREFIX + bytes([192, 0, 2, 1])
    return [Datagram(exporter, p, BASE_MS + 10_000 + i)
            for i, p in enumerate(encode_v9(table, BASE_MS + 10_000, 10**7))]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600_000
    datagrams = stream(count)
    home = Path(tempfile.mkdtemp(prefix="pahna-commit-")) / "home"
    ingestor = Ingestor(init_workspace(home))
    started, stored = time.process_time(), 0
    for start in range(0, len(datagrams), 5000):
        stored += ingestor.ingest_datagrams(datagrams[start : start + 5000], "udp").records
    cpu = time.process_time() - started
    print(f"{stored} records of {len(datagrams)} datagrams: {cpu:.2f} CPU s, "
          f"{stored / cpu:,.0f} records/s per core")
    shutil.rmtree(home.parent)


if __name__ == "__main__":
    main()
