from decimal import Decimal

from pahna.settle.statements import ProducerUsage, settle_period
from pahna.settle.tariffs import Tariff, tariff_for

GB = 10**9


def tariff(pool: int, rate: str = "1000", valid_from: str = "1404-01", version: int = 1
           ) -> Tariff:
    return Tariff("t", version, valid_from, None, Decimal(rate), pool)


def usage(pid: str, gb_bytes: int) -> ProducerUsage:
    return ProducerUsage(pid, pid, "", "IR-25", gb_bytes)


def test_claims_under_the_pool_are_paid_at_the_rate() -> None:
    s = settle_period("1404-08", [usage("a", 3 * GB), usage("b", GB // 2)], tariff(10**9))
    assert [(ln.producer_id, ln.amount_rial) for ln in s.lines] == [("a", 3000), ("b", 500)]
    assert not s.scaled_to_pool


def test_claims_over_the_pool_share_it_pro_rata() -> None:
    s = settle_period("1404-08", [usage("a", 2 * GB), usage("b", GB), usage("c", 0)],
                      tariff(1000, rate="1000"))
    assert s.scaled_to_pool
    assert [ln.amount_rial for ln in s.lines] == [667, 333, 0]
    assert s.total_rial == 1000
    assert [ln.claim_rial for ln in s.lines] == [2000, 1000, 0]


def test_tariff_in_force_is_the_latest_version() -> None:
    chosen = tariff_for([tariff(1, valid_from="1403-01"), tariff(2, valid_from="1404-01"),
                         tariff(3, valid_from="1404-01", version=2)], "1404-08")
    assert chosen.pool_rial == 3
