"""Where the query API's answers are: this worker, another worker, or nowhere right now.

Each key lives in one partition (Kafka's murmur2 of the key, as every producer of the
axis places it), held by the worker faust's assignment names; aggregates need every
partition. The query API never answers from data it does not have: while this worker
rebalances or recovers its tables, while a partition has no owner (a worker died and the
group has not noticed yet), or when the owner does not answer, it raises
:class:`Unavailable` (503 with ``Retry-After``) instead of a wrong 0 or 404.

Workers find each other by the **advertised** web address each one puts in faust's
assignment (``canonical_url``: ``LIENTHONG_WORKER_WEB_ADVERTISED_HOST``/``_PORT``), not
by the address it binds, so workers behind NAT or on several hosts reach each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import faust
from aiokafka.partitioner import murmur2
from yarl import URL

from lienthong.web import REQUEST_ID_HEADER

RETRY_AFTER_S = 2
"""What a 503 tells clients to wait: a rebalance or a table's recovery takes seconds."""
PEER_TIMEOUT_S = 10.0
"""How long a peer may take for its part before this worker answers 503."""


class Unavailable(Exception):
    """No right answer can be given now; try again in ``retry_after_s`` seconds."""

    def __init__(self, detail: str, retry_after_s: int = RETRY_AFTER_S) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_s = retry_after_s


def own_url(app: faust.App) -> str:
    """This worker's advertised web URL, as its peers see it in the assignment."""
    return str(app.conf.canonical_url).rstrip("/")


def settled(app: faust.App) -> bool:
    """Whether this worker holds an assignment and its tables have caught up with it."""
    recovery: Any = app.tables.recovery  # type: ignore[attr-defined]  # the concrete manager's
    return (
        not app.rebalancing
        and not recovery.in_recovery
        and not recovery.signal_recovery_start.is_set()
        and recovery.completed.is_set()
    )


def require_settled(app: faust.App) -> None:
    if not settled(app):
        raise Unavailable(
            "this worker is rebalancing or recovering its tables; its answers would be "
            "incomplete. Retry shortly"
        )


def assignment(app: faust.App, table: Any) -> dict[str, set[int]]:
    """Each worker's advertised URL → the partitions of ``table`` it holds."""
    try:
        hosts: Mapping[Any, Any] = app.router.table_metadata(table.name)
    except KeyError:
        return {}
    topic = table.changelog_topic.get_topic_name()
    return {str(url).rstrip("/"): set(topics.get(topic, ())) for url, topics in hosts.items()}


def _partitions(app: faust.App, table: Any) -> int:
    return int(table.partitions or app.conf.topic_partitions)


def owner(app: faust.App, table: Any, key: str) -> str | None:
    """The URL of the worker holding ``key``; ``None`` when it is this one."""
    require_settled(app)
    partition = (murmur2(key.encode()) & 0x7FFFFFFF) % _partitions(app, table)
    own = own_url(app)
    for url, held in assignment(app, table).items():
        if partition in held:
            return None if url == own else url
    raise Unavailable(
        f"partition {partition} has no worker right now (one left and the group has not "
        "reassigned it yet); retry shortly"
    )


def peers(app: faust.App, table: Any) -> list[str]:
    """The other workers holding parts of ``table``; every partition must have one."""
    require_settled(app)
    held = assignment(app, table)
    covered = set().union(*held.values()) if held else set()
    missing = sorted(set(range(_partitions(app, table))) - covered)
    if missing:
        raise Unavailable(
            f"partitions {missing} have no worker right now; an answer without them "
            "would be wrong. Retry shortly"
        )
    own = own_url(app)
    return [url for url in held if url != own]


async def ask(
    app: faust.App,
    url: str,
    path: str,
    query: Mapping[str, str],
    rid: str,
    *,
    credentials: Mapping[str, str] | None = None,
) -> Any:
    """GET ``path`` from the worker at ``url``: ``(status, JSON body)``.

    A worker that does not answer, or answers 503 itself, makes this one unavailable
    too: its part is missing, and the whole would be wrong.
    """
    target = URL(url).with_path(path).with_query(dict(query))
    timeout = aiohttp.ClientTimeout(total=PEER_TIMEOUT_S)
    try:
        async with app.http_client.get(
            target, headers={REQUEST_ID_HEADER: rid, **(credentials or {})}, timeout=timeout
        ) as response:
            body = await response.json(content_type=None)
            status = response.status
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        raise Unavailable(
            f"the worker at {url} holding part of the data does not answer "
            f"({type(exc).__name__}); retry shortly"
        ) from None
    if status == 503:
        retry = body.get("retry_after_s", RETRY_AFTER_S) if isinstance(body, dict) else 0
        detail = body.get("detail", "") if isinstance(body, dict) else ""
        raise Unavailable(f"the worker at {url} is not ready: {detail}", int(retry or 1))
    return status, body
