"""`pahna users`: accounts and tokens from the command line, with clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys

from pahna.workspace import Workspace


def _pahna(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pahna", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, env=dict(os.environ))


def test_users_add_list_token_and_refusals(workspace: Workspace) -> None:
    home = str(workspace.home)
    added = _pahna("users", "add", "minister", "--role", "admin", "--password-stdin",
                   "--home", home, stdin="a-long-password\n")
    assert added.returncode == 0 and "minister" in added.stdout
    refused = _pahna("users", "add", "qom", "--role", "officer", "--password-stdin",
                     "--home", home, stdin="a-long-password\n")
    assert refused.returncode == 65 and "needs a province" in refused.stderr
    listed = _pahna("users", "list", "--home", home)
    assert listed.stdout.splitlines() == ["minister\tadmin\t"]
    token = _pahna("users", "token", "minister", "--scope", "read", "--home", home)
    assert token.returncode == 0 and token.stdout.startswith("pahna_")
    unknown = _pahna("users", "token", "nobody", "--home", home)
    assert unknown.returncode == 65 and "no account" in unknown.stderr
