"""Staff accounts made by administrators: checks, the texted set-password code, moving, disabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.stores.memory import MemoryStore
from tortoise.exceptions import IntegrityError

from tests.support import create_account
from web.adapters.sms import SmsDeliveryError
from web.models import AcceptancePoint, Account, AuditEntry, DeviceToken, Role
from web.services import auth, password_setup, staff_accounts

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SECRET = "test-secret"
NANYUAN = "440304001"
FUTIAN = "440304004"
NEW_PASSWORD = "Counter-desk-2026"


class Phone:
    """A gateway that keeps what it was given, and can fail like a real one."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, str, str, str | None]] = []

    async def send(self, mobile: str, body: str, *, purpose: str, code: str | None) -> None:
        if self.fail:
            raise SmsDeliveryError("gateway down")
        self.sent.append((mobile, body, purpose, code))

    @property
    def last_code(self) -> str:
        code = self.sent[-1][3]
        assert code is not None
        return code


async def new_staff(username: str = "wang_li", phone: Phone | None = None) -> tuple[Account, Phone, Account]:
    admin = await create_account("admin", password_hash="x")
    phone = phone or Phone()
    check = await staff_accounts.check_new_staff({"username": username, "mobile": "13912345678", "point": NANYUAN})
    assert check.errors == {}
    sent = await staff_accounts.create_staff(check.values, actor=admin, gateway=phone, now=NOW, secret=SECRET,
                                             ip="10.0.0.9")
    assert sent.refused is None
    return sent.account, phone, admin


async def set_password(username: str, code: str, *, now: datetime = NOW) -> password_setup.SetupResult:
    """What /account/setup does with its form."""
    return await password_setup.set_first_password(
        {"username": username, "sms_code": code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        now=now, secret=SECRET, store=MemoryStore(), ip="10.0.0.1",
    )


async def test_check_normalizes_username_and_mobile_and_finds_the_point(db: None) -> None:
    check = await staff_accounts.check_new_staff({"username": " Wang_Li ", "mobile": "+86 139 1234 5678", "point": NANYUAN})
    assert check.errors == {}
    assert check.values["username"] == "wang_li"
    assert check.values["mobile"] == "13912345678"
    assert check.values["point"].code == NANYUAN


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"username": "", "mobile": "", "point": ""}, {"username": "missing", "mobile": "missing", "point": "missing"}),
        ({"username": "abc", "mobile": "12345", "point": "999999999"}, {"username": "length", "mobile": "format", "point": "missing"}),
        ({"username": "1abc", "mobile": "13912345678", "point": NANYUAN}, {"username": "start"}),
        ({"username": "staff", "mobile": "13912345678", "point": NANYUAN}, {"username": "taken"}),  # reserved
    ],
)
async def test_check_gives_a_reason_per_field(db: None, form: dict[str, str], errors: dict[str, str]) -> None:
    assert (await staff_accounts.check_new_staff(form)).errors == errors


async def test_a_taken_username_and_an_inactive_point_are_refused(db: None) -> None:
    await create_account("resident", username="wang_li", password_hash="x")
    await AcceptancePoint.filter(code=NANYUAN).update(is_active=False)
    check = await staff_accounts.check_new_staff({"username": "WANG_LI", "mobile": "13912345678", "point": NANYUAN})
    assert check.errors == {"username": "taken", "point": "missing"}


async def test_create_texts_a_code_that_sets_the_password_at_the_setup_page(db: None) -> None:
    account, phone, admin = await new_staff()
    assert (account.role, account.mobile, account.is_active) == (Role.STAFF, "13912345678", True)
    assert account.verified_mobile is None  # the first sign-in asks for an SMS code too
    assert (await account.point).code == NANYUAN  # type: ignore[union-attr]
    [(mobile, body, purpose, code)] = phone.sent
    assert (mobile, purpose) == ("13912345678", password_setup.PURPOSE)
    assert "wang_li" in body and str(code) in body and password_setup.SETUP_PATH in body
    with pytest.raises(auth.LoginRefused):  # nobody knows the random password it was made with
        await auth.check_password("wang_li", NEW_PASSWORD, now=NOW)
    assert (await set_password("wang_li", phone.last_code)).errors == {}
    assert (await auth.check_password("wang_li", NEW_PASSWORD, now=NOW)).id == account.id
    entry = await AuditEntry.get(action="admin.staff.create")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "account", str(account.id))
    assert entry.detail == {"username": "wang_li", "point": NANYUAN}


async def test_the_code_lasts_a_day_and_works_once(db: None) -> None:
    _, phone, _ = await new_staff()
    code = phone.last_code
    late = NOW + timedelta(hours=password_setup.CODE_TTL_HOURS)
    assert (await set_password("wang_li", code, now=late)).errors == {"sms_code": "rejected"}
    assert (await set_password("wang_li", code)).errors == {}
    assert (await set_password("wang_li", code)).errors == {"sms_code": "rejected"}


