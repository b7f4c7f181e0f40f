"""Consuming the axis: the worker's gate and routing, dead letters, the subscriber SDK.

- :mod:`.worker` — ``lienthong worker``: the faust-streaming app (validate → route);
- :mod:`.gate`, :mod:`.facets`, :mod:`.dedup` — the gate's pure decisions;
- :mod:`.routing` — YAML routing rules, their router and hot reload;
- :mod:`.subscriber` — the SDK downstream services use;
- :mod:`.dlq`, :mod:`.inspect` — reading, showing and replaying topics for the CLI.

Errors are listed in :mod:`lienthong.consumers.errors` (all derive from
:class:`ConsumerError`); records that cannot be processed are never exceptions but dead
letters with a reason (:mod:`lienthong.schemas.deadletter`, shared by every writer).
"""

from lienthong.consumers.errors import (
    ConsumerError,
    RuleProblem,
    RulesError,
    RulesFileUnreadable,
    RulesInvalid,
    SubscriberClosed,
    SubscriberError,
    WorkerConfigError,
)
from lienthong.consumers.subscriber import Handler, Received, RetryPolicy, StartFrom, Subscriber

__all__ = [
    "ConsumerError",
    "Handler",
    "Received",
    "RetryPolicy",
    "RuleProblem",
    "RulesError",
    "RulesFileUnreadable",
    "RulesInvalid",
    "StartFrom",
    "Subscriber",
    "SubscriberClosed",
    "SubscriberError",
    "WorkerConfigError",
]
