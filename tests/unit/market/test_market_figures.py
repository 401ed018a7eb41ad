"""The market's monthly figures on a hand-made month (tests/marketmonth.py has the
expected values worked by hand): bytes as settlement counts them, distinct client
networks, and a producer's items summing to what it has from logs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.marketmonth import EXPECTED, PERIOD, build_market_workspace

from pahna.cli import main
from pahna.errors import LedgerError
from pahna.ledger.book import Ledger
from pahna.market.build import build_month, compute_month, pending_periods, read_month
from pahna.market.cache import MarketCache
from pahna.pipeline import finalize
from pahna.registry.catalogue import list_items, put_item
from pahna.registry.database import open_registry
from pahna.settlement import void
from pahna.workspace import Workspace, init_workspace


@pytest.fixture(scope="module")
def market_home(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_market_workspace(init_workspace(tmp_path_factory.mktemp("m") / "home"))


def test_figures_of_a_final_month_are_the_hand_worked_ones(market_home: Workspace) -> None:
    month = compute_month(market_home, PERIOD, "duckdb")
    assert {i.content_id: (i.bytes, i.client_networks) for i in month.items} == EXPECTED
    kino = next(i for i in month.items if i.content_id == "kino")
    assert (kino.producer_id, kino.category, kino.province) == ("film-house", "video",
                                                                "IR-25")
    assert month.revision == 1
    assert month.content_hash == Ledger(market_home.home).final(PERIOD)["seal"][
        "content_hash"]


def test_a_producers_items_sum_to_its_bytes_on_the_statement(market_home: Workspace
                                                             ) -> None:
    record = Ledger(market_home.home).final(PERIOD)
    lines = {line["producer_id"]: line for line in record["settlement"]["lines"]}
    month = compute_month(market_home, PERIOD, "duckdb")
    for producer in ("film-house", "radio-b"):
        items = sum(i.bytes for i in month.items if i.producer_id == producer)
        line = lines[producer]
        assert items == sum(line[f"{c}_bytes"] for c in ("domestic", "international",
                                                          "unknown"))


def test_figures_are_published_once_per_final(market_home: Workspace) -> None:
    assert pending_periods(market_home) == [PERIOD]
    result = CliRunner().invoke(main, ["--home", str(market_home.home), "market", "build"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{PERIOD}: 3 items (final r1)"
    built = read_month(market_home, PERIOD)
    assert built is not None and len(built.items) == 3
    assert pending_periods(market_home) == []
    assert MarketCache(market_home).months() == [built]


def test_a_void_unpublishes_and_a_reissue_publishes_again(tmp_path: Path) -> None:
    workspace = build_market_workspace(init_workspace(tmp_path / "home"))
    build_month(workspace, PERIOD)
    cache = MarketCache(workspace)
    assert [m.revision for m in cache.months()] == [1]
    engine = open_registry(workspace.registry_url)
    kino = next(i for i in list_items(engine) if i.id == "kino")
    put_item(engine, replace(kino, category="culture"))  # after the final: not in r1
    assert {i.content_id: i.category for i in compute_month(workspace, PERIOD).items}[
        "kino"] == "video"
    void(workspace, PERIOD, "reissue")
    assert cache.months() == [] and pending_periods(workspace) == []
    finalize(workspace, PERIOD)
    assert pending_periods(workspace) == [PERIOD]
    assert cache.build_pending() == [PERIOD]
    assert [(m.revision, {i.content_id: i.category for i in m.items}["kino"])
            for m in cache.months()] == [(2, "culture")]


def test_a_month_without_a_final_has_no_figures(tmp_path: Path) -> None:
    with pytest.raises(LedgerError):
        compute_month(init_workspace(tmp_path / "home"), PERIOD)
