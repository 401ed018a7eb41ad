"""What each record of the grant process holds. Amounts are integer rials, instants UTC
epoch milliseconds, ids slugs (`pahna.ids`). A record never changes in place: a change is
a new revision of it (`history.py`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pahna.ids import id_problem

KINDS = ("programme", "call", "applicant", "application", "document", "declaration",
         "score", "award", "agreement", "report", "payment")
"""Every kind of record the board keeps, in the order a process meets them."""
Rial = int
SIZES = ("micro", "small", "medium", "large")
ZONE_RULES = ("none", "restricted", "bonus")
MAX_SCORE = 10
"""Each criterion is scored 0..MAX_SCORE; weights (summing to 100) turn them into 0..100."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _slug(value: str) -> str:
    problem = id_problem(value)
    if problem:
        raise ValueError(f"id {value!r} {problem}")
    return value


def _slug_or_none(value: str | None) -> str | None:
    return None if value is None else _slug(value)


def _slugs(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_slug(v) for v in values)


class Programme(_Record):
    """A budget line for a province (or one of its special IT zones) in a Jalali year."""

    id: str
    title: str = Field(min_length=1, max_length=300)
    title_fa: str = Field("", max_length=300)
    province: str = Field(pattern=r"^IR-\d{2}$")
    zone: str | None = None
    year: int = Field(ge=1390, le=1500)
    budget_rial: Rial = Field(gt=0, lt=10**18)
    buyer: str = Field("", max_length=300, description="The directorate that pays.")
    _id = field_validator("id")(_slug)
    _zone = field_validator("zone")(_slug_or_none)


class Criterion(_Record):
    id: str
    name: str = Field(min_length=1, max_length=200)
    name_fa: str = Field("", max_length=200)
    weight: int = Field(gt=0, le=100)
    _id = field_validator("id")(_slug)


class Call(_Record):
    """A call for proposals under a programme."""

    id: str
    programme_id: str
    title: str = Field(min_length=1, max_length=300)
    title_fa: str = Field("", max_length=300)
    scope: str = Field("", max_length=5000)
    eligible: tuple[Literal["organisation", "student_team"], ...] = (
        "organisation", "student_team")
    sizes: tuple[Literal["micro", "small", "medium", "large"], ...] = ("micro", "small",
                                                                       "medium")
    criteria: tuple[Criterion, ...]
    opens_ms: int
    closes_ms: int
    max_award_rial: Rial = Field(gt=0, lt=10**18)
    required_documents: tuple[str, ...] = ("proposal",)
    zone_rule: Literal["none", "restricted", "bonus"] = "none"
    zone: str | None = None
    zone_bonus: int = Field(0, ge=0, le=20, description="Points (of 100) added in the zone.")
    reviewers: tuple[str, ...] = ()
    status: Literal["open", "cancelled"] = "open"
    _id = field_validator("id", "programme_id")(_slug)
    _zone = field_validator("zone")(_slug_or_none)
    _names = field_validator("reviewers", "required_documents")(_slugs)

    @model_validator(mode="after")
    def _consistent(self) -> Call:
        if sum(c.weight for c in self.criteria) != 100:
            raise ValueError("criteria weights must add up to 100")
        if len({c.id for c in self.criteria}) != len(self.criteria):
            raise ValueError("criteria ids must differ")
        if self.closes_ms <= self.opens_ms:
            raise ValueError("the call must close after it opens")
        if self.zone_rule != "none" and not self.zone:
            raise ValueError(f"zone_rule {self.zone_rule!r} needs a zone")
        return self


class Applicant(_Record):
    """A firm (with its national registration number and size) or a student team."""

    id: str
    kind: Literal["organisation", "student_team"]
    name: str = Field(min_length=1, max_length=300)
    name_fa: str = Field("", max_length=300)
    province: str = Field(pattern=r"^IR-\d{2}$")
    zone: str | None = None
    registration_number: str | None = Field(None, pattern=r"^\d{11}$",
                                            description="شناسه ملی, 11 digits")
    size: Literal["micro", "small", "medium", "large"] | None = None
    university: str | None = Field(None, max_length=300)
    students: int | None = Field(None, ge=1, le=1000)
    owner: str = Field("", max_length=300, description="The owner or team lead, as registered.")
    iban: str | None = None
    account: str | None = Field(None, description="The portal account that acts for it.")
    _id = field_validator("id")(_slug)
    _refs = field_validator("zone", "account")(_slug_or_none)

    @model_validator(mode="after")
    def _kind_fields(self) -> Applicant:
        if self.kind == "organisation" and not (self.registration_number and self.size):
            raise ValueError("an organisation needs its registration number and size")
        if self.kind == "student_team" and not (self.university and self.students):
            raise ValueError("a student team needs its university and number of students")
        return self


