"""`pahna init`."""

from __future__ import annotations

import click

from pahna.cli.options import home_option
from pahna.registry.database import open_registry
from pahna.workspace import init_workspace, resolve_home


@click.command()
@home_option
def init(home: str | None) -> None:
    """Create a workspace: pahna.toml, the registry database and the flow store."""
    workspace = init_workspace(resolve_home(home))
    open_registry(workspace.registry_url)
    click.echo(f"created workspace {workspace.home}")
