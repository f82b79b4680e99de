"""Who already has an account (web/services/account_lookup.py): usernames, ID numbers, mobiles."""

from __future__ import annotations

from tests.services.test_registration import BIRTH_DATE, ID_NUMBER, MOBILE, make_account, make_person
from web.models import Role
from web.services import account_lookup
from web.services.identity import make_id_number


async def test_a_username_is_taken_by_any_account(db: None) -> None:
    await make_account("earlybird", role=Role.STAFF)

    assert await account_lookup.username_reason("earlybird") == "taken"
    assert await account_lookup.username_reason("latebird") is None


async def test_an_id_number_with_an_account_is_taken(db: None) -> None:
    await make_account("earlybird", person=await make_person())

    assert await account_lookup.id_number_reason(ID_NUMBER, "张伟") == "taken"
    assert await account_lookup.id_number_reason(make_id_number("440304", BIRTH_DATE, 125), "张伟") is None


async def test_a_person_without_an_account_is_free_only_under_the_same_name(db: None) -> None:
    await make_person()

    assert await account_lookup.id_number_reason(ID_NUMBER, "张伟") is None
    assert await account_lookup.id_number_reason(ID_NUMBER, "李娜") == "name_mismatch"


async def test_a_mobile_is_taken_by_a_personal_account_only(db: None) -> None:
    await make_account("resident1", mobile=MOBILE)
    await make_account("staff1", mobile="13900000002", role=Role.STAFF)

    assert await account_lookup.mobile_reason(MOBILE) == "taken"
    assert await account_lookup.mobile_reason("13900000002") is None  # staff may register personally
