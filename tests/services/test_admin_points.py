"""Administration of acceptance points: the list by district, the checks of an edit, the audited save."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support import create_account
from web.models import AcceptancePoint, AuditEntry
from web.services import admin_points

FUTIAN_DISTRICT = "440304"
NANYUAN = "440304001"  # 南园街道, 福田区


def valid_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "南园街道居住证受理点",
        "address": "深圳市福田区南园路1号",
        "hours": "周一至周五 9:00-12:00, 14:00-18:00",
        "lat": "22.54",
        "lng": "114.09",
        "daily_capacity": "200",
        "is_active": "1",
    }
    return {**form, **changes}


async def test_list_has_all_74_points_and_a_district_filter(db: None) -> None:
    assert len(await admin_points.list_points()) == 74
    futian = await admin_points.list_points(FUTIAN_DISTRICT)
    assert len(futian) == 10
    assert {row.district for row in futian} == {"福田区"}
    assert [row.code for row in futian] == sorted(row.code for row in futian)


async def test_districts_are_listed_once_each_in_code_order(db: None) -> None:
    districts = await admin_points.districts()
    codes = [district.adcode for district in districts]
    assert codes == sorted(set(codes)) and len(codes) == 9
    assert districts[0].name == "罗湖区"


async def test_list_includes_inactive_points(db: None) -> None:
    await AcceptancePoint.filter(code=NANYUAN).update(is_active=False)
    rows = {row.code: row for row in await admin_points.list_points(FUTIAN_DISTRICT)}
    assert rows[NANYUAN].is_active is False


def test_a_valid_form_gives_typed_values() -> None:
    check = admin_points.check_point(valid_form(lat=" 22.5431234 ", daily_capacity="1,000"))
    assert check.errors == {}
    assert check.values["lat"] == Decimal("22.543123")  # six decimal places, as stored
    assert check.values["daily_capacity"] == 1000
    assert check.values["is_active"] is True
    assert admin_points.check_point(valid_form(is_active="")).values["is_active"] is False


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("name", "  ", "missing"),
        ("name", "名" * 65, "too_long"),
        ("address", "", "missing"),
        ("hours", "", "missing"),
        ("lat", "", "missing"),
        ("lat", "north", "format"),
        ("lat", "NaN", "format"),
        ("lat", "22.399999", "out_of_bounds"),
        ("lat", "114.09", "out_of_bounds"),  # latitude and longitude swapped
        ("lng", "113.69", "out_of_bounds"),
        ("lng", "114.71", "out_of_bounds"),
        ("daily_capacity", "", "missing"),
        ("daily_capacity", "2.5", "format"),
        ("daily_capacity", "-1", "format"),
        ("daily_capacity", "0", "range"),
        ("daily_capacity", "10001", "range"),
    ],
)
def test_each_field_is_checked(field: str, value: str, reason: str) -> None:
    assert admin_points.check_point(valid_form(**{field: value})).errors == {field: reason}


@pytest.mark.parametrize(("lat", "lng", "capacity"), [("22.40", "113.70", "1"), ("22.90", "114.70", "10000")])
def test_the_edges_of_the_ranges_are_allowed(lat: str, lng: str, capacity: str) -> None:
    assert admin_points.check_point(valid_form(lat=lat, lng=lng, daily_capacity=capacity)).errors == {}


async def test_update_saves_and_audits_only_what_changed(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    check = admin_points.check_point(valid_form(daily_capacity="350", is_active=""))
    point = await admin_points.update_point(NANYUAN, check.values, actor=admin, ip="10.1.2.3")
    assert point is not None
    stored = await AcceptancePoint.get(code=NANYUAN)
    assert (stored.daily_capacity, stored.is_active, stored.name) == (350, False, "南园街道居住证受理点")
    entry = await AuditEntry.get(action="admin.point.update")
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.ip_masked) == (
        admin.id, "acceptance_point", NANYUAN, "10.1.2.*")
    changes = entry.detail["changes"]
    assert changes["daily_capacity"] == {"from": 200, "to": 350}
    assert changes["is_active"] == {"from": True, "to": False}
    assert "lat" not in changes  # 22.54 as typed equals 22.540000 as stored


async def test_an_update_that_changes_nothing_writes_no_audit_entry(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    point = await AcceptancePoint.get(code=NANYUAN)
    same = admin_points.check_point(admin_points.point_form(point)).values
    await admin_points.update_point(NANYUAN, same, actor=admin)
    assert not await AuditEntry.exists(action="admin.point.update")


async def test_update_of_an_unknown_point_is_none(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    assert await admin_points.update_point("999999999", valid_form(), actor=admin) is None


async def test_point_form_shows_coordinates_as_typed(db: None) -> None:
    form = admin_points.point_form(await AcceptancePoint.get(code=NANYUAN))
    assert (form["lat"], form["lng"], form["daily_capacity"], form["is_active"]) == ("22.54", "114.09", "200", "1")
