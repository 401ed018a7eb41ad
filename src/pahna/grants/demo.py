"""`pahna grants demo`: a realistic round on the board, so a newcomer sees it populated.

Qom's directorate opens a 1404 programme with two calls: e-services for the province
(firms and student teams, a bonus in the Pardisan special IT zone) and a five-day call
limited to firms in the zone. Four firms and two student teams apply; three reviewers
score, one declares a conflict and is recused; awards are published (one later revised);
agreements with three milestones are signed; milestones are reported and accepted or
rejected; accepted tranches go into a payment batch. Two firms share an IBAN and an
owner, and the zone call draws one applicant, so the red flags have something to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pahna.calendar import JalaliMonth
from pahna.errors import GrantRuleError
from pahna.grants import process
from pahna.grants.board import load_board
from pahna.grants.documents import DocumentStore, attach
from pahna.grants.history import Author, head_seq
from pahna.grants.models import (
    Agreement,
    Applicant,
    Application,
    Award,
    Call,
    Criterion,
    Declaration,
    Milestone,
    Programme,
    Report,
    Score,
)
from pahna.grants.payments import due_tranches, record_batched
from pahna.parties import Zone
from pahna.registry.producers import list_zones, put_zone

DAY_MS = 86_400_000
ZONE = Zone("qom-pardisan", "Pardisan Special IT Zone", "منطقه ویژه فناوری اطلاعات پردیسان",
            "IR-25")
OFFICER = "qom"
REVIEWERS = ("rev-hosseini", "rev-karimi", "rev-moradi")
CRITERIA = (Criterion(id="impact", name="Impact for citizens", name_fa="اثر برای شهروندان",
                      weight=40),
            Criterion(id="team", name="Team and capacity", name_fa="تیم و توان", weight=30),
            Criterion(id="cost", name="Value for money", name_fa="صرفهٔ هزینه", weight=30))
APPLICANTS = (
    Applicant(id="rayan-soft", kind="organisation", name="Rayan Software",
              name_fa="نرم‌افزار رایان", province="IR-25", registration_number="14003456781",
              size="small", owner="Ali Rahimi", iban="IR150170000000000000104404",
              account="rayan"),
    Applicant(id="kavir-data", kind="organisation", name="Kavir Data",
              name_fa="داده کویر", province="IR-25", zone="qom-pardisan",
              registration_number="14005678902", size="medium", owner="Sara Nouri",
              iban="IR860120000000000000207777", account="kavir"),
    Applicant(id="kavir-cloud", kind="organisation", name="Kavir Cloud Services",
              name_fa="خدمات ابری کویر", province="IR-25", zone="qom-pardisan",
              registration_number="14009876543", size="micro", owner="Sara Nouri",
              iban="IR860120000000000000207777"),
    Applicant(id="noor-systems", kind="organisation", name="Noor Systems",
              name_fa="سامانه‌های نور", province="IR-25", registration_number="14001112223",
              size="small", owner="Reza Kazemi", iban="IR590550000000000000301234"),
    Applicant(id="team-qom-univ", kind="student_team", name="Qom University Civic Tech Team",
              name_fa="تیم فناوری مدنی دانشگاه قم", province="IR-25",
              university="University of Qom", students=5, owner="Maryam Ahmadi",
              iban="IR590570000000000000402468", account="qom-team"),
    Applicant(id="team-qut", kind="student_team", name="QUT Accessibility Team",
              name_fa="تیم دسترس‌پذیری دانشگاه صنعتی قم", province="IR-25",
              university="Qom University of Technology", students=4, owner="Hamed Sadeghi",
              iban="IR810180000000000000505555"),
)


@dataclass
class Clock:
    """The demo's timeline: every step a little after the one before."""

    at_ms: int

    def step(self, days: float = 0.1, actor: str = OFFICER) -> Author:
        self.at_ms += int(days * DAY_MS)
        return Author(actor=actor, credential=None, at_ms=self.at_ms)


