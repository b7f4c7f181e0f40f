"""The console tests run a real worker on an axis of their own, like the consumer tests."""

from tests.consumers.conftest import axis, start_worker

__all__ = ["axis", "start_worker"]
