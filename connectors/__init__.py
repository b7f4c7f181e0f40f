"""One module per external system the axis talks to (Kafka first).

- Kafka: :mod:`.kafka` (client settings and construction), :mod:`.topics` (the topic
  layout), :mod:`.positions` (transactional writers, dead-letter writer),
  :mod:`.stream` (what sinks read);
- :mod:`.sources` (outbox, folder) and :mod:`.sinks` (PostgreSQL, webhook, national
  portal), each a :class:`~lienthong.connectors.runtime.Connector` over its own spec;
- the runtime that runs them (:mod:`.runtime`, ``lienthong connect``), their metrics,
  errors, :mod:`.resilience` (the axis's backoff, the circuit breaker) and :mod:`.sql`.
"""
