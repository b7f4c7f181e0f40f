"""One settings model, rendered for every client kind: they must all say the same thing."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from lienthong.connectors.kafka import (
    KafkaSettings,
    aiokafka_producer,
    kafka_python_producer,
    librdkafka_producer,
)


def _pki(home: Path) -> dict[str, Path]:
    paths = {n: home / f"{n}.pem" for n in ("ca", "ca_key", "key", "cert", "csr")}

    def openssl(*args: str | Path) -> None:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=lienthong-test-ca", "-keyout", paths["ca_key"], "-out", paths["ca"],
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=agency-client",
        "-keyout", paths["key"], "-out", paths["csr"],
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", paths["csr"], "-CA", paths["ca"], "-CAkey", paths["ca_key"],
        "-CAcreateserial", "-days", "1", "-out", paths["cert"],
    )  # fmt: skip
    return paths


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> KafkaSettings:
    """Settings for a TLS+SASL listener with a client certificate."""
    paths = _pki(tmp_path_factory.mktemp("pki"))
    return KafkaSettings(
        bootstrap_servers="k1.example:9094,k2.example:9094",
        client_id="syt",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="syt-publisher",
        sasl_password=SecretStr("s3cret"),
        ssl_cafile=paths["ca"],
        ssl_certfile=paths["cert"],
        ssl_keyfile=paths["key"],
    )


def _what_each_client_says(settings: KafkaSettings) -> dict[str, dict[str, Any]]:
    """Each client kind's configuration, read back into one vocabulary."""
    py = settings.as_kafka_python()
    aio = settings.as_aiokafka()
    rd = settings.as_librdkafka()
    faust = settings.as_faust()
    credentials = faust["broker_credentials"]
    return {
        "kafka-python": {
            "bootstrap": py["bootstrap_servers"],
            "protocol": py["security_protocol"],
            "mechanism": py["sasl_mechanism"],
            "user": py["sasl_plain_username"],
            "password": py["sasl_plain_password"],
            "ca": py["ssl_cafile"],
            "cert": py["ssl_certfile"],
            "key": py["ssl_keyfile"],
        },
        "aiokafka": {
            "bootstrap": aio["bootstrap_servers"],
            "protocol": aio["security_protocol"],
            "mechanism": aio["sasl_mechanism"],
            "user": aio["sasl_plain_username"],
            "password": aio["sasl_plain_password"],
            **_context_files(aio["ssl_context"], settings),
        },
        "librdkafka": {
            "bootstrap": rd["bootstrap.servers"].split(","),
            "protocol": rd["security.protocol"],
            "mechanism": rd["sasl.mechanism"],
            "user": rd["sasl.username"],
            "password": rd["sasl.password"],
            "ca": rd["ssl.ca.location"],
            "cert": rd["ssl.certificate.location"],
            "key": rd["ssl.key.location"],
        },
        "faust": {
            "bootstrap": [b.removeprefix("kafka://") for b in faust["broker"].split(";")],
            "protocol": credentials.protocol.value,
            "mechanism": credentials.mechanism.value,
            "user": credentials.username,
            "password": credentials.password,
            **_context_files(credentials.ssl_context, settings),
        },
    }


def _context_files(context: ssl.SSLContext, settings: KafkaSettings) -> dict[str, Any]:
    """What an SSLContext holds, checked against the files (a context keeps no paths)."""
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname is True
    assert context.verify_mode == ssl.CERT_REQUIRED
    loaded_ca = {c["subject"] for c in _subjects(context)}
    assert (("commonName", "lienthong-test-ca"),) in loaded_ca
    return {
        "ca": str(settings.ssl_cafile),
        # load_cert_chain raised if the pair did not match; a context keeps no paths.
        "cert": str(settings.ssl_certfile),
        "key": str(settings.ssl_keyfile),
    }


def _subjects(context: ssl.SSLContext) -> list[dict[str, Any]]:
    return [{"subject": c["subject"][0]} for c in context.get_ca_certs()]


def test_every_client_kind_reaches_the_same_secured_cluster(secured: KafkaSettings) -> None:
    said = _what_each_client_says(secured)
    expected = {
        "bootstrap": ["k1.example:9094", "k2.example:9094"],
        "protocol": "SASL_SSL",
        "mechanism": "SCRAM-SHA-512",
        "user": "syt-publisher",
        "password": "s3cret",
        "ca": str(secured.ssl_cafile),
        "cert": str(secured.ssl_certfile),
        "key": str(secured.ssl_keyfile),
    }
    for client, config in said.items():
        assert config == expected, client


