"""lienthong: Hậu Giang's event data axis (trục liên thông dữ liệu).

The distribution maps the design card's folders into one namespace:

- ``lienthong.schemas``    Avro contracts, business rules, the codec and the registry.
- ``lienthong.connectors`` one module per external system (Kafka, PostgreSQL, ...).
- ``lienthong.producers``  the agency SDK, the HTTP gateway, the publish CLI.
- ``lienthong.consumers``  faust-streaming workers and the subscriber SDK.
- ``lienthong.monitoring`` Prometheus metrics built on an injected registry.

``lienthong.broker`` manages a local Kafka broker for laptops and tests, and
``lienthong.cli`` is the ``lienthong`` command.
"""

__version__ = "0.1.0"
