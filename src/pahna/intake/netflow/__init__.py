"""NetFlow v5 (fixed records) and v9 (RFC 3954, templates)."""

from pahna.intake.netflow.v5 import NetflowV5Decoder
from pahna.intake.netflow.v9 import NetflowV9Decoder

__all__ = ["NetflowV5Decoder", "NetflowV9Decoder"]
