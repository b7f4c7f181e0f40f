"""Event contracts and the wire vocabulary every other package speaks.

- contracts: :mod:`.avro` (the .avsc files), :mod:`.models` (pydantic models and their
  rules), :mod:`.rules`, :mod:`.catalogue` (event type → schema, model, key),
  :mod:`.reference` (units, agencies, procedures, holidays), :mod:`.calendar`, :mod:`.sla`;
- the wire: :mod:`.framing` (Confluent framing), :mod:`.codec` (Avro in that framing),
  :mod:`.event_decoder` (schema id → event type), :mod:`.headers` (``lt.*`` and
  ``lt.dlq.*`` names), :mod:`.deadletter` (the one dead-letter model and its reasons),
  :mod:`.rows` (agency rows and files → events);
- :mod:`.registry_client`: a *client* of a Confluent-compatible schema registry (the
  registry service itself is :mod:`lienthong.registry`);
- :mod:`.access`: who may do what (the agencies file); :mod:`.errors`: the exceptions.

This package never imports a Kafka client, and imports no other package of the axis.
"""
