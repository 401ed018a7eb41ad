"""Finals sealed before a signal was added: what their integrity document said.

The first integrity documents (issue 13's first part) had neither `night_ratio` nor
`network_excess` (in signals, scores and baselines) nor `evidence`. A final sealed then
is recomputed by today's code and compared as it was sealed: the added parts are taken
out of the recomputation, and everything the final did seal is still compared bit for
bit."""

from __future__ import annotations

from typing import Any

ADDED_SIGNALS = ("night_ratio", "network_excess")


def sealed_before_additions(integrity: dict[str, Any]) -> bool:
    """True for a document whose signals lack the added ones (sealed before them)."""
    signals = integrity.get("signals") or {}
    return bool(signals) and all(ADDED_SIGNALS[0] not in s for s in signals.values())


def as_first_version(integrity: dict[str, Any]) -> dict[str, Any]:
    """The document without the parts added since the first version."""
    def without(by: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {key: {name: value for name, value in inner.items()
                      if name not in ADDED_SIGNALS} for key, inner in by.items()}

    out = {key: value for key, value in integrity.items() if key != "evidence"}
    for part in ("signals", "scores", "baselines"):
        if part in out:
            out[part] = without(out[part])
    return out


def comparable(sealed: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """The recomputed settlement document as the sealed one's version would say it."""
    before, after = sealed.get("integrity"), now.get("integrity")
    if not isinstance(before, dict) or not isinstance(after, dict) or not (
            sealed_before_additions(before)):
        return now
    return {**now, "integrity": as_first_version(after)}
