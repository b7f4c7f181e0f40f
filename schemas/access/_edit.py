"""Changes to the agencies file as pure functions: old file in, new file out.

The CLI loads, applies one of these and saves; nothing here touches the disk, so each
change is tested on values. Errors say what to do next.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretStr, ValidationError

from lienthong.schemas import reference
from lienthong.schemas.access._model import AccessFile, Agency, ApiKey, Operator, Role
from lienthong.schemas.access._secrets import (
    format_key,
    hash_password,
    key_digest,
    new_key_id,
    new_key_secret,
)


class AccessChangeError(ValueError):
    """A change that cannot be made to the agencies file (the message says why)."""


def _messages(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
        for e in exc.errors(include_url=False)
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def seed_access() -> AccessFile:
    """Every agency of ``reference/agencies.csv``, with no grants, keys or operators.

    The code is the agency's electronic id (QĐ 20/2020) where the reference gives one,
    else its abbreviation; parents are mapped to the parent's code the same way.
    """
    rows = reference.agencies()
    code_of: dict[str, str] = {}
    for row in rows:
        code_of[row.abbr] = code_of[row.name] = row.code
    agencies = []
    for row in rows:
        parent = _parent_code(row.parent, code_of)
        agencies.append(Agency(code=code_of[row.abbr], name=row.name, parent=parent))
    return AccessFile(agencies=agencies)


def _parent_code(parent: str | None, code_of: dict[str, str]) -> str | None:
    if parent is None:
        return None
    if parent in code_of:
        return code_of[parent]
    # The reference writes some parents by a longer name ("Văn phòng UBND tỉnh").
    for name, code in code_of.items():
        if parent.replace("Văn phòng", "VP") == name or name.startswith(parent):
            return code
    return None  # a parent outside the province's catalogue (e.g. a ministry)


def _replace_agency(access: AccessFile, agency: Agency) -> AccessFile:
    agencies = [agency if a.code == agency.code else a for a in access.agencies]
    return access.model_copy(update={"agencies": agencies})


def ensure_agency(
    access: AccessFile, code: str, name: str = "", parent: str | None = None
) -> tuple[AccessFile, Agency]:
    """The file with agency ``code`` present (added when missing), and that agency."""
    existing = access.agency(code)
    if existing is not None:
        return access, existing
    try:
        agency = Agency(code=code, name=name, parent=parent)
        updated = AccessFile.model_validate(
            {**access.model_dump(), "agencies": [*access.agencies, agency]}
        )
    except ValidationError as exc:
        raise AccessChangeError(_messages(exc)) from None
    return updated, agency


def add_key(
    access: AccessFile, code: str, label: str = "", now: datetime | None = None
) -> tuple[AccessFile, ApiKey, SecretStr]:
    """A new API key for agency ``code`` (added to the file if missing).

    The returned secret is shown once and never stored.
    """
    if not code.strip():
        raise AccessChangeError("an agency code is needed (example: 000.00.00.H30 or SYT)")
    access, agency = ensure_agency(access, code.strip())
    taken = {k.id for a in access.agencies for k in a.keys}
    key_id = new_key_id()
    while key_id in taken:
        key_id = new_key_id()
    secret = new_key_secret()
    key = ApiKey(id=key_id, digest=key_digest(secret), label=label, created_at=now or _now())
    agency = agency.model_copy(update={"keys": [*agency.keys, key]})
    return _replace_agency(access, agency), key, format_key(key_id, secret)


def revoke_key(
    access: AccessFile, key_id: str, now: datetime | None = None
) -> tuple[AccessFile, Agency, ApiKey]:
    """The file with key ``key_id`` revoked; revoking twice keeps the first time."""
    found = access.key_owner(key_id)
    if found is None:
        raise AccessChangeError(
            f"no API key with id {key_id!r}; `lienthong agencies list` shows the ids"
        )
    agency, key = found
    if key.active:
        key = key.model_copy(update={"revoked_at": now or _now()})
        keys = [key if k.id == key_id else k for k in agency.keys]
        agency = agency.model_copy(update={"keys": keys})
        access = _replace_agency(access, agency)
    return access, agency, key


def grant(
    access: AccessFile,
    code: str,
    *,
    publish: list[str] | None = None,
    subscribe: list[str] | None = None,
    revoke: bool = False,
) -> tuple[AccessFile, Agency]:
    """The file with agency ``code`` granted (or, with ``revoke``, denied) the given rights."""
    agency = access.agency(code)
    if agency is None:
        raise AccessChangeError(
            f"no agency {code!r} in the agencies file; add it with `lienthong agencies add`"
        )

    def merged(current: list[str], change: list[str] | None) -> list[str]:
        if not change:
            return current
        if revoke:
            return [v for v in current if v not in change]
        return [*current, *change]

    data = agency.model_dump()
    data["publish"] = merged(agency.publish, publish)
    data["subscribe"] = merged(agency.subscribe, subscribe)
    try:
        agency = Agency.model_validate(data)
    except ValidationError as exc:
        raise AccessChangeError(_messages(exc)) from None
    return _replace_agency(access, agency), agency


def set_operator(
    access: AccessFile, name: str, roles: list[Role], password: str
) -> tuple[AccessFile, Operator]:
    """The file with operator ``name`` added, or its roles and password replaced."""
    try:
        operator = Operator(name=name, roles=roles, password=hash_password(password))
    except ValidationError as exc:
        raise AccessChangeError(_messages(exc)) from None
    except ValueError as exc:  # an empty password
        raise AccessChangeError(str(exc)) from None
    others = [o for o in access.operators if o.name != name]
    return access.model_copy(update={"operators": [*others, operator]}), operator


def remove_operator(access: AccessFile, name: str) -> AccessFile:
    """The file without operator ``name``."""
    if access.operator(name) is None:
        raise AccessChangeError(f"no operator {name!r}; `lienthong agencies list` shows them")
    return access.model_copy(update={"operators": [o for o in access.operators if o.name != name]})
