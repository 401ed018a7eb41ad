"""sFlow v5 (flow samples and expanded flow samples with raw packet headers)."""

from pahna.intake.sflow.decoder import SflowDecoder

__all__ = ["SflowDecoder"]