def run_grants_demo(engine: Engine, store: DocumentStore) -> dict[str, int]:
    """Fill the board with the round above (proposals stored in `store`); returns how many
    of each record the board holds. Refused on a board that already holds records."""
    if head_seq(engine):
        raise GrantRuleError("the grant board already holds records; the demo fills an "
                             "empty one (use a new workspace)")
    if not any(z.id == ZONE.id for z in list_zones(engine)):
        with Session(engine) as session, session.begin():
            put_zone(session, ZONE, "grants-demo")
    start = JalaliMonth(1404, 7).start_ms + 9 * 3_600_000
    clock = Clock(start)
    _open(engine, clock, start)
    _apply(engine, store, clock)
    clock.at_ms = max(clock.at_ms, start + 21 * DAY_MS)
    _review(engine, clock)
    _award_and_agree(engine, clock)
    _deliver(engine, clock)
    board = load_board(engine)
    return {kind: len(table) for kind, table in board.entries.items()}


def _open(engine: Engine, clock: Clock, start: int) -> None:
    process.put_programme(engine, Programme(
        id="qom-it-1404", title="Qom provincial IT projects 1404",
        title_fa="پروژه‌های فناوری اطلاعات استان قم ۱۴۰۴", province="IR-25", year=1404,
        budget_rial=60_000_000_000,
        buyer="Directorate General of Communications and IT, Qom"), clock.step())
    process.put_call(engine, Call(
        id="qom-eservices", programme_id="qom-it-1404",
        title="Electronic services for Qom's municipalities",
        title_fa="خدمات الکترونیکی برای شهرداری‌های قم",
        scope="Citizen-facing e-services: permits, payments and appointments online.",
        criteria=CRITERIA, opens_ms=start, closes_ms=start + 20 * DAY_MS,
        max_award_rial=8_000_000_000, required_documents=("proposal",), zone_rule="bonus",
        zone=ZONE.id, zone_bonus=5, reviewers=REVIEWERS), clock.step())
    process.put_call(engine, Call(
        id="pardisan-datacentre", programme_id="qom-it-1404",
        title="Data-centre software in the Pardisan zone",
        title_fa="نرم‌افزار مرکز داده در منطقه پردیسان",
        scope="Monitoring and billing software for the zone's shared data centre.",
        eligible=("organisation",), sizes=("micro", "small", "medium"), criteria=CRITERIA,
        opens_ms=start + 5 * DAY_MS, closes_ms=start + 10 * DAY_MS,
        max_award_rial=4_900_000_000, required_documents=("proposal",),
        zone_rule="restricted", zone=ZONE.id, reviewers=REVIEWERS), clock.step())
    for applicant in APPLICANTS:
        process.put_applicant(engine, applicant, clock.step(0.05))


REQUESTS = {  # call: (applicant, requested rials)
    "qom-eservices": (("rayan-soft", 7_500_000_000), ("kavir-data", 4_800_000_000),
                      ("noor-systems", 6_000_000_000), ("team-qom-univ", 1_200_000_000),
                      ("team-qut", 900_000_000)),
    "pardisan-datacentre": (("kavir-cloud", 4_800_000_000),),
}


def _apply(engine: Engine, store: DocumentStore, clock: Clock) -> None:
    clock.at_ms += 5 * DAY_MS
    for call_id, rows in REQUESTS.items():
        for applicant_id, amount in rows:
            app_id = process.application_id(call_id, applicant_id)
            doc = attach(engine, store, app_id, "proposal", f"{applicant_id}-proposal.pdf",
                         proposal_pdf(f"Proposal of {applicant_id} for {call_id}"),
                         1 << 20, clock.step(0.2, applicant_id))
            process.submit(engine, Application(
                id=app_id, call_id=call_id, applicant_id=applicant_id,
                requested_rial=amount, summary=f"Proposal of {applicant_id} for {call_id}",
                documents=(doc.id,), declarations=process.DECLARATIONS),
                clock.step(0.01, applicant_id))


