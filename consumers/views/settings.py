"""``LIENTHONG_VIEWS_*``: whether the worker keeps the views, and how."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ViewsSettings(BaseSettings):
    """``LIENTHONG_VIEWS_*``: whether the worker keeps the views, and how."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_VIEWS_", env_file=".env", extra="ignore"
    )

    enabled: bool = Field(default=False, description="Keep the tables and serve the query API.")
    overdue_scan_s: float = Field(
        default=5.0, gt=0, description="How often open clocks are checked."
    )
    max_page: int = Field(default=500, ge=1, description="Largest page the API returns.")
