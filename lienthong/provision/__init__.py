"""Kafka-side provisioning of the axis' identities: SCRAM credentials and ACLs.

``lienthong agencies provision`` turns the agencies file into one SCRAM-SHA-512
credential per agency and per service and the ACLs each may use; ``explain`` says what
an identity may do on Kafka. Credentials are written once, as ``<principal>.env`` files.
"""

from lienthong.provision._acl import (
    Acl,
    AxisNames,
    Operation,
    Pattern,
    Resource,
    agency_acls,
    desired_acls,
    service_acls,
)
from lienthong.provision._credentials import (
    SCRAM_MECHANISM,
    credential_path,
    credential_settings,
    kafka_env,
    new_password,
    read_credential,
    write_credential,
)
from lienthong.provision._kafka import KafkaAccess, ProvisionError
from lienthong.provision._provision import ProvisionReport, explain_kafka, provision

__all__ = [
    "SCRAM_MECHANISM",
    "Acl",
    "AxisNames",
    "KafkaAccess",
    "Operation",
    "Pattern",
    "ProvisionError",
    "ProvisionReport",
    "Resource",
    "agency_acls",
    "credential_path",
    "credential_settings",
    "desired_acls",
    "explain_kafka",
    "kafka_env",
    "new_password",
    "provision",
    "read_credential",
    "service_acls",
    "write_credential",
]
