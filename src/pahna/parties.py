"""Who takes part, as every stage sees them: producers and special IT zones.

The registry stores and checks these records; settlement, statements and the portal read
them. Ids are slugs (`pahna.ids`); IBANs are checked by `pahna.iban`.
"""

from __future__ import annotations

from dataclasses import dataclass

PRODUCER_TYPES = ("public_centre", "private_company", "student_startup", "other")
PRODUCER_STATUSES = ("active", "suspended", "closed")
OPERATOR = "operator"
ROLES = ("producer", OPERATOR)
"""A producer is paid for what it serves; an operator (a CDN or hosting company whose
edges serve many producers) is registered with its prefixes so that its flows can be
shared among its tenants by their log bytes, and is never paid itself."""
CONTENT_CATEGORIES = ("video", "audio", "news", "education", "science", "books", "games",
                      "software", "culture", "sport", "children", "religion", "other")


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
    role: str = "producer"


@dataclass(frozen=True)
class ContentItem:
    """An entry of the content catalogue: a title a producer serves, its category,
    language (ISO 639-1) and province."""

    id: str
    producer_id: str
    title: str
    title_fa: str
    category: str
    language: str
    province: str
    status: str = "active"


@dataclass(frozen=True)
class Zone:
    """A special IT zone."""

    id: str
    name: str
    name_fa: str
    province: str
