"""A call (and, if new, its programme) described in a TOML file, for officers who script:

    [programme]              # optional: opened first when the board does not hold it
    id = "qom-it-1404"
    title = "Qom provincial IT projects 1404"
    province = "IR-25"
    year = 1404
    budget_rial = 60000000000

    [call]
    id = "qom-eservices"
    programme_id = "qom-it-1404"
    title = "Electronic services for Qom's municipalities"
    opens = "1404-07-01"            # Jalali or ISO 8601; a date alone is 00:00 Tehran
    closes = "1404-07-21"
    max_award_rial = 8000000000
    reviewers = ["rev-hosseini", "rev-karimi", "rev-moradi"]
    criteria = [{id = "impact", name = "Impact", weight = 60},
                {id = "cost", name = "Value for money", weight = 40}]
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pahna.errors import GrantRuleError
from pahna.grants.models import Call, Programme
from pahna.registry.instants import parse_instant


def read_call_file(path: Path) -> tuple[Programme | None, Call]:
    """The programme (if the file has one) and the call, or GrantRuleError naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        programme = (Programme.model_validate(data["programme"]) if "programme" in data
                     else None)
        return programme, Call.model_validate(_call(data["call"]))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, ValueError,
            ValidationError) as exc:
        raise GrantRuleError(f"{path}: {exc}") from exc


def _call(table: dict[str, Any]) -> dict[str, Any]:
    out = dict(table)
    for name in ("opens", "closes"):
        if name in out:
            out[f"{name}_ms"] = parse_instant(str(out.pop(name)))
    return out
