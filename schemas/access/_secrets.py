"""Secrets of the agencies file: API keys (fast hash) and operators' passwords (scrypt).

A key reads ``lt.<key id>.<secret>``: the key id (public, 48 random bits) finds the
entry, the secret (256 random bits) proves possession. Only ``sha256(secret)`` is kept.
A 256-bit random secret is not guessable, so one fast hash already makes a stolen file
useless and a key is checked on every request in microseconds.

People choose passwords, which *are* guessable: they are kept as scrypt hashes (RFC 7914,
in the standard library), slow on purpose. Every comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from pydantic import SecretStr

KEY_PREFIX = "lt"
_SHA256 = "sha256:"
# scrypt cost: N=2^14, r=8, p=1 (16 MiB, tens of ms) — the cost RFC 7914 suggests for
# interactive logins, which is what console and registry sign-ins are.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def new_key_id() -> str:
    """A fresh public key id (12 hex digits)."""
    return secrets.token_hex(6)


def new_key_secret() -> str:
    """A fresh 256-bit secret; its URL-safe alphabet has no '.'."""
    return secrets.token_urlsafe(32)


def key_digest(secret: str) -> str:
    """What the file keeps of a key's secret."""
    return _SHA256 + hashlib.sha256(secret.encode()).hexdigest()


def format_key(key_id: str, secret: str) -> SecretStr:
    """The key as an agency's system presents it: ``lt.<id>.<secret>``."""
    return SecretStr(f"{KEY_PREFIX}.{key_id}.{secret}")


def split_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a presented key, or None when it is not shaped like one."""
    prefix, _, rest = presented.strip().partition(".")
    key_id, _, secret = rest.partition(".")
    if prefix != KEY_PREFIX or not key_id or not secret:
        return None
    return key_id, secret


def digest_matches(digest: str, secret: str) -> bool:
    """Whether ``secret`` is the one ``digest`` was made from (constant-time)."""
    return hmac.compare_digest(digest.encode(), key_digest(secret).encode())


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    """``scrypt:n=…,r=…,p=…:<salt>:<hash>`` for a password a person chose."""
    if not password:
        raise ValueError("a password cannot be empty")
    salt = secrets.token_bytes(16)
    derived = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        maxmem=_SCRYPT_MAXMEM,
    )
    params = f"n={_SCRYPT_N},r={_SCRYPT_R},p={_SCRYPT_P}"
    return f"scrypt:{params}:{_b64(salt)}:{_b64(derived)}"


def password_hash_problem(stored: str) -> str | None:
    """Why ``stored`` is not a usable password hash, or None when it is."""
    try:
        _parse_password_hash(stored)
    except ValueError as exc:
        return str(exc)
    return None


def _parse_password_hash(stored: str) -> tuple[dict[str, int], bytes, bytes]:
    scheme, _, rest = stored.partition(":")
    params_text, _, rest = rest.partition(":")
    salt_text, _, hash_text = rest.partition(":")
    if scheme != "scrypt" or not salt_text or not hash_text:
        raise ValueError(
            "expected 'scrypt:n=…,r=…,p=…:<salt>:<hash>' (set it with "
            "`lienthong agencies operator add NAME`, never by hand)"
        )
    try:
        params = {k: int(v) for k, _, v in (p.partition("=") for p in params_text.split(","))}
        salt, derived = base64.b64decode(salt_text), base64.b64decode(hash_text)
    except ValueError as exc:
        raise ValueError(f"the scrypt parameters or salt are malformed: {exc}") from None
    if set(params) != {"n", "r", "p"}:
        raise ValueError("the scrypt parameters must be n, r and p")
    return params, salt, derived


def password_matches(stored: str, candidate: str) -> bool:
    """Whether ``candidate`` is the password ``stored`` was made from (constant-time)."""
    try:
        params, salt, derived = _parse_password_hash(stored)
    except ValueError:
        return False
    attempt = hashlib.scrypt(
        candidate.encode(),
        salt=salt,
        n=params["n"],
        r=params["r"],
        p=params["p"],
        maxmem=_SCRYPT_MAXMEM,
        dklen=len(derived),
    )
    return hmac.compare_digest(attempt, derived)
