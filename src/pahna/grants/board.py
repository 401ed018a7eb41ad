"""The board as of a revision: every record's latest version, with when it was first
made and who changed it last. Built by replaying the history in chain order."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine

from pahna.errors import GrantNotFoundError
from pahna.grants.history import Revision, revisions
from pahna.grants.models import (
    MODELS,
    Agreement,
    Applicant,
    Application,
    Award,
    Call,
    Declaration,
    Document,
    Payment,
    Programme,
    Report,
    Score,
)

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Entry:
    item: BaseModel
    first: Revision
    last: Revision


@dataclass
class Board:
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)
    seq: int = 0

    def apply(self, revision: Revision) -> None:
        item = MODELS[revision.kind].model_validate(revision.body)
        table = self.entries.setdefault(revision.kind, {})
        before = table.get(revision.entity_id)
        table[revision.entity_id] = Entry(item, before.first if before else revision, revision)
        self.seq = revision.seq

    def entry(self, kind: str, entity_id: str) -> Entry:
        found = self.entries.get(kind, {}).get(entity_id)
        if found is None:
            raise GrantNotFoundError(f"no {kind} {entity_id!r}")
        return found

    def find(self, cls: type[T], kind: str, entity_id: str) -> T:
        item = self.entry(kind, entity_id).item
        assert isinstance(item, cls)
        return item

    def all(self, cls: type[T], kind: str) -> list[T]:
        return [e.item for e in self.entries.get(kind, {}).values()
                if isinstance(e.item, cls)]

    def has(self, kind: str, entity_id: str) -> bool:
        return entity_id in self.entries.get(kind, {})

    # typed readers ---------------------------------------------------------------
    def programme(self, entity_id: str) -> Programme:
        return self.find(Programme, "programme", entity_id)

    def call(self, entity_id: str) -> Call:
        return self.find(Call, "call", entity_id)

    def applicant(self, entity_id: str) -> Applicant:
        return self.find(Applicant, "applicant", entity_id)

    def application(self, entity_id: str) -> Application:
        return self.find(Application, "application", entity_id)

    def award(self, entity_id: str) -> Award:
        return self.find(Award, "award", entity_id)

    def agreement(self, entity_id: str) -> Agreement:
        return self.find(Agreement, "agreement", entity_id)

    def programmes(self) -> list[Programme]:
        return self.all(Programme, "programme")

    def calls(self) -> list[Call]:
        return self.all(Call, "call")

    def applicants(self) -> list[Applicant]:
        return self.all(Applicant, "applicant")

    def applications(self, call_id: str | None = None) -> list[Application]:
        return [a for a in self.all(Application, "application")
                if call_id is None or a.call_id == call_id]

    def documents(self, application_id: str) -> list[Document]:
        return [d for d in self.all(Document, "document") if d.application_id == application_id]

    def declarations(self, application_id: str) -> list[Declaration]:
        return [d for d in self.all(Declaration, "declaration")
                if d.application_id == application_id]

    def scores(self, application_id: str) -> list[Score]:
        return [s for s in self.all(Score, "score") if s.application_id == application_id]

    def awards(self, call_id: str | None = None) -> list[Award]:
        return [a for a in self.all(Award, "award") if call_id is None or a.call_id == call_id]

    def agreements(self) -> list[Agreement]:
        return self.all(Agreement, "agreement")

    def reports(self, agreement_id: str) -> list[Report]:
        return [r for r in self.all(Report, "report") if r.agreement_id == agreement_id]

    def payments(self, agreement_id: str | None = None) -> list[Payment]:
        return [p for p in self.all(Payment, "payment")
                if agreement_id is None or p.agreement_id == agreement_id]

    # how records hang together -----------------------------------------------------
    def call_of(self, kind: str, entity_id: str) -> str | None:
        """The call a record belongs to (None for programmes and applicants)."""
        item = self.entry(kind, entity_id).item
        if isinstance(item, Call):
            return item.id
        if isinstance(item, Application | Award):
            return item.call_id
        if isinstance(item, Document | Declaration | Score):
            return self.application(item.application_id).call_id
        if isinstance(item, Agreement):
            return self.award(item.award_id).call_id
        if isinstance(item, Report | Payment):
            return self.call_of("agreement", item.agreement_id)
        return None

    def province_of_call(self, call_id: str) -> str:
        return self.programme(self.call(call_id).programme_id).province

    def agreement_of_award(self, award_id: str) -> Agreement | None:
        return next((a for a in self.agreements() if a.award_id == award_id), None)

    def applicant_of_agreement(self, agreement: Agreement) -> Applicant:
        application = self.application(self.award(agreement.award_id).application_id)
        return self.applicant(application.applicant_id)


class BoardCache:
    """The board held in memory (a portal's), brought up to date on each read with the
    revisions added since. A revision cannot appear behind one already read: the chain
    admits one successor per revision, so a writer that lost the race appends after."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._board = Board()
        self._lock = threading.Lock()

    def current(self) -> Board:
        with self._lock:
            new = revisions(self.engine, after_seq=self._board.seq)
            if new:
                board = Board({kind: dict(table) for kind, table in
                               self._board.entries.items()}, self._board.seq)
                for revision in new:
                    board.apply(revision)
                self._board = board
            return self._board


def load_board(engine: Engine) -> Board:
    """The board as it stands now."""
    board = Board()
    for revision in revisions(engine):
        board.apply(revision)
    return board


def replay(history: Iterable[Revision]) -> Iterator[tuple[Revision, Board]]:
    """Each revision with the board just after it (the same Board object, advanced)."""
    board = Board()
    for revision in history:
        board.apply(revision)
        yield revision, board
