"""The `pahna` command: one module per command group, wired here."""

from __future__ import annotations

import click

from pahna import __version__
from pahna.cli.lazy import LazyGroup

COMMANDS = {
    "init": "workspace:init", "demo": "demo:demo", "ingest": "intake:ingest",
    "collect": "intake:collect", "flows": "flows:flows", "store": "store:store",
    "registry": "registry:registry", "domestic": "domestic:domestic", "usage": "usage:usage",
    "settle": "settle:settle_command", "tariff": "settle:tariff", "costs": "settle:costs",
    "statements": "statements:statements", "payments": "statements:payments",
    "explain": "statements:explain_command", "integrity": "integrity:integrity",
    "market": "market:market", "serve": "serve:serve", "users": "serve:users",
    "bench": "bench:bench",
    "grants": "grants:grants", "backup": "ops:backup_command", "restore": "ops:restore_command",
    "migrate": "ops:migrate_command", "config": "ops:config_group",
}
"""Each command and where it lives (`module:attribute` under pahna.cli), imported when run."""


@click.group(cls=LazyGroup, lazy={name: f"pahna.cli.{where}" for name, where in COMMANDS.items()},
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pahna")
@click.option("--home", "home", type=click.Path(file_okay=False), default=None,
              help="Workspace folder for the command (before it: pahna --home DIR usage ...).")
def main(home: str | None) -> None:
    """pahna: meter the bandwidth content producers serve and settle it in rials.

    Every command works on a workspace folder: --home DIR (before the command or after
    it; after it wins), else $PAHNA_HOME, else ./pahna-home. Start with `pahna init` or
    try `pahna demo`.
    """
