"""Prometheus metrics. Every metric is created on a registry handed in by the caller."""
