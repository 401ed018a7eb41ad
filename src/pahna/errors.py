"""The exception tree of pahna. Every error pahna raises on purpose is one of these.

    PahnaError
    ├── ConfigError                 a setting is missing or not allowed
    ├── WorkspaceError              --home is missing, foreign or damaged
    ├── InvalidValueError           a value given at the edge is not well-formed
    │   ├── InvalidIdError          an id (producer, zone, account) that is not a slug
    │   ├── InvalidIbanError        not an Iranian IBAN (IR, 24 digits, ISO 7064 mod 97)
    │   └── LogFormatError          an access-log format string pahna cannot read
    ├── DecodeError                 a datagram or file cannot be decoded (intake)
    │   ├── TruncatedError          lengths point past the end of the data
    │   ├── UnsupportedVersionError not IPFIX / NetFlow v5, v9 / sFlow v5
    │   └── TemplateError           a template set that cannot be honoured
    ├── RegistryError               producers, provinces, claims
    │   ├── NotFoundError           an id that is not in the registry
    │   ├── ClaimConflictError      two producers claim the same thing
    │   ├── ApprovalError           an approval beyond the approver's reach
    │   └── ImportFileError         a bulk import file is malformed (file, line, reason)
    ├── AttributionError            claims cannot be turned into a lookup table
    ├── CounterOverflowError        a sum of bytes or money would not fit 64 bits
    ├── StoreError                  the Parquet store or its manifests
    ├── EngineError                 an aggregation engine failed
    ├── SettlementError             periods, tariffs, money
    │   ├── PeriodError             not a Jalali month such as 1404-08
    │   ├── ImmutableStatementError a final statement cannot change
    │   │   └── ClosedPeriodError   a registry change reaching into a final month
    │   ├── TariffError             a tariff document is malformed or missing
    │   ├── PaymentError            a payment batch cannot be made (bad IBAN)
    │   ├── DraftChangedError       finalizing would seal other figures than reviewed
    │   ├── LedgerError             a ledger record is missing or damaged
    │   │   └── PeriodBusyError     another command holds the period's lock
    │   └── VerificationError       a final period does not recompute to its seal
    └── GrantError                  the grant board refused a step
        ├── GrantNotFoundError      a programme, call, application ... that is not there
        ├── GrantRuleError          a step breaks the process (window, eligibility, recusal)
        ├── HistoryError            the revision chain does not verify (tampered history)
        ├── OcdsError               a release or record fails the vendored OCDS schema
        └── UploadError             an uploaded document is refused (size, type, name)

Each carries its context in its message and, where useful, as attributes. The CLI maps
the tree to exit codes in one place (`pahna.cli.errors`).
"""

from __future__ import annotations


def first_of(problems: list[str], otherwise: str = "unknown problem") -> str:
    """The first of a list of problems, and how many more there are."""
    first = problems[0] if problems else otherwise
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return first + more


class PahnaError(Exception):
    """Root of every error pahna raises on purpose."""


class ConfigError(PahnaError):
    """A setting is missing, malformed or not allowed."""


class WorkspaceError(PahnaError):
    """The workspace folder is missing, foreign, or damaged."""


class InvalidValueError(PahnaError):
    """A value given at the edge (a file, a form, an option) is not well-formed."""


class InvalidIdError(InvalidValueError):
    """An id that is not a slug, or a reserved name; `kind` says which id."""

    def __init__(self, kind: str, value: str, reason: str) -> None:
        super().__init__(f"{kind} id {value!r}: {reason}")
        self.kind = kind
        self.value = value


class InvalidIbanError(InvalidValueError):
    """Not an Iranian IBAN (IR, then 24 digits, passing ISO 7064 mod 97-10)."""


class LogFormatError(InvalidValueError):
    """An access-log format (a preset name or an operator's format string) that cannot be
    read, or a log file that does not say what its format needs (W3C without #Fields)."""


class DecodeError(PahnaError):
    """Bytes that cannot be decoded as a flow export.

    `reason` is a short stable key used for counters and quarantine (e.g. "truncated").
    """

    def __init__(self, message: str, reason: str = "malformed") -> None:
        super().__init__(message)
        self.reason = reason


class TruncatedError(DecodeError):
    def __init__(self, message: str) -> None:
        super().__init__(message, reason="truncated")


class UnsupportedVersionError(DecodeError):
    def __init__(self, message: str) -> None:
        super().__init__(message, reason="unsupported_version")


class TemplateError(DecodeError):
    def __init__(self, message: str) -> None:
        super().__init__(message, reason="bad_template")


