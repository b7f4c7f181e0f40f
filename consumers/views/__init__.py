"""Materialized views for the portal and the IOC: tables, the legal SLA clock, query API.

The pure parts (:mod:`.dossiers`, :mod:`.entities`, :mod:`.query`) decide every state
and figure; :mod:`.stage` applies them in faust tables inside the worker, wired by
:mod:`.tables`; :mod:`.overdue` runs the SLA timer; :mod:`.web` serves them. Enable with
``LIENTHONG_VIEWS_ENABLED=true`` and a web port (``lienthong worker --metrics-port
6066``). See ``README.md`` here.
"""

from __future__ import annotations

from lienthong.consumers.views.overdue import DueIndex, OverdueScanner
from lienthong.consumers.views.registry import Views, views_of
from lienthong.consumers.views.settings import ViewsSettings
from lienthong.consumers.views.stage import MaterializeStage
from lienthong.consumers.views.tables import register_views
from lienthong.consumers.views.topics import table_name, view_topics

__all__ = [
    "DueIndex",
    "MaterializeStage",
    "OverdueScanner",
    "Views",
    "ViewsSettings",
    "register_views",
    "table_name",
    "view_topics",
    "views_of",
]