class Application(_Record):
    id: str
    call_id: str
    applicant_id: str
    requested_rial: Rial = Field(gt=0, lt=10**18)
    summary: str = Field(min_length=1, max_length=5000)
    documents: tuple[str, ...] = ()
    declarations: tuple[str, ...] = Field(
        ..., description="What the applicant declared: true_information, no_double_funding.")
    status: Literal["submitted", "withdrawn"] = "submitted"
    _id = field_validator("id")(_slug)


class Document(_Record):
    """An uploaded file: kept under its SHA-256, never under the name it came with."""

    id: str
    application_id: str
    doc_type: str = Field(pattern=r"^[a-z_]{1,40}$")
    media_type: str
    size_bytes: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    title: str = Field(max_length=200, description="The uploaded name, cleaned, for display.")


class Declaration(_Record):
    """A reviewer's conflict-of-interest declaration for one application."""

    id: str
    application_id: str
    reviewer: str
    conflict: bool
    reason: str = Field("", max_length=2000)


class Score(_Record):
    id: str
    application_id: str
    reviewer: str
    marks: dict[str, int]
    comment: str = Field("", max_length=5000)

    @field_validator("marks")
    @classmethod
    def _range(cls, marks: dict[str, int]) -> dict[str, int]:
        if any(not 0 <= v <= MAX_SCORE for v in marks.values()):
            raise ValueError(f"every mark must be 0..{MAX_SCORE}")
        return marks


class Award(_Record):
    id: str
    call_id: str
    application_id: str
    amount_rial: Rial = Field(gt=0, lt=10**18)
    reasons: str = Field(min_length=1, max_length=5000)
    status: Literal["active", "cancelled"] = "active"
    _id = field_validator("id")(_slug)


class Milestone(_Record):
    id: str
    title: str = Field(min_length=1, max_length=300)
    deliverable: str = Field("", max_length=2000)
    due_ms: int
    tranche_rial: Rial = Field(ge=0, lt=10**18)
    _id = field_validator("id")(_slug)


class Agreement(_Record):
    id: str
    award_id: str
    value_rial: Rial = Field(gt=0, lt=10**18)
    signed_ms: int
    milestones: tuple[Milestone, ...] = Field(min_length=1)
    status: Literal["active", "completed", "terminated"] = "active"
    closing_reason: str = Field("", max_length=2000)
    _id = field_validator("id")(_slug)

    @model_validator(mode="after")
    def _tranches(self) -> Agreement:
        if sum(m.tranche_rial for m in self.milestones) != self.value_rial:
            raise ValueError("the milestones' tranches must add up to the agreement's value")
        if len({m.id for m in self.milestones}) != len(self.milestones):
            raise ValueError("milestone ids must differ")
        return self

    def milestone(self, milestone_id: str) -> Milestone | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)


class Report(_Record):
    """A milestone report and the officer's decision on it."""

    id: str
    agreement_id: str
    milestone_id: str
    text: str = Field(min_length=1, max_length=5000)
    decision: Literal["pending", "accepted", "rejected"] = "pending"
    decision_reason: str = Field("", max_length=2000)


class Payment(_Record):
    """A tranche handed to a payment batch, then paid (or rejected by the bank, and then
    due again: a later batch carries it as a new revision)."""

    id: str
    agreement_id: str
    milestone_id: str
    amount_rial: Rial = Field(gt=0, lt=10**18)
    iban: str
    batch: str
    status: Literal["batched", "paid", "rejected"] = "batched"


MODELS: dict[str, type[_Record]] = {
    "programme": Programme, "call": Call, "applicant": Applicant, "application": Application,
    "document": Document, "declaration": Declaration, "score": Score, "award": Award,
    "agreement": Agreement, "report": Report, "payment": Payment,
}
