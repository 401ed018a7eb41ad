"""`pahna serve` (the portal) and `pahna users` (its accounts and API tokens)."""

from __future__ import annotations

import ipaddress
import logging
import sys

import click
from sqlalchemy import Engine

from pahna.cli.options import home_option, workspace_from
from pahna.ops.logs import log, setup_logging
from pahna.registry.database import open_registry
from pahna.registry.instants import format_instant
from pahna.web.accounts import (
    ROLES,
    SCOPES,
    Account,
    add_account,
    list_accounts,
    now_ms,
    set_disabled,
    set_password,
)
from pahna.web.tokens import DEFAULT_DAYS, MAX_DAYS, issue_token, list_tokens, revoke_token
from pahna.workspace import Workspace

LOG = logging.getLogger("pahna.serve")


def _networks(_: click.Context, __: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise click.BadParameter(f"{item!r} is not an IP address or network") from exc
    return value


@click.command()
@home_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (set this when the portal is served over HTTPS).")
@click.option("--trusted-proxy", "trusted", multiple=True, metavar="ADDR|NET",
              callback=_networks, help="A reverse proxy whose X-Forwarded-For is believed "
              "(repeatable; added to [portal] trusted_proxies).")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Serve HTTPS with this certificate chain (PEM); needs --tls-key.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The certificate's private key (PEM).")
def serve(home: str | None, host: str, port: int, secure_cookies: bool,
          trusted: tuple[str, ...], tls_cert: str | None, tls_key: str | None) -> None:
    """Serve the portal and its JSON API (OpenAPI document at /api/openapi.json).

    Behind a reverse proxy, declare it ([portal] trusted_proxies or --trusted-proxy): only
    then is its X-Forwarded-For believed. With --tls-cert and --tls-key the portal speaks
    HTTPS itself, and its cookies are Secure. Logs (and the access log) go to standard
    error in the [logging] format."""
    import uvicorn

    from pahna.web.app import create_app

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    workspace = workspace_from(home)
    setup_logging(workspace.config.logging.format)
    if trusted:
        portal = workspace.config.portal
        config = workspace.config.model_copy(update={"portal": portal.model_copy(
            update={"trusted_proxies": [*portal.trusted_proxies, *trusted]})})
        workspace = Workspace(workspace.home, config)
    app = create_app(workspace, secure_cookies=secure_cookies or tls_cert is not None)
    if app.state.portal.market is not None:
        app.state.portal.market.start()  # publishes final months' market figures
    scheme = "https" if tls_cert else "http"
    log(LOG, logging.INFO, "serving", f"pahna portal for {workspace.home} on "
        f"{scheme}://{host}:{port}/", host=host, port=port, scheme=scheme)
    uvicorn.run(app, host=host, port=port, log_config=None, log_level="warning",
                access_log=False, proxy_headers=False,  # the app honours trusted proxies
                ssl_certfile=tls_cert, ssl_keyfile=tls_key)


@click.group()
def users() -> None:
    """Portal accounts and API tokens."""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("add")
@home_option
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--province", help="Province code (ISO 3166-2:IR) of an officer, e.g. IR-25.")
@click.option("--producer", "producer_id", help="Producer id of a producer account.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add_user(home: str | None, username: str, role: str, province: str | None,
             producer_id: str | None, password_stdin: bool) -> None:
    """Create an account USERNAME (a slug such as qom-officer; the password is prompted
    for, or read with --password-stdin)."""
    engine = _engine(home)
    add_account(engine, Account(username, role, province, producer_id),
                _password(password_stdin))
    click.echo(f"account {username} ({role}) created")


@users.command("list")
@home_option
def list_users(home: str | None) -> None:
    """Accounts: name, role, province or producer, and `disabled` for a disabled one."""
    for account in list_accounts(_engine(home)):
        where = account.province or account.producer_id or ""
        state = "\tdisabled" if account.disabled else ""
        click.echo(f"{account.username}\t{account.role}\t{where}{state}")


@users.command("disable")
@home_option
@click.argument("username")
def disable_user(home: str | None, username: str) -> None:
    """Disable an account: it cannot log in, its sessions end, its tokens stop working."""
    set_disabled(_engine(home), username, True)
    click.echo(f"account {username} disabled")


@users.command("enable")
@home_option
@click.argument("username")
def enable_user(home: str | None, username: str) -> None:
    """Enable a disabled account again."""
    set_disabled(_engine(home), username, False)
    click.echo(f"account {username} enabled")


@users.command("password")
@home_option
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def reset_password(home: str | None, username: str, password_stdin: bool) -> None:
    """Set a new password for USERNAME; the account's sessions end."""
    set_password(_engine(home), username, _password(password_stdin))
    click.echo(f"password of {username} reset; its sessions ended")


@users.command("token")
@home_option
@click.argument("username")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), default=("read",),
              show_default=True, help="Repeat for several scopes.")
@click.option("--label", default="", help="What the token is for.")
@click.option("--days", type=click.IntRange(1, MAX_DAYS), default=DEFAULT_DAYS,
              show_default=True, help="Days until the token expires.")
def token(home: str | None, username: str, scopes: tuple[str, ...], label: str,
          days: int) -> None:
    """Issue an API token for USERNAME (printed once; send as `Authorization: Bearer`)."""
    click.echo(issue_token(_engine(home), username, tuple(scopes), label, days=days))


@users.command("tokens")
@home_option
@click.argument("username", required=False)
def tokens(home: str | None, username: str | None) -> None:
    """API tokens (of USERNAME, or all): id, account, scopes, expiry, state, label."""
    now = now_ms()
    for info in list_tokens(_engine(home), username):
        expires = format_instant(info.expires_ms) if info.expires_ms else "never"
        click.echo(f"{info.id}\t{info.username}\t{','.join(info.scopes)}\t{expires}\t"
                   f"{info.state(now)}\t{info.label}")


@users.command("revoke")
@home_option
@click.argument("token_id")
def revoke(home: str | None, token_id: str) -> None:
    """Revoke the API token TOKEN_ID (the id `pahna users tokens` shows)."""
    info = revoke_token(_engine(home), token_id)
    click.echo(f"token {info.id} of {info.username} revoked")


def _engine(home: str | None) -> Engine:
    return open_registry(workspace_from(home).registry_url)
