"""A Confluent-compatible schema registry (REST API v1, Avro) whose state lives in Kafka.

Standard clients (confluent-kafka, the Java serdes, kcat, the Confluent CLI) work
against it unchanged. Its state is a compacted one-partition topic
(``_lienthong_schemas`` by default), so a restarted instance, or several instances on
the same topic, serve the same subjects, versions and ids, with no leader.

Run one with ``lienthong registry``; embed one with::

    from lienthong.registry import RegistryServer, RegistrySettings

    with RegistryServer(kafka_settings, RegistrySettings(port=0)) as registry:
        print(registry.url)          # http://127.0.0.1:<free port>

    with start_in_thread(kafka_settings, topic="_my_schemas") as url:
        ...                          # the same, yielding only the URL

Modules, one concept each: ``_schema`` (validation, identity), ``_compat`` (levels and
Avro resolution), ``_records`` (topic records), ``_state`` (the pure fold),
``_kafka_store`` (Kafka I/O), ``_service`` (the operations), ``_app`` (HTTP),
``_server`` (uvicorn), ``_errors`` (the error tree and its Confluent codes).
"""

from lienthong.registry._app import create_app
from lienthong.registry._compat import CompatibilityLevel
from lienthong.registry._errors import RegistryError
from lienthong.registry._kafka_store import KafkaStore, topic_spec
from lienthong.registry._records import Mode
from lienthong.registry._server import RegistryServer, start_in_thread
from lienthong.registry._service import RegistryService
from lienthong.registry._settings import DEFAULT_TOPIC, RegistrySettings
from lienthong.registry._state import RegistryState, fold

__all__ = [
    "DEFAULT_TOPIC",
    "CompatibilityLevel",
    "KafkaStore",
    "Mode",
    "RegistryError",
    "RegistryServer",
    "RegistryService",
    "RegistrySettings",
    "RegistryState",
    "create_app",
    "fold",
    "start_in_thread",
    "topic_spec",
]
