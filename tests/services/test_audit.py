"""The audit log: entries keep the role and a masked address, never a full ID number; search pages
by id; 谁查看了我的信息 lists what officials did with one person's data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.housing import make_person
from tests.support import create_account
from web.models import AuditEntry, Role
from web.services import audit

ID_NUMBER = "11010519491231002X"


async def _account(role: Role, **fields: object):
    return await create_account(str(role), password_hash="x", **fields)


async def _entry_at(at: datetime, **fields: object) -> AuditEntry:
    entry = await audit.record(**{"actor": None, "action": "test.entry", **fields})  # type: ignore[arg-type]
    await AuditEntry.filter(id=entry.id).update(at=at)  # test set-up only: the log is append-only
    return entry


async def test_record_copies_the_role_and_masks_the_address(db: None) -> None:
    person = await make_person()
    staff = await _account(Role.STAFF)

    entry = await audit.record(
        actor=staff, action="application.accept", target_type="permit_application", target_id=42,
        subject_id=person.id, detail={"from": "submitted"}, ip="203.0.113.77",
    )  # fmt: skip

    stored = await AuditEntry.get(id=entry.id)
    assert (stored.actor_id, stored.actor_role, stored.action) == (staff.id, "staff", "application.accept")  # type: ignore[attr-defined]
    assert (stored.target_type, stored.target_id, stored.subject_id) == ("permit_application", "42", person.id)  # type: ignore[attr-defined]
    assert stored.ip_masked == "203.0.113.*"
    assert stored.detail == {"from": "submitted"}


async def test_the_role_stays_what_it_was_when_the_account_changes(db: None) -> None:
    agent = await _account(Role.UNIT_AGENT)
    entry = await audit.record(actor=agent, action="person.view")
    agent.role = Role.RESIDENT
    await agent.save(update_fields=["role"])
    assert (await AuditEntry.get(id=entry.id)).actor_role == "unit_agent"


async def test_a_system_entry_has_no_actor_and_no_address(db: None) -> None:
    entry = await audit.record(actor=None, action="permit.suspend", ip="not an address")
    stored = await AuditEntry.get(id=entry.id)
    assert (stored.actor_id, stored.actor_role, stored.ip_masked) == (None, "", "")  # type: ignore[attr-defined]


async def test_full_id_numbers_never_reach_the_detail(db: None) -> None:
    entry = await audit.record(
        actor=None,
        action="person.update",
        detail={
            "id_number": ID_NUMBER,
            "co_residents": [{"name": "李娜", "id_number": "440524188001010014"}],
            "note": f"checked card {ID_NUMBER} at the counter",
            "passport_id_number": "E12345678",
            "acceptance_number": "SZ20260302000001",
            "day": date(2026, 3, 2),
        },
    )

    detail = (await AuditEntry.get(id=entry.id)).detail
    assert detail == {
        "id_number": "1101**********002X",
        "co_residents": [{"name": "李娜", "id_number": "4405**********0014"}],
        "note": "checked card 1101**********002X at the counter",
        "passport_id_number": "E1*****78",
        "acceptance_number": "SZ20260302000001",  # not an ID number: kept
        "day": "2026-03-02",
    }


async def test_an_empty_or_overlong_action_is_a_programming_error(db: None) -> None:
    for action in ("", "x" * 65):
        with pytest.raises(ValueError):
            await audit.record(actor=None, action=action)
    assert await AuditEntry.all().count() == 0


# --- search (the admin audit-log page) ----------------------------------------------------------


async def test_search_filters_by_actor_target_and_action(db: None) -> None:
    alice, bob = await _account(Role.STAFF), await _account(Role.STAFF)
    a1 = await audit.record(actor=alice, action="application.accept", target_type="permit_application", target_id=1)
    a2 = await audit.record(actor=alice, action="application.reject", target_type="permit_application", target_id=2)
    b1 = await audit.record(actor=bob, action="declaration.approve", target_type="declaration", target_id=1)

    async def ids(**filters: object) -> list[int]:
        return [entry.id for entry in await audit.search(**filters)]  # type: ignore[arg-type]

    assert await ids() == [b1.id, a2.id, a1.id]
    assert await ids(actor_id=alice.id) == [a2.id, a1.id]
    assert await ids(target_type="permit_application", target_id=1) == [a1.id]
    assert await ids(target_type="declaration", target_id="1") == [b1.id]
    assert await ids(action="application.reject") == [a2.id]
    assert await ids(action="application.") == [a2.id, a1.id]  # a trailing dot: every application action
    assert await ids(action="application") == []  # otherwise exact
    loaded = (await audit.search(actor_id=bob.id))[0]
    assert loaded.actor.username == bob.username


async def test_search_by_shenzhen_days_includes_both_ends(db: None) -> None:
    # Shenzhen is UTC+8: 2026-03-01 16:00 UTC is already 2 March there.
    before = await _entry_at(datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
    first = await _entry_at(datetime(2026, 3, 1, 16, 0, tzinfo=UTC))
    last = await _entry_at(datetime(2026, 3, 3, 15, 59, tzinfo=UTC))
    after = await _entry_at(datetime(2026, 3, 3, 16, 0, tzinfo=UTC))

    found = await audit.search(date_from=date(2026, 3, 2), date_to=date(2026, 3, 3))
    assert [entry.id for entry in found] == [last.id, first.id]
    assert [e.id for e in await audit.search(date_to=date(2026, 3, 1))] == [before.id]
    assert [e.id for e in await audit.search(date_from=date(2026, 3, 4))] == [after.id]


async def test_search_pages_by_id_without_skipping_or_repeating(db: None) -> None:
    ids = [(await audit.record(actor=None, action="test.entry")).id for _ in range(7)]
    for limit in (1, 2, 3, 7):
        seen: list[int] = []
        before: int | None = None
        while page := await audit.search(before_id=before, limit=limit):
            assert len(page) <= limit
            seen += [entry.id for entry in page]
            before = page[-1].id
        assert seen == ids[::-1]


async def test_search_limit_is_kept_within_bounds(db: None) -> None:
    for _ in range(3):
        await audit.record(actor=None, action="test.entry")
    assert len(await audit.search(limit=0)) == 1
    assert len(await audit.search(limit=10_000)) == 3


# --- 谁查看了我的信息 -------------------------------------------------------------------------------


async def test_views_of_lists_what_officials_did_with_the_persons_data_newest_first(db: None) -> None:
    me, someone_else = await make_person("王芳"), await make_person("李娜")
    my_account = await _account(Role.RESIDENT, person_id=me.id)
    staff, agent, admin = await _account(Role.STAFF), await _account(Role.UNIT_AGENT), await _account(Role.ADMIN)

    by_staff = await audit.record(actor=staff, action="application.accept", subject_id=me.id)
    await audit.record(actor=my_account, action="profile.update", subject_id=me.id)  # my own doing
    by_agent = await audit.record(actor=agent, action="roster.view", subject_id=me.id)
    await audit.record(actor=staff, action="application.accept", subject_id=someone_else.id)
    await audit.record(actor=None, action="permit.suspend", subject_id=me.id)  # the system, not a person
    by_admin = await audit.record(actor=admin, action="audit.view", subject_id=me.id)

    views = await audit.views_of(me.id)
    assert [entry.id for entry in views] == [by_admin.id, by_agent.id, by_staff.id]
    assert [entry.actor.username for entry in views] == [admin.username, agent.username, staff.username]
    assert [entry.id for entry in await audit.views_of(me.id, limit=1)] == [by_admin.id]


async def test_views_of_keeps_entries_of_deleted_staff_accounts(db: None) -> None:
    me = await make_person("王芳")
    staff = await _account(Role.STAFF)
    entry = await audit.record(actor=staff, action="application.accept", subject_id=me.id)
    await staff.delete()

    views = await audit.views_of(me.id)
    assert [(view.id, view.actor, view.actor_role) for view in views] == [(entry.id, None, "staff")]
