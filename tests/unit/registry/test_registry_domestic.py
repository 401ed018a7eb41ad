from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine

from pahna.calendar import JalaliMonth
from pahna.errors import ImportFileError, RegistryError
from pahna.registry.domestic import domestic_lists, import_domestic, read_address_file
from pahna.registry.rules import load_domestic
from pahna.schema import address_to_bytes

DELEGATED = """2|ripencc|20251101|4|19830705|20251031|+0100
ripencc|*|ipv4|*|3|summary
ripencc|IR|ipv4|2.144.0.0|262144|20100630|allocated
ripencc|IR|ipv4|5.1.43.0|768|20120301|assigned
ripencc|DE|ipv4|5.2.0.0|65536|20120301|allocated
ripencc|IR|ipv6|2a01:5ec0::|29|20110101|allocated
ripencc|IR|asn|12880|1|19990101|allocated
ripencc|IR|ipv4|5.9.0.0|256|20120301|reserved
"""


def test_delegated_stats(tmp_path: Path) -> None:
    path = tmp_path / "delegated-ripencc-extended-latest"
    path.write_text(DELEGATED)
    assert [str(n) for n in read_address_file(path)] == [
        "2.144.0.0/14", "5.1.43.0/24", "5.1.44.0/23", "2a01:5ec0::/29"]


def test_malformed_cidr_names_line(tmp_path: Path) -> None:
    path = tmp_path / "list.cidr"
    path.write_text("10.0.0.0/8\n\n# note\n10.0.0.300/24\n")
    with pytest.raises(ImportFileError, match=r"list.cidr:4"):
        read_address_file(path)


def test_versions_in_force_by_time(registry: Engine, tmp_path: Path) -> None:
    old, new = tmp_path / "old.cidr", tmp_path / "new.cidr"
    old.write_text("5.0.0.0/8\n")
    new.write_text("6.0.0.0/8\n2a02::/16\n")
    aban, azar = JalaliMonth(1404, 8), JalaliMonth(1404, 9)
    import_domestic(registry, [old], aban.start_ms)
    import_domestic(registry, [new], azar.start_ms)
    with pytest.raises(RegistryError, match="time order"):
        import_domestic(registry, [old], aban.start_ms)
    versions = domestic_lists(registry)
    assert [(v.valid_from_ms, v.valid_to_ms) for v in versions] == [
        (aban.start_ms, azar.start_ms), (azar.start_ms, None)]
    index = load_domestic(registry)
    addresses = pa.array([address_to_bytes(a) for a in
                          ("5.1.1.1", "6.1.1.1", "5.1.1.1", "6.1.1.1", "2a02::1", "5.1.1.1")],
                         pa.binary(16))
    times = np.array([aban.start_ms, aban.start_ms, azar.start_ms, azar.start_ms,
                      azar.start_ms, aban.start_ms - 1])
    # 0 domestic, 1 international, 2 unknown (no list in force)
    assert index.classify(addresses, times).tolist() == [0, 1, 1, 0, 0, 2]


def test_real_snapshot(registry: Engine, shared_dir: Path) -> None:
    files = [shared_dir / "data" / "ir-ipv4.cidr", shared_dir / "data" / "ir-ipv6.cidr"]
    version = import_domestic(registry, files, JalaliMonth(1404, 1).start_ms)
    assert len(version.networks) == 1690 + 560
    index = load_domestic(registry)
    inside = [str(n.network_address + 1) for n in version.networks[::97]]
    outside = ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"]
    networks = set(version.networks)
    assert not any(ipaddress.ip_address(a) in n for a in outside for n in networks)
    addresses = pa.array([address_to_bytes(a) for a in inside + outside], pa.binary(16))
    times = np.full(len(addresses), JalaliMonth(1404, 8).start_ms)
    assert index.classify(addresses, times).tolist() == [0] * len(inside) + [1] * 3
