"""The views' topics: the overdue announcements and the tables' changelogs."""

from __future__ import annotations

from lienthong.connectors.kafka import TopicSpec
from lienthong.connectors.topics import COMPACTED, TopicLayout, faust_changelog
from lienthong.consumers.views.dossiers import OVERDUE_EVENT_TYPE
from lienthong.consumers.views.entities import VIEW_TABLES


def table_name(name: str) -> str:
    """The faust table name of a view (its changelog: ``<app_id>-views-<name>-changelog``)."""
    return f"views-{name}"


def view_topics(layout: TopicLayout, app_id: str) -> list[TopicSpec]:
    """The overdue topic and the compacted changelog of every view table."""
    specs = [layout.spec(layout.canonical(OVERDUE_EVENT_TYPE))]
    specs += [layout.spec(faust_changelog(app_id, table_name(t)), COMPACTED) for t in VIEW_TABLES]
    return specs
