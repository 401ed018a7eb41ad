"""Where a sealed final and its recomputation differ, said plainly."""

from __future__ import annotations

import copy

from pahna.ledger.basis import basis_digest
from pahna.ledger.seal import Seal
from pahna.ledger.verify import check_record, compare_inputs, compare_settlements, sealed_fields
from pahna.parties import Producer
from pahna.settle.document import settlement_digest, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import BinUsage, ProducerUsage

T = Tariff.from_dict({"id": "t", "version": 1, "valid_from": "1404-01", "pool_minor": 10**9,
                      "volume": {"rate_per_gb": "1000"}})
INPUTS = {"manifests": [{"content_hash": "aa" * 32, "files": []}], "manifests_sha256": "x",
          "registry_version": "r", "tariff": {"id": "t"}, "code_version": "c"}


def settlement(gb: int):  # type: ignore[no-untyped-def]
    usage = ProducerUsage(Producer("qom-tv", "Qom TV", "", "IR-25"),
                          (BinUsage(0, domestic=gb * 10**9),))
    return settle_period(SettlementInputs("1404-08", 8640, (usage,), T, Currency(), {}))


def test_an_altered_record_is_caught() -> None:
    s = settlement(2)
    seal = Seal(INPUTS, settlement_digest(s))
    record = {"revision": 1, "seal": seal.record(), "settlement": to_document(s)}
    assert check_record(record) == []
    altered = copy.deepcopy(record)
    altered["settlement"]["lines"][0]["amount_minor"] += 1
    assert "final-r1.json" in check_record(altered)[0]


def test_differences_name_the_producer_and_field() -> None:
    problems = compare_settlements(to_document(settlement(2)), to_document(settlement(3)))
    assert "producer qom-tv: amount_minor: sealed 2000, recomputed 3000" in problems
    assert compare_settlements(to_document(settlement(2)), to_document(settlement(2))) == []


def test_a_late_batch_is_named() -> None:
    later = {**INPUTS, "manifests_sha256": "y",
             "manifests": [*INPUTS["manifests"], {"content_hash": "bb" * 32, "files": []}]}
    problems, notes = compare_inputs(INPUTS, later)
    assert problems == [] and notes[0].startswith(f"batch {'bb' * 8}… was committed after")
    problems, _ = compare_inputs(later, INPUTS)
    assert problems == [f"batch {'bb' * 8}… sealed with the period is gone"]


def test_an_altered_basis_is_caught_and_old_finals_compare_their_own_fields() -> None:
    s = settlement(2)
    basis = {"format": 1, "rules": {"claims": []}, "producers": []}
    seal = Seal({**INPUTS, "basis_sha256": basis_digest(basis)}, settlement_digest(s))
    record = {"revision": 1, "basis": basis, "seal": seal.record(),
              "settlement": to_document(s)}
    assert check_record(record) == []
    record["basis"] = {**basis, "rules": {"claims": [["qom-tv", "prefix", "10.0.0.0/8"]]}}
    assert "its basis" in check_record(record)[0]
    old = to_document(s)  # a statement sealed before lines carried a status and balances
    for line in old["lines"]:
        for key in ("status", "carried", "carried_minor", "balance_minor",
                    "carried_out_minor"):
            del line[key]
    assert compare_settlements(old, to_document(s)) != []
    assert compare_settlements(old, sealed_fields(old, to_document(s))) == []
    assert compare_settlements(old, sealed_fields(old, to_document(settlement(3)))) != []
