"""Who takes part, as every stage sees them: producers and special IT zones.

The registry stores and checks these records; settlement, statements and the portal read
them. Ids are slugs (`pahna.ids`); IBANs are checked by `pahna.iban`.
"""

from __future__ import annotations

from dataclasses import dataclass

PRODUCER_TYPES = ("public_centre", "private_company", "student_startup", "other")
PRODUCER_STATUSES = ("active", "suspended", "closed")


@dataclass(frozen=True)
class Producer:
    """A content-producing centre: who it is, where, and where it is paid."""

    id: str
    name: str
    name_fa: str
    province: str
    type: str = "other"
    zone: str | None = None
    iban: str | None = None
    contact: str | None = None
    status: str = "active"


@dataclass(frozen=True)
class Zone:
    """A special IT zone."""

    id: str
    name: str
    name_fa: str
    province: str
