"""Options shared by many commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from pahna.workspace import Workspace, open_workspace, resolve_home

F = TypeVar("F", bound=Callable[..., Any])


def home_option(func: F) -> F:
    """--home DIR (or $PAHNA_HOME; default ./pahna-home)."""
    return click.option(
        "--home", "home", type=click.Path(file_okay=False), default=None,
        help="Workspace folder (default: $PAHNA_HOME, else ./pahna-home).",
    )(func)


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
