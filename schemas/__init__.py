"""Event contracts: Avro schemas, business rules, the wire codec and the registry.

This package never imports a Kafka client.
"""
