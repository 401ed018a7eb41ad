"""DuckDB, the embedded default: stream the store through the kernel (in a few threads,
batch_pool.py), sum each batch's pieces (batch_sums.py), put them in a temporary table
batch by batch, then sum that in SQL."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa

from pahna.aggregate.batch_pool import kernel_threads, map_batches
from pahna.aggregate.batch_sums import ClientNetworks, summed_pieces, window_pieces
from pahna.aggregate.kernel import (
    FLOW_COLUMNS,
    INPUT_COLUMNS,
    LOG_INPUT_COLUMNS,
    LOG_ROWS_SCHEMA,
    PIECES_SCHEMA,
    Rules,
    flow_parts,
    input_columns,
    log_rows,
    piece_table,
    producer_flows,
)
from pahna.aggregate.queries import (
    MAX_FLOW_MS,
    LogQuery,
    UsageQuery,
    flows_predicate,
    log_scan_predicate,
    log_usage_schema,
    log_usage_sql,
    scan_predicate,
    settlement_codes_schema,
    settlement_sql,
    usage_codes_schema,
    usage_sql,
)
from pahna.aggregate.results import SettlementTables, settlement_tables, usage_table
from pahna.aggregate.signal_sums import (
    PART_SCHEMAS,
    SIGNAL_FLOWS_SCHEMA,
    RepeatFilter,
    SignalParts,
    part_queries,
    signal_parts,
)
from pahna.aggregate.signals import (
    SIGNAL_ROWS_SCHEMA,
    SignalRequest,
    SignalRules,
    named,
    signal_input_columns,
    signal_queries,
    signal_rows,
)
from pahna.aggregate.topflows import top_flows
from pahna.errors import CounterOverflowError, EngineError
from pahna.store.manifests import file_sha256

__all__ = ["MAX_FLOW_MS", "DuckDbEngine"]

BATCH_ROWS = 1 << 20


class DuckDbEngine:
    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB", threads: int = 0) -> None:
        self.memory_limit = memory_limit
        self.threads = kernel_threads(threads)

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        codes = self._sum(files, query, rules, usage_sql(query, "pieces"), receivers=False)
        return usage_table(codes.cast(usage_codes_schema(query)), query, rules.claims.owners)

    def settlement(self, files: list[Path], query: UsageQuery, rules: Rules,
                   signals: SignalRequest | None = None) -> SettlementTables:
        """With `signals`, integrity's sums are made in the same pass (signal_sums.py),
        or, when a batch's could not be made exactly there, in a pass of their own."""
        with self._connection(query, "usage", "a sum of bytes or packets") as con:
            agg = con.cursor()
            sink = (_SignalSink(agg, signals, query)
                    if signals is not None and _same_codes(rules, signals.rules.rules)
                    else None)
            _fill(agg, "pieces", PIECES_SCHEMA,
                  self._pieces(con, files, query, rules, True, sink))
            codes = agg.sql(settlement_sql(query, "pieces")).to_arrow_table()
            sums = None if sink is None else sink.tables()
        tables = settlement_tables(codes.cast(settlement_codes_schema(query)), query,
                                   rules.claims.owners)
        if signals is not None and sums is None:
            sums = self._signals_from_rows(files, query, signals.rules, signals.min_repeats)
        return replace(tables, signals=sums)

    def largest_flows(self, files: list[Path], window: tuple[int, int], rules: Rules,
                      producer_id: str, limit: int) -> pa.Table:
        if producer_id not in rules.claims.owners or not files:
            return top_flows([], limit)
        producer = rules.claims.owners.index(producer_id)
        con = duckdb.connect()
        try:
            scan = con.sql(f"SELECT {', '.join(sorted({*INPUT_COLUMNS, *FLOW_COLUMNS}))} "
                           f"FROM read_parquet(?) WHERE {flows_predicate(window)}",
                           params=[[str(f) for f in files]])
            return top_flows([top_flows([producer_flows(batch, rules, producer, window)],
                                        limit)
                              for batch in scan.to_arrow_reader(BATCH_ROWS)], limit)
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: largest flows of {producer_id}: {exc}") from exc
        finally:
            con.close()

    def file_digests(self, files: list[Path]) -> dict[Path, str | None]:
        return {f: file_sha256(f) if f.is_file() else None for f in files}

    def signals(self, files: list[Path], query: UsageQuery, rules: SignalRules,
                min_repeats: int) -> dict[str, pa.Table]:
        """As settlement's pass makes them (signal_sums.py), without settlement's sums."""
        request = SignalRequest(rules, min_repeats)
        with self._connection(query, "integrity signals", "an integrity sum of bytes") as con:
            sink = _SignalSink(con.cursor(), request, query)
            window = (query.start_ms, query.end_ms)

            def work(batch: pa.RecordBatch) -> SignalParts | None:
                flows, pieces = flow_parts(batch, rules.rules, True)
                return signal_parts(flows, window_pieces(flows, pieces, window), rules)

            columns = sorted({*input_columns(rules.rules), *signal_input_columns(rules)})
            for parts in map_batches(work, self._scan(con, files, query, tuple(columns)),
                                     self.threads):
                sink.add(parts)
            sums = sink.tables()
        if sums is not None:
            return sums
        return self._signals_from_rows(files, query, rules, min_repeats)

    def _signals_from_rows(self, files: list[Path], query: UsageQuery, rules: SignalRules,
                           min_repeats: int) -> dict[str, pa.Table]:
        """Every flow's signal rows in a temporary table (spilled past the memory
        limit), summed by each query, whose SQL checks every product and sum."""
        with self._connection(query, "integrity signals", "an integrity sum of bytes") as con:
            agg = con.cursor()
            _fill(agg, "signal_rows", SIGNAL_ROWS_SCHEMA,
                  self._signal_rows(con, files, query, rules))
            owners = rules.rules.claims.owners
            return {name: named(name, agg.sql(sql).to_arrow_table(), owners)
                    for name, sql in signal_queries(query, "signal_rows", min_repeats).items()}

    def log_usage(self, files: list[Path], query: LogQuery, rules: Rules) -> pa.Table:
        """Web-log usage: stored records through the log kernel, summed in SQL."""
        with self._connection(query, "log usage", "a sum of log bytes") as con:
            rows = pa.RecordBatchReader.from_batches(
                LOG_ROWS_SCHEMA, self._log_rows(con, files, query, rules))
            agg = con.cursor()
            agg.register("log_rows", rows)
            return agg.sql(log_usage_sql(query, "log_rows")).to_arrow_table().cast(
                log_usage_schema(query))

    def _sum(self, files: list[Path], query: UsageQuery, rules: Rules, sql: str,
             receivers: bool) -> pa.Table:
        with self._connection(query, "usage", "a sum of bytes or packets") as con:
            agg = con.cursor()
            _fill(agg, "pieces", PIECES_SCHEMA,
                  self._pieces(con, files, query, rules, receivers))
            return agg.sql(sql).to_arrow_table()

    @contextmanager
    def _connection(self, query: UsageQuery | LogQuery, what: str, sums: str
                    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection under the memory limit, spilling past it into a folder of its
        own under the system's temporary directory (DuckDB's default, `.tmp` in the
        working directory, may be read-only or anywhere), removed afterwards; DuckDB's
        errors as pahna's, an overflow of `sums` naming the way out."""
        con = duckdb.connect()
        spill = tempfile.mkdtemp(prefix="pahna-duckdb-")
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            con.execute(f"SET temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
            yield con
        except (duckdb.ConversionException, duckdb.OutOfRangeException) as exc:
            raise _overflow(query.period, sums, exc) from exc
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: {what} for {query.period}: {exc}") from exc
        finally:
            con.close()
            shutil.rmtree(spill, ignore_errors=True)

    def _signal_rows(self, con: duckdb.DuckDBPyConnection, files: list[Path],
                     query: UsageQuery, rules: SignalRules) -> Iterator[pa.RecordBatch]:
        window = (query.start_ms, query.end_ms)
        return map_batches(lambda batch: signal_rows(batch, rules, window),
                           self._scan(con, files, query, signal_input_columns(rules)),
                           self.threads)

    def _pieces(self, con: duckdb.DuckDBPyConnection, files: list[Path], query: UsageQuery,
                rules: Rules, receivers: bool, sink: _SignalSink | None = None
                ) -> Iterator[pa.Table]:
        """The batches' pieces, each batch's summed (batch_sums.py) when that is exact,
        the distinct client networks last: DuckDB's grouping of raw pieces, a few per
        flow, cost more than attributing them. Without bins in the query, flows are not
        cut into bins no sum tells apart. The kernel runs in `threads` threads. With a
        `sink` (receivers), integrity's parts of each batch go there."""
        clients = ClientNetworks()
        window = (query.start_ms, query.end_ms)
        unbinned = not receivers and "bin_start_ms" not in query.group_by
        columns = set(input_columns(rules))
        if sink is not None:
            columns |= set(signal_input_columns(sink.request.rules))

        def work(batch: pa.RecordBatch
                 ) -> tuple[pa.Table, pa.Table | None, SignalParts | None]:
            flows, pieces = flow_parts(batch, rules, receivers, window if unbinned else None)
            # per-client bytes (client-centric allocation) need the raw pieces: the
            # batch sums keep only which client networks a producer reached
            cut = (window_pieces(flows, pieces, window)
                   if sink is not None or not query.client_bytes else None)
            parts = None if sink is None else signal_parts(flows, cut, sink.request.rules)
            summed = None if query.client_bytes else summed_pieces(flows, cut, window)
            if summed is None:
                return piece_table(flows, pieces), None, parts
            return pa.Table.from_batches(summed.rows, PIECES_SCHEMA), summed.clients, parts

        scan = self._scan(con, files, query, tuple(n for n in INPUT_COLUMNS if n in columns))
        for rows, pairs, parts in map_batches(work, scan, self.threads):
            yield rows
            if pairs is not None:
                clients.add(pairs)
            if sink is not None:
                sink.add(parts)
        yield pa.Table.from_batches(clients.rows(query.start_ms), PIECES_SCHEMA)

    def _log_rows(self, con: duckdb.DuckDBPyConnection, files: list[Path], query: LogQuery,
                  rules: Rules) -> Iterator[pa.RecordBatch]:
        for batch in self._scan(con, files, query, LOG_INPUT_COLUMNS):
            yield log_rows(batch, rules)

    def _scan(self, con: duckdb.DuckDBPyConnection, files: list[Path],
              query: UsageQuery | LogQuery, columns: tuple[str, ...]
              ) -> Iterator[pa.RecordBatch]:
        if not files:
            return
        where = (log_scan_predicate(query) if isinstance(query, LogQuery)
                 else scan_predicate(query))
        scan = con.cursor().sql(
            f"SELECT {', '.join(columns)} FROM read_parquet(?) WHERE {where}",
            params=[[str(f) for f in files]],
        )
        for batch in scan.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows:
                yield batch


def _fill(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema,
          parts: Iterable[pa.Table | pa.RecordBatch]) -> None:
    """A temporary table of `schema` holding every part, inserted one by one from this
    thread. DuckDB pulling the parts through a Python stream instead made its threads
    and the kernel's take turns for the interpreter; the table spills to disk past the
    memory limit, so raw pieces of a large month fit too."""
    _create(con, table, schema)
    for part in parts:
        _insert(con, table, part)


def _same_codes(rules: Rules, signal_rules: Rules) -> bool:
    """Settlement's pieces carry the producer codes and holders integrity's parts read
    only when both rules have the same owners, in order, and AS claims in both or
    neither (else the signals are summed in a pass of their own)."""
    return (rules.claims.owners == signal_rules.claims.owners
            and (rules.asns is None) == (signal_rules.asns is None))


def _create(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema) -> None:
    con.register(f"{table}_in", pa.Table.from_batches([], schema))
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {table}_in")
    con.unregister(f"{table}_in")


def _insert(con: duckdb.DuckDBPyConnection, table: str,
            part: pa.Table | pa.RecordBatch) -> None:
    if part.num_rows:
        con.register(f"{table}_in", part)
        con.execute(f"INSERT INTO {table} SELECT * FROM {table}_in")
        con.unregister(f"{table}_in")


class _SignalSink:
    """A pass's integrity parts, each kind into a temporary table (spilled past the
    memory limit) a million rows at a time; none once a batch's could not be made
    exactly (`tables` is then None, and the month's must be summed from its rows)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, request: SignalRequest,
                 query: UsageQuery) -> None:
        self.con, self.request, self.query = con, request, query
        self.schemas = {"signal_flows": SIGNAL_FLOWS_SCHEMA,
                        **{f"{n}_parts": schema for n, schema in PART_SCHEMAS.items()}}
        self.held: dict[str, list[pa.RecordBatch]] | None = {n: [] for n in self.schemas}
        self.repeats: RepeatFilter | None = RepeatFilter()
        for table, schema in self.schemas.items():
            _create(con, table, schema)

    def add(self, parts: SignalParts | None) -> None:
        if self.held is None or self.repeats is None:
            return
        if parts is None:
            self.held = self.repeats = None  # what was inserted is dropped with the tables
            return
        self.held["signal_flows"].append(parts.flows)
        for name, part in parts.parts.items():
            self.held[f"{name}_parts"].append(part)
        for table, batches in self.held.items():
            if sum(b.num_rows for b in batches) >= BATCH_ROWS:
                self._flush(table)
        self.repeats.add(*parts.buckets)

    def _flush(self, table: str) -> None:
        assert self.held is not None
        _insert(self.con, table, pa.Table.from_batches(self.held[table], self.schemas[table]))
        self.held[table] = []

    def tables(self) -> dict[str, pa.Table] | None:
        if self.held is None or self.repeats is None:
            return None
        for table in self.schemas:
            self._flush(table)
        self.con.register("repeat_buckets", self.repeats.often(self.request.min_repeats))
        owners = self.request.rules.rules.claims.owners
        try:
            return {name: named(name, self.con.sql(sql).to_arrow_table(), owners)
                    for name, sql in part_queries(self.request.min_repeats).items()}
        except (duckdb.ConversionException, duckdb.OutOfRangeException) as exc:
            raise _overflow(self.query.period, "an integrity sum of bytes", exc) from exc


def _overflow(period: str, sums: str, exc: duckdb.Error) -> CounterOverflowError:
    """An overflow of `sums`, naming the way out."""
    return CounterOverflowError(
        f"{period}: {sums} does not fit 64 bits, so the store holds an absurd counter: "
        "find its batch with `pahna store batches` and take it out with `pahna store "
        f"retract` (duckdb: {exc})")