async def test_a_gateway_failure_keeps_the_account_and_says_so(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    check = await staff_accounts.check_new_staff({"username": "wang_li", "mobile": "13912345678", "point": NANYUAN})
    sent = await staff_accounts.create_staff(check.values, actor=admin, gateway=Phone(fail=True), now=NOW,
                                             secret=SECRET)
    assert sent.refused == "delivery"
    assert await Account.exists(username="wang_li")


async def test_a_username_taken_since_the_check_fails_in_the_database(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    check = await staff_accounts.check_new_staff({"username": "wang_li", "mobile": "13912345678", "point": NANYUAN})
    await create_account("staff", username="wang_li", password_hash="x")
    with pytest.raises(IntegrityError):
        await staff_accounts.create_staff(check.values, actor=admin, gateway=Phone(), now=NOW, secret=SECRET)
    assert not await AuditEntry.exists(action="admin.staff.create")


async def test_list_is_by_username_in_keyset_pages_and_filters_by_point(db: None) -> None:
    nanyuan = await AcceptancePoint.get(code=NANYUAN)
    futian = await AcceptancePoint.get(code=FUTIAN)
    for name in ("carol", "alice", "bob", "dave"):
        await create_account("staff", username=name, password_hash="x", point_id=(nanyuan if name < "c" else futian).id)
    await create_account("staff", username="erin", password_hash="x")  # no point yet
    await create_account("resident", username="ann", password_hash="x")
    first = await staff_accounts.list_staff(limit=2)
    assert [row.username for row in first.rows] == ["alice", "bob"] and first.next_after == "bob"
    second = await staff_accounts.list_staff(after=first.next_after, limit=2)
    assert [row.username for row in second.rows] == ["carol", "dave"]
    last = await staff_accounts.list_staff(after=second.next_after, limit=2)
    assert [(row.username, row.point_code) for row in last.rows] == [("erin", None)] and last.next_after is None
    at_futian = await staff_accounts.list_staff(point_code=FUTIAN)
    assert [(row.username, row.point_name) for row in at_futian.rows] == [("carol", futian.name), ("dave", futian.name)]


async def test_only_staff_accounts_are_found(db: None) -> None:
    resident = await create_account("resident", password_hash="x")
    staff = await create_account("staff", password_hash="x")
    assert await staff_accounts.get_staff(resident.id) is None
    assert (await staff_accounts.get_staff(staff.id)).id == staff.id  # type: ignore[union-attr]


async def test_assign_moves_to_an_active_point_and_audits_from_and_to(db: None) -> None:
    account, _, admin = await new_staff()
    account = await staff_accounts.get_staff(account.id)  # type: ignore[assignment]
    assert await staff_accounts.assign_point(account, FUTIAN, actor=admin) is None
    assert (await Account.get(id=account.id).prefetch_related("point")).point.code == FUTIAN
    entry = await AuditEntry.get(action="admin.staff.assign")
    assert entry.detail == {"username": "wang_li", "from": NANYUAN, "to": FUTIAN}
    assert await staff_accounts.assign_point(account, "nowhere", actor=admin) == "missing"
    assert await staff_accounts.assign_point(account, FUTIAN, actor=admin) is None  # already there: no entry
    assert await AuditEntry.filter(action="admin.staff.assign").count() == 1


async def test_disable_ends_the_session_and_devices_and_refuses_sign_in(db: None) -> None:
    account, phone, admin = await new_staff()
    await set_password("wang_li", phone.last_code)
    account = await Account.get(id=account.id)
    await auth.complete_login(account, now=NOW, ip="", user_agent="", sms_verified=True)
    await auth.issue_device_token(account, now=NOW)
    await staff_accounts.set_active(account, False, actor=admin, now=NOW)
    stored = await Account.get(id=account.id)
    assert (stored.is_active, stored.current_session_id) == (False, None)
    assert not await DeviceToken.exists(account_id=account.id, revoked_at__isnull=True)
    with pytest.raises(auth.LoginRefused) as refused:
        await auth.check_password("wang_li", NEW_PASSWORD, now=NOW)
    assert refused.value.reason == "inactive"
    await staff_accounts.set_active(stored, True, actor=admin, now=NOW)
    assert (await auth.check_password("wang_li", NEW_PASSWORD, now=NOW)).id == account.id
    actions = await AuditEntry.filter(target_id=str(account.id)).order_by("id").values_list("action", flat=True)
    assert actions == ["admin.staff.create", "admin.staff.disable", "admin.staff.enable"]


async def test_a_disabled_account_cannot_set_a_password_with_its_code(db: None) -> None:
    account, phone, admin = await new_staff()
    await staff_accounts.set_active(account, False, actor=admin, now=NOW)
    assert (await set_password("wang_li", phone.last_code)).errors == {"sms_code": "rejected"}


async def test_disabling_a_disabled_account_writes_nothing(db: None) -> None:
    account, _, admin = await new_staff()
    await staff_accounts.set_active(account, False, actor=admin, now=NOW)
    await staff_accounts.set_active(account, False, actor=admin, now=NOW)
    assert await AuditEntry.filter(action="admin.staff.disable").count() == 1


async def test_a_new_code_sets_a_new_password_and_codes_wait_a_minute(db: None) -> None:
    account, phone, admin = await new_staff()
    soon = NOW + timedelta(seconds=30)
    too_soon = await staff_accounts.send_setup_code(account, actor=admin, gateway=phone, now=soon, secret=SECRET)
    assert too_soon.refused == "resend_wait" and too_soon.retry_at == NOW + timedelta(seconds=60)
    later = NOW + timedelta(minutes=2)
    sent = await staff_accounts.send_setup_code(account, actor=admin, gateway=phone, now=later, secret=SECRET)
    assert sent.refused is None and len(phone.sent) == 2
    assert (await set_password("wang_li", phone.last_code, now=later)).errors == {}
    assert await AuditEntry.filter(action="admin.staff.setup_code", target_id=str(account.id)).count() == 1
