"""`pahna serve` (the portal) and `pahna users` (its accounts and API tokens)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import Engine

from pahna.cli.options import home_option, workspace_from
from pahna.registry.database import open_registry
from pahna.web.accounts import (
    ROLES,
    SCOPES,
    Account,
    add_account,
    create_tables,
    issue_token,
    list_accounts,
)


@click.command()
@home_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (set this when the portal is served over HTTPS).")
def serve(home: str | None, host: str, port: int, secure_cookies: bool) -> None:
    """Serve the portal and its JSON API (OpenAPI document at /api/openapi.json)."""
    import uvicorn

    from pahna.web.app import create_app

    workspace = workspace_from(home)
    app = create_app(workspace, secure_cookies=secure_cookies)
    click.echo(f"pahna portal for {workspace.home} on http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@click.group()
def users() -> None:
    """Portal accounts and API tokens."""


@users.command("add")
@home_option
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--province", help="Province code (ISO 3166-2:IR) of an officer, e.g. IR-25.")
@click.option("--producer", "producer_id", help="Producer id of a producer account.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add_user(home: str | None, username: str, role: str, province: str | None,
             producer_id: str | None, password_stdin: bool) -> None:
    """Create an account (the password is prompted for, or read with --password-stdin)."""
    engine = _engine(home)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    add_account(engine, Account(username, role, province, producer_id), password)
    click.echo(f"account {username} ({role}) created")


@users.command("list")
@home_option
def list_users(home: str | None) -> None:
    """Accounts, with their role and scope."""
    for account in list_accounts(_engine(home)):
        where = account.province or account.producer_id or ""
        click.echo(f"{account.username}\t{account.role}\t{where}")


@users.command("token")
@home_option
@click.argument("username")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), default=("read",),
              show_default=True, help="Repeat for several scopes.")
@click.option("--label", default="", help="What the token is for.")
def token(home: str | None, username: str, scopes: tuple[str, ...], label: str) -> None:
    """Issue an API token for USERNAME (printed once; send as `Authorization: Bearer`)."""
    click.echo(issue_token(_engine(home), username, tuple(scopes), label))


def _engine(home: str | None) -> Engine:
    engine = open_registry(workspace_from(home).registry_url)
    create_tables(engine)
    return engine
