from tests.consumers.conftest import axis, start_worker

__all__ = ["axis", "start_worker"]
