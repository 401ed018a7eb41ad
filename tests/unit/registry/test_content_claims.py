"""Content items and host claims on them: in the rules snapshot a final keeps, behind
the closed-month guard, a producer editing only its own entries."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from pahna.calendar import JalaliMonth
from pahna.errors import ClosedPeriodError, NotFoundError, RegistryError
from pahna.parties import ContentItem, Producer
from pahna.registry.catalogue import decide_request, list_items, put_item, request_claim
from pahna.registry.claimbook import ClaimSpec
from pahna.registry.claims import add_claims
from pahna.registry.closures import close_period
from pahna.registry.producers import add_producer
from pahna.registry.rules import rules_from_snapshot, rules_snapshot

ABAN = JalaliMonth(1404, 8)
WINDOW = (ABAN.start_ms - 2**32, ABAN.end_ms)
SERIAL = ContentItem("serial", "qom-tv", "Serial", "سریال", "video", "fa", "IR-25")


@pytest.fixture
def catalogue(registry: Engine) -> Engine:
    add_producer(registry, Producer("qom-tv", "Qom TV", "", "IR-25", "public_centre"))
    add_producer(registry, Producer("teh-tv", "Tehran TV", "", "IR-23", "public_centre"))
    assert put_item(registry, SERIAL)
    return registry


def test_host_and_path_claims_carry_their_content_into_the_snapshot(catalogue: Engine) -> None:
    add_claims(catalogue, [ClaimSpec("qom-tv", "host", "tv.example.ir/serial",
                                     JalaliMonth(1404, 1).start_ms, None, "serial")])
    snapshot = rules_snapshot(catalogue, WINDOW)
    assert snapshot["claims"] == [["qom-tv", "host", "tv.example.ir/serial",
                                   JalaliMonth(1404, 1).start_ms, None, "serial"]]
    # the catalogue entry as it is now, kept with the snapshot a final seals
    assert snapshot["contents"] == [["serial", "qom-tv", "Serial", "سریال", "video", "fa",
                                     "IR-25"]]
    rules = rules_from_snapshot(snapshot)
    assert rules.contents == ("serial",)
    assert rules.hosts is not None
    claim = rules.hosts.candidates("tv.example.ir")[0]
    assert (claim.pattern, claim.path, claim.content) == ("tv.example.ir", "/serial", 0)


def test_a_claim_names_only_its_own_producers_item(catalogue: Engine) -> None:
    with pytest.raises(RegistryError, match="qom-tv's"):
        add_claims(catalogue, [ClaimSpec("teh-tv", "host", "x.example.ir", 0, None, "serial")])


def test_producers_edit_only_their_own_entries(catalogue: Engine) -> None:
    with pytest.raises(NotFoundError):
        put_item(catalogue, SERIAL, producer_id="teh-tv")
    retitled = replace(SERIAL, title="Serial 2")
    assert put_item(catalogue, retitled, producer_id="qom-tv")
    assert [i.title for i in list_items(catalogue)] == ["Serial 2"]


def test_an_approved_request_reaching_into_a_final_month_is_refused(catalogue: Engine) -> None:
    close_period(catalogue, "1404-08", WINDOW, 1, "test")
    request = request_claim(catalogue, ClaimSpec("qom-tv", "host", "tv.example.ir",
                                                 ABAN.start_ms, None, "serial"), "qom-tv")
    with pytest.raises(ClosedPeriodError):
        decide_request(catalogue, request, True, "ministry")
    later = request_claim(catalogue, ClaimSpec("qom-tv", "host", "tv.example.ir",
                                               ABAN.end_ms, None, "serial"), "qom-tv")
    assert decide_request(catalogue, later, True, "ministry").status == "approved"
