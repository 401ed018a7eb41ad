"""Settings of the grant board (``[grants]`` in pahna.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GrantSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ocid_prefix: str = Field(
        "ocds-pahna0", pattern=r"^ocds-[a-z0-9]{6}$",
        description="The OCID prefix registered with the Open Contracting Partnership "
        "(ocds- and six characters); each call's ocid is PREFIX-CALL_ID.")
    publisher: str = Field(
        "Ministry of ICT, Islamic Republic of Iran",
        description="The publisher named in every release and record package.")
    base_uri: str = Field(
        "https://pahna.example.ir/api/grants",
        description="Where the packages are published (each package's uri starts here).")
    upload_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024,
        description="Largest document an applicant may upload, in bytes.")
    short_window_days: int = Field(
        10, ge=1, description="A call open fewer days than this is flagged (short window).")
    split_threshold_rial: int = Field(
        5_000_000_000, ge=1,
        description="Awards at or above this need a higher approval; several awards to one "
        "firm just under it are flagged as split.")
    split_margin_percent: int = Field(
        10, ge=1, le=50,
        description="'Just under' the threshold: within this many percent below it.")
    concentration_percent: int = Field(
        40, ge=1, le=100,
        description="A firm (or firms sharing an IBAN or owner) holding more than this "
        "share of a programme's awarded money is flagged.")
    outlier_points: int = Field(
        30, ge=1, le=100,
        description="A reviewer whose weighted score of an application differs from the "
        "other reviewers' mean by more than this many points (of 100) is flagged.")
