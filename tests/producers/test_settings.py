"""Publisher settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lienthong.producers import PublisherSettings


def test_a_misspelt_setting_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_PUBLISHER_SPOOL_PATHH", "/tmp/x")
    with pytest.raises(ValidationError, match="did you mean LIENTHONG_PUBLISHER_SPOOL_PATH"):
        PublisherSettings()


def test_the_registry_url_is_the_axis_wide_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_REGISTRY_URL", "http://registry:8081")
    monkeypatch.setenv("LIENTHONG_PUBLISHER_SPOOL_MAX_BYTES", "4096")
    settings = PublisherSettings()
    assert settings.registry_url == "http://registry:8081"
    assert settings.spool_max_bytes == 4096
