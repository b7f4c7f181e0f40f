"""The administrators' console: a web page over Kafka offsets, lag and dead letters."""

from lienthong.console._app import ConsoleSettings, create_app

__all__ = ["ConsoleSettings", "create_app"]
