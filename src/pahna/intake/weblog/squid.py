"""Squid's native access log (`logformat squid`), whose lines are

    time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type

(`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`). The elapsed time is
padded with spaces, so fields are separated by runs of them. `bytes` (`%<st`) is the
whole reply sent to the client, headers included. The URL is absolute (a proxy's
request) or, for a reverse proxy (an accelerator), names the site all the same, so the
host comes from it.
"""

from __future__ import annotations

from pahna.intake.weblog.fields import Field, LogFormat

NATIVE = "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt"

_PATTERN = (r" *(?P<f0>[0-9]+\.[0-9]+) +[0-9-]+ +(?P<f1>[^ ]+) +(?P<f2>[^ /]*)/(?P<f3>[0-9-]+)"
            r" +(?P<f4>[0-9-]+) +[^ ]+ +(?P<f5>[^ ]+)(?: +[^ ]*)*")


def squid_format() -> LogFormat:
    """The native format (the only one Squid writes by default)."""
    fields = (Field("time", "%ts.%03tu", "epoch_s"), Field("client", "%>a"),
              Field("cache", "%Ss"), Field("status", "%03>Hs"), Field("bytes", "%<st"),
              Field("target", "%ru"))
    return LogFormat("squid", NATIVE, fields, pattern=_PATTERN, escape="none",
                     absolute_urls=True)
