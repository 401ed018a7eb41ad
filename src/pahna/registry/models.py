"""Registry tables (SQLAlchemy 2 declarative). Times are UTC epoch milliseconds.

The schema is created and changed only by the Alembic migrations in `migrations/`;
these classes describe the result. Nothing is deleted: a claim, metering point or
domestic list ends by getting a `valid_to_ms`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CLAIM_KINDS = ("prefix", "asn", "host")
DIRECTIONS = ("ingress", "egress")


class Base(DeclarativeBase):
    pass


class ProvinceRow(Base):
    __tablename__ = "provinces"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(64))
    name_fa: Mapped[str] = mapped_column(String(64))


class ZoneRow(Base):
    """A special IT zone (منطقه ویژه فناوری اطلاعات)."""

    __tablename__ = "zones"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_fa: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str] = mapped_column(ForeignKey("provinces.code"))


class ProducerRow(Base):
    __tablename__ = "producers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_fa: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    type: Mapped[str] = mapped_column(String(32))
    zone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a zones.id
    iban: Mapped[str | None] = mapped_column(String(34), nullable=True)
    contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    role: Mapped[str] = mapped_column(String(16), default="producer")
    claims: Mapped[list[ClaimRow]] = relationship(back_populates="producer")


class ClaimRow(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    producer_id: Mapped[str] = mapped_column(ForeignKey("producers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(255))
    valid_from_ms: Mapped[int] = mapped_column(BigInteger)
    valid_to_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    nested_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    content_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    producer: Mapped[ProducerRow] = relationship(back_populates="claims")


class ContentItemRow(Base):
    """An entry of the content catalogue: what a host or host+path claim is for."""

    __tablename__ = "content_items"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    producer_id: Mapped[str] = mapped_column(ForeignKey("producers.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    title_fa: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    province: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    status: Mapped[str] = mapped_column(String(16), default="active")


class ClaimRequestRow(Base):
    """A claim a producer asked for in the portal: pending until the ministry approves it
    (it then becomes a claim, `claim_id`) or refuses it (`note` says why)."""

    __tablename__ = "claim_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    producer_id: Mapped[str] = mapped_column(ForeignKey("producers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(255))
    content_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    valid_from_ms: Mapped[int] = mapped_column(BigInteger)
    valid_to_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    claim_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class MeteringPointRow(Base):
    """Where a producer's traffic is counted: exporter, interface and direction."""

    __tablename__ = "metering_points"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    producer_id: Mapped[str] = mapped_column(ForeignKey("producers.id"), index=True)
    exporter: Mapped[str] = mapped_column(String(64))
    interface: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))
    valid_from_ms: Mapped[int] = mapped_column(BigInteger)
    valid_to_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class DomesticListRow(Base):
    """One version of the domestic address list, in force over [from, to)."""

    __tablename__ = "domestic_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text)
    valid_from_ms: Mapped[int] = mapped_column(BigInteger)
    valid_to_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    imported_at_ms: Mapped[int] = mapped_column(BigInteger)


class DomesticPrefixRow(Base):
    __tablename__ = "domestic_prefixes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("domestic_lists.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(64))


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(100))
    credential: Mapped[str | None] = mapped_column(String(100), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)


class SealedPeriodRow(Base):
    """A month closed by a final: registry changes whose effect reaches into
    [start_ms, end_ms) are refused (see closures.py)."""

    __tablename__ = "sealed_periods"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(Integer)
    closed_at_ms: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(100))


class RegistryGuardRow(Base):
    """One row (id 1) that every registry change and every closing updates first: its
    row lock serializes them on PostgreSQL, as SQLite's write lock does."""

    __tablename__ = "registry_guard"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger)
