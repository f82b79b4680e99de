"""Password hashing with argon2id at no less than the ASVS minimum."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from web.services.passwords import hash_password, needs_rehash, verify_no_account, verify_password


def test_hash_is_argon2id_with_at_least_the_asvs_minimum() -> None:
    password_hash = hash_password("Demo-2026!")
    assert password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    password_hash = hash_password("Demo-2026!")
    assert verify_password(password_hash, "Demo-2026!") is True
    assert verify_password(password_hash, "demo-2026!") is False
    assert verify_password(password_hash, "") is False


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("Demo-2026!") != hash_password("Demo-2026!")


def test_an_unreadable_hash_verifies_nothing_and_never_raises() -> None:
    assert verify_password("", "x") is False
    assert verify_password("not a hash", "x") is False
    assert verify_password("$argon2id$v=19$m=19456,t=2,p=1$broken", "x") is False


def test_a_weaker_hash_needs_rehash_and_todays_does_not() -> None:
    weak = PasswordHasher.from_parameters(CHEAPEST).hash("Demo-2026!")
    assert verify_password(weak, "Demo-2026!") is True  # still accepted at login, then upgraded
    assert needs_rehash(weak) is True
    assert needs_rehash(hash_password("Demo-2026!")) is False
    assert needs_rehash("not a hash") is True


def test_a_missing_account_never_verifies() -> None:
    assert verify_no_account("Demo-2026!") is False