class RegistryError(PahnaError):
    """The registry refused a change or a lookup."""


class SchemaError(RegistryError):
    """The registry's schema is not the one this pahna expects (`pahna migrate`)."""


class NotFoundError(RegistryError):
    """An id that the registry does not hold."""


class ClaimConflictError(RegistryError):
    """A claim overlaps another producer's claim at the same specificity."""


class ApprovalError(RegistryError):
    """An approval given by someone whose reach does not cover it (an officer approving a
    nesting into another province's producer)."""


class ImportFileError(RegistryError):
    """A bulk import file is malformed; carries file, line and reason."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class AttributionError(PahnaError):
    """Claims that cannot be turned into a lookup table."""


class CounterOverflowError(PahnaError):
    """A sum or product of byte counters that does not fit 64 bits (never wrapped)."""


class StoreError(PahnaError):
    """The raw Parquet store or its manifests."""


class EngineError(PahnaError):
    """An aggregation engine failed."""


class SettlementError(PahnaError):
    """Periods, tariffs and money."""


class PeriodError(SettlementError):
    """Not a Jalali month of the form YYYY-MM (e.g. 1404-08)."""


class ImmutableStatementError(SettlementError):
    """A final statement was asked to change."""


class ClosedPeriodError(ImmutableStatementError):
    """A change (to the registry, tariffs) whose effect reaches into a month closed by
    a final; carries the period, its revision and what was attempted."""

    def __init__(self, period: str, revision: int, attempt: str) -> None:
        super().__init__(
            f"{attempt} reaches into {period}, which is final (revision {revision}): "
            f"refused. Correct {period} with an adjustment in a later month, or void and "
            "reissue it; date the change after the final months. (A finalize still "
            "running or interrupted also closes the month: `pahna settle status --period "
            f"{period}` reopens it if no final was written.)")
        self.period = period
        self.revision = revision
        self.attempt = attempt


class TariffError(SettlementError):
    """A tariff document is malformed, or none is in force for a period."""


class PaymentError(SettlementError):
    """A payment batch cannot be made (an invalid IBAN, a period not final)."""


class DraftChangedError(SettlementError):
    """Finalizing from the portal recomputed other figures than the draft the ministry
    reviewed (its sha256): nothing was sealed."""

    def __init__(self, period: str, reviewed: str, recomputed: str) -> None:
        super().__init__(f"{period}: the month recomputes to other figures (sha256 "
                         f"{recomputed[:16]}…) than the draft that was reviewed "
                         f"({reviewed[:16]}…); nothing was sealed. Recompute the draft, "
                         "review it again, then finalize.")
        self.period = period
        self.reviewed = reviewed
        self.recomputed = recomputed


class LedgerError(SettlementError):
    """The settlement ledger is missing a record or holds a damaged one."""


class PeriodBusyError(LedgerError):
    """Another command (another process, or another request of the portal) is changing
    the period's ledger records right now; nothing was done, try again after it."""

    def __init__(self, period: str, attempt: str, holder: str) -> None:
        super().__init__(f"{period}: {attempt} refused: the period is busy with {holder}; "
                         "nothing was changed, try again when it is done")
        self.period = period
        self.attempt = attempt
        self.holder = holder


class VerificationError(SettlementError):
    """Recomputing a final period does not match what was sealed; lists where."""

    def __init__(self, period: str, differences: list[str]) -> None:
        super().__init__(f"{period}: final statements do not verify: "
                         f"{first_of(differences, 'unknown difference')}")
        self.period = period
        self.differences = differences


class GrantError(PahnaError):
    """The grant board refused a step or a lookup."""


class GrantNotFoundError(GrantError):
    """A programme, call, applicant, application, award or agreement that is not there."""


class GrantRuleError(GrantError):
    """A step that breaks the process: outside the call's window, an ineligible applicant,
    more than the maximum award, a recused reviewer scoring, tranches that do not add up."""


class HistoryError(GrantError):
    """The grant board's revision chain does not verify; lists every broken link."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"grant history does not verify: {first_of(problems)}")
        self.problems = problems


class OcdsError(GrantError):
    """A release, record or package fails the vendored OCDS schema; lists the errors."""

    def __init__(self, what: str, problems: list[str]) -> None:
        super().__init__(f"{what}: not valid OCDS 1.1.5: {first_of(problems)}")
        self.problems = problems


class UploadError(GrantError):
    """An uploaded document is refused: too large, not an accepted type, or empty."""
