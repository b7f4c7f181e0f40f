"""faust table access for one event of a batch.

faust's tables find the partition of a key (its changelog partition, its RocksDB
instance) through the *current event*, a context variable faust sets per event when a
stream yields events one by one. ``take_events`` yields a batch, leaving the current
event at whichever was buffered last, possibly of another partition; reading or writing
a key in its own event's context keeps state and changelog in the right partition.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faust.streams import _current_event  # the variable faust's own tables read


@contextmanager
def event_context(event: Any) -> Iterator[None]:
    """Make ``event`` faust's current event for the block."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)
