"""The engine's integrity sums on a hand-made month, worked out by hand (conftest.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tests.flowgen import Flow, flow_table
from tests.unit.integrity.conftest import QUERY, T, rules, signal_rules, write_flows

from pahna.aggregate.engines import get_engine
from pahna.aggregate.signals import (
    SignalRules,
    network_text,
    signal_input_columns,
    signal_rows,
)
from pahna.attribute.hosting import HostingIndex
from pahna.integrity.hosting import HostingVersion
from pahna.schema import BIN_MS


def sums(files: list[Path], min_repeats: int = 3) -> dict[str, pa.Table]:
    return get_engine("duckdb").signals(files, QUERY, signal_rules(), min_repeats)


def test_bytes_per_client_network_are_cut_at_24_and_scaled(month_files: list[Path]) -> None:
    table = sums(month_files)["networks"]
    got = {(p, network_text(n)): b for p, n, b in zip(
        table["producer_id"].to_pylist(), table["client_net"].to_pylist(),
        table["bytes"].to_pylist(), strict=True)}
    assert got == {
        ("alpha", "2.176.1.0/24"): 2000, ("alpha", "5.112.3.0/24"): 2000,
        ("alpha", "10.1.9.0/24"): 500, ("alpha", "10.2.0.0/24"): 300,
        ("alpha", "198.51.100.0/24"): 300, ("alpha", "203.0.113.0/24"): 200,
        ("beta", "10.1.0.0/24"): 150, ("beta", "2.176.2.0/24"): 850,
        ("gamma", "2.176.3.0/24"): 800}
    assert table["producer_id"].to_pylist() == sorted(table["producer_id"].to_pylist())
    records = {(p, network_text(n)): r for p, n, r in zip(
        table["producer_id"].to_pylist(), table["client_net"].to_pylist(),
        table["records"].to_pylist(), strict=True)}
    assert records == {  # flow records, not scaled by sampling
        ("alpha", "2.176.1.0/24"): 2, ("alpha", "5.112.3.0/24"): 1,
        ("alpha", "10.1.9.0/24"): 1, ("alpha", "10.2.0.0/24"): 1,
        ("alpha", "198.51.100.0/24"): 3, ("alpha", "203.0.113.0/24"): 1,
        ("beta", "10.1.0.0/24"): 1, ("beta", "2.176.2.0/24"): 1,
        ("gamma", "2.176.3.0/24"): 2}


def test_flow_records_per_bin_of_their_start(month_files: list[Path]) -> None:
    from tests.unit.integrity.conftest import T

    assert sums(month_files)["records"].to_pylist() == [
        {"producer_id": "alpha", "bin_start_ms": T, "records": 9, "steady_records": 9},
        {"producer_id": "beta", "bin_start_ms": T, "records": 2, "steady_records": 2},
        {"producer_id": "gamma", "bin_start_ms": T, "records": 2, "steady_records": 2}]


def test_records_from_addresses_whose_claim_changed_are_not_steady(
        month_files: list[Path]) -> None:
    from tests.unit.integrity.conftest import HOSTING, MONTH, rules

    from pahna.aggregate.signals import SignalRules, changing_prefixes
    from pahna.attribute.hosting import HostingIndex

    day = 86_400_000
    claims: list[list[object]] = [
        ["delta", "prefix", "10.1.0.2/32", MONTH.start_ms + 5 * day, None],  # begins
        ["delta", "prefix", "10.2.0.0/24", 0, MONTH.start_ms + 9 * day],  # ends
        ["delta", "prefix", "10.3.0.0/24", 0, MONTH.start_ms],  # ended before
        ["delta", "asn", "64500", MONTH.start_ms + day, None]]  # not a prefix
    changing = changing_prefixes(claims, MONTH.start_ms, MONTH.end_ms)
    assert changing is not None
    assert changing_prefixes(claims[2:], MONTH.start_ms, MONTH.end_ms) is None
    table = get_engine("duckdb").signals(
        month_files, QUERY, SignalRules(rules(), HostingIndex(HOSTING), changing), 3)
    # alpha's one flow from 10.1.0.2 and both of beta's (10.2.0.1) changed hands;
    # gamma's claim (10.3.0.0/16 in conftest) and the one ended before are steady
    assert [(r["producer_id"], r["records"], r["steady_records"])
            for r in table["records"].to_pylist()] == [
        ("alpha", 9, 8), ("beta", 2, 0), ("gamma", 2, 2)]


def test_traffic_between_producers_is_a_directed_graph(month_files: list[Path]) -> None:
    assert sums(month_files)["peers"].to_pylist() == [
        {"producer_id": "alpha", "peer_id": "alpha", "bytes": 500},
        {"producer_id": "alpha", "peer_id": "beta", "bytes": 300},
        {"producer_id": "beta", "peer_id": "alpha", "bytes": 150}]


def test_excludable_pieces_by_class_and_bin(month_files: list[Path]) -> None:
    rows = sums(month_files)["excludable"].to_pylist()
    assert {(r["producer_id"], r["peer_id"], r["hosting"], r["bytes"]) for r in rows} == {
        ("alpha", None, True, 200), ("alpha", "alpha", False, 500),
        ("alpha", "beta", False, 300), ("beta", "alpha", False, 150)}
    assert {r["traffic_class"] for r in rows} == {"unknown"}  # no domestic list


def test_repeated_sizes_count_from_the_threshold(month_files: list[Path]) -> None:
    assert sums(month_files, 3)["repeats"].to_pylist() == [
        {"producer_id": "alpha", "bytes": 300}]
    assert sums(month_files, 2)["repeats"].to_pylist() == [
        {"producer_id": "alpha", "bytes": 2300},  # + the two 1,000-byte flows to 2.176.1/24
        {"producer_id": "gamma", "bytes": 800}]
    assert sums(month_files, 4)["repeats"].num_rows == 0


def test_client_network_keys_cut_both_families() -> None:
    import pyarrow as pa

    from pahna.aggregate.signals import client_networks
    from pahna.schema import address_to_bytes

    addresses = pa.array([address_to_bytes(a) for a in (
        "2.176.1.5", "2.176.1.250", "2.176.2.1", "2a01:5ec0:1:ff::1", "2a01:5ec0:1::9",
        "2a01:5ec0:2::1")], pa.binary(16))
    keys = client_networks(addresses).tolist()
    assert [network_text(k) for k in keys] == [
        "2.176.1.0/24", "2.176.1.0/24", "2.176.2.0/24", "2a01:5ec0:1::/48",
        "2a01:5ec0:1::/48", "2a01:5ec0:2::/48"]


def test_no_files_gives_empty_sums() -> None:
    assert all(t.num_rows == 0 for t in sums([]).values())


def test_flows_spanning_bins_are_cut_only_where_a_sum_needs_bins(tmp_path: Path) -> None:
    """A flow to an audience network over three bins inside the month is one signal row
    (no query sums it per bin); one to a hosting client is cut into its three bins
    (`excludable` sums per bin); one reaching back before the month counts only its
    pieces in the month, and is not a flow of the month for `repeats`."""
    start = QUERY.start_ms + 6 * BIN_MS
    flows = [Flow("10.1.0.1", "2.176.1.5", 3000, start, start + 3 * BIN_MS),
             Flow("10.1.0.1", "203.0.113.10", 3000, start, start + 3 * BIN_MS),
             Flow("10.2.0.1", "2.176.2.1", 4000, QUERY.start_ms - 2 * BIN_MS,
                  QUERY.start_ms + 2 * BIN_MS)]
    files = write_flows(tmp_path / "flows", flows)
    batch = pq.read_table(files).to_batches()[0]
    window = (QUERY.start_ms, QUERY.end_ms)
    rows = signal_rows(batch, signal_rules(), window).to_pylist()
    by_client = Counter(network_text(r["client_net"]) for r in rows)
    assert by_client == {"2.176.1.0/24": 1, "203.0.113.0/24": 3, "2.176.2.0/24": 4}
    assert len(signal_rows(batch, signal_rules()).to_pylist()) == 3 + 3 + 4  # no window
    got = sums(files, 1)
    assert got["networks"]["bytes"].to_pylist() == [3000, 3000, 2000]  # beta: half in
    assert [(r["bin_start_ms"] - start, r["bytes"]) for r in got["excludable"].to_pylist()
            ] == [(0, 1000), (BIN_MS, 1000), (2 * BIN_MS, 1000)]
    assert got["repeats"].to_pylist() == [{"producer_id": "alpha", "bytes": 6000}]


def test_a_hosting_list_of_as_numbers_reads_the_clients_as(tmp_path: Path) -> None:
    """The scan reads dst_as only when the hosting list has AS numbers; then a client in
    a listed AS is in hosting space, whatever its address."""
    flows = flow_table([Flow("10.1.0.1", "2.176.1.5", 700, T),
                        Flow("10.1.0.1", "2.176.1.6", 300, T)])
    dst_as = flows.schema.get_field_index("dst_as")
    flows = flows.set_column(dst_as, flows.schema.field(dst_as),
                             pa.array([64500, 0], flows.schema.field(dst_as).type))
    (tmp_path / "flows").mkdir()
    pq.write_table(flows, tmp_path / "flows" / "part-0.parquet")
    listed = SignalRules(rules(), HostingIndex(
        (HostingVersion(1, 0, None, (), (64500,)),)))
    assert "dst_as" in signal_input_columns(listed)
    assert "dst_as" not in signal_input_columns(signal_rules())  # prefixes only
    got = get_engine("duckdb").signals([tmp_path / "flows" / "part-0.parquet"], QUERY,
                                       listed, 3)
    assert [(r["hosting"], r["bytes"]) for r in got["excludable"].to_pylist()] == [
        (True, 700)]
