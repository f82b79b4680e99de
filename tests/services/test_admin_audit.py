"""The audit-log page's filters and pages (on top of audit.search)."""

from __future__ import annotations

from datetime import date

from tests.support import create_account
from web.services import admin_audit, audit


async def test_filters_are_checked_and_kept_as_typed(db: None) -> None:
    filters = admin_audit.check_filters({"actor": " admin1 ", "date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert filters.form["actor"] == "admin1"
    assert filters.date_from == date(2026, 3, 2)
    assert filters.errors == {"date_to": "before_from"}
    assert admin_audit.check_filters({"date_from": "2026-02-30"}).errors == {"date_from": "format"}
    assert admin_audit.check_filters({"before": "12"}).before_id == 12
    assert admin_audit.check_filters({"before": "x"}).before_id is None


async def test_pages_go_back_in_time_by_id(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    other = await create_account("admin", password_hash="x")
    ids = [(await audit.record(actor=admin, action="admin.point.update", target_type="acceptance_point",
                               target_id=str(n), detail={"n": n, "note": "南园"})).id for n in range(5)]
    await audit.record(actor=other, action="admin.staff.create")
    first = await admin_audit.find(admin_audit.check_filters({"actor": admin.username.upper()}), limit=2)
    assert [row.id for row in first.rows] == [ids[4], ids[3]]
    assert first.rows[0].detail == '{"n": 4, "note": "南园"}'
    assert first.rows[0].actor == admin.username
    second = await admin_audit.find(admin_audit.check_filters({"actor": admin.username, "before": str(first.older_before)}), limit=2)
    assert [row.id for row in second.rows] == [ids[2], ids[1]]
    third = await admin_audit.find(admin_audit.check_filters({"actor": admin.username, "before": str(second.older_before)}), limit=2)
    assert [row.id for row in third.rows] == [ids[0]] and third.older_before is None


async def test_an_unknown_username_matches_nothing(db: None) -> None:
    await audit.record(actor=None, action="system.tick")
    page = await admin_audit.find(admin_audit.check_filters({"actor": "nobody"}))
    assert page.unknown_actor and page.rows == []
    everything = await admin_audit.find(admin_audit.check_filters({}))
    assert [(row.action, row.actor) for row in everything.rows] == [("system.tick", "")]
