"""The bench month: bounded chunks, exactly once, and the features the engines must meet."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pahna.bench.flows import Population, generate_chunk, plan_chunks
from pahna.bench.month import write_month
from pahna.bench.scenario import NESTED_CLAIMS, populate_registry
from pahna.calendar import JalaliMonth
from pahna.pipeline import claim_index
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX
from pahna.workspace import Workspace

MONTH = JalaliMonth.parse("1404-08")


def test_chunks_cover_the_flows_within_the_bound() -> None:
    chunks = plan_chunks(MONTH, 1_234_567, 20_000, seed=3)
    assert sum(c.flows for c in chunks) == 1_234_567
    assert max(c.flows for c in chunks) <= 20_000
    assert {c.day for c in chunks} == set(range(-1, MONTH.days))


def test_a_chunk_is_reproducible_and_realistic() -> None:
    chunk = next(c for c in plan_chunks(MONTH, 60_000, 10_000, seed=5) if c.day == 4)
    population = Population.build(5)
    table = generate_chunk(MONTH, chunk, population, 5, "b")
    assert table.schema == FLOW_SCHEMA
    assert table.equals(generate_chunk(MONTH, chunk, population, 5, "b"))
    src = np.frombuffer(table["src_addr"].combine_chunks().buffers()[1], np.uint8)
    v4 = (src.reshape(-1, 16)[:, :12] == np.frombuffer(IPV4_MAPPED_PREFIX, np.uint8)).all(1)
    assert 0.02 < v4.mean() < 0.98  # both families
    assert set(pc.unique(table["sampling_rate"]).to_pylist()) == {0, 1, 100, 512, 1000}
    start, end = table["start_ms"].to_numpy(), table["end_ms"].to_numpy()
    assert ((end - 1) // 300_000 > start // 300_000).mean() > 0.05  # spanning bins
    assert (end == start).any() and np.all(np.diff(start) >= 0)


def test_the_month_is_written_once_in_bounded_batches(workspace: Workspace) -> None:
    assert populate_registry(workspace, "1404-08")
    assert not populate_registry(workspace, "1404-08")
    first = write_month(workspace, "1404-08", 30_000, seed=9, chunk_rows=700)
    again = write_month(workspace, "1404-08", 30_000, seed=9, chunk_rows=700)
    assert first.written == first.chunks > 31 and again.written == 0
    files = sorted((workspace.store_dir / "flows").glob("day=*/*.parquet"))
    assert len(files) == first.files
    rows = [pq.ParquetFile(f).metadata.num_rows for f in files]
    assert sum(rows) == 30_000 and max(rows) <= 700
    early = pa.concat_tables(pq.read_table(f) for f in files[:2])
    assert pc.min(early["start_ms"]).as_py() < MONTH.start_ms  # some start the day before


def test_nested_time_limited_claims_change_owner_within_the_month(
        workspace: Workspace) -> None:
    populate_registry(workspace, "1404-08")
    index = claim_index(workspace)
    claim = NESTED_CLAIMS[0]
    inside = pa.array([IPV4_MAPPED_PREFIX + bytes([185, 120, 65, 9])] * 3, pa.binary(16))
    day = 86_400_000
    times = np.array([MONTH.start_ms + 7 * day, MONTH.start_ms + 8 * day,
                      MONTH.start_ms + 20 * day])
    owners = [index.owners[i] for i in index.lookup(inside, times)]
    assert owners == ["qom-univ", claim.producer_id, "qom-univ"]


def _chunk(day: int, seed: int = 5) -> pa.Table:
    chunk = next(c for c in plan_chunks(MONTH, 60_000, 10_000, seed=seed) if c.day == day)
    return generate_chunk(MONTH, chunk, Population.build(seed), seed, "b")


def test_sampled_records_scaled_back_are_about_one_flow() -> None:
    table = _chunk(4)
    rate = np.maximum(table["sampling_rate"].to_numpy().astype(np.int64), 1)
    scaled = table["bytes"].to_numpy().astype(np.int64) * rate
    unsampled = np.median(scaled[rate == 1])
    for sampled in (100, 512, 1000):
        # size // N, at least 40 bytes: within a factor 2 of the unsampled median
        assert 0.5 < np.median(scaled[rate == sampled]) / unsampled < 2


def test_ipv6_clients_fall_in_many_48s() -> None:
    dst = np.frombuffer(_chunk(4)["dst_addr"].combine_chunks().buffers()[1],
                        np.uint8).reshape(-1, 16)
    v6 = ~(dst[:, :12] == np.frombuffer(IPV4_MAPPED_PREFIX, np.uint8)).all(1)
    sites = {bytes(row[:6]) for row in dst[v6]}
    assert v6.sum() > 100 and len(sites) > 0.9 * v6.sum()


def test_a_nested_blocks_flows_stay_within_its_claim() -> None:
    claim = NESTED_CLAIMS[0]  # 185.120.65.0/24, days 7.3 to 19.61
    block = np.array([185, 120, 65], np.uint8)
    day = 86_400_000
    for number in (2, 10, 25):
        table = _chunk(number)
        src = np.frombuffer(table["src_addr"].combine_chunks().buffers()[1],
                            np.uint8).reshape(-1, 16)
        start = table["start_ms"].to_numpy()[(src[:, 12:15] == block).all(1)]
        assert len(start) > 0
        assert np.all((start >= MONTH.start_ms + claim.from_day * day - 3_600_000)
                      & (start < MONTH.start_ms + claim.to_day * day + 3_600_000))


def test_a_nested_blocks_moved_flows_spread_evenly_over_its_days() -> None:
    """Flows of the block outside its claim move into it without piling on some days:
    the nested producer's own days stay even (no step of its own)."""
    from pahna.bench.flows import _while_claimed

    population = Population.build(5)
    claim = NESTED_CLAIMS[1]  # qom-games, 185.120.64.0/28, days 2.5 to 26.12
    n, day = 60_000, 86_400_000
    # one flow every 43.2 s over the whole month, each at an odd millisecond
    start = MONTH.start_ms + np.arange(n, dtype=np.int64) * (MONTH.days * day // n) + 7
    choice = np.full(n, population.sources.index(claim.network_object))
    moved, _ = _while_claimed(MONTH, population, choice, start, start + 1000)
    per_day = np.bincount((moved - MONTH.start_ms) // day, minlength=MONTH.days)
    whole = per_day[3:26]  # the claim's whole days: 3 to 25
    assert per_day[:2].sum() == per_day[27:].sum() == 0
    assert whole.sum() + per_day[2] + per_day[26] == n
    # 30 days of flows on 23 whole days (and the edges' hours): about 30/23 each
    assert whole.max() <= 1.1 * whole.min()
