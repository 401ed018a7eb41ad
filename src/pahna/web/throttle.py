"""Login throttling, kept in the registry database so that every portal process sees
the same failures.

Failures are counted per (account name, client address) and per client address: five
wrong passwords for one name from one address, or twenty from one address whatever the
names, within fifteen minutes hold that pair (or that address) back until the oldest
failure leaves the window. Keying by the pair means one attacker cannot lock an account
out for everyone else, and behind a reverse proxy the client address is the one the
trusted proxies forwarded (`PortalSettings.trusted_proxies`), never the proxy's own.
A refused attempt is not recorded, so a key never holds more rows than its limit.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from pahna.config import PortalSettings
from pahna.web.accounts import now_ms
from pahna.web.tables import LoginFailureRow


class LoginThrottle:
    def __init__(self, engine: Engine, settings: PortalSettings) -> None:
        self.engine = engine
        self.per_pair = settings.login_failures_per_account
        self.per_address = settings.login_failures_per_address
        self.window_ms = int(settings.login_window_s * 1000)

    def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before another attempt is heard (0: go ahead)."""
        now = now_ms()
        since = now - self.window_ms
        row = LoginFailureRow
        with Session(self.engine) as session:
            pair = session.scalars(
                select(row.at_ms).where(row.username == _name(username), row.address == address,
                                        row.at_ms > since)
                .order_by(row.at_ms.desc()).limit(self.per_pair)).all()
            near = session.scalars(
                select(row.at_ms).where(row.address == address, row.at_ms > since)
                .order_by(row.at_ms.desc()).limit(self.per_address)).all()
        waits = [times[-1] + self.window_ms - now
                 for times, limit in ((pair, self.per_pair), (near, self.per_address))
                 if len(times) >= limit]
        return max((w + 999) // 1000 for w in waits) if waits else 0

    def failed(self, username: str, address: str) -> None:
        now = now_ms()
        with Session(self.engine) as session:
            session.execute(delete(LoginFailureRow).where(
                LoginFailureRow.at_ms <= now - self.window_ms))
            session.add(LoginFailureRow(username=_name(username), address=address, at_ms=now))
            session.commit()

    def succeeded(self, username: str, address: str) -> None:
        """A right password clears that pair's failures (not the address's)."""
        with Session(self.engine) as session:
            session.execute(delete(LoginFailureRow).where(
                LoginFailureRow.username == _name(username), LoginFailureRow.address == address))
            session.commit()


def _name(username: str) -> str:
    return username.strip().lower()[:64]
