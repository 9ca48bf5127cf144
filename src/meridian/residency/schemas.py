from __future__ import annotations

from pydantic import Field

from meridian.core.schemas import StrictModel


class MoveRegion(StrictModel):
    region: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
