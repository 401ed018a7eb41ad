import ipaddress

import numpy as np
import pyarrow as pa

from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.ranges import cut_ranges
from pahna.schema import address_to_bytes


def addresses(*texts: str) -> pa.Array:
    return pa.array([address_to_bytes(t) for t in texts], pa.binary(16))


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def test_cut_nested_prefixes_gives_chains_most_specific_first() -> None:
    nets = [net("10.0.0.0/8"), net("10.1.0.0/16"), net("10.1.1.0/24"), net("10.2.0.0/16")]
    spans = [(int(n.network_address), int(n.network_address) + n.num_addresses, i)
             for i, n in enumerate(nets)]
    starts, chains = cut_ranges(spans, 32)
    got = [(str(ipaddress.IPv4Address(s)), c) for s, c in zip(starts, chains, strict=True)]
    assert got == [("0.0.0.0", ()), ("10.0.0.0", (0,)), ("10.1.0.0", (1, 0)),
                   ("10.1.1.0", (2, 1, 0)), ("10.1.2.0", (1, 0)), ("10.2.0.0", (3, 0)),
                   ("10.3.0.0", (0,)), ("11.0.0.0", ())]


def test_longest_prefix_match_ipv4_and_ipv6() -> None:
    index = ClaimIndex.build([
        TimedPrefix("univ", net("185.120.0.0/16"), 0, None),
        TimedPrefix("startup", net("185.120.64.0/24"), 0, None),
        TimedPrefix("v6", net("2a0e:9b00::/32"), 0, None),
        TimedPrefix("v6-inner", net("2a0e:9b00:1::/48"), 0, None),
    ])
    got = index.owner_column(
        addresses("185.120.64.9", "185.120.65.1", "185.121.0.1", "2a0e:9b00:1::5",
                  "2a0e:9b00:2::5", "2a0f::1", "::"),
        np.full(7, 10, dtype=np.int64)).to_pylist()
    assert got == ["startup", "univ", None, "v6-inner", "v6", None, None]


def test_claims_count_only_while_valid() -> None:
    index = ClaimIndex.build([
        TimedPrefix("old", net("5.0.0.0/8"), 0, 1000),
        TimedPrefix("new", net("5.0.0.0/8"), 1000, None),
        TimedPrefix("late", net("5.5.0.0/16"), 500, 700),
    ])
    times = np.array([0, 499, 500, 699, 700, 999, 1000, 10**12], dtype=np.int64)
    got = index.owner_column(addresses(*["5.5.5.5"] * 8), times).to_pylist()
    assert got == ["old", "old", "late", "late", "old", "old", "new", "new"]
