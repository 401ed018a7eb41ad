"""IPFIX (RFC 7011/7012): message decoding with per-exporter template state."""

from pahna.intake.ipfix.decoder import IpfixDecoder

__all__ = ["IpfixDecoder"]
