"""Automated clients (crawlers, bots, scripts) told by their user agent, with the
maintained pattern lists of CrawlerDetect (the `crawlerdetect` package: the JayBizzle
Crawler-Detect lists), so that their requests are excluded with a reason.

The rule is CrawlerDetect's: the user agent is stripped of the tokens every browser
sends (its exclusion list), and what remains is searched for a crawler pattern, case
insensitively; an empty user agent is not a crawler. It runs once per distinct user
agent of a batch, with RE2 over whole columns (Arrow's regular expressions); the few
patterns RE2 cannot run (look-arounds) run with Python's `re` on what is left. The
reason names what matched (`automated: Googlebot`).
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib.metadata import version

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from crawlerdetect.providers.crawlers import data as CRAWLERS
from crawlerdetect.providers.exclusions import data as EXCLUSIONS

_LOOKAROUND = ("(?!", "(?=", "(?<!", "(?<=")
CRAWLER_LIST_VERSION = f"crawlerdetect {version('crawlerdetect')}"
"""Which lists decided (recorded with each settlement's inputs)."""


class AgentClassifier:
    """Tells automated user agents apart; picklable (patterns compile where used)."""

    @cached_property
    def _patterns(self) -> tuple[str, str, re.Pattern[str], re.Pattern[str] | None]:
        plain = [p for p in CRAWLERS if not any(m in p for m in _LOOKAROUND)]
        rest = [p for p in CRAWLERS if any(m in p for m in _LOOKAROUND)]
        exclusions = "(?i)(?:" + "|".join(EXCLUSIONS) + ")"
        crawlers = "(?i)(?:" + "|".join(plain) + ")"
        named = re.compile("(" + "|".join(plain) + ")", re.IGNORECASE)
        slow = re.compile("(" + "|".join(rest) + ")", re.IGNORECASE) if rest else None
        return exclusions, crawlers, named, slow

    def __getstate__(self) -> dict[str, object]:
        return {}

    def classify(self, agents: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
        """(index into the reasons per row, -1 for a person; the reasons)."""
        encoded = pc.dictionary_encode(agents)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        distinct = encoded.dictionary
        matches = self.matches(distinct)
        reasons = sorted({m for m in matches if m is not None})
        position = {reason: i for i, reason in enumerate(reasons)}
        per_value = np.array([position.get(m, -1) if m is not None else -1 for m in matches],
                             dtype=np.int32)
        codes = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
        valid = encoded.is_valid().to_numpy(zero_copy_only=False)
        out = np.where(valid, per_value[np.where(valid, codes, 0)] if len(per_value) else -1,
                       -1)
        return out.astype(np.int32), reasons

    def matches(self, agents: pa.Array) -> list[str | None]:
        """`automated: WHAT` for each user agent CrawlerDetect takes for a crawler, else
        None."""
        exclusions, crawlers, named, slow = self._patterns
        stripped = pc.utf8_trim_whitespace(agents.cast(pa.string()))
        remaining = pc.replace_substring_regex(stripped, exclusions, "")
        found = pc.match_substring_regex(remaining, crawlers).to_pylist()
        out: list[str | None] = []
        for text, hit, rest in zip(stripped.to_pylist(), found, remaining.to_pylist(),
                                   strict=True):
            match = None
            pattern = named if hit else slow
            if text and rest and pattern is not None:
                match = pattern.search(rest)
            out.append(f"automated: {match.group(1)}" if match else None)
        return out
