"""Source connectors: agency systems' data → events on the agency's ingress topics.

- :mod:`.outbox` — an outbox table (PostgreSQL or SQLite; Debezium's columns), with
  :mod:`.outbox_sql` (its SQL and the gap guard);
- :mod:`.folder` — CSV / JSON / JSON Lines files dropped in a folder.

Rows become events through :mod:`lienthong.schemas.rows`; records are written with
:mod:`lienthong.connectors.events` and :mod:`lienthong.connectors.positions`.
"""
