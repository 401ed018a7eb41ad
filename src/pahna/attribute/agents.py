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
from importlib.metadata import version

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_LOOKAROUND = ("(?!", "(?=", "(?<!", "(?<=")


class AgentClassifier:
    """Tells automated user agents apart by the pattern lists it is given (`crawlers`,
    and `exclusions`: tokens browsers send). It pickles as its lists, so Spark's
    executors run it without the `crawlerdetect` package (`crawler_detect` reads the
    lists on the driver); the patterns compile where it runs."""

    def __init__(self, crawlers: tuple[str, ...], exclusions: tuple[str, ...],
                 source: str = "") -> None:
        self.crawlers, self.exclusions, self.source = crawlers, exclusions, source
        self._compiled: tuple[str, str, re.Pattern[str], re.Pattern[str] | None] | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"crawlers": self.crawlers, "exclusions": self.exclusions,
                "source": self.source}

    def __setstate__(self, state: dict[str, tuple[str, ...] | str]) -> None:
        self.crawlers = tuple(state["crawlers"])
        self.exclusions = tuple(state["exclusions"])
        self.source = str(state["source"])
        self._compiled = None

    @property
    def _patterns(self) -> tuple[str, str, re.Pattern[str], re.Pattern[str] | None]:
        if self._compiled is None:
            plain = [p for p in self.crawlers if not any(m in p for m in _LOOKAROUND)]
            rest = [p for p in self.crawlers if any(m in p for m in _LOOKAROUND)]
            exclusions = "(?i)(?:" + "|".join(self.exclusions) + ")"
            crawlers = "(?i)(?:" + "|".join(plain) + ")"
            named = re.compile("(" + "|".join(plain) + ")", re.IGNORECASE)
            slow = re.compile("(" + "|".join(rest) + ")", re.IGNORECASE) if rest else None
            self._compiled = (exclusions, crawlers, named, slow)
        return self._compiled

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


def crawler_detect() -> AgentClassifier:
    """A classifier with CrawlerDetect's lists (the `crawlerdetect` package, read here on
    the driver; `source` names its version)."""
    from crawlerdetect.providers.crawlers import data as crawlers
    from crawlerdetect.providers.exclusions import data as exclusions

    return AgentClassifier(tuple(crawlers), tuple(exclusions),
                           f"crawlerdetect {version('crawlerdetect')}")
