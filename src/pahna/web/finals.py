"""Final statements in the portal: which statements a page shows for a period (the final
in force, else the draft, labelled), and finalizing a reviewed draft as the ministry."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pahna.errors import DraftChangedError, ImmutableStatementError
from pahna.ids import check_id
from pahna.ledger.book import Ledger
from pahna.ledger.state import PeriodState, period_state
from pahna.pipeline import finalize
from pahna.registry.audit import record
from pahna.report.statements import statement_path
from pahna.web.problems import Problem
from pahna.web.snapshots import StatementFigures, read_statements
from pahna.web.states import cached_state
from pahna.workspace import Workspace

FINALIZE = "settlement.finalize"
REFUSED = "settlement.refused"


@dataclass(frozen=True)
class Shown:
    """The statements a page shows for a period, and where their files are."""

    state: PeriodState
    folder: Path

    @property
    def final(self) -> bool:
        return self.state.closed

    @property
    def label(self) -> str:
        return f"final-r{self.state.revision}" if self.final else "draft"

    def statement_file(self, producer_id: str, fmt: str) -> Path | None:
        """The producer's statement file in `fmt`, if the period has one. Statements
        written before per-producer folders lie flat in the period's folder."""
        for path in (statement_path(self.folder, producer_id, fmt),
                     self.folder / f"{check_id('producer', producer_id)}.{fmt}"):
            if path.is_file():
                return path
        return None

    @property
    def statements(self) -> dict[str, StatementFigures]:
        summary = self.folder / "summary.csv"
        if not summary.is_file():
            return {}
        return dict(_statements(str(summary), summary.stat().st_mtime_ns))


@lru_cache(maxsize=64)
def _statements(path: str, _mtime_ns: int) -> tuple[tuple[str, StatementFigures], ...]:
    return tuple(read_statements(Path(path)).items())


def shown(workspace: Workspace, period: str) -> Shown:
    """The final statements in force for `period`, else its draft (web.states: read
    again only when the period's ledger folder changed)."""
    state = cached_state(workspace.home, period)
    folder = workspace.statements_dir(period)
    return Shown(state, folder / f"final-r{state.revision}" if state.closed else folder)


def refuse_if_final(workspace: Workspace, engine: Engine, period: str, actor: str,
                    attempt: str, credential: str | None = None) -> None:
    """Refuse (409), and log in the ledger and the audit log, a change to a final period."""
    try:
        Ledger(workspace.home).guard(period, attempt, actor)
    except ImmutableStatementError as exc:
        with Session(engine) as session:
            record(session, actor, REFUSED, f"period:{period}", after={"attempt": attempt},
                   credential=credential)
            session.commit()
        raise Problem(409, str(exc)) from exc


def finalize_reviewed(workspace: Workspace, engine: Engine, period: str, reviewed_sha256: str,
                      actor: str, credential: str | None = None) -> PeriodState:
    """Seal `period` as its next final revision, exactly as reviewed: the draft must still
    be the one the actor reviewed (its sha256), and the month must recompute to exactly
    it, else nothing is sealed (409). The act is kept in the audit log with the
    credential used."""
    refuse_if_final(workspace, engine, period, actor, "finalize", credential)
    state = period_state(workspace.home, period)
    if state.draft_sha256 is None or state.draft_sha256 != reviewed_sha256:
        raise Problem(409, f"the {period} draft changed since it was reviewed (or there is "
                      "none); review it again before finalizing")
    try:
        settlement, revision, _ = finalize(workspace, period, actor,
                                           reviewed_sha256=reviewed_sha256)
    except DraftChangedError as exc:
        with Session(engine) as session:
            record(session, actor, REFUSED, f"period:{period}",
                   after={"attempt": "finalize", "draft_sha256": reviewed_sha256,
                          "recomputed_sha256": exc.recomputed}, credential=credential)
            session.commit()
        raise Problem(409, str(exc)) from exc
    state = period_state(workspace.home, period)
    with Session(engine) as session:
        record(session, actor, FINALIZE, f"period:{period}",
               after={"revision": revision, "content_hash": state.content_hash,
                      "total_minor": settlement.total_minor, "draft_sha256": reviewed_sha256},
               credential=credential)
        session.commit()
    return state
