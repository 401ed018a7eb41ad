"""`pahna users`: accounts and tokens from the command line, with clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys

from pahna.registry.audit import audit_log
from pahna.registry.database import open_registry
from pahna.web.accounts import check_password
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


def test_users_disable_enable_password_and_tokens(workspace: Workspace) -> None:
    home = ("--home", str(workspace.home))
    assert _pahna("users", "add", "minister", "--role", "admin", "--password-stdin", *home,
                  stdin="a-long-password\n").returncode == 0
    assert _pahna("users", "add", "audit", "--role", "auditor", "--password-stdin", *home,
                  stdin="another-password\n").returncode == 0
    assert _pahna("users", "disable", "audit", *home).returncode == 0
    assert _pahna("users", "list", *home).stdout.splitlines() == [
        "audit\tauditor\t\tdisabled", "minister\tadmin\t"]
    assert check_password(_engine(workspace), "audit", "another-password") is None
    assert _pahna("users", "enable", "audit", *home).returncode == 0
    short = _pahna("users", "password", "audit", "--password-stdin", *home, stdin="short\n")
    assert short.returncode == 65 and "at least 8" in short.stderr
    assert _pahna("users", "password", "audit", "--password-stdin", *home,
                  stdin="a-third-password\n").returncode == 0
    assert check_password(_engine(workspace), "audit", "another-password") is None
    assert check_password(_engine(workspace), "audit", "a-third-password") is not None
    secret = _pahna("users", "token", "audit", "--days", "7", "--label", "nightly",
                    *home).stdout.strip()
    too_long = _pahna("users", "token", "audit", "--days", "9999", *home)
    assert too_long.returncode == 2
    (line,) = _pahna("users", "tokens", "audit", *home).stdout.splitlines()
    token, account, scopes, _expires, state, label = line.split("\t")
    assert (account, scopes, state, label) == ("audit", "read", "active", "nightly")
    assert len(token) == 12 and token not in secret
    assert _pahna("users", "revoke", token, *home).returncode == 0
    assert _pahna("users", "tokens", *home).stdout.split("\t")[4] == "revoked"
    missing = _pahna("users", "revoke", "0123456789ab", *home)
    assert missing.returncode == 65 and "no token" in missing.stderr
    actions = [e.action for e in audit_log(_engine(workspace))]
    for action in ("account.disable", "account.enable", "account.password_reset",
                   "token.issue", "token.revoke"):
        assert action in actions


def _engine(workspace: Workspace):  # type: ignore[no-untyped-def]
    return open_registry(workspace.registry_url)
