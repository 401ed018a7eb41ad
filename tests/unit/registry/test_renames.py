"""Producer ids from before ids were slugs: found, named, and renamed with everything that
names them; a rename is refused while the ledger names the old id."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from pahna.cli.registry import ledger_mentions
from pahna.errors import InvalidIdError, InvalidValueError, RegistryError
from pahna.ledger.book import Ledger
from pahna.registry.audit import audit_log
from pahna.registry.claims import list_claims
from pahna.registry.metering import list_points
from pahna.registry.producers import list_producers
from pahna.registry.renames import invalid_producer_ids, refuse_invalid_ids, rename_producer


def _old_producer(registry: Engine, pid: str) -> None:
    """A producer, a claim, a metering point, an account and a dispute, as an old pahna
    stored them (no id check)."""
    with registry.begin() as connection:
        connection.execute(text(
            "INSERT INTO producers (id, name, name_fa, province, type, status) "
            "VALUES (:id, 'Old', '', 'IR-25', 'other', 'active')"), {"id": pid})
        connection.execute(text(
            "INSERT INTO claims (producer_id, kind, value, valid_from_ms, nested_approved) "
            "VALUES (:id, 'prefix', '10.1.0.0/16', 0, false)"), {"id": pid})
        connection.execute(text(
            "INSERT INTO metering_points (producer_id, exporter, interface, direction, "
            "valid_from_ms) VALUES (:id, '10.0.0.1', 3, 'egress', 0)"), {"id": pid})
        connection.execute(text(
            "INSERT INTO web_accounts (username, password_hash, role, producer_id) "
            "VALUES ('old-account', 'x', 'producer', :id)"), {"id": pid})
        connection.execute(text(
            "INSERT INTO web_disputes (producer_id, period, message, author, at_ms, status) "
            "VALUES (:id, '1404-08', 'low', 'old-account', 0, 'open')"), {"id": pid})


def test_old_ids_are_named_and_renamed_with_what_names_them(registry: Engine) -> None:
    _old_producer(registry, "Qom_Univ")
    assert [pid for pid, _ in invalid_producer_ids(registry)] == ["Qom_Univ"]
    with pytest.raises(InvalidValueError, match=r"'Qom_Univ'.*rename-producer"):
        refuse_invalid_ids(registry)
    with pytest.raises(InvalidIdError):
        rename_producer(registry, "Qom_Univ", "Qom-Univ")
    rename_producer(registry, "Qom_Univ", "qom-univ-old", actor="test")
    refuse_invalid_ids(registry)  # nothing left to refuse
    assert [p.id for p in list_producers(registry)] == ["qom-univ-old"]
    assert [c.spec.producer_id for c in list_claims(registry)] == ["qom-univ-old"]
    assert [m.producer_id for m in list_points(registry)] == ["qom-univ-old"]
    with registry.connect() as connection:
        assert connection.execute(text("SELECT producer_id FROM web_accounts")).scalar() \
            == "qom-univ-old"
        assert connection.execute(text("SELECT producer_id FROM web_disputes")).scalar() \
            == "qom-univ-old"
    (entry,) = [e for e in audit_log(registry) if e.action == "producer.rename"]
    assert (entry.before, entry.after, entry.actor) == ({"id": "Qom_Univ"},
                                                        {"id": "qom-univ-old"}, "test")
    with pytest.raises(RegistryError, match="already exists"):
        _old_producer_and_rename(registry)


def _old_producer_and_rename(registry: Engine) -> None:
    with registry.begin() as connection:
        connection.execute(text(
            "INSERT INTO producers (id, name, name_fa, province, type, status) "
            "VALUES ('a b', 'Old', '', 'IR-25', 'other', 'active')"))
    rename_producer(registry, "a b", "qom-univ-old")


def test_the_ledger_holds_a_rename_back(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    assert ledger_mentions(ledger, "Qom_Univ") == []
    ledger.write_final("1404-07", {"period": "1404-07", "seal": {"content_hash": "x"},
                                   "settlement": {"lines": [{"producer_id": "Qom_Univ"}]}})
    assert ledger_mentions(ledger, "Qom_Univ") == ["the final of 1404-07"]
    assert ledger_mentions(ledger, "qom-tv") == []


def test_a_voided_final_no_longer_holds_a_rename_back(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.write_final("1404-07", {"period": "1404-07", "seal": {"content_hash": "x"},
                                   "settlement": {"lines": [{"producer_id": "Qom_Univ"}]}})
    ledger.void("1404-07", "to reissue under a valid id")
    assert ledger_mentions(ledger, "Qom_Univ") == []
