"""The axis' identities: the agencies file (``LIENTHONG_AGENCIES_FILE``) and its rules.

One file is the source of truth for who may do what: agencies (code, name, parent, the
event types each may publish, the subscriber topics each may read, HTTP API keys kept
as digests), operators (people, with roles and scrypt-hashed passwords) and the axis'
services. Kafka provisioning, HTTP authentication and the CLI all read it through here.

    access = load_access(AccessSettings().agencies_file)
    agency = access.authenticate_key("lt.3f9a0c12b7de.…")     # Agency | None
    kafka_principal("000.00.00.H30")                          # "agency.000.00.00.h30"
    access, key, secret = add_key(access, "SYT", "one-stop system")
    save_access(path, access)                                 # atomic, mode 0600

Pure: nothing here talks to Kafka or HTTP; :class:`AccessWatcher` only re-reads the file.
"""

from lienthong.schemas.access._edit import (
    AccessChangeError,
    add_key,
    ensure_agency,
    grant,
    remove_operator,
    revoke_key,
    seed_access,
    set_operator,
)
from lienthong.schemas.access._file import (
    AccessError,
    AccessProblem,
    AccessSettings,
    dump_access,
    load_access,
    parse_access,
    save_access,
)
from lienthong.schemas.access._identity import Identity, IdentityKind, explain_http
from lienthong.schemas.access._model import AccessFile, Agency, ApiKey, Operator, Role, Service
from lienthong.schemas.access._principal import ADMIN_PRINCIPAL, kafka_principal
from lienthong.schemas.access._secrets import hash_password, password_matches
from lienthong.schemas.access._watch import AccessWatcher

__all__ = [
    "ADMIN_PRINCIPAL",
    "AccessChangeError",
    "AccessError",
    "AccessFile",
    "AccessProblem",
    "AccessSettings",
    "AccessWatcher",
    "Agency",
    "ApiKey",
    "Identity",
    "IdentityKind",
    "Operator",
    "Role",
    "Service",
    "add_key",
    "dump_access",
    "ensure_agency",
    "explain_http",
    "grant",
    "hash_password",
    "kafka_principal",
    "load_access",
    "parse_access",
    "password_matches",
    "remove_operator",
    "revoke_key",
    "save_access",
    "seed_access",
    "set_operator",
]
