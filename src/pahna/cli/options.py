"""Options shared by many commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from pahna.workspace import Workspace, open_workspace, resolve_home

F = TypeVar("F", bound=Callable[..., Any])


def home_option(func: F) -> F:
    """--home DIR after the command, else `pahna --home DIR` before it, else $PAHNA_HOME,
    else ./pahna-home."""
    return click.option(
        "--home", "home", type=click.Path(file_okay=False), default=None,
        callback=global_home,
        help="Workspace folder (default: pahna --home, $PAHNA_HOME, else ./pahna-home).",
    )(func)


def global_home(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    """The command's own --home, else the one given to `pahna` before the command."""
    if value is not None:
        return value
    root = ctx.find_root()
    return root.params.get("home") if root is not ctx else None


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func)


def workspace_from(home: str | None) -> Workspace:
    return open_workspace(resolve_home(home))


def engine_option(func: F) -> F:
    """--engine duckdb|spark: the aggregation engine for this run (default: pahna.toml)."""
    return click.option(
        "--engine", "engine", type=click.Choice(["duckdb", "spark"]), default=None,
        help="Aggregation engine for this run (default: [aggregate] engine in pahna.toml).",
    )(func)