def test_producers_of_every_client_keep_the_connection_and_state_durability(
    secured: KafkaSettings,
) -> None:
    py = kafka_python_producer(secured)
    aio = aiokafka_producer(secured)
    rd = librdkafka_producer(secured)
    assert py["security_protocol"] == aio["security_protocol"] == rd["security.protocol"]
    assert py["acks"] == aio["acks"] == rd["acks"] == "all"
    assert py["enable_idempotence"] is aio["enable_idempotence"] is rd["enable.idempotence"] is True
    assert py["compression_type"] == aio["compression_type"] == rd["compression.type"] == "lz4"
    assert rd["partitioner"] == "murmur2_random"  # Java's, as kafka-python and aiokafka


def test_plaintext_renders_no_tls_and_no_sasl() -> None:
    settings = KafkaSettings(bootstrap_servers="127.0.0.1:9092")
    assert settings.ssl_context() is None
    assert "ssl_cafile" not in settings.as_kafka_python()
    assert "ssl_context" not in settings.as_aiokafka()
    assert not any(k.startswith(("ssl.", "sasl.")) for k in settings.as_librdkafka())
    assert settings.as_faust()["broker_credentials"] is None


def test_tls_without_sasl_gives_faust_ssl_credentials(pki_free_ca: Path) -> None:
    settings = KafkaSettings(security_protocol="SSL", ssl_cafile=pki_free_ca)
    credentials = settings.as_faust()["broker_credentials"]
    assert credentials.protocol.value == "SSL"
    assert settings.as_librdkafka()["ssl.endpoint.identification.algorithm"] == "https"


def test_host_name_check_can_be_turned_off_in_every_client(pki_free_ca: Path) -> None:
    settings = KafkaSettings(
        security_protocol="SSL", ssl_cafile=pki_free_ca, ssl_check_hostname=False
    )
    assert settings.as_kafka_python()["ssl_check_hostname"] is False
    assert settings.as_aiokafka()["ssl_context"].check_hostname is False
    assert settings.as_librdkafka()["ssl.endpoint.identification.algorithm"] == "none"


@pytest.fixture(scope="module")
def pki_free_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _pki(tmp_path_factory.mktemp("ca"))["ca"]


def test_secrets_never_show_in_repr(secured: KafkaSettings) -> None:
    assert "s3cret" not in repr(secured)
    assert "s3cret" not in str(secured.model_dump())


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN"}, "LIENTHONG_SASL_USERNAME"),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "PLAIN",
                "sasl_username": "u",
            },
            "LIENTHONG_SASL_PASSWORD",
        ),
        (
            {"security_protocol": "SSL", "ssl_certfile": "/etc/c.pem"},
            "LIENTHONG_SSL_KEYFILE go together",
        ),
    ],
)
def test_incomplete_security_is_refused_with_what_to_set(
    options: dict[str, Any], says: str
) -> None:
    settings = KafkaSettings(**options)
    for render in (settings.as_kafka_python, settings.as_aiokafka, settings.as_librdkafka):
        with pytest.raises(ValueError, match=says):
            render()


def test_bad_bootstrap_servers_say_the_expected_form() -> None:
    with pytest.raises(ValidationError, match="host:port"):
        KafkaSettings(bootstrap_servers="localhost")


def test_tls_files_are_unused_without_tls(pki_free_ca: Path) -> None:
    settings = KafkaSettings(security_protocol="PLAINTEXT", ssl_cafile=pki_free_ca)
    assert "ssl_cafile" not in settings.as_kafka_python()
    assert settings.ssl_context() is None


@pytest.mark.parametrize(
    ("servers", "cluster"),
    [
        ("127.0.0.1:9092", False),
        # a local 3-node cluster on one machine is a cluster too
        ("127.0.0.1:9092,127.0.0.1:9093", True),
        ("k1:9092,k2:9092,k3:9092", True),
    ],
)
def test_a_cluster_is_a_bootstrap_list_of_several_brokers(servers: str, cluster: bool) -> None:
    assert KafkaSettings(bootstrap_servers=servers).is_cluster is cluster
