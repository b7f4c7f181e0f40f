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


def _serve_source_checkout() -> None:
    # In a source checkout, `python -m pytest` or `python -c` from the repository root
    # find this folder before the installed namespace, and the design card's sibling
    # folders (schemas/, producers/, ...) are not below it. Pointing the package path at
    # the root as well lets `lienthong.schemas` resolve there too. Installed copies
    # (wheel or strict editable link tree) hold every subpackage and are left alone.
    from pathlib import Path  # noqa: PLC0415

    root = Path(__file__).parent.parent
    if (root / "pyproject.toml").is_file() and (root / "schemas" / "__init__.py").is_file():
        __path__.append(str(root))


_serve_source_checkout()
