"""One module per external system the axis talks to (Kafka first)."""
