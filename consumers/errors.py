"""Errors of the consumer side. Each says what failed and what to do next.

    ConsumerError
    ├── RulesError                 a routing rules file cannot be used
    │   ├── RulesFileUnreadable    missing, unreadable, or not YAML
    │   └── RulesInvalid           YAML, but breaking the rules schema; ``problems`` lists
    │                              each as {location, message}
    ├── WorkerConfigError          the worker cannot start as configured (partition counts
    │                              that differ, no ingress topic to read, …)
    ├── WorkerCrashed              a batch failed in a way retrying cannot mend; the worker
    │                              stopped so that its supervisor sees it
    └── SubscriberError            the subscriber SDK was misused
        └── SubscriberClosed       used after ``stop()``

Records that cannot be processed are not exceptions here: they are data, a
:class:`~lienthong.schemas.deadletter.DeadLetter` with a stable reason code. Contract
and registry errors come from :mod:`lienthong.schemas.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass


class ConsumerError(Exception):
    """Base class of every error raised by :mod:`lienthong.consumers`."""


class RulesError(ConsumerError):
    """A routing rules file cannot be used."""


class RulesFileUnreadable(RulesError):
    """The rules file is missing, unreadable or not YAML."""


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong in a rules file: where (``rules[2].match.status``) and why."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RulesInvalid(RulesError):
    """The rules file is YAML but breaks the rules schema."""

    def __init__(self, source: str, problems: list[RuleProblem]) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{lines}")
        self.source = source
        self.problems = problems


class WorkerConfigError(ConsumerError):
    """The worker cannot start as configured."""


class WorkerCrashed(ConsumerError):
    """The worker stopped because a batch failed (the cause is chained); what it had not
    acknowledged is read again after a restart."""


class SubscriberError(ConsumerError):
    """The subscriber SDK was misused."""


class SubscriberClosed(SubscriberError):
    """The subscriber was used after it stopped."""
