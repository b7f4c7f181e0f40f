"""Kafka-side provisioning of the axis' identities: SCRAM credentials and ACLs.

``lienthong agencies provision`` turns the agencies file into one SCRAM-SHA-512
credential per agency and per service and the ACLs each may use; ``explain`` says what
an identity may do on Kafka. Credentials are written once, as ``<principal>.env`` files.
"""

from lienthong.provision._credentials import (
    SCRAM_MECHANISM,
    credential_path,
    credential_settings,
    new_password,
    read_credential,
    write_credential,
)

__all__ = [
    "SCRAM_MECHANISM",
    "credential_path",
    "credential_settings",
    "new_password",
    "read_credential",
    "write_credential",
]
