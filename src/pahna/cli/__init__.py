"""The `pahna` command: one module per command group, wired here."""

from __future__ import annotations

import click

from pahna import __version__
from pahna.cli.bench import bench
from pahna.cli.demo import demo
from pahna.cli.domestic import domestic
from pahna.cli.errors import PahnaGroup
from pahna.cli.flows import flows
from pahna.cli.grants import grants
from pahna.cli.intake import collect, ingest
from pahna.cli.integrity import integrity
from pahna.cli.market import market
from pahna.cli.ops import backup_command, config_group, prune_command, restore_command
from pahna.cli.registry import registry
from pahna.cli.serve import serve, users
from pahna.cli.settle import costs, settle_command, tariff
from pahna.cli.statements import explain_command, payments, statements
from pahna.cli.store import store
from pahna.cli.usage import usage
from pahna.cli.workspace import init


@click.group(cls=PahnaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pahna")
@click.option("--home", "home", type=click.Path(file_okay=False), default=None,
              help="Workspace folder for the command (before it: pahna --home DIR usage ...).")
def main(home: str | None) -> None:
    """pahna: meter the bandwidth content producers serve and settle it in rials.

    Every command works on a workspace folder: --home DIR (before the command or after
    it; after it wins), else $PAHNA_HOME, else ./pahna-home. Start with `pahna init` or
    try `pahna demo`.
    """


COMMANDS = (
    init, demo, ingest, collect, flows, store, registry, domestic, usage, settle_command,
    tariff, costs, statements, payments, explain_command, integrity, serve, users, bench,
    grants, backup_command, restore_command, config_group, market,
)
for command in COMMANDS:
    main.add_command(command)
store.add_command(prune_command)
