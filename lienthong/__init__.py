"""lienthong: Hậu Giang's event data axis (trục liên thông dữ liệu).

The distribution maps the repository's top-level folders into one namespace; the
libraries are the first five, this folder holds **processes and tools only**:

- ``lienthong.schemas``    contracts: Avro schemas, models and rules, the codec, the wire
  vocabulary (headers, framing, dead letters), the registry *client*, reference data.
- ``lienthong.connectors`` one module per external system (Kafka, PostgreSQL, ...).
- ``lienthong.producers``  the agency SDK and the HTTP ingestion gateway.
- ``lienthong.consumers``  faust-streaming workers, views and the subscriber SDK.
- ``lienthong.monitoring`` Prometheus metrics on an injected registry, process tuning.

Processes and tools (this folder): ``lienthong.cli`` (the ``lienthong`` command),
``lienthong.broker`` (a local Kafka for laptops, the demo and the tests),
``lienthong.local_postgres`` (a throwaway PostgreSQL for the tests and benchmarks),
``lienthong.registry`` (the schema registry *service*), ``lienthong.console`` (the
administrators' page) and ``lienthong.demo``. Libraries never import from here; see
ARCHITECTURE.md at the repository's root for who may import what.
"""

__version__ = "0.1.0"
