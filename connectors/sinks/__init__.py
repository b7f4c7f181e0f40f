"""Sink connectors: events read from Kafka → an external system.

- :mod:`.postgres` — a PostgreSQL table per event type, with :mod:`.pg_tables` (tables
  derived from the contracts);
- :mod:`.webhook` — an HTTP receiver, signed, with retries and a circuit breaker;
- :mod:`.national_portal` — the national public-service portal's DongBoHoSoMC API, with
  :mod:`.portal_mapping` (status codes and fields).

Events are read with :mod:`lienthong.connectors.stream`; refused ones become dead letters
(:mod:`lienthong.schemas.deadletter`).
"""
