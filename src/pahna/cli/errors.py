"""The one place where pahna's errors become messages and exit codes."""

from __future__ import annotations

from typing import Any

import click

from pahna import errors

EXIT_CODES: tuple[tuple[type[errors.PahnaError], int], ...] = (
    (errors.ConfigError, 78),  # EX_CONFIG
    (errors.WorkspaceError, 66),  # EX_NOINPUT
    (errors.DecodeError, 65),  # EX_DATAERR
    (errors.CounterOverflowError, 65),
    (errors.InvalidValueError, 65),
    (errors.RegistryError, 65),
    (errors.StoreError, 74),  # EX_IOERR
    (errors.EngineError, 70),  # EX_SOFTWARE
    (errors.SettlementError, 65),
    (errors.GrantError, 65),
    (errors.PahnaError, 1),
)


def exit_code(error: errors.PahnaError) -> int:
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


class PahnaGroup(click.Group):
    """A click group that prints pahna errors as one line on stderr, with their code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except errors.PahnaError as error:
            click.secho(f"pahna: {type(error).__name__}: {error}", err=True, fg="red")
            ctx.exit(exit_code(error))
