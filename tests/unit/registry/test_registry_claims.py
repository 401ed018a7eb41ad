from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pahna.calendar import JalaliMonth
from pahna.errors import ClaimConflictError, NotFoundError, RegistryError
from pahna.parties import Producer
from pahna.registry.audit import audit_log
from pahna.registry.claimbook import ClaimSpec, host_covers, normalize_value
from pahna.registry.claims import add_claims, end_claim, list_claims
from pahna.registry.producers import add_producer

START = JalaliMonth(1404, 1).start_ms
MID = JalaliMonth(1404, 8).start_ms


@pytest.fixture
def two(registry: Engine) -> Engine:
    add_producer(registry, Producer("a", "A", "آ", "IR-25", "public_centre"))
    add_producer(registry, Producer("b", "B", "ب", "IR-23", "private_company"))
    return registry


def claim(producer: str, kind: str, value: str, begin: int = START,
          end: int | None = None) -> ClaimSpec:
    return ClaimSpec(producer, kind, normalize_value(kind, value), begin, end)


@pytest.mark.parametrize(("kind", "value", "other"), [
    ("prefix", "10.0.0.0/8", "10.0.0.0/8"),
    ("prefix", "2001:db8::/32", "2001:DB8::/32"),
    ("asn", "AS64512", "64512"),
    ("host", "video.example.ir", "VIDEO.example.ir."),
    ("host", "*.example.ir", "*.example.ir"),
])
def test_same_specificity_refused_naming_both(two: Engine, kind: str, value: str,
                                              other: str) -> None:
    add_claims(two, [claim("a", kind, value)])
    with pytest.raises(ClaimConflictError) as caught:
        add_claims(two, [claim("b", kind, other)], approve_nested=True)
    assert "for b" in str(caught.value) and "of a" in str(caught.value)
    assert len(list_claims(two)) == 1


def test_same_value_at_disjoint_times_is_a_hand_over(two: Engine) -> None:
    add_claims(two, [claim("a", "prefix", "10.0.0.0/8", START, MID)])
    add_claims(two, [claim("b", "prefix", "10.0.0.0/8", MID)])
    assert [c.spec.producer_id for c in list_claims(two)] == ["a", "b"]


@pytest.mark.parametrize(("outer", "inner", "kind"), [
    ("10.0.0.0/8", "10.1.0.0/16", "prefix"),
    ("10.1.0.0/16", "10.0.0.0/8", "prefix"),
    ("2001:db8::/32", "2001:db8:1::/48", "prefix"),
    ("*.example.ir", "www.example.ir", "host"),
    ("*.example.ir", "*.cdn.example.ir", "host"),
])
def test_nested_needs_approval_which_is_audited(two: Engine, outer: str, inner: str,
                                                kind: str) -> None:
    add_claims(two, [claim("a", kind, outer)])
    with pytest.raises(ClaimConflictError, match="needs approval"):
        add_claims(two, [claim("b", kind, inner)])
    add_claims(two, [claim("b", kind, inner)], approve_nested=True, actor="admin")
    nested = list_claims(two)[-1]
    assert nested.nested_approved and nested.approved_by == "admin"
    approvals = [e for e in audit_log(two) if e.action == "claim.approve_nested"]
    assert len(approvals) == 1 and approvals[0].actor == "admin"
    assert approvals[0].after["nested_with"][0]["producer_id"] == "a"  # type: ignore[index]


def test_own_nesting_needs_no_approval(two: Engine) -> None:
    add_claims(two, [claim("a", "prefix", "10.0.0.0/8"), claim("a", "prefix", "10.1.0.0/16")])
    assert not any(c.nested_approved for c in list_claims(two))


def test_ending_a_claim_keeps_it(two: Engine) -> None:
    add_claims(two, [claim("a", "prefix", "10.0.0.0/8")])
    claim_id = list_claims(two)[0].id
    end_claim(two, claim_id, MID, actor="officer")
    (kept,) = list_claims(two)
    assert kept.spec.valid_to_ms == MID
    entry = audit_log(two)[-1]
    assert entry.action == "claim.end" and entry.actor == "officer"
    assert entry.before["valid_to_ms"] is None and entry.after["valid_to_ms"] == MID  # type: ignore[index]
    with pytest.raises(RegistryError, match="already ended"):
        end_claim(two, claim_id, MID + 1)


def test_unknown_producer_and_bad_values(two: Engine) -> None:
    with pytest.raises(NotFoundError):
        add_claims(two, [claim("nobody", "prefix", "10.0.0.0/8")])
    for kind, value in [("prefix", "10.0.0.1/8"), ("asn", "AS0"), ("asn", "ASX"),
                        ("host", "localhost"), ("host", "a.*.ir"), ("url", "x")]:
        with pytest.raises(ValueError):
            normalize_value(kind, value)


def test_all_or_nothing(two: Engine) -> None:
    add_claims(two, [claim("a", "asn", "64512")])
    with pytest.raises(ClaimConflictError):
        add_claims(two, [claim("b", "prefix", "192.0.2.0/24"), claim("b", "asn", "64512")])
    assert len(list_claims(two)) == 1


def test_host_covers() -> None:
    assert host_covers("*.example.ir", "a.b.example.ir")
    assert not host_covers("*.example.ir", "example.ir")
    assert not host_covers("www.example.ir", "www.example.ir")
