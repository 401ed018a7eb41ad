"""Golden statement cases: fixed inputs, the whole statement document compared byte for
byte with the file in tests/golden/settle/. A golden file changes only when a reviewer
means it to: run with PAHNA_UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from pahna.calendar import JalaliMonth
from pahna.parties import Producer
from pahna.settle.document import canonical_bytes, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import BinUsage, ProducerUsage

CASES = Path(__file__).parent / "settle"


def load_case(path: Path) -> SettlementInputs:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    month = JalaliMonth.parse(case["period"])
    usage = []
    for p in case["producers"]:
        bins = tuple(BinUsage(month.start_ms + b[0] * 300_000, *b[1:]) for b in p.pop("bins"))
        clients, intra = p.pop("client_networks", 0), p.pop("intra_province_bytes", 0)
        usage.append(ProducerUsage(Producer(**p), bins, clients, intra))
    currency = Currency(**case.get("currency", {}))
    return SettlementInputs(case["period"], (month.end_ms - month.start_ms) // 300_000,
                            tuple(usage), Tariff.from_dict(case["tariff"], str(path)), currency,
                            case.get("costs", {}))


@pytest.mark.parametrize("path", sorted(CASES.glob("*.toml")), ids=lambda p: p.stem)
def test_statement_case(path: Path) -> None:
    document = to_document(settle_period(load_case(path)))
    got = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    golden = path.with_suffix(".json")
    if os.environ.get("PAHNA_UPDATE_GOLDEN") == "1":
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"{golden} missing: run with PAHNA_UPDATE_GOLDEN=1 and review it"
    assert got == golden.read_text(encoding="utf-8")
    assert canonical_bytes(document) == canonical_bytes(json.loads(got))
    expected = tomllib.loads(path.read_text(encoding="utf-8"))["expected_amount_minor"]
    assert {ln["producer_id"]: ln["amount_minor"] for ln in document["lines"]} == expected
