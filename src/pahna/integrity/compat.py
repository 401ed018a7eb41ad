"""Finals sealed before a signal was added: what their integrity document said.

Signals came in generations. The first integrity documents (issue 13's first part) had
neither `night_ratio` nor `network_excess` (in signals, scores and baselines) nor
`evidence`; the second had those, but not the signals on flow-record counts (`records`,
`step_z`, `night_z`, `record_excess`). A final sealed by an earlier generation is
recomputed by today's code and compared as it was sealed: the parts added since are
taken out of the recomputation, and everything the final did seal is still compared
bit for bit."""

from __future__ import annotations

from typing import Any

ADDED_SIGNALS = ("night_ratio", "network_excess")
"""The second generation's signals (with `evidence`)."""
COUNT_SIGNALS = ("records", "step_z", "night_z", "record_excess")
"""The third generation's signals."""


def sealed_before_additions(integrity: dict[str, Any]) -> bool:
    """True for a document whose signals lack the second generation's (sealed before)."""
    return _lacks(integrity, ADDED_SIGNALS[0])


def _lacks(integrity: dict[str, Any], name: str) -> bool:
    signals = integrity.get("signals") or {}
    return bool(signals) and all(name not in s for s in signals.values())


def _without(integrity: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    def drop(by: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {key: {name: value for name, value in inner.items() if name not in names}
                for key, inner in by.items()}

    out = dict(integrity)
    for part in ("signals", "scores", "baselines"):
        if part in out:
            out[part] = drop(out[part])
    return out


def as_first_version(integrity: dict[str, Any]) -> dict[str, Any]:
    """The document without the parts added since the first version."""
    out = _without(integrity, ADDED_SIGNALS + COUNT_SIGNALS)
    out.pop("evidence", None)
    return out


def as_second_version(integrity: dict[str, Any]) -> dict[str, Any]:
    """The document without the signals on record counts."""
    return _without(integrity, COUNT_SIGNALS)


def comparable(sealed: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """The recomputed settlement document as the sealed one's version would say it."""
    before, after = sealed.get("integrity"), now.get("integrity")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return now
    if sealed_before_additions(before):
        return {**now, "integrity": as_first_version(after)}
    if _lacks(before, COUNT_SIGNALS[0]):
        return {**now, "integrity": as_second_version(after)}
    return now
