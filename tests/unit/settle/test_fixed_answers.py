"""Fixed answers worked out by hand: calendar, percentile rank, each tariff model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from pahna.calendar import JalaliMonth
from pahna.errors import SettlementError, TariffError
from pahna.parties import Producer
from pahna.settle.money import Currency, allocate_pool, round_minor
from pahna.settle.percentile import megabits_per_second, nearest_rank, percentile_bytes
from pahna.settle.pool import share_pool
from pahna.settle.pricing import price_usage
from pahna.settle.statements import SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import BinUsage, ProducerUsage

GB = 10**9
AUBAN = JalaliMonth.parse("1404-08")


def tehran(hour: int, day: int = 1) -> int:
    """A bin start at HH:00 Tehran time (UTC+03:30) on Aban `day`, 1404."""
    return AUBAN.start_ms + (day - 1) * 86_400_000 + hour * 3_600_000


def tariff(**extra: Any) -> Tariff:
    return Tariff.from_dict({"id": "t", "version": 1, "valid_from": "1404-01",
                             "pool_minor": 10**12, **extra})


def usage(*bins: BinUsage, kind: str = "public_centre", zone: str | None = None,
          clients: int = 100, intra: int = 0) -> ProducerUsage:
    return ProducerUsage(Producer("p", "P", "", "IR-25", kind, zone), bins, clients, intra)


def claim(t: Tariff, u: ProducerUsage, scale: int = 1) -> Fraction:
    return price_usage(u, t, 8640, scale).claim


def test_jalali_month_boundaries() -> None:
    assert JalaliMonth.parse("1403-12").days == 30
    assert JalaliMonth.parse("1404-12").days == 29
    start = datetime(2025, 10, 22, 20, 30, tzinfo=UTC)
    assert AUBAN.start_ms == int(start.timestamp() * 1000)
    assert (AUBAN.end_ms - AUBAN.start_ms) // 300_000 == 8640


def test_95th_percentile_rank_bills_the_433rd_highest_of_8640() -> None:
    assert nearest_rank(8640) == 8208 == 8640 - 433 + 1
    samples = list(range(1, 8641))
    assert percentile_bytes(samples, 8640) == 8208
    assert percentile_bytes([10**6] * 432, 8640) == 0  # the top 432 are dropped
    assert percentile_bytes([10**6] * 433, 8640) == 10**6
    assert megabits_per_second(37_500_000) == 1


def test_flat_per_gb() -> None:
    t = tariff(volume={"rate_per_gb": "1000"})
    assert claim(t, usage(BinUsage(tehran(10), domestic=5 * GB // 2))) == 2500


TIERS = [{"up_to_gb": "1", "rate_per_gb": "1000"}, {"up_to_gb": "3", "rate_per_gb": "500"},
         {"rate_per_gb": "100"}]


def test_graduated_tiers_price_each_slice() -> None:
    t = tariff(volume={"model": "graduated", "tiers": TIERS})
    assert claim(t, usage(BinUsage(tehran(10), domestic=5 * GB))) == 1000 + 1000 + 200


@pytest.mark.parametrize(("gb", "expected"), [(1, 1000), (2, 1000), (5, 500)])
def test_volume_tiers_price_every_gb_at_one_rate(gb: int, expected: int) -> None:
    t = tariff(volume={"model": "volume", "tiers": TIERS})
    assert claim(t, usage(BinUsage(tehran(10), domestic=gb * GB))) == expected


def test_price_per_mbps_of_95th_percentile() -> None:
    t = tariff(percentile={"price_per_mbps": "2000"})
    busy = [BinUsage(AUBAN.start_ms + i * 300_000, domestic=37_500_000) for i in range(433)]
    assert claim(t, usage(*busy)) == 2000  # 1 Mbps at the billed rank
    assert claim(t, usage(*busy[:432])) == 0


def test_time_of_day_multiplier_uses_tehran_time() -> None:
    t = tariff(volume={"rate_per_gb": "1000"},
               time_of_day=[{"start": "00:00", "end": "08:00", "multiplier": "0.5"}])
    night, noon = BinUsage(tehran(2), domestic=GB), BinUsage(tehran(12), domestic=GB)
    assert claim(t, usage(night, noon)) == 1500


def test_zone_type_and_intra_province_multipliers() -> None:
    t = tariff(volume={"rate_per_gb": "1000"},
               multipliers={"zone": {"qom-it": "1.2"}, "producer_type": {
                   "student_startup": "1.5"}, "intra_province": "1.1"})
    one = BinUsage(tehran(10), domestic=GB)
    assert claim(t, usage(one)) == 1000
    assert claim(t, usage(one, zone="qom-it")) == 1200
    assert claim(t, usage(one, zone="qom-it", kind="student_startup")) == 1800
    assert claim(t, usage(one, intra=GB // 2)) == 1050


def test_eligibility_rules() -> None:
    t = tariff(volume={"rate_per_gb": "1000"}, eligibility={
        "min_bytes": GB, "min_client_networks": 10, "min_sent_received_ratio": "10"})
    ok = price_usage(usage(BinUsage(tehran(10), domestic=GB, received=GB // 10)), t, 8640, 1)
    assert ok.eligible and ok.claim == 1000
    bad = price_usage(usage(BinUsage(tehran(10), domestic=GB, received=GB // 5), clients=9),
                      t, 8640, 1)
    assert not bad.eligible and bad.claim == 0
    assert [r.split(":")[0] for r in bad.reasons] == ["min_client_networks",
                                                      "min_sent_received_ratio"]


def test_cap_and_resharing_what_it_cuts_off() -> None:
    claims = {"a": Fraction(800), "b": Fraction(400), "c": Fraction(200)}
    result = share_pool(600, claims, cap=300)
    assert result.amounts == {"a": 300, "b": 200, "c": 100}
    # a is held at 500; the other 500 is re-shared 2:1 and rounded by largest remainder
    assert share_pool(1000, claims, cap=500).amounts == {"a": 500, "b": 333, "c": 167}
    assert share_pool(2000, claims, cap=500).amounts == {"a": 500, "b": 400, "c": 200}
    assert share_pool(600, claims, cap=300, rule="equal").amounts == {
        "a": 200, "b": 200, "c": 200}


def test_largest_remainder_tie_goes_to_smaller_id() -> None:
    assert allocate_pool(1, {"b": 1, "a": 1}) == {"a": 1, "b": 0}
    assert allocate_pool(10, {"x": 1, "y": 1, "z": 1}) == {"x": 4, "y": 3, "z": 3}


def test_round_half_to_even_and_two_decimal_currency() -> None:
    assert [round_minor(Fraction(n, 2)) for n in (1, 3, 5, -1)] == [0, 2, 2, 0]
    t = Tariff.from_dict({"id": "t", "version": 1, "valid_from": "1404-01",
                          "currency": "IRT", "pool_minor": 10**6,
                          "volume": {"rate_per_gb": "0.07"}})
    u = usage(BinUsage(tehran(10), domestic=3 * GB // 2))
    assert claim(t, u, Currency("IRT", 2).scale) == Fraction(105, 10)
    settlement = settle_period(SettlementInputs("1404-08", 8640, (u,), t, Currency("IRT", 2),
                                                {"p": 4}))
    line = settlement.lines[0]
    assert (line.amount_minor, line.net_minor, line.coverage_ratio) == (10, 6, "2.5000")
    assert Currency("IRT", 2).text(-1234) == "-12.34"


def test_tariff_documents_refuse_floats_and_unknown_keys() -> None:
    with pytest.raises(TariffError, match="never as TOML floats"):
        tariff(volume={"rate_per_gb": 1.5})
    with pytest.raises(TariffError, match="rate_rial"):
        tariff(rate_rial=Decimal(1))
    with pytest.raises(TariffError, match="last one open"):
        tariff(volume={"model": "graduated", "tiers": TIERS[:2]})


@pytest.mark.parametrize(("extra", "message"), [
    ({"multipliers": {"zone": {"z": "-1"}}}, "between 0 and 10"),  # was paid as negative
    ({"multipliers": {"producer_type": {"student_startup": 1.5}}}, "never as TOML floats"),
    ({"multipliers": {"intra_province": "-0.1"}}, "between 0 and 10"),
    ({"time_of_day": [{"start": "01:00", "end": "07:00", "multiplier": 0.5}]}, "floats"),
    ({"time_of_day": [{"start": "01:00", "end": "07:00", "multiplier": "-2"}]}, "between"),
    ({"volume": {"model": "graduated", "tiers": [{"up_to_gb": 1.0, "rate_per_gb": "1"},
                                                 {"rate_per_gb": "1"}]}}, "floats"),
    ({"volume": {"rate_per_gb": "NaN"}}, "finite"),
    ({"volume": {"rate_per_gb": "Infinity"}}, "finite"),
    ({"volume": {"rate_per_gb": "1e40"}}, "between 0 and 10"),
    ({"volume": {"rate_per_gb": "1e-40"}}, "decimal places"),
    ({"volume": {"rate_per_gb": "-5"}}, "between 0 and 10"),
    ({"percentile": {"price_per_mbps": "-1"}}, "between 0 and 10"),
    ({"international_rate_per_gb": "-1"}, "between 0 and 10"),
    ({"multipliers": {"zone": {"z": "1001"}}}, "multiplier is at most"),
    ({"multipliers": {"producer_type": {"student-startup": "1.5"}}}, "unknown producer type"),
    ({"multipliers": {"zone": {"Qom IT zone": "1.2"}}}, "zone ids"),
    ({"pool_minor": True}, "valid integer"),
    ({"pool_minor": 2**63}, "less than or equal"),
    ({"cap_minor": -1}, "greater than or equal"),
    ({"version": True}, "valid integer"),
    ({"eligibility": {"min_bytes": 1.0}}, "floats"),
    ({"eligibility": {"min_sent_received_ratio": "-10"}}, "between"),
])
def test_every_tariff_value_is_validated(extra: dict[str, Any], message: str) -> None:
    """Regression: negative multipliers and floats inside nested tables were accepted."""
    with pytest.raises(TariffError, match=message):
        tariff(**extra)


def test_a_negative_zero_is_zero_and_integers_are_exact() -> None:
    t = tariff(international_rate_per_gb="-0", volume={"rate_per_gb": 5})
    assert str(t.international_rate_per_gb) == "0" and t.volume.rate_per_gb == Decimal(5)


def test_a_negative_claim_is_never_paid() -> None:
    """Even a tariff built around validation (model_construct) cannot pay a negative
    amount: settlement refuses a negative claim."""
    valid = tariff(multipliers={"zone": {"z": "2"}}, volume={"rate_per_gb": "1000"})
    bad = valid.model_copy(update={"multipliers": valid.multipliers.model_copy(
        update={"zone": {"z": Decimal(-1)}})})
    u = usage(BinUsage(tehran(10), domestic=GB), zone="z")
    inputs = SettlementInputs("1404-08", 8640, (u,), bad, Currency(), {})
    with pytest.raises(SettlementError, match="negative claim"):
        settle_period(inputs)


def test_the_tariff_in_force() -> None:
    from pahna.settle.tariffs import tariff_for

    old = tariff(version=1)
    newer = Tariff.from_dict({"id": "t", "version": 2, "valid_from": "1404-01",
                              "pool_minor": 1})
    later = Tariff.from_dict({"id": "u", "version": 1, "valid_from": "1404-07",
                              "valid_to": "1404-09", "pool_minor": 2})
    assert tariff_for([old, newer, later], "1404-06") is newer
    assert tariff_for([old, newer, later], "1404-08") is later
    assert tariff_for([old, newer, later], "1404-10") is newer
    with pytest.raises(TariffError, match="no tariff is in force for 1403-12"):
        tariff_for([old], "1403-12")


def test_tehran_minutes_follow_the_offset_of_the_time() -> None:
    import numpy as np

    from pahna.settle.pricing import tehran_minutes

    summer_2021 = int(datetime(2021, 7, 1, tzinfo=UTC).timestamp() * 1000)  # UTC+04:30
    autumn_2025 = int(datetime(2025, 10, 23, tzinfo=UTC).timestamp() * 1000)  # UTC+03:30
    assert tehran_minutes(np.array([summer_2021])).tolist() == [270]
    assert tehran_minutes(np.array([autumn_2025, autumn_2025 + 300_000])).tolist() == [210, 215]
    spanning = np.array([summer_2021, autumn_2025])  # offsets differ: looked up one by one
    assert tehran_minutes(spanning).tolist() == [270, 210]


def test_first_format_documents_keep_their_terms() -> None:
    legacy = Tariff.from_dict({"id": "old", "version": 1, "valid_from": "1404-01",
                               "rate_rial_per_gb": "1000", "pool_rial": 10**9})
    assert legacy.pool_minor == 10**9
    assert legacy.volume.billed_classes == ("domestic", "international", "unknown")
    every_class = usage(BinUsage(tehran(10), domestic=GB, international=GB, unknown=GB))
    assert claim(legacy, every_class) == 3000  # one rate on every attributed byte
    with pytest.raises(TariffError, match="mixed"):
        tariff(rate_rial_per_gb="1")
