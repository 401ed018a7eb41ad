"""Comparing a sealed final with its recomputation: say where they differ."""

from __future__ import annotations

import hashlib
from typing import Any

from pahna.errors import TariffError
from pahna.integrity.compat import comparable
from pahna.ledger.basis import basis_digest
from pahna.ledger.seal import Seal
from pahna.settle.document import canonical_bytes
from pahna.settle.tariffs import Tariff

MAX_FIELDS = 6


def check_record(record: dict[str, Any]) -> list[str]:
    """The final record itself: its settlement and seal must still hash as sealed."""
    seal = record["seal"]
    problems = []
    digest = hashlib.sha256(canonical_bytes(record["settlement"])).hexdigest()
    if digest != seal["settlement_sha256"]:
        problems.append(f"final-r{record.get('revision')}.json: its statements no longer "
                        "hash to the sealed settlement_sha256 (the record was altered)")
    if Seal(seal["inputs"], seal["settlement_sha256"]).content_hash != seal["content_hash"]:
        problems.append(f"final-r{record.get('revision')}.json: the seal's content_hash does "
                        "not match its inputs (the record was altered)")
    if "basis" in record and basis_digest(record["basis"]) != seal["inputs"].get("basis_sha256"):
        problems.append(f"final-r{record.get('revision')}.json: its basis (rules, producers, "
                        "tariff, costs) no longer hashes to the sealed basis_sha256 (the "
                        "record was altered)")
    return problems


def compare_inputs(sealed: dict[str, Any], now: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(problems, notes) from the sealed and current manifests of the month. A batch
    committed after finalizing is a note (its traffic belongs in an adjustment); a
    sealed batch that is gone or whose manifest changed is a problem."""
    if sealed["manifests_sha256"] == now["manifests_sha256"]:
        return [], []
    before = {m["content_hash"]: m for m in sealed["manifests"]}
    after = {m["content_hash"]: m for m in now["manifests"]}
    notes = [f"batch {h[:16]}… was committed after finalizing; it is not in the final "
             "(correct with an adjustment)" for h in sorted(after) if h not in before]
    problems = [f"batch {h[:16]}… sealed with the period is gone" for h in sorted(before)
                if h not in after]
    problems += [f"manifest of batch {h[:16]}… changed after finalizing" for h in sorted(before)
                 if h in after and before[h] != after[h]]
    return problems, notes


def version_notes(sealed: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What changed since finalizing without changing the result (the final replays its
    sealed basis): registry, tariff, code or tzdata versions."""
    return [f"{key} was {sealed.get(key)} at finalizing, is {now[key]} now"
            for key in ("registry_version", "tariff", "code_version", "tzdata")
            if key in now and sealed.get(key) != now[key]]


def _field_differences(before: dict[str, Any], after: dict[str, Any], where: str) -> list[str]:
    keys = sorted(set(before) | set(after))
    return [f"{where}{key}: sealed {before.get(key)!r}, recomputed {after.get(key)!r}"
            for key in keys if before.get(key) != after.get(key)]


def compare_settlements(sealed: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Where the recomputed statements differ from the sealed ones (empty: byte for byte;
    a final sealed before integrity's later signals is compared as it was sealed:
    integrity.compat)."""
    now = comparable(sealed, now)
    if canonical_bytes(sealed) == canonical_bytes(now):
        return []
    top = {k: v for k, v in sealed.items() if k != "lines"}
    problems = _field_differences(top, {k: v for k, v in now.items() if k != "lines"}, "")
    lines_before = {line["producer_id"]: line for line in sealed["lines"]}
    lines_after = {line["producer_id"]: line for line in now["lines"]}
    for pid in sorted(set(lines_before) | set(lines_after)):
        diffs = _field_differences(lines_before.get(pid, {}), lines_after.get(pid, {}),
                                   f"producer {pid}: ")
        problems += diffs[:MAX_FIELDS]
    return problems or ["the recomputed statements differ from the sealed bytes"]


def sealed_fields(sealed: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """`now` keeping only the fields `sealed` has (top level and per producer line): a
    final sealed before a field was added to statements is compared on its own fields."""
    lines = {line["producer_id"]: line for line in sealed["lines"]}
    kept = {k: v for k, v in now.items() if k in sealed and k != "lines"}
    kept["lines"] = [{k: v for k, v in line.items()
                      if k in lines.get(line["producer_id"], line)} for line in now["lines"]]
    return kept


def sealed_tariff(tariffs: list[Tariff], sealed: dict[str, Any]) -> Tariff:
    """The tariff a final was computed under (id and version), unchanged in meaning."""
    for tariff in tariffs:
        if (tariff.id, tariff.version) == (sealed["id"], sealed["version"]):
            if tariff.digest != sealed["digest"]:
                raise TariffError(f"tariff {tariff.id} v{tariff.version} no longer has the "
                                  "terms it was sealed with")
            return tariff
    raise TariffError(f"tariff {sealed['id']} v{sealed['version']} sealed with the period is "
                      "no longer in the workspace")
