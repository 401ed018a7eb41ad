"""Automated clients told by their user agent (CrawlerDetect's lists), with a reason."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pyarrow as pa

from pahna.attribute.agents import crawler_detect

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_crawlers_get_a_reason_people_and_empty_agents_do_not() -> None:
    agents = pa.array([CHROME, GOOGLEBOT, "", None, "curl/8.4.0", GOOGLEBOT,
                       "python-requests/2.31.0"])
    index, reasons = crawler_detect().classify(agents)
    named = [reasons[i] if i >= 0 else None for i in index.tolist()]
    assert named[0] is None and named[2] is None and named[3] is None
    assert named[1] == named[5] and named[1] is not None and "Googlebot" in named[1]
    assert named[1].startswith("automated: ")
    assert named[4] is not None and named[6] is not None  # scripts are automated too


def test_classifier_pickles_for_spark_executors() -> None:
    again = pickle.loads(pickle.dumps(crawler_detect()))
    assert again.matches(pa.array([GOOGLEBOT]))[0] is not None


def test_executors_classify_without_the_crawlerdetect_package(tmp_path: Path) -> None:
    """Spark's executors have NumPy and pyarrow only: the kernel and executors modules
    must not import crawlerdetect, and the pickled classifier carries its lists."""
    blob = tmp_path / "agents.pickle"
    blob.write_bytes(pickle.dumps(crawler_detect()))
    code = ("import sys, pickle, pyarrow as pa; sys.modules['crawlerdetect'] = None; "
            "import pahna.aggregate.executors; "
            f"c = pickle.loads(open({str(blob)!r}, 'rb').read()); "
            f"print(c.matches(pa.array([{GOOGLEBOT!r}, {CHROME!r}])))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "automated: Googlebot" in out and out.strip().endswith("None]")
