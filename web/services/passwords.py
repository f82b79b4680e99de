"""Password hashing with argon2id."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP ASVS minimum for argon2id: 19 MiB, 2 iterations, 1 lane. About 27 ms per hash on one core
# here (STACK.md), so callers rate-limit before hashing. Raising these later is safe: needs_rehash()
# tells the login to store a stronger hash.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)



def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches. A mismatch or an unreadable hash is False, never an error."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_no_account(password: str) -> bool:
    """Spend the time of a real verification for a username that does not exist. Always False.

    A wrong username then costs as long as a wrong password, so the timing does not reveal which
    accounts exist (DOMAIN §2).
    """
    verify_password(_dummy_hash(), password)
    return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("juzhu: no such account")


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash after login)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
