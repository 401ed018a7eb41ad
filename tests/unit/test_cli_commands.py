"""The `pahna` command loads each command's module only when that command runs, and every
name it lists loads the command of that name."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from pahna.cli import COMMANDS, main
from pahna.cli.lazy import LazyGroup


def test_every_listed_command_loads_under_its_own_name() -> None:
    context = click.Context(main)
    names = main.list_commands(context)
    assert names == sorted(COMMANDS) and "settle" in names and "grants" in names
    for name in names:
        command = main.get_command(context, name)
        assert command is not None and command.name == name
    store = main.get_command(context, "store")
    assert isinstance(store, click.Group)
    assert "prune" in store.list_commands(context)
    assert store.get_command(context, "prune") is not None
    assert main.get_command(context, "no-such-command") is None


def test_a_wrong_entry_is_refused_by_name() -> None:
    group = LazyGroup(name="g", lazy={"usage": "pahna.cli.settle:tariff"})
    with pytest.raises(TypeError, match="is not the command usage"):
        group.get_command(click.Context(group), "usage")


def test_one_command_does_not_import_the_others() -> None:
    probe = ("import sys\nfrom pahna.cli import main\n"
             "main(['init', '--help'], standalone_mode=False)\n"
             "print(sorted(m for m in sys.modules if m.startswith('pahna.cli.')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60).stdout.splitlines()
    loaded = out[-1]
    assert "pahna.cli.workspace" in loaded
    for other in ("pahna.cli.grants", "pahna.cli.serve", "pahna.cli.bench", "pahna.cli.settle"):
        assert other not in loaded
