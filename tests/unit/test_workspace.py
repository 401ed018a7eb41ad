from pathlib import Path

import pytest

from pahna.config import load_config
from pahna.errors import ConfigError, WorkspaceError
from pahna.workspace import init_workspace, open_workspace


def test_init_then_open(tmp_path: Path) -> None:
    created = init_workspace(tmp_path / "ws")
    opened = open_workspace(tmp_path / "ws")
    assert opened.config == created.config
    assert (tmp_path / "ws" / "store").is_dir()


def test_missing_and_foreign_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no such folder"):
        open_workspace(tmp_path / "absent")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("x")
    with pytest.raises(WorkspaceError, match="not a pahna workspace"):
        open_workspace(tmp_path / "foreign")
    with pytest.raises(WorkspaceError, match="not empty"):
        init_workspace(tmp_path / "foreign")


def test_config_errors_name_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "pahna.toml"
    path.write_text("[collector]\nflush_interval_s = -1\nlisen = []\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert str(path) in message
    assert "collector.flush_interval_s" in message and "collector.lisen" in message


def test_a_key_this_pahna_does_not_know_is_refused_with_the_way_out(tmp_path: Path) -> None:
    """A setting written by a newer pahna (or misspelt) stops the command; the error
    says how to go on."""
    path = tmp_path / "pahna.toml"
    path.write_text('[aggregate.spark]\npython = ""\nfuture_setting = 1\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "aggregate.spark.future_setting" in message
    assert "newer pahna" in message and "remove that line" in message
    path.write_text("[collector]\nflush_interval_s = -1\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "newer pahna" not in str(error.value)  # only unknown keys get the hint


def test_a_collector_without_a_name_is_named_by_its_host() -> None:
    """docs/configuration.md: `collector.name` empty means the machine's host name."""
    import platform

    from pahna.config import CollectorSettings

    assert CollectorSettings().identity == (platform.node() or "unnamed")
    assert CollectorSettings(name="tehran-1").identity == "tehran-1"
