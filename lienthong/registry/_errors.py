"""What can go wrong in the registry, each with its Confluent HTTP status and error code.

The tree mirrors the Confluent Schema Registry's error codes so the HTTP layer can
translate any of these into ``{"error_code": ..., "message": ...}`` with one rule, and
standard clients recognise them::

    RegistryError                       base; carries http_status and error_code
    ├── BadRequest                      400    the body is not JSON, or not an object
    ├── Forbidden                       40301  a write that needs an admin operator
    ├── NotAcceptable                   406    no response media type the client accepts
    ├── UnsupportedMediaType            415    a request body type Confluent refuses too
    ├── NotFound                        404
    │   ├── SubjectNotFound             40401
    │   ├── VersionNotFound             40402
    │   ├── SchemaNotFound              40403
    │   ├── SubjectSoftDeleted          40404  soft delete of a soft-deleted subject
    │   ├── SubjectNotSoftDeleted       40405  permanent delete before the soft one
    │   ├── VersionSoftDeleted          40406
    │   ├── VersionNotSoftDeleted       40407
    │   ├── SubjectCompatibilityNotSet  40408
    │   └── SubjectModeNotSet           40409
    ├── IncompatibleSchema              409    with the reasons
    ├── Unprocessable                   422
    │   ├── InvalidSchema               42201
    │   ├── InvalidVersion              42202
    │   ├── InvalidCompatibilityLevel   42203
    │   ├── InvalidMode                 42204
    │   └── OperationNotPermitted       42205  read-only mode, import rules
    └── StoreError                      500    50001  Kafka refused or lost a write
        └── StoreTimeout                       50002  a write did not come back in time
"""

from __future__ import annotations

from typing import ClassVar


class RegistryError(Exception):
    """Base of every registry failure; knows how it looks on the wire."""

    http_status: ClassVar[int] = 500
    error_code: ClassVar[int] = 50001


class BadRequest(RegistryError):
    """The request body cannot be read as a JSON object."""

    http_status = 400
    error_code = 400


class Forbidden(RegistryError):
    """The caller may read but not write (a new schema needs an admin operator)."""

    http_status = 403
    error_code = 40301


class NotAcceptable(RegistryError):
    """The client accepts none of the media types the registry answers in."""

    http_status = 406
    error_code = 406


class UnsupportedMediaType(RegistryError):
    """The request body is of a media type the registry does not read."""

    http_status = 415
    error_code = 415


class NotFound(RegistryError):
    """Something the request names does not exist."""

    http_status = 404
    error_code = 404


class SubjectNotFound(NotFound):
    error_code = 40401

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' not found.")


class VersionNotFound(NotFound):
    error_code = 40402

    def __init__(self, version: int) -> None:
        super().__init__(f"Version {version} not found.")


class SchemaNotFound(NotFound):
    error_code = 40403

    def __init__(self, schema_id: int | None = None) -> None:
        super().__init__(
            "Schema not found" if schema_id is None else f"Schema {schema_id} not found"
        )


class SubjectSoftDeleted(NotFound):
    error_code = 40404

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
        )


class SubjectNotSoftDeleted(NotFound):
    error_code = 40405

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was not deleted first before being permanently deleted"
        )


class VersionSoftDeleted(NotFound):
    error_code = 40406

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was soft deleted. "
            "Set permanent=true to delete permanently"
        )


class VersionNotSoftDeleted(NotFound):
    error_code = 40407

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was not deleted first before being "
            "permanently deleted"
        )


class SubjectCompatibilityNotSet(NotFound):
    error_code = 40408

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' does not have subject-level compatibility configured"
        )


class SubjectModeNotSet(NotFound):
    error_code = 40409

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' does not have subject-level mode configured")


class IncompatibleSchema(RegistryError):
    """The schema breaks the subject's compatibility level; ``reasons`` say how."""

    http_status = 409
    # 409 is the code Confluent documented and served for years (newest releases say 40901).
    error_code = 409

    def __init__(self, subject: str, reasons: list[str]) -> None:
        super().__init__(
            f"Schema being registered is incompatible with an earlier schema for subject "
            f'"{subject}", details: [{", ".join(reasons)}]'
        )
        self.reasons = reasons


class Unprocessable(RegistryError):
    """The request is well-formed HTTP but its content cannot be accepted."""

    http_status = 422
    error_code = 422


class InvalidSchema(Unprocessable):
    error_code = 42201


class InvalidVersion(Unprocessable):
    error_code = 42202

    def __init__(self, version: str) -> None:
        super().__init__(
            f"The specified version '{version}' is not a valid version id. "
            'Allowed values are between [1, 2^31-1] and the string "latest"'
        )


class InvalidCompatibilityLevel(Unprocessable):
    error_code = 42203

    def __init__(self) -> None:
        super().__init__(
            "Invalid compatibility level. Valid values are none, backward, forward, full, "
            "backward_transitive, forward_transitive, and full_transitive"
        )


class InvalidMode(Unprocessable):
    error_code = 42204

    def __init__(self) -> None:
        super().__init__("Invalid mode. Valid values are READWRITE, READONLY and IMPORT.")


class OperationNotPermitted(Unprocessable):
    error_code = 42205


class StoreError(RegistryError):
    """The Kafka topic that holds the registry could not be read or written."""

    http_status = 500
    error_code = 50001


class StoreTimeout(StoreError):
    error_code = 50002
