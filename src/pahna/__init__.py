"""pahna: meter the bandwidth content producers serve and settle it in integer rials."""

__version__ = "0.1.0"
