"""docs/configuration.md lists every setting of pahna.toml with its default, and nothing
else: the list is compared with the settings model (pahna.config.PahnaConfig)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pahna.config import PahnaConfig, load_config
from pahna.workspace import init_workspace

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROW = re.compile(r"^\| `([a-z_.]+)` \| `(.*)` \| (.+) \|$")


def _settings(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from _settings(field.annotation, f"{prefix}{name}.")
        else:
            yield prefix + name, field.get_default(call_default_factory=True)


def test_the_doc_lists_every_setting_with_its_default() -> None:
    documented = {m.group(1): json.loads(m.group(2)) for line in
                  DOC.read_text(encoding="utf-8").splitlines() if (m := ROW.match(line))}
    assert documented == dict(_settings(PahnaConfig))


def test_the_documented_defaults_are_what_init_writes(tmp_path: Path) -> None:
    written = load_config(init_workspace(tmp_path / "home").home / "pahna.toml")
    assert dict(_settings(PahnaConfig)) == {
        key: _get(written, key) for key, _ in _settings(PahnaConfig)}


def _get(config: BaseModel, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value