def proposal_pdf(text: str) -> bytes:
    """A one-page PDF saying `text` (ASCII), small and well-formed."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, start)
    return bytes(out)


MARKS = {  # applicant: marks by reviewer (impact, team, cost)
    "rayan-soft": ((9, 8, 7), (8, 8, 8), (9, 9, 7)),
    "kavir-data": ((8, 7, 9), (8, 8, 8), (9, 8, 8)),
    "noor-systems": ((5, 6, 5), (6, 5, 6), (10, 10, 10)),  # the third reviewer is far off
    "team-qom-univ": ((9, 7, 9), (8, 7, 9), (9, 8, 8)),
    "team-qut": ((6, 6, 8), (7, 6, 7), (6, 7, 7)),
    "kavir-cloud": ((7, 7, 7), (7, 8, 7), (8, 7, 7)),
}
RECUSED = ("kavir-data", "rev-karimi", "consulted for Kavir Data in 1403")


def _review(engine: Engine, clock: Clock) -> None:
    for call_id, rows in REQUESTS.items():
        for applicant_id, _amount in rows:
            app_id = process.application_id(call_id, applicant_id)
            for reviewer, marks in zip(REVIEWERS, MARKS[applicant_id], strict=True):
                conflict = (applicant_id, reviewer) == RECUSED[:2]
                process.declare(engine, Declaration(
                    id=process.declaration_id(app_id, reviewer), application_id=app_id,
                    reviewer=reviewer, conflict=conflict,
                    reason=RECUSED[2] if conflict else ""), clock.step(0.05, reviewer))
                if conflict:
                    continue
                process.put_score(engine, Score(
                    id=f"{app_id}:{reviewer}", application_id=app_id, reviewer=reviewer,
                    marks=dict(zip(("impact", "team", "cost"), marks, strict=True))),
                    clock.step(0.05, reviewer))


AWARDS = (("qom-eservices", "rayan-soft", 7_000_000_000),
          ("qom-eservices", "kavir-data", 4_800_000_000),
          ("qom-eservices", "team-qom-univ", 1_200_000_000),
          ("pardisan-datacentre", "kavir-cloud", 4_800_000_000))


def _award_and_agree(engine: Engine, clock: Clock) -> None:
    for call_id, applicant_id, amount in AWARDS:
        award_id = f"award-{applicant_id}"
        process.put_award(engine, Award(
            id=award_id, call_id=call_id,
            application_id=process.application_id(call_id, applicant_id),
            amount_rial=amount, reasons="Ranked within the call's budget by the committee."),
            clock.step(1))
    process.put_award(engine, Award(
        id="award-rayan-soft", call_id="qom-eservices",
        application_id=process.application_id("qom-eservices", "rayan-soft"),
        amount_rial=6_500_000_000, reasons="Ranked first; amount reduced after negotiation "
        "of the hosting costs."), clock.step(1), reason="amount reduced after negotiation")
    for _call_id, applicant_id, _amount in AWARDS:
        award = load_board(engine).award(f"award-{applicant_id}")
        signed = clock.step(3)
        third = award.amount_rial // 3
        tranches = (third, third, award.amount_rial - 2 * third)
        process.sign(engine, Agreement(
            id=f"agr-{applicant_id}", award_id=award.id, value_rial=award.amount_rial,
            signed_ms=signed.at_ms or 0, milestones=tuple(
                Milestone(id=f"m{n}", title=title, deliverable=deliverable,
                          due_ms=(signed.at_ms or 0) + days * DAY_MS, tranche_rial=tranche)
                for n, (title, deliverable, days), tranche in zip(
                    (1, 2, 3), MILESTONES, tranches, strict=True))), signed)


MILESTONES = (("Design", "Specification and mock-ups approved by the users", 30),
              ("Pilot", "Working pilot in one municipality", 90),
              ("Roll-out", "All municipalities live; source code handed over", 180))


def _deliver(engine: Engine, clock: Clock) -> None:
    for applicant_id, outcomes in (("rayan-soft", (True, True)), ("kavir-data", (True,)),
                                   ("team-qom-univ", (True, False)),
                                   ("kavir-cloud", (True,))):
        for number, accept in enumerate(outcomes, start=1):
            agreement_id, milestone_id = f"agr-{applicant_id}", f"m{number}"
            key = process.report_id(agreement_id, milestone_id)
            process.put_report(engine, Report(
                id=key, agreement_id=agreement_id, milestone_id=milestone_id,
                text=f"Milestone {number} delivered."), clock.step(30, applicant_id))
            process.decide_report(engine, key, accept, "Deliverable checked by the directorate"
                                  if accept else "The pilot does not cover the municipality",
                                  clock.step(2))
    board = load_board(engine)
    record_batched(engine, due_tranches(board), "GRANTS-DEMO-1", clock.step(1))
