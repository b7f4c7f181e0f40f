"""The one edge to Kafka's admin API for credentials and ACLs (kafka-python's client).

kafka-python 3 speaks AlterUserScramCredentials, DescribeUserScramCredentials and the
ACL calls, and is already every other admin path's client, so no second library is
needed. Its errors are translated here into :class:`ProvisionError`, with what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kafka.errors import KafkaError
from pydantic import SecretStr

from lienthong.connectors.kafka import KafkaSettings, admin
from lienthong.provision._acl import Acl, Operation, Pattern, Resource

_SCRAM = ScramMechanism.SCRAM_SHA_512
_ITERATIONS = 4096  # Kafka's minimum for SCRAM-SHA-512, as its own CLI uses


class ProvisionError(Exception):
    """The cluster refused or could not answer a provisioning call."""


class KafkaAccess:
    """SCRAM users and ALLOW ACLs of one cluster, read and changed as the admin."""

    def __init__(self, settings: KafkaSettings) -> None:
        try:
            self._client = admin(settings, request_timeout_ms=15_000)
        except KafkaError as exc:
            raise ProvisionError(
                f"cannot reach Kafka at {settings.bootstrap_servers} as "
                f"{settings.sasl_username or 'an anonymous client'}: {exc}. Provisioning "
                "needs the admin's credential (e.g. ~/.lienthong/credentials/svc.admin.env)."
            ) from exc

    def __enter__(self) -> KafkaAccess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client.close()

    # -- SCRAM credentials -----------------------------------------------------
    def scram_users(self) -> set[str]:
        try:
            described = self._client.describe_user_scram_credentials(None)
        except KafkaError as exc:
            raise ProvisionError(f"cannot list SCRAM users: {exc}") from exc
        return {user for user, info in described.items() if not info.get("error")}

    def set_password(self, user: str, password: SecretStr) -> None:
        upsert = UserScramCredentialUpsertion(
            user, _SCRAM, password.get_secret_value(), iterations=_ITERATIONS
        )
        self._alter([upsert], user)

    def delete_user(self, user: str) -> None:
        self._alter([UserScramCredentialDeletion(user, _SCRAM)], user)

    def _alter(self, changes: list[object], user: str) -> None:
        try:
            errors = self._client.alter_user_scram_credentials(changes)
        except KafkaError as exc:
            raise ProvisionError(f"cannot change the SCRAM credential of {user}: {exc}") from exc
        problem = errors.get(user)
        if problem:
            raise ProvisionError(f"the cluster refused the SCRAM change for {user}: {problem}")

    # -- ACLs --------------------------------------------------------------------
    def acls(self) -> set[Acl]:
        """Every ALLOW ACL of a ``User:`` principal (others are not ours to manage)."""
        query = ACLFilter(
            principal=None,
            host="*",
            operation=ACLOperation.ANY,
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePatternFilter(
                ResourceType.ANY, None, ACLResourcePatternType.ANY
            ),
        )
        try:
            found, error = self._client.describe_acls(query)
        except KafkaError as exc:
            raise ProvisionError(f"cannot list ACLs: {exc}") from exc
        if _failed(error):
            raise ProvisionError(f"cannot list ACLs: {error}")
        return {acl for acl in map(_from_kafka, found) if acl is not None}

    def add(self, acls: Iterable[Acl]) -> None:
        wanted = [_to_kafka(acl) for acl in acls]
        if not wanted:
            return
        try:
            result = self._client.create_acls(wanted)
        except KafkaError as exc:
            raise ProvisionError(f"cannot create ACLs: {exc}") from exc
        failed = result.get("failed") or []
        if failed:
            raise ProvisionError(f"the cluster refused {len(failed)} ACL(s): {failed[:3]}")

    def remove(self, acls: Iterable[Acl]) -> None:
        filters = [_filter(acl) for acl in acls]
        if not filters:
            return
        try:
            results = self._client.delete_acls(filters)
        except KafkaError as exc:
            raise ProvisionError(f"cannot delete ACLs: {exc}") from exc
        for _query, _deleted, error in results:
            if _failed(error):
                raise ProvisionError(f"the cluster refused to delete an ACL: {error}")


def _failed(error: object) -> bool:
    # kafka-python answers NoError (errno 0) or None for success.
    return error is not None and getattr(error, "errno", 0) != 0


def _pattern(acl: Acl) -> ResourcePattern:
    return ResourcePattern(
        ResourceType[acl.resource.value],
        acl.name,
        ACLResourcePatternType[acl.pattern.value],
    )


def _to_kafka(acl: Acl) -> ACL:
    return ACL(
        principal=f"User:{acl.principal}",
        host="*",
        operation=ACLOperation[acl.operation.value],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=_pattern(acl),
    )


def _filter(acl: Acl) -> ACLFilter:
    return ACLFilter(
        principal=f"User:{acl.principal}",
        host="*",
        operation=ACLOperation[acl.operation.value],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePatternFilter(
            ResourceType[acl.resource.value],
            acl.name,
            ACLResourcePatternType[acl.pattern.value],
        ),
    )


def _from_kafka(acl: ACL) -> Acl | None:
    kind, _, name = str(acl.principal).partition(":")
    if kind != "User" or acl.host != "*":
        return None
    try:
        return Acl(
            principal=name,
            resource=Resource(acl.resource_pattern.resource_type.name),
            pattern=Pattern(acl.resource_pattern.pattern_type.name),
            name=acl.resource_pattern.resource_name,
            operation=Operation(acl.operation.name),
        )
    except ValueError:  # a rule of a kind provisioning never writes: left alone
        return None
