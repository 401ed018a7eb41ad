"""A command group that imports a command's module only when that command runs.

Every `pahna` invocation used to import every command group (DuckDB, pyarrow, SQLAlchemy,
Alembic, FastAPI, the grant board...) before doing anything; `pahna usage` now imports
what `usage` needs. `pahna --help` still imports them all to show each one's summary.
"""

from __future__ import annotations

import importlib

import click

from pahna.cli.errors import PahnaGroup


class LazyGroup(PahnaGroup):
    """A PahnaGroup whose commands are named as `module:attribute` and loaded on demand."""

    def __init__(self, *args: object, lazy: dict[str, str] | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        module_name, attribute = self.lazy[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise TypeError(f"{self.lazy[cmd_name]} is not the command {cmd_name}")
        return command
