"""Password hashing (Argon2id through argon2-cffi) and the keys and tokens handed to devices and staff.

Device keys and log-in tokens are long random strings, so a plain SHA-256 is enough to store them
and lets a request find its row by an index look-up; passwords are short and human, so they get a
slow, salted, memory-hard KDF.
"""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_device_key() -> str:
    return "hc_" + secrets.token_urlsafe(32)


def new_login_token() -> str:
    return "hcs_" + secrets.token_urlsafe(32)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def digest(secret: str) -> str:
    """The stored form of a device key or log-in token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
