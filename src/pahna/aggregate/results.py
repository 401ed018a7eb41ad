"""What the engines' SQL returns, decoded: producer and class codes become ids and
names, rows are put in order, and the settlement result is split into the tables
settlement reads. The same code decodes DuckDB's and Spark's results, so they stay equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pahna.aggregate.queries import CODE_COLUMNS, UsageQuery, usage_schema
from pahna.schema import TRAFFIC_CLASSES
from pahna.sums import grouped_sums

RECEIVED_SCHEMA = pa.schema([("producer_id", pa.string()), ("bin_start_ms", pa.int64()),
                             ("bytes", pa.int64())])


def _names(codes: pa.ChunkedArray | pa.Array, names: list[str] | tuple[str, ...]) -> pa.Array:
    """Codes (null or negative: no name) as strings."""
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    values = codes.to_numpy(zero_copy_only=False)
    missing = np.isnan(values) if values.dtype.kind == "f" else values < 0
    index = np.where(missing, 0, values).astype(np.int32)
    dictionary = pa.array(list(names) or [""], pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32(), mask=missing),
                                          dictionary).cast(pa.string())


def _ordered(table: pa.Table, keys: list[str]) -> pa.Table:
    if not keys or not table.num_rows:
        return table
    order = pc.sort_indices(table, sort_keys=[(key, "ascending", "at_end") for key in keys])
    return table.take(order)


def usage_table(codes: pa.Table, query: UsageQuery, owners: list[str]) -> pa.Table:
    """`usage_sql`'s result with producer ids and class names, in key order (the
    unattributed remainder last), labelled with the period (queries.usage_schema)."""
    columns = []
    for key in query.group_by:
        column = codes.column(CODE_COLUMNS[key])
        if key == "producer_id":
            column = _names(column, owners)
        elif key == "traffic_class":
            column = _names(column, TRAFFIC_CLASSES)
        columns.append(column)
    period = pa.array([query.period] * codes.num_rows, pa.string())
    table = pa.table(columns + [period] + [codes.column(c) for c in ("bytes", "packets",
                                                                     "flows")],
                     schema=usage_schema(query))
    return _ordered(table, list(query.group_by))


@dataclass
class SettlementTables:
    """A month as settlement reads it: usage per producer, class and bin (decoded,
    queries.usage_schema), received bytes per producer and bin, distinct client
    networks and intra-province bytes per producer; when asked for (UsageQuery
    .client_bytes), each producer's bytes per client network (addresses.client_keys);
    when asked for (signals.SignalRequest), integrity's sums."""

    usage: pa.Table
    received: pa.Table = field(default_factory=RECEIVED_SCHEMA.empty_table)
    client_networks: dict[str, int] = field(default_factory=dict)
    intra_province_bytes: dict[str, int] = field(default_factory=dict)
    client_bytes: dict[str, dict[int, int]] = field(default_factory=dict)
    signals: dict[str, pa.Table] | None = None
    """Integrity's sums (Engine.signals), when settlement was asked for them."""


def settlement_tables(codes: pa.Table, query: UsageQuery, owners: list[str]
                      ) -> SettlementTables:
    """Split `settlement_sql`'s result into the tables settlement reads."""
    producer = codes.column("producer").to_numpy(zero_copy_only=False)
    receiver = codes.column("receiver").to_numpy(zero_copy_only=False)
    klass = codes.column("traffic_class").is_valid().to_numpy(zero_copy_only=False)
    binned = codes.column("bin_start_ms").is_valid().to_numpy(zero_copy_only=False)
    sent = klass & (np.nan_to_num(producer, nan=-2) > -2)
    extra = ["client"] if "client" in codes.column_names else []
    usage = usage_table(codes.filter(pa.array(sent)).drop_columns(
        ["receiver", "intra_bytes", "client_networks", *extra]), query, owners)
    got = ~klass & binned & (np.nan_to_num(receiver, nan=-1) >= 0)
    received = codes.filter(pa.array(got))
    received = _ordered(pa.table([_names(received.column("receiver"), owners),
                                  received.column("bin_start_ms"), received.column("bytes")],
                                 schema=RECEIVED_SCHEMA), ["producer_id", "bin_start_ms"])
    clients = ~klass & ~binned
    return SettlementTables(
        usage, received,
        _per_producer(codes, clients, producer, "client_networks", owners),
        _per_producer(codes, sent, producer, "intra_bytes", owners),
        _client_bytes(codes, clients, producer, owners) if extra else {})


def _client_bytes(codes: pa.Table, rows: np.ndarray, producer: np.ndarray,
                  owners: list[str]) -> dict[str, dict[int, int]]:
    """{producer id: {client network: bytes}} from the (producer, client) rows."""
    chosen = np.flatnonzero(rows & (np.nan_to_num(producer, nan=-1) >= 0))
    out: dict[str, dict[int, int]] = {}
    for who, client, value in zip(
            producer[chosen].astype(np.int64).tolist(),
            codes.column("client").take(pa.array(chosen)).to_pylist(),
            codes.column("bytes").take(pa.array(chosen)).to_pylist(), strict=True):
        if client is not None and value:
            out.setdefault(owners[who], {})[int(client)] = int(value)
    return out


def _per_producer(codes: pa.Table, rows: np.ndarray, producer: np.ndarray, column: str,
                  owners: list[str]) -> dict[str, int]:
    """{producer id: exact sum of `column`} over the chosen rows with a producer, for
    producers whose sum is not zero."""
    values = codes.column(column).to_numpy(zero_copy_only=False)
    chosen = rows & (np.nan_to_num(producer, nan=-1) >= 0)
    (keys,), sums = grouped_sums([producer[chosen].astype(np.int64)], values[chosen],
                                 column)
    return {owners[int(k)]: int(v) for k, v in zip(keys.tolist(), sums.tolist(), strict=True)
            if v}
