"""schemathesis, run as its own command against the live portal's OpenAPI document."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


@pytest.mark.slow
def test_openapi_fuzzing_finds_no_server_error(live_portal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    command = [str(Path(sys.executable).parent / "schemathesis"), "run",
               f"{live_portal.url}/api/openapi.json", "--checks", CHECKS,
               "-H", f"Authorization: Bearer {live_portal.token}",
               "--max-examples", "40", "--seed", "1404", "--workers", "1"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=500,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Tested: 25" in result.stdout or "25/25" in result.stdout, result.stdout[-3000:]
